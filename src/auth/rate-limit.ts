/**
 * Per-client rate limiting (@fastify/rate-limit): counted by the authenticated client id —
 * the limiter's hook runs after authentication, so refused requests count for nobody — and by
 * address on the token endpoint, where nobody is authenticated yet. Beyond the limit: 429 with
 * Retry-After and the catalogue's localized RATE_LIMITED body, via the app's error handler.
 * Routes marked `config.rateLimit = false` (service endpoints) are never limited.
 */
import type { FastifyInstance } from 'fastify'
import rateLimit from '@fastify/rate-limit'
import type { GatewayConfig } from '../config/config-schema.js'
import { GatewayError } from '../spi/error-catalogue.js'
import type { ClientRegistry } from './client-registry.js'

export async function registerRateLimit(
  app: FastifyInstance,
  settings: GatewayConfig['rateLimit'],
  registry: ClientRegistry
): Promise<void> {
  await app.register(rateLimit, {
    global: true,
    hook: 'onRequest',
    timeWindow: settings.windowSeconds * 1000,
    max: (request) => (request.clientId === undefined ? undefined : registry.get(request.clientId)?.rateLimitMaxRequests) ?? settings.maxRequests,
    keyGenerator: (request) => (request.clientId === undefined ? `address:${request.ip}` : `client:${request.clientId}`),
    errorResponseBuilder: (_request, context) =>
      new GatewayError('RATE_LIMITED', { retryAfterSeconds: Math.max(1, Math.ceil(context.ttl / 1000)) })
  })
}
