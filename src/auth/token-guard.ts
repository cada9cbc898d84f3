/**
 * The token endpoint's limit on failed requests (./rate-limit.ts explains the keying and why):
 * hooks around the token routes, so the route itself (src/routes/token.ts) stays about OAuth.
 *
 * - preHandler (the form body is parsed by then, so a `client_id` there is known): a request
 *   whose (client, address) key has failed too often gets 429 with Retry-After and the
 *   catalogue's RATE_LIMITED body — before its secret is checked;
 * - onResponse: a refusal (any 4xx but the 429 itself: bad credentials, a malformed request)
 *   counts one failure for its key. Successes count nothing.
 *
 * The presented client is read the way the route reads it — Basic credentials first, else the
 * form's `client_id` — and only an OAuth client's id is a key of its own: an id naming no such
 * client cannot succeed anyway, and must not make a new key per guess.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { limited } from './auth-hook.js'
import { parseBasicHeader } from './basic-header.js'
import type { ClientRegistry } from './client-registry.js'
import type { RateLimits } from './rate-limit.js'

export function guardTokenEndpoint(scope: FastifyInstance, limiter: RateLimits, registry: ClientRegistry): void {
  const presentedClient = (request: FastifyRequest): string | undefined => {
    const id = presentedId(request)
    return id !== undefined && registry.get(id)?.method === 'oauth' ? id : undefined
  }
  scope.addHook('preHandler', (request, reply, done) => {
    limited(limiter.tokenAttempt(presentedClient(request), request.ip), request, reply, done)
  })
  scope.addHook('onResponse', (request, reply, done) => {
    const status = reply.statusCode
    if (status >= 400 && status < 500 && status !== 429) limiter.tokenFailed(presentedClient(request), request.ip)
    done()
  })
}

function presentedId(request: FastifyRequest): string | undefined {
  const basic = parseBasicHeader(request.headers.authorization)
  if (basic.kind === 'basic') return basic.id
  const body = request.body
  if (typeof body !== 'object' || body === null) return undefined
  const id = (body as Record<string, unknown>)['client_id']
  return typeof id === 'string' ? id.trim() : undefined
}
