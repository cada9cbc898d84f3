/**
 * Authentication before anything else (CONTRACT §5): an onRequest hook — it runs before the
 * body is read, parsed or validated — so an unauthenticated request gets 401 with an empty
 * body whatever else is wrong with it (too large, malformed, unknown route, wrong method).
 * Only routes marked `config.auth = 'none'` (the service endpoints, the token endpoint) skip
 * it: anything else, a 404 included, needs credentials. A 401 names the accepted schemes in
 * `WWW-Authenticate` (./challenge.ts). Failures are logged as objects, never the secret.
 */
import type { FastifyError, FastifyReply, FastifyRequest, HookHandlerDoneFunction, onRequestHookHandler } from 'fastify'
import { GatewayError, refusalError } from '../spi/error-catalogue.js'
import { sendError } from '../http/error-handler.js'
import type { AuthOutcome, Authenticator, PresentedCredentials } from './authenticator.js'

type AuthFailure = Extract<AuthOutcome, { ok: false }>
import { challengesFor } from './challenge.js'
import { isPlainObject } from '../core/plain-object.js'
import type { Decided, RateLimits } from './rate-limit.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated POS client's id; undefined on open routes and refused requests. */
    clientId: string | undefined
    /** Why the request's credentials were refused, if they were: the metrics count it (auth_failures_total). */
    authFailure: AuthFailure | undefined
  }
  interface FastifyContextConfig {
    /**
     * 'none': the route answers without credentials (service endpoints, token endpoint), and is
     * not rate limited here (the token endpoint has its own limit: ./token-guard.ts).
     */
    auth?: 'none'
  }
}

/**
 * The rate limit is counted here too (`limiter`, absent when rate limiting is off), per client
 * once one is authenticated.
 */
export function authHook(auth: Authenticator, limiter?: RateLimits): onRequestHookHandler {
  const refuse = refusal(auth)
  const admit = (request: FastifyRequest, reply: FastifyReply, outcome: AuthOutcome, done: HookHandlerDoneFunction): void => {
    if (!outcome.ok) return refuse(request, reply, outcome)
    request.clientId = outcome.clientId
    // The secret has done its job: nothing downstream (search parameters, logs) sees it.
    if (outcome.queryParam !== undefined && isPlainObject(request.query)) delete request.query[outcome.queryParam]
    if (limiter === undefined) return done()
    limited(limiter.client(outcome.clientId, auth.registry.get(outcome.clientId)?.rateLimitMaxRequests), request, reply, done)
  }
  return (request, reply, done) => {
    if (request.routeOptions.config.auth === 'none') return done()
    auth.authenticate(presentedCredentials(request, request.query)).then(
      (outcome) => admit(request, reply, outcome, done),
      (err: unknown) => done(err as Error)
    )
  }
}

/**
 * Answers 401 to a refused attempt, with an empty body and the challenges of the configured
 * clients (computed once), and reports it.
 */
function refusal(auth: Authenticator): (request: FastifyRequest, reply: FastifyReply, outcome: AuthFailure) => void {
  const challenges = challengesFor(auth.registry)
  return (request, reply, outcome) => {
    reportFailure(request, outcome)
    reply.header('www-authenticate', challenges)
    sendError(refusalError('UNAUTHORIZED'), request, reply)
  }
}

/** Lets the request on, or answers 429 with Retry-After and does not. */
export function limited(decided: Decided, request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
  if (decided instanceof Promise) {
    decided.then(
      (decision) => limited(decision, request, reply, done),
      (err: unknown) => done(err as Error)
    )
    return
  }
  const decision = decided
  if (decision.allowed) return done()
  reply.header('x-ratelimit-limit', String(decision.limit))
  sendError(refusalError('RATE_LIMITED', { retryAfterSeconds: decision.retryAfterSeconds }), request, reply)
}

/**
 * Fastify answers a URL it cannot decode (or a path parameter over its length limit) before
 * any hook runs, in its own error shape. This takes over (the `frameworkErrors` option):
 * credentials first, as everywhere, then a contract error.
 */
export function frameworkErrorHandler(auth: Authenticator) {
  const refuse = refusal(auth)
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    const answer = async (): Promise<void> => {
      const outcome = await auth.authenticate(presentedCredentials(request, rawQuery(request.raw.url)))
      if (!outcome.ok) return refuse(request, reply, outcome)
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

/**
 * A refused attempt, for whoever watches for credential stuffing: counted by reason and by
 * where the credential was (auth_failures_total, when the request ends: src/app.ts), and logged
 * with who (if known), why and how at debug — a till with a stale secret fails every call, and
 * an attack makes thousands: a line each at a level production keeps would drown the rest and
 * add about a fifth to each refusal's CPU (BENCHMARKS.md, change 15). The alert ClientelingAuthFailures
 * watches the counter (deploy/observability).
 */
export function reportFailure(request: FastifyRequest, outcome: AuthFailure): void {
  request.authFailure = outcome
  request.log.debug(
    { event: 'auth_failed', reason: outcome.reason, via: outcome.via, clientId: outcome.clientId, route: request.routeOptions.url },
    'authentication failed'
  )
}

function presentedCredentials(request: FastifyRequest, query: unknown): PresentedCredentials {
  return { headers: request.headers, query: isPlainObject(query) ? query : {} }
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
