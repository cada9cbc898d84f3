/**
 * A gateway configured for a CRM as an operator configures it (`crm:` as in gateway.yaml), built
 * the way src/server.ts builds it: the adapter from the registry, the table from `mappingFile`
 * (or the adapter's shipped one), every answer checked against the app's OpenAPI document.
 * Vendor helpers (gateway-over-hubspot.ts, gateway-over-pipedrive.ts) add their double and
 * credentials; this file is what they share.
 */
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import { resolveAdapterFactory } from '../../adapters/index.js'
import { buildApp, type AppDeps } from '../../src/app.js'
import { validateConfig } from '../../src/config/load-config.js'
import { mappingFileFor } from '../../src/config/project-root.js'
import type { CrmAdapter } from '../../src/core/port.js'
import type { CompiledMapping } from '../../src/mapping/index.js'
import { loadMappingTable } from '../../src/mapping/index.js'
import { checkAnswers } from './answer-check.js'
import { AUTH_HEADERS, TEST_CLIENT_ID, TEST_SECRET } from './build-test-app.js'
import { createSilentLogger } from './silent-logger.js'

export interface Teardown {
  teardown(fn: () => unknown): void
}

export const SPI = '/endpoint/sa/customers'

export interface Gateway {
  readonly app: FastifyInstance
  readonly mapping: CompiledMapping
  /** app.inject as the test POS client. */
  inject(options: InjectOptions): Promise<LightMyRequestResponse>
}

/** An adapter from the registry, built as the gateway builds it, closed with the test. */
export function registryAdapter(
  t: Teardown,
  adapter: string,
  baseUrl: string,
  settings: Record<string, unknown>,
  mapping: CompiledMapping,
  requestTimeoutMs = 5000
): CrmAdapter {
  const built = resolveAdapterFactory(adapter)({ baseUrl, settings, requestTimeoutMs, log: createSilentLogger(), readFields: () => mapping.readFields })
  t.teardown(() => built.close?.())
  return built
}

/**
 * The gateway for `crm` (adapter, baseUrl, options, mappingFile…), with the test POS client;
 * `overrides` are the rest of the configuration (and may amend `crm`). Closed with the test.
 */
export async function startConfiguredGateway(
  t: Teardown,
  crm: Record<string, unknown>,
  overrides: Record<string, unknown> = {},
  deps: Pick<AppDeps, 'tracing'> = {}
): Promise<Gateway> {
  const config = validateConfig({
    ...overrides,
    crm: { ...crm, ...(overrides['crm'] as object) },
    auth: { clients: [{ id: TEST_CLIENT_ID, method: 'header', header: 'x-api-key', secrets: [TEST_SECRET] }] }
  })
  const mapping = await loadMappingTable(mappingFileFor(config.crm.adapter, config.crm.mappingFile))
  const factory = resolveAdapterFactory(config.crm.adapter)
  const app = await buildApp({
    config,
    mapper: mapping,
    logger: false,
    ...deps,
    adapter: (log) =>
      factory({ baseUrl: config.crm.baseUrl, settings: config.crm.options, requestTimeoutMs: config.crm.requestTimeoutMs, log, readFields: () => mapping.readFields })
  })
  // Every answer is checked against the app's own OpenAPI document; one that breaks it fails the test at teardown.
  checkAnswers(app)
  await app.ready()
  t.teardown(() => app.close())
  return { app, mapping, inject: (o) => app.inject({ ...o, headers: { ...AUTH_HEADERS, ...o.headers } }) }
}
