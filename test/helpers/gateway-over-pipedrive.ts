/**
 * The real path over Pipedrive for tests: the Pipedrive test double (test/fakes/pipedrive-double.ts,
 * with its default custom person fields, whose keys mappings/pipedrive.yaml names), the
 * declarative REST adapter from the registry configured with mappings/pipedrive.rest.yaml, and
 * the gateway app configured for it as an operator would (adapter `rest`, the definition and the
 * API token as its options, the table as `mappingFile`). Everything listens on 127.0.0.1 and is
 * torn down with the test. No code here is Pipedrive's: only configuration.
 */
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import { resolveAdapterFactory } from '../../adapters/index.js'
import { buildApp } from '../../src/app.js'
import { validateConfig } from '../../src/config/load-config.js'
import { join } from 'node:path'
import { mappingFileFor, PROJECT_ROOT } from '../../src/config/project-root.js'
import type { CrmAdapter } from '../../src/core/port.js'
import { loadMappingTable } from '../../src/mapping/index.js'
import type { CompiledMapping } from '../../src/mapping/index.js'
import { startPipedriveDouble } from '../fakes/pipedrive-double.js'
import type { PipedriveDouble, PipedriveDoubleOptions } from '../fakes/pipedrive-double.js'
import { checkAnswers } from './answer-check.js'
import { AUTH_HEADERS, TEST_CLIENT_ID, TEST_SECRET } from './build-test-app.js'
import { createSilentLogger } from './silent-logger.js'

interface Teardown {
  teardown(fn: () => unknown): void
}

/** A user's API token (40 hex digits, as Pipedrive's are). */
export const PIPEDRIVE_TOKEN = '5f0c1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b'
export const SPI = '/endpoint/sa/customers'
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
  const adapter = resolveAdapterFactory('rest')({
    baseUrl,
    settings: { definition: PIPEDRIVE_DEFINITION, apiToken: options.apiToken ?? PIPEDRIVE_TOKEN },
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
 * The gateway configured for Pipedrive (adapter `rest`, base URL, the definition and token,
 * mappings/pipedrive.yaml), built the way src/server.ts builds it.
 */
export async function startGatewayOverPipedrive(t: Teardown, crmUrl: string, overrides: Record<string, unknown> = {}): Promise<Gateway> {
  const config = validateConfig({
    ...overrides,
    crm: {
      adapter: 'rest',
      baseUrl: crmUrl,
      mappingFile: join(PROJECT_ROOT, PIPEDRIVE_TABLE),
      options: { definition: PIPEDRIVE_DEFINITION, apiToken: PIPEDRIVE_TOKEN },
      ...(overrides['crm'] as object)
    },
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
