/**
 * Wires POS authentication into an app (SECURITY.md): the request's `clientId`, the
 * authentication hook with per-client rate limiting, and the OAuth token endpoint with its
 * limit on failed requests (token-guard.ts). Returns `open`,
 * the one way to add routes that answer without credentials (service endpoints): every route
 * not added through it — and every unknown URL — needs credentials, so a new route is closed
 * unless someone decides otherwise.
 */
import type { FastifyInstance } from 'fastify'
import type { GatewayConfig } from '../config/config-schema.js'
import { tokenRoutes } from '../routes/token.js'
import { authHook } from './auth-hook.js'
import type { Authenticator } from './authenticator.js'
import { RateLimiter, type RateLimits } from './rate-limit.js'
import { SharedRateLimiter } from './shared-rate-limit.js'
import { isShared, type SharedStore } from '../core/shared-store.js'
import { guardTokenEndpoint } from './token-guard.js'
import { countedRateLimits, type OnRateLimited } from './counted-rate-limits.js'

export interface Security {
  /** Runs `register`; the routes it adds answer without credentials and are never rate limited. */
  open(register: () => PromiseLike<unknown>): Promise<void>
}

/**
 * `store`: when it is shared (Redis), rate limits count across instances; otherwise each
 * instance counts its own, synchronously (no store call per request).
 */
export async function registerSecurity(
  app: FastifyInstance,
  auth: Authenticator,
  config: GatewayConfig,
  store?: SharedStore,
  onRateLimited?: OnRateLimited
): Promise<Security> {
  app.decorateRequest('clientId', undefined)
  app.decorateRequest('authFailure', undefined)
  let opening = false
  app.addHook('onRoute', (route) => {
    if (opening) route.config = { ...route.config, auth: 'none' }
  })
  let limiter: RateLimits | undefined
  if (config.rateLimit.enabled) limiter = isShared(store) ? new SharedRateLimiter(store, config.rateLimit) : new RateLimiter(config.rateLimit)
  // Each refusal reported (rate_limited_requests_total), the limiters and hooks unaware of it.
  if (limiter !== undefined && onRateLimited !== undefined) limiter = countedRateLimits(limiter, onRateLimited)
  app.addHook('onRequest', authHook(auth, limiter))
  // A scope of its own, so the guard's hooks run around the token routes only.
  await app.register(async (scope) => {
    if (limiter !== undefined) guardTokenEndpoint(scope, limiter, auth.registry)
    await scope.register(tokenRoutes, { path: config.auth.tokenPath, authenticator: auth })
  })

  if (auth.registry.size === 0) {
    app.log.warn({ event: 'auth_no_clients' }, 'no POS clients configured (auth.clients): every SPI request will be refused')
  }
  if (auth.registry.hasOAuthClients && auth.tokens.ephemeralKey) {
    app.log.info(
      { event: 'auth_ephemeral_signing_key' },
      'auth.signingKeys not set: tokens are signed with a per-process key, refused after a restart and by other instances'
    )
  }
  return {
    async open(register) {
      opening = true
      try {
        await register()
      } finally {
        opening = false
      }
    }
  }
}
