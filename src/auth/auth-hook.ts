/**
 * Authentication before anything else (CONTRACT §5): an onRequest hook — it runs before the
 * body is read, parsed or validated — so an unauthenticated request gets 401 with an empty
 * body whatever else is wrong with it (too large, malformed, unknown route). Only routes
 * marked `config.auth = 'none'` (the service endpoints, the token endpoint) skip it: anything
 * else, a 404 included, needs credentials. Failures are logged as objects, never the secret.
 */
import type { FastifyError, FastifyReply, FastifyRequest, HookHandlerDoneFunction, onRequestHookHandler } from 'fastify'
import { GatewayError } from '../spi/error-catalogue.js'
import { sendError } from '../http/error-handler.js'
import type { AuthOutcome, Authenticator, PresentedCredentials } from './authenticator.js'
import type { RateDecision, RateLimiter } from './rate-limit.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated POS client's id; undefined on open routes and refused requests. */
    clientId: string | undefined
  }
  interface FastifyContextConfig {
    /** 'none': the route answers without credentials (service endpoints, token endpoint). */
    auth?: 'none'
    /** false: never rate limited (service endpoints). */
    rateLimit?: false
  }
}

/**
 * Callback-style, so a static secret (checked synchronously) costs no promise and no extra
 * tick per request; only a token to verify waits for authenticate(). The rate limit is
 * counted here too (`limiter`, absent when rate limiting is off): per client once one is
 * authenticated, per address on open routes that are not exempt (the token endpoint).
 */
export function authHook(auth: Authenticator, limiter?: RateLimiter): onRequestHookHandler {
  const admit = (request: FastifyRequest, reply: FastifyReply, outcome: AuthOutcome, done: HookHandlerDoneFunction): void => {
    if (!outcome.ok) {
      logFailure(request, outcome)
      sendError(new GatewayError('UNAUTHORIZED'), request, reply)
      return
    }
    request.clientId = outcome.clientId
    // The secret has done its job: nothing downstream (search parameters, logs) sees it.
    if (outcome.queryParam !== undefined && isRecord(request.query)) delete request.query[outcome.queryParam]
    if (limiter === undefined) return done()
    limited(limiter.client(outcome.clientId, auth.registry.get(outcome.clientId)?.rateLimitMaxRequests), request, reply, done)
  }
  return (request, reply, done) => {
    const config = request.routeOptions.config
    if (config.auth === 'none') {
      if (limiter === undefined || config.rateLimit === false) return done()
      return limited(limiter.address(request.ip), request, reply, done)
    }
    const presented = presentedCredentials(request, request.query)
    const now = auth.authenticateNow(presented)
    if (now !== undefined) return admit(request, reply, now, done)
    auth.authenticate(presented).then(
      (outcome) => admit(request, reply, outcome, done),
      (err: unknown) => done(err as Error)
    )
  }
}

/** Lets the request on, or answers 429 with Retry-After and does not. */
function limited(decision: RateDecision, request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
  if (decision.allowed) return done()
  reply.header('x-ratelimit-limit', String(decision.limit))
  sendError(new GatewayError('RATE_LIMITED', { retryAfterSeconds: decision.retryAfterSeconds }), request, reply)
}

/**
 * Fastify answers a URL it cannot decode (or a path parameter over its length limit) before
 * any hook runs, in its own error shape. This takes over (the `frameworkErrors` option):
 * credentials first, as everywhere, then a contract error.
 */
export function frameworkErrorHandler(auth: Authenticator) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    const answer = async (): Promise<void> => {
      const outcome = await auth.authenticate(presentedCredentials(request, rawQuery(request.raw.url)))
      if (!outcome.ok) {
        logFailure(request, outcome)
        sendError(new GatewayError('UNAUTHORIZED'), request, reply)
        return
      }
      request.clientId = outcome.clientId
      const refused =
        error.code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? new GatewayError('INVALID_CUSTOMER_ID', { params: { field: 'customerId' } })
          : new GatewayError('INVALID_REQUEST', { params: { field: 'url', reason: 'format' } })
      request.log.info({ errorCode: refused.code, status: refused.status, clientId: outcome.clientId }, 'request refused')
      sendError(refused, request, reply)
    }
    answer().catch((err: unknown) => {
      request.log.error({ err }, 'framework error handling failed')
      if (!reply.sent) sendError(new GatewayError('INTERNAL_ERROR'), request, reply)
    })
  }
}

/** A refused attempt, for whoever watches for credential stuffing: who (if known), why, how. */
export function logFailure(request: FastifyRequest, outcome: Extract<AuthOutcome, { ok: false }>): void {
  request.log.warn(
    { event: 'auth_failed', reason: outcome.reason, via: outcome.via, clientId: outcome.clientId, route: request.routeOptions.url },
    'authentication failed'
  )
}

function presentedCredentials(request: FastifyRequest, query: unknown): PresentedCredentials {
  return { headers: request.headers, query: isRecord(query) ? query : {} }
}

/** The query of a URL Fastify could not route (its own parser did not run). */
function rawQuery(url: string | undefined): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>
  const q = url?.indexOf('?') ?? -1
  if (url === undefined || q === -1) return out
  try {
    for (const [k, v] of new URLSearchParams(url.slice(q + 1))) {
      const seen = out[k]
      out[k] = seen === undefined ? v : [...(Array.isArray(seen) ? seen : [seen]), v]
    }
  } catch {
    // An undecodable query carries no usable credentials.
  }
  return out
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
