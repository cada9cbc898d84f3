/**
 * The real path over SAP C4C for tests: the C4C test double (test/fakes/sap-c4c-double.ts), the
 * sap-c4c adapter from the registry, and the gateway app configured for it (adapter `sap-c4c`,
 * the tenant URL pointed at the double, the technical user's credentials, the shipped table).
 * Everything listens on 127.0.0.1 and is torn down with the test.
 */
import { mappingFileFor } from '../../src/config/project-root.js'
import type { CrmAdapter } from '../../src/core/port.js'
import { loadMappingTable } from '../../src/mapping/index.js'
import type { CompiledMapping } from '../../src/mapping/index.js'
import { startSapC4cDouble } from '../fakes/sap-c4c-double.js'
import type { SapC4cDouble, SapC4cDoubleOptions } from '../fakes/sap-c4c-double.js'
import { registryAdapter, startConfiguredGateway } from './configured-gateway.js'
import type { Gateway, Teardown } from './configured-gateway.js'

export { SPI } from './configured-gateway.js'
export type { Gateway } from './configured-gateway.js'

/** The technical user the double accepts (test values, never a real tenant's). */
export const C4C_USER = { username: 'CLIENTELING_TECH', password: 'test-password-not-a-secret' } as const

export async function loadSapC4cTable(): Promise<CompiledMapping> {
  return loadMappingTable(mappingFileFor('sap-c4c', ''))
}

/** The double with the technical user, closed with the test. */
export async function startSapC4c(t: Teardown, options: Partial<SapC4cDoubleOptions> = {}): Promise<SapC4cDouble> {
  const double = await startSapC4cDouble({ ...C4C_USER, ...options })
  t.teardown(() => double.close())
  return double
}

/** The sap-c4c adapter, built through the registry as the gateway builds it. */
export function sapC4cAdapter(
  t: Teardown,
  baseUrl: string,
  mapping: CompiledMapping,
  options: { settings?: Record<string, unknown>; requestTimeoutMs?: number } = {}
): CrmAdapter {
  return registryAdapter(t, 'sap-c4c', baseUrl, options.settings ?? { ...C4C_USER }, mapping, options.requestTimeoutMs)
}

/** The gateway configured for C4C as an operator configures it (adapter, tenant URL, user, table). */
export async function startGatewayOverSapC4c(t: Teardown, crmUrl: string, overrides: Record<string, unknown> = {}): Promise<Gateway> {
  return startConfiguredGateway(t, { adapter: 'sap-c4c', baseUrl: crmUrl, options: { ...C4C_USER } }, overrides)
}
