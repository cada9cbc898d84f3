/**
 * The real path over Pipedrive for tests: the Pipedrive test double (test/fakes/pipedrive-double.ts,
 * with its default custom person fields, whose keys mappings/pipedrive.yaml names), the
 * declarative REST adapter from the registry configured with mappings/pipedrive.rest.yaml, and
 * the gateway app configured for it as an operator would (adapter `rest`, the definition and the
 * API token as its options, the table as `mappingFile`). Everything listens on 127.0.0.1 and is
 * torn down with the test. No code here is Pipedrive's: only configuration.
 */
import { join } from 'node:path'
import { PROJECT_ROOT } from '../../src/config/project-root.js'
import type { CrmAdapter } from '../../src/core/port.js'
import { loadMappingTable } from '../../src/mapping/index.js'
import type { CompiledMapping } from '../../src/mapping/index.js'
import { startPipedriveDouble } from '../fakes/pipedrive-double.js'
import type { PipedriveDouble, PipedriveDoubleOptions } from '../fakes/pipedrive-double.js'
import { registryAdapter, startConfiguredGateway } from './configured-gateway.js'
import type { Gateway, Teardown } from './configured-gateway.js'

export { SPI } from './configured-gateway.js'
export type { Gateway } from './configured-gateway.js'

/** A user's API token (40 hex digits, as Pipedrive's are). */
export const PIPEDRIVE_TOKEN = '5f0c1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b'
export const PIPEDRIVE_TABLE = 'mappings/pipedrive.yaml'
export const PIPEDRIVE_DEFINITION = 'mappings/pipedrive.rest.yaml'

export async function loadPipedriveTable(): Promise<CompiledMapping> {
  return loadMappingTable(join(PROJECT_ROOT, PIPEDRIVE_TABLE))
}

/** The double, closed with the test. */
export async function startPipedrive(t: Teardown, options: Partial<PipedriveDoubleOptions> = {}): Promise<PipedriveDouble> {
  const double = await startPipedriveDouble({ apiToken: PIPEDRIVE_TOKEN, ...options })
  t.teardown(() => double.close())
  return double
}

/** The rest adapter over mappings/pipedrive.rest.yaml, built through the registry as the gateway builds it. */
export function pipedriveAdapter(
  t: Teardown,
  baseUrl: string,
  mapping: CompiledMapping,
  options: { apiToken?: string; requestTimeoutMs?: number } = {}
): CrmAdapter {
  return registryAdapter(t, 'rest', baseUrl, { definition: PIPEDRIVE_DEFINITION, apiToken: options.apiToken ?? PIPEDRIVE_TOKEN }, mapping, options.requestTimeoutMs)
}

/**
 * The gateway configured for Pipedrive (adapter `rest`, base URL, the definition and token,
 * mappings/pipedrive.yaml), built the way src/server.ts builds it.
 */
export async function startGatewayOverPipedrive(t: Teardown, crmUrl: string, overrides: Record<string, unknown> = {}): Promise<Gateway> {
  return startConfiguredGateway(
    t,
    { adapter: 'rest', baseUrl: crmUrl, mappingFile: join(PROJECT_ROOT, PIPEDRIVE_TABLE), options: { definition: PIPEDRIVE_DEFINITION, apiToken: PIPEDRIVE_TOKEN } },
    overrides
  )
}
