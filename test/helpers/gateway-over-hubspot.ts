/**
 * The real path over HubSpot for tests: the HubSpot test double (test/fakes/hubspot-double.ts)
 * provisioned as a merchant would (`crm provision`) with the custom properties
 * mappings/hubspot.yaml needs, the hubspot adapter from the
 * registry, and the gateway app configured for it (adapter `hubspot`, base URL pointed at the
 * double, the shipped table). Everything listens on 127.0.0.1 and is torn down with the test.
 */
import { mappingFileFor } from '../../src/config/project-root.js'
import type { CrmAdapter } from '../../src/core/port.js'
import { loadMappingTable } from '../../src/mapping/index.js'
import type { CompiledMapping } from '../../src/mapping/index.js'
import { startHubSpotDouble } from '../fakes/hubspot-double.js'
import type { HubSpotDouble, HubSpotDoubleOptions } from '../fakes/hubspot-double.js'
import { registryAdapter, startConfiguredGateway } from './configured-gateway.js'
import type { Gateway, Teardown } from './configured-gateway.js'
import { createSilentLogger } from './silent-logger.js'

export { SPI } from './configured-gateway.js'
export type { Gateway } from './configured-gateway.js'

export const HUBSPOT_TOKEN = 'pat-na1-00000000-test-token'

export async function loadHubSpotTable(): Promise<CompiledMapping> {
  return loadMappingTable(mappingFileFor('hubspot', ''))
}

export interface StartOptions extends Partial<HubSpotDoubleOptions> {
  /**
   * Whether the portal gets the table's custom properties before the test, created the way a
   * merchant creates them (`crm provision`: the adapter's field schema). Default true.
   */
  readonly provisioned?: boolean
}

/** The double, provisioned for mappings/hubspot.yaml unless told otherwise, closed with the test. */
export async function startHubSpot(t: Teardown, options: StartOptions = {}): Promise<HubSpotDouble> {
  const { provisioned = true, burstRateLimit, ...doubleOptions } = options
  // The test's burst limit applies once provisioning (some thirty calls) is done.
  const double = await startHubSpotDouble({ accessToken: HUBSPOT_TOKEN, ...doubleOptions, ...(provisioned ? {} : { burstRateLimit }) })
  t.teardown(() => double.close())
  if (provisioned) {
    const table = await loadHubSpotTable()
    const adapter = hubspotAdapter(t, double.url, table)
    const report = await adapter.fieldSchema?.provision(table.fields, { signal: AbortSignal.timeout(10_000), log: createSilentLogger(), requestId: 'provision' })
    if (report === undefined || report.missing.length > 0 || report.mismatched.length > 0) {
      throw new Error(`the HubSpot double could not be provisioned: ${JSON.stringify(report)}`)
    }
    // Provisioning spent burst calls: a test starts with the rate windows of a fresh portal.
    if (burstRateLimit) double.setBurstRateLimit(burstRateLimit)
    double.resetRateWindows()
  }
  return double
}

/** The hubspot adapter, built through the registry as the gateway builds it. */
export function hubspotAdapter(
  t: Teardown,
  baseUrl: string,
  mapping: CompiledMapping,
  options: { accessToken?: string; requestTimeoutMs?: number } = {}
): CrmAdapter {
  return registryAdapter(t, 'hubspot', baseUrl, { accessToken: options.accessToken ?? HUBSPOT_TOKEN }, mapping, options.requestTimeoutMs)
}

/**
 * The gateway configured for HubSpot as an operator would configure it (adapter `hubspot`,
 * base URL, token, mappings/hubspot.yaml), built the way src/server.ts builds it.
 */
export async function startGatewayOverHubSpot(t: Teardown, crmUrl: string, overrides: Record<string, unknown> = {}): Promise<Gateway> {
  return startConfiguredGateway(t, { adapter: 'hubspot', baseUrl: crmUrl, options: { accessToken: HUBSPOT_TOKEN } }, overrides)
}
