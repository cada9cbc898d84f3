/**
 * The real path over Dynamics 365 for tests: the Dataverse test double
 * (test/fakes/dataverse-double.ts) with the custom columns mappings/dynamics365.yaml needs (as
 * an administrator adds them, README of adapters/dynamics365), the dynamics365 adapter from
 * the registry, and the gateway configured for it (adapter `dynamics365`, base URL and token
 * authority pointed at the double, the shipped table). Everything listens on 127.0.0.1 and is
 * torn down with the test.
 */
import { mappingFileFor } from '../../src/config/project-root.js'
import type { CrmAdapter } from '../../src/core/port.js'
import { loadMappingTable } from '../../src/mapping/index.js'
import type { CompiledMapping } from '../../src/mapping/index.js'
import { startDataverseDouble } from '../fakes/dataverse-double.js'
import type { ColumnDefinition, DataverseDouble, DataverseDoubleOptions } from '../fakes/dataverse-double.js'
import { registryAdapter, startConfiguredGateway } from './configured-gateway.js'
import type { Gateway, Teardown } from './configured-gateway.js'

export { SPI } from './configured-gateway.js'
export type { Gateway } from './configured-gateway.js'

export const TENANT_ID = '72f988bf-0000-4000-8000-000000000001'
export const CLIENT_ID = '0c1d2e3f-0000-4000-8000-000000000002'
export const CLIENT_SECRET = 'test-client-secret~not-a-real-one'

export async function loadDynamicsTable(): Promise<CompiledMapping> {
  return loadMappingTable(mappingFileFor('dynamics365', ''))
}

const text = (name: string, maxLength = 100): ColumnDefinition => ({ name, type: 'String', maxLength })
const memo = (name: string): ColumnDefinition => ({ name, type: 'Memo', maxLength: 1_048_576 })
const yesNo = (name: string): ColumnDefinition => ({ name, type: 'Boolean' })

/** The custom columns of mappings/dynamics365.yaml, typed as adapters/dynamics365/README.md tells an administrator to create them. */
export const CLIENTELING_COLUMNS: readonly ColumnDefinition[] = [
  text('cg_preferredlanguage', 20),
  text('cg_customergroup'),
  text('cg_loyaltyaccountnumber', 40),
  text('cg_alternatecustomerid'),
  ...['terms', 'directmail', 'ereceipt', 'newsletter', 'phone', 'sms', 'loyalty'].map((c) => yesNo(`cg_consent${c}`)),
  text('cg_loyaltyfirstname', 50),
  text('cg_loyaltylastname', 50),
  memo('cg_loyaltyaddress'),
  { name: 'cg_loyaltypoints', type: 'Integer' },
  text('cg_loyaltytier', 50),
  memo('cg_loyaltyattributes'),
  memo('cg_addresslist'),
  text('cg_homestore', 50),
  text('cg_enrolledby', 50),
  text('cg_createrequestid')
]

export interface StartOptions extends Partial<DataverseDoubleOptions> {
  /** Whether the contact table has the custom columns before the test. Default true. */
  readonly provisioned?: boolean
}

/** The double for mappings/dynamics365.yaml, closed with the test. */
export async function startDataverse(t: Teardown, options: StartOptions = {}): Promise<DataverseDouble> {
  const { provisioned = true, ...rest } = options
  const double = await startDataverseDouble({
    tenantId: TENANT_ID,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    ...(provisioned ? { customColumns: CLIENTELING_COLUMNS } : {}),
    ...rest
  })
  t.teardown(() => double.close())
  return double
}

/** The adapter's `crm.options` for a double: the app registration, the token authority and scope at the double. */
export function dynamicsSettings(double: { readonly url: string }, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { tenantId: TENANT_ID, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, authorityHost: double.url, scope: `${double.url}/.default`, ...overrides }
}

/** The dynamics365 adapter, built through the registry as the gateway builds it. */
export function dynamicsAdapter(t: Teardown, double: { readonly url: string }, mapping: CompiledMapping, options: { baseUrl?: string; requestTimeoutMs?: number; settings?: Record<string, unknown> } = {}): CrmAdapter {
  return registryAdapter(t, 'dynamics365', options.baseUrl ?? double.url, dynamicsSettings(double, options.settings), mapping, options.requestTimeoutMs)
}

/** The gateway configured for Dynamics 365 as an operator would configure it, built the way src/server.ts builds it. */
export async function startGatewayOverDynamics365(t: Teardown, double: { readonly url: string }, overrides: Record<string, unknown> = {}): Promise<Gateway> {
  return startConfiguredGateway(t, { adapter: 'dynamics365', baseUrl: double.url, options: dynamicsSettings(double) }, overrides)
}
