/**
 * The real path over HubSpot for tests: the HubSpot test double (test/fakes/hubspot-double.ts)
 * holding the custom properties mappings/hubspot.yaml needs, the hubspot adapter from the
 * registry, and the gateway app configured for it (adapter `hubspot`, base URL pointed at the
 * double, the shipped table). Everything listens on 127.0.0.1 and is torn down with the test.
 */
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import { buildApp } from '../../src/app.js'
import { validateConfig } from '../../src/config/load-config.js'
import { mappingFileFor } from '../../src/config/project-root.js'
import type { CrmAdapter } from '../../src/core/port.js'
import { loadMappingTable } from '../../src/mapping/index.js'
import type { CompiledMapping } from '../../src/mapping/index.js'
import { resolveAdapterFactory } from '../../adapters/index.js'
import { startHubSpotDouble } from '../fakes/hubspot-double.js'
import type { HubSpotDouble, HubSpotDoubleOptions, PropertyDefinition } from '../fakes/hubspot-double.js'
import { AUTH_HEADERS, TEST_CLIENT_ID, TEST_SECRET } from './build-test-app.js'
import { checkAnswers } from './answer-check.js'
import { createSilentLogger } from './silent-logger.js'

interface Teardown {
  teardown(fn: () => unknown): void
}

export const HUBSPOT_TOKEN = 'pat-na1-00000000-test-token'
export const SPI = '/endpoint/sa/customers'

const bool = (name: string): PropertyDefinition => ({ name, type: 'bool', options: ['true', 'false'] })
const text = (name: string): PropertyDefinition => ({ name, type: 'string' })
const number = (name: string): PropertyDefinition => ({ name, type: 'number' })
const date = (name: string): PropertyDefinition => ({ name, type: 'date' })

/** The custom contact properties a merchant creates for mappings/hubspot.yaml (its header). */
export const MERCHANT_PROPERTIES: readonly PropertyDefinition[] = [
  ...['gender', 'home_phone', 'preferred_language', 'customer_group', 'alternate_customer_id', 'tax_id', 'address_line_2', 'location_country', 'location_postal_code'].map(text),
  ...['loyalty_account_number', 'loyalty_first_name', 'loyalty_last_name', 'loyalty_tier', 'loyalty_tier_title', 'loyalty_tier_subtitle', 'home_store', 'enrolled_by'].map(text),
  ...['clienteling_addresses', 'loyalty_address', 'loyalty_attributes'].map(text),
  ...['loyalty_points', 'loyalty_cash_rewards', 'loyalty_store_credit', 'order_count'].map(number),
  ...['loyalty_tier_start_date', 'loyalty_tier_end_date'].map(date),
  ...['sms_notifications_allowed', 'consent_terms', 'consent_direct_mail', 'consent_ereceipt', 'consent_newsletter', 'consent_phone', 'consent_sms', 'consent_loyalty'].map(bool)
]

export async function loadHubSpotTable(): Promise<CompiledMapping> {
  return loadMappingTable(mappingFileFor('hubspot', ''))
}

/** The double with the merchant's properties, closed with the test. */
export async function startHubSpot(t: Teardown, options: Partial<HubSpotDoubleOptions> = {}): Promise<HubSpotDouble> {
  const double = await startHubSpotDouble({ accessToken: HUBSPOT_TOKEN, customProperties: MERCHANT_PROPERTIES, ...options })
  t.teardown(() => double.close())
  return double
}

/** The hubspot adapter, built through the registry as the gateway builds it. */
export function hubspotAdapter(
  t: Teardown,
  baseUrl: string,
  mapping: CompiledMapping,
  options: { accessToken?: string; requestTimeoutMs?: number } = {}
): CrmAdapter {
  const adapter = resolveAdapterFactory('hubspot')({
    baseUrl,
    settings: { accessToken: options.accessToken ?? HUBSPOT_TOKEN },
    requestTimeoutMs: options.requestTimeoutMs ?? 5000,
    log: createSilentLogger(),
    readFields: () => mapping.readFields
  })
  t.teardown(() => adapter.close?.())
  return adapter
}

export interface Gateway {
  readonly app: FastifyInstance
  readonly mapping: CompiledMapping
  /** app.inject as the test POS client. */
  inject(options: InjectOptions): Promise<LightMyRequestResponse>
}

/**
 * The gateway configured for HubSpot as an operator would configure it (adapter `hubspot`,
 * base URL, token, mappings/hubspot.yaml), built the way src/server.ts builds it.
 */
export async function startGatewayOverHubSpot(t: Teardown, crmUrl: string, overrides: Record<string, unknown> = {}): Promise<Gateway> {
  const config = validateConfig({
    ...overrides,
    crm: { adapter: 'hubspot', baseUrl: crmUrl, options: { accessToken: HUBSPOT_TOKEN }, ...(overrides['crm'] as object) },
    auth: { clients: [{ id: TEST_CLIENT_ID, method: 'header', header: 'x-api-key', secrets: [TEST_SECRET] }] }
  })
  const mapping = await loadMappingTable(mappingFileFor(config.crm.adapter, config.crm.mappingFile))
  const factory = resolveAdapterFactory(config.crm.adapter)
  const app = await buildApp({
    config,
    mapper: mapping,
    logger: false,
    adapter: (log) =>
      factory({
        baseUrl: config.crm.baseUrl,
        settings: config.crm.options,
        requestTimeoutMs: config.crm.requestTimeoutMs,
        log,
        readFields: () => mapping.readFields
      })
  })
  // Every answer is checked against the app's own OpenAPI document; one that breaks it fails the test at teardown.
  checkAnswers(app)
  await app.ready()
  t.teardown(() => app.close())
  return { app, mapping, inject: (o) => app.inject({ ...o, headers: { ...AUTH_HEADERS, ...o.headers } }) }
}
