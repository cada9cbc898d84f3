/**
 * The real path for end-to-end tests: the gateway app (real config, mapping table, demo-crm
 * adapter, resilience layer) over HTTP to the embedded demo CRM, optionally through the
 * fault-injecting proxy. Everything listens on 127.0.0.1 and is torn down with the test.
 */
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import { buildApp } from '../../src/app.js'
import { validateConfig } from '../../src/config/load-config.js'
import { mappingFileFor } from '../../src/config/project-root.js'
import { loadMappingTable } from '../../src/mapping/index.js'
import { createDemoCrmAdapter } from '../../adapters/demo-crm/index.js'
import { TEST_API_KEY } from '../demo-crm/fixtures/harness.js'
import { AUTH_HEADERS, TEST_CLIENT_ID, TEST_SECRET } from './build-test-app.js'
import { checkAnswers } from './answer-check.js'

interface Teardown {
  teardown(fn: () => unknown): void
}

export interface Gateway {
  readonly app: FastifyInstance
  /** app.inject as the test POS client. */
  inject(options: InjectOptions): Promise<LightMyRequestResponse>
}

export const SPI = '/endpoint/sa/customers'

/** Builds a gateway whose CRM is at `crmUrl`; `overrides` are config (resilience, cache…). */
export async function startGateway(t: Teardown, crmUrl: string, overrides: Record<string, unknown> = {}): Promise<Gateway> {
  const config = validateConfig({
    ...overrides,
    crm: { adapter: 'demo-crm', baseUrl: crmUrl, options: { apiKey: TEST_API_KEY }, ...(overrides['crm'] as object) },
    auth: { clients: [{ id: TEST_CLIENT_ID, method: 'header', header: 'x-api-key', secrets: [TEST_SECRET] }] }
  })
  const mapper = await loadMappingTable(mappingFileFor('demo-crm', ''))
  const app = await buildApp({
    config,
    mapper,
    logger: false,
    adapter: (log) => createDemoCrmAdapter({ baseUrl: crmUrl, settings: config.crm.options, requestTimeoutMs: config.crm.requestTimeoutMs, log })
  })
  // Every answer is checked against the app's own OpenAPI document; one that breaks it fails the test at teardown.
  checkAnswers(app)
  await app.ready()
  t.teardown(() => app.close())
  return { app, inject: (o) => app.inject({ ...o, headers: { ...AUTH_HEADERS, ...o.headers } }) }
}
