/**
 * The real path for end-to-end tests: the gateway app (real config, mapping table, demo-crm
 * adapter, resilience layer) over HTTP to the embedded demo CRM, optionally through the
 * fault-injecting proxy. Everything listens on 127.0.0.1 and is torn down with the test.
 */
import { TEST_API_KEY } from '../demo-crm/fixtures/harness.js'
import { startConfiguredGateway, type Gateway, type Teardown } from './configured-gateway.js'

export { SPI } from './configured-gateway.js'
export type { Gateway } from './configured-gateway.js'

/** Builds a gateway whose CRM is at `crmUrl`; `overrides` are config (resilience, cache…). */
export async function startGateway(t: Teardown, crmUrl: string, overrides: Record<string, unknown> = {}): Promise<Gateway> {
  return startConfiguredGateway(t, { adapter: 'demo-crm', baseUrl: crmUrl, options: { apiKey: TEST_API_KEY } }, overrides)
}
