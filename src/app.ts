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
import { loggerOptions } from './http/logging.js'
import { customerRoutes } from './routes/customers.js'
import { healthRoutes } from './routes/health.js'
import { registerDocs } from './routes/docs.js'

export interface AppDeps {
  readonly config: GatewayConfig
  /** The adapter, or a factory given the app's logger (adapters log through it). */
  readonly adapter: CrmAdapter | ((log: Logger) => CrmAdapter)
  readonly mapper: CustomerMapper
  /** Pino options or a logger instance; defaults to the config's level. Tests pass their own. */
  readonly logger?: FastifyServerOptions['logger']
  readonly version?: string
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, mapper } = deps
  const app = Fastify({
    logger: deps.logger ?? loggerOptions(config.log.level),
    bodyLimit: config.server.bodyLimitBytes,
    // The POS may retry on a fresh connection; answer 503 to new requests while draining.
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    requestIdHeader: 'x-request-id',
    // CONTRACT §3: such keys are never kept; dropping them (rather than refusing the body) keeps
    // the rest of an otherwise good request. cleanCustomerInput drops bare `constructor` too.
    onProtoPoisoning: 'remove',
    onConstructorPoisoning: 'remove',
    // The body must match the contract as sent: no "123" → 123 or "true" → true coercion.
    ajv: { customOptions: { coerceTypes: false, allErrors: false } }
  })
  const adapter = typeof deps.adapter === 'function' ? deps.adapter(app.log as unknown as Logger) : deps.adapter
  let closing = false
  app.addHook('preClose', async () => {
    closing = true
  })
  app.addHook('onClose', async () => {
    await adapter.close?.()
  })

  // The SPI speaks JSON only: any other body is a 415, not a string handed to the schema.
  app.removeContentTypeParser('text/plain')
  app.setErrorHandler(errorHandler)
  app.setNotFoundHandler((request, reply) => sendError(new GatewayError('ROUTE_NOT_FOUND'), request, reply))

  if (config.spi.docs) await registerDocs(app, deps.version ?? '0.0.0')
  await app.register(healthRoutes, { adapterName: adapter.name, isClosing: () => closing })
  const service = new CustomerService({ adapter, mapper })
  await app.register(customerRoutes, {
    prefix: config.spi.prefix,
    service,
    envelope: config.spi.envelope,
    searchDefaultLimit: config.spi.searchDefaultLimit
  })
  return app
}
