/**
 * Builds the real gateway app around the in-memory CRM, for route and rule tests.
 *
 * Every SPI route needs credentials, so the app has a default POS client (a static secret in
 * `x-api-key`) and `inject` sends its credentials; `app.inject` sends none. Tests about
 * authentication configure `auth.clients` themselves, which replaces the default client.
 *
 * Every answer the app gives is checked against its own OpenAPI document (./answer-check.ts):
 * one that breaks it fails the test when the app closes.
 */
import type { FastifyInstance, FastifyServerOptions, InjectOptions, LightMyRequestResponse } from 'fastify'
import { buildApp } from '../../src/app.js'
import type { GatewayConfig } from '../../src/config/config-schema.js'
import { validateConfig } from '../../src/config/load-config.js'
import { MemoryCrm, identityMapper } from './memory-crm.js'
import { checkAnswers, type AnswerCheck } from './answer-check.js'
import type { Tracing } from '../../src/observability/tracing.js'

export const TEST_CLIENT_ID = 'test-pos'
export const TEST_SECRET = 'test-secret-0123456789abcdef'
/** Headers that authenticate as the default test client. */
export const AUTH_HEADERS: Readonly<Record<string, string>> = { 'x-api-key': TEST_SECRET }

export interface TestApp {
  app: FastifyInstance
  crm: MemoryCrm
  config: GatewayConfig
  /** `app.inject` as the default test client (headers given in `options` win). */
  inject: (options: InjectOptions) => Promise<LightMyRequestResponse>
  /** The answers checked against /openapi.json so far, and what broke it. */
  answers: AnswerCheck
}

export interface TestAppOptions {
  /** Pino options (e.g. with a capturing stream); default: no logging. */
  readonly logger?: FastifyServerOptions['logger']
  /** The app's clock, for token expiry. */
  readonly now?: () => number
  readonly crm?: MemoryCrm
  /** Traces exported (test/helpers/otlp-collector.ts); default none. */
  readonly tracing?: Tracing
}

export async function buildTestApp(overrides: Record<string, unknown> = {}, options: TestAppOptions = {}): Promise<TestApp> {
  const config = validateConfig(withTestClient(overrides))
  const crm = options.crm ?? new MemoryCrm()
  const app = await buildApp({
    config,
    adapter: crm,
    mapper: identityMapper,
    logger: options.logger ?? false,
    ...(options.now ? { now: options.now } : {}),
    ...(options.tracing ? { tracing: options.tracing } : {})
  })
  const answers = checkAnswers(app)
  await app.ready()
  const inject = (o: InjectOptions): Promise<LightMyRequestResponse> =>
    app.inject({ ...o, headers: { ...AUTH_HEADERS, ...o.headers } })
  return { app, crm, config, inject, answers }
}

/** The default test client, unless the overrides configure clients of their own. */
function withTestClient(overrides: Record<string, unknown>): Record<string, unknown> {
  const auth = (overrides['auth'] ?? {}) as Record<string, unknown>
  if (auth['clients'] !== undefined) return overrides
  const client = { id: TEST_CLIENT_ID, method: 'header', header: 'x-api-key', secrets: [TEST_SECRET] }
  return { ...overrides, auth: { ...auth, clients: [client] } }
}
