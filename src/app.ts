/**
 * Builds the gateway's Fastify app from a config and its collaborators. The process entry
 * (server.ts) and the tests both build it here, so tests exercise the real wiring.
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import type { GatewayConfig } from './config/config-schema.js'
import type { CrmAdapter } from './core/port.js'
import type { CustomerMapper } from './core/mapper.js'
import type { Logger } from './core/logger.js'
import { CustomerService } from './core/customer-service.js'
import { GatewayError } from './spi/error-catalogue.js'
import { errorHandler, sendError } from './http/error-handler.js'
import { clientErrorHandler } from './http/client-error.js'
import { trackMethods } from './http/method-not-allowed.js'
import { GatewayLogController, loggerOptions } from './http/logging.js'
import { Authenticator } from './auth/authenticator.js'
import { frameworkErrorHandler } from './auth/auth-hook.js'
import { credentialHeaderNames } from './auth/client-registry.js'
import { registerSecurity } from './auth/register-security.js'
import { customerRoutes } from './routes/customers.js'
import { healthRoutes } from './routes/health.js'
import { registerDocs } from './routes/docs.js'
import { metricsRoutes, observeRequests } from './routes/metrics.js'
import { GatewayMetrics } from './observability/metrics.js'
import { ResilientAdapter } from './core/resilience/resilient-adapter.js'
import { ReadCache } from './core/read-cache.js'
import { CreateDedup } from './core/create-dedup.js'
import { CacheCoherence } from './core/cache-coherence.js'
import { SharedCreates } from './core/shared-creates.js'
import { SharedLease } from './core/shared-lease.js'
import { isShared, type SharedStore } from './core/shared-store.js'
import { sharedStoreFor } from './state/store-for-config.js'
import { FieldCheck } from './core/field-check.js'
import type { Tracing } from './observability/tracing.js'
import { traceRequests } from './http/request-spans.js'

export interface AppDeps {
  readonly config: GatewayConfig
  /** The adapter, or a factory given the app's logger (adapters log through it). */
  readonly adapter: CrmAdapter | ((log: Logger) => CrmAdapter)
  readonly mapper: CustomerMapper
  /** Pino options or a logger instance; defaults to the config's level. Tests pass their own. */
  readonly logger?: FastifyServerOptions['logger']
  /** The clock tokens are issued and checked by (ms since the epoch); tests inject one. */
  readonly now?: () => number
  /** The shared store, instead of the one the config names (tests). */
  readonly store?: SharedStore
  /** Traces, when the environment asks for them (src/observability/tracing.ts); none by default. */
  readonly tracing?: Tracing
  /**
   * Who may call, instead of one made from `config.auth`: the caller keeps it to apply a
   * reloaded configuration's clients and keys (src/config/reload-config.ts).
   */
  readonly authenticator?: Authenticator
}

/**
 * How long past its request's deadline a create's claim or an update's lease lasts, should its
 * instance die holding it (shared-creates.ts, shared-lease.ts).
 */
const LEASE_MARGIN_MS = 1000

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, mapper } = deps
  const authenticator = deps.authenticator ?? Authenticator.fromConfig(config.auth, deps.now)
  const app = Fastify({
    logger: deps.logger ?? loggerOptions(config.log.level, credentialHeaderNames(config.auth)),
    // One PII-free line per request (method, route, status, duration, client) instead of Fastify's.
    logController: new GatewayLogController(),
    // An undecodable URL is answered before hooks run: still credentials first, then a contract error.
    frameworkErrors: frameworkErrorHandler(authenticator),
    // Customer ids may be up to 128 characters (assertCustomerId), beyond the router's default 100.
    routerOptions: { maxParamLength: 256 },
    bodyLimit: config.server.bodyLimitBytes,
    // The POS may retry on a fresh connection; answer 503 to new requests while draining.
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    requestIdHeader: 'x-request-id',
    // Whom to believe about the caller's address (X-Forwarded-For); it keys the token
    // endpoint's failure counting. Default false. SECURITY.md § Behind a proxy.
    trustProxy: config.server.trustProxy,
    // Requests Node's parser refuses (headers over maxHeaderSize: 431) in the contract's shape.
    clientErrorHandler,
    // CONTRACT §3: such keys are never kept; dropping them (rather than refusing the body) keeps
    // the rest of an otherwise good request. cleanCustomerInput drops bare `constructor` too.
    onProtoPoisoning: 'remove',
    onConstructorPoisoning: 'remove',
    // The body must match the contract as sent: no "123" → 123 or "true" → true coercion.
    ajv: { customOptions: { coerceTypes: false, allErrors: false } }
  })
  app.decorateRequest('refused', false)
  const log = app.log as unknown as Logger
  const crm = typeof deps.adapter === 'function' ? deps.adapter(log) : deps.adapter
  const metrics = new GatewayMetrics(crm.name)
  const { breaker, retry, maxRetryAfterSeconds } = config.resilience
  // What the instances share: Redis when configured, else this process (README, "Running several instances").
  const store =
    deps.store ??
    sharedStoreFor(config.state.redis, log, { onStatus: (status) => metrics.storeStatus(status.mode, true), onFallback: () => metrics.storeFallback() })
  metrics.storeStatus(store.status().mode, false)
  app.addHook('onReady', async () => {
    await store.connect?.(config.state.redis.connectWaitMs)
  })
  app.addHook('onClose', async () => {
    await store.close()
  })
  const tracing = deps.tracing
  const adapter = new ResilientAdapter(crm, { breaker, retry, maxRetryAfterSeconds, log, observer: metrics.upstreamObserver(), store, tracer: tracing?.tracer })
  if (tracing) {
    traceRequests(app, tracing.tracer)
    // Last, after the requests' spans have ended: what is buffered is exported.
    app.addHook('onClose', async () => {
      await tracing.shutdown()
    })
  }
  let closing = false
  app.addHook('preClose', async () => {
    closing = true
  })
  // While draining, answers close their connection: a keep-alive socket left idle after the
  // last in-flight answer would otherwise hold shutdown until its keep-alive timeout.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close')
    done(null, payload)
  })
  app.addHook('onClose', async () => {
    await adapter.close?.()
  })

  // The SPI speaks JSON only: any other body is a 415, not a string handed to the schema.
  app.removeContentTypeParser('text/plain')
  app.setErrorHandler(errorHandler)
  app.setNotFoundHandler((request, reply) => sendError(new GatewayError('ROUTE_NOT_FOUND'), request, reply))
  // A known path with another method is a 405 with Allow, not a 404 (after authentication).
  const methods = trackMethods(app)

  // The OpenAPI document collects each route's schema as it is added: registered before any, the token endpoint's included.
  const docs = config.spi.docs ? await registerDocs(app, config) : undefined
  // Every route needs credentials (SECURITY.md) except those added through `security.open`.
  const security = await registerSecurity(app, authenticator, config, store, (client, limit) => metrics.rateLimited(client, limit))
  if (docs) await security.open(() => docs.serve())
  // A CRM with declared fields: checked at start (within crm.requestTimeoutMs; a CRM that
  // cannot be asked leaves the gateway ready, see field-check.ts) and again by readiness.
  const fieldCheck = adapter.fieldSchema
    ? new FieldCheck(adapter.fieldSchema, () => mapper.crmFields(), {
        intervalMs: config.crm.fieldCheckSeconds * 1000,
        timeoutMs: config.crm.requestTimeoutMs,
        log
      })
    : undefined
  if (fieldCheck) {
    app.addHook('onReady', async () => {
      await fieldCheck.run()
    })
  }
  await security.open(() =>
    app.register(healthRoutes, {
      adapterName: adapter.name,
      isClosing: () => closing,
      breakers: () => adapter.breakerStates(),
      state: () => store.status(),
      ...(fieldCheck ? { fields: () => fieldCheck.view() } : {})
    })
  )
  await security.open(() => app.register(metricsRoutes, { metrics }))
  const observe = observeRequests(metrics)
  // Callback-style hooks (here and onSend above): no promise and no extra tick per request.
  app.addHook('onResponse', (request, reply, done) => {
    observe(request.routeOptions.schema?.operationId, reply.statusCode, reply.elapsedTime)
    if (request.authFailure !== undefined) metrics.authFailed(request.authFailure.reason, request.authFailure.via)
    done()
  })
  // A POS that hangs up gets no answer, so no onResponse: counted here, and logged, as such.
  app.addHook('onRequestAbort', (request, done) => {
    const operation = request.routeOptions.schema?.operationId
    if (typeof operation === 'string') metrics.requestAbandoned(operation)
    request.log.info({ status: 499, operation }, 'the POS closed the connection before the answer')
    done()
  })

  const cache = config.cache.enabled ? new ReadCache(config.cache) : undefined
  const service = new CustomerService({
    adapter,
    mapper,
    cache,
    coherence: cache ? new CacheCoherence(store, cache, { invalidated: (kind) => metrics.cacheInvalidated(kind) }) : undefined,
    // An update holds its customer's lease at most its deadline plus a margin (shared-lease.ts).
    lease: !isShared(store) ? undefined : new SharedLease(store, { leaseMs: config.resilience.requestDeadlineMs + LEASE_MARGIN_MS }),
    dedup:
      config.idempotency.createWindowSeconds > 0
        ? new CreateDedup({
            windowSeconds: config.idempotency.createWindowSeconds,
            maxEntries: config.idempotency.maxEntries,
            maxBytes: config.idempotency.maxBytes,
            // Several instances: a repeat landing on another one is recognized there too.
            ...(!isShared(store)
              ? {}
              : {
                  shared: new SharedCreates(store, {
                    windowMs: config.idempotency.createWindowSeconds * 1000,
                    leaseMs: config.resilience.requestDeadlineMs + LEASE_MARGIN_MS
                  })
                })
          })
        : undefined,
    events: { cacheRead: (o) => metrics.cacheRead(o), createReplayed: () => metrics.createReplayed() }
  })
  await app.register(customerRoutes, {
    prefix: config.spi.prefix,
    service,
    envelope: config.spi.envelope,
    searchDefaultLimit: config.spi.searchDefaultLimit,
    deadlineMs: config.resilience.requestDeadlineMs
  })
  methods.addRoutes()
  return app
}
