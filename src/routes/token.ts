/**
 * The OAuth 2 token endpoint for the POS's `OAUTH-OAuth` connector (CONTRACT §7): client
 * credentials grant, RFC 6749 §4.4. `grant_type=client_credentials` in the query string (as
 * the connector sends it) or the form body; the client authenticates with `Authorization:
 * Basic` (the vendor's "id: secret" spelling tolerated) or `client_id`/`client_secret` in the
 * form body — one method, not both. Answers `{access_token, token_type: "Bearer", expires_in}`.
 *
 * Errors follow RFC 6749 §5.2 (`{"error": "invalid_client"}` …), not the SPI's: this endpoint
 * is OAuth's, called by the connector's OAuth machinery, which reads that shape. The SPI rule
 * "401 with an empty body" holds for the SPI routes; here a 401 is `invalid_client` with a
 * `WWW-Authenticate: Basic` challenge, as RFC 6749 requires. Nothing here names a secret.
 */
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import formbody from '@fastify/formbody'
import type { Authenticator } from '../auth/authenticator.js'
import { parseBasicHeader } from '../auth/basic-header.js'
import { reportFailure } from '../auth/auth-hook.js'
import { sendError, toGatewayError } from '../http/error-handler.js'
import { tokenRouteDoc, tokenRouteSchema } from './token-doc.js'

export interface TokenRouteOptions {
  readonly path: string
  readonly authenticator: Authenticator
}

type OAuthErrorCode = 'invalid_request' | 'invalid_client' | 'unsupported_grant_type' | 'server_error'

/** An RFC 6749 §5.2 error answer. `description` is fixed text: never an input echoed back. */
export class OAuthError extends Error {
  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
    readonly status: number = error === 'invalid_client' ? 401 : error === 'server_error' ? 500 : 400
  ) {
    super(description)
    this.name = 'OAuthError'
  }
}

/** Credentials and a grant type fit in far less; a bigger body is not a token request. */
const TOKEN_BODY_LIMIT_BYTES = 4096
const REALM = 'Basic realm="clienteling-gateway", charset="UTF-8"'

export const tokenRoutes: FastifyPluginAsync<TokenRouteOptions> = async (app, opts) => {
  // Encapsulated here: the SPI routes keep refusing form bodies (415).
  await app.register(formbody, { bodyLimit: TOKEN_BODY_LIMIT_BYTES })
  // A JSON body is read too (forbidden keys dropped); an empty one, as some connectors send
  // with a JSON content type, means "no parameters here" rather than malformed JSON.
  const json = app.getDefaultJsonParser('remove', 'remove')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: TOKEN_BODY_LIMIT_BYTES }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8')
    if (text.trim() === '') done(null, {})
    else void json(request, text, done)
  })
  app.setErrorHandler(oauthErrorHandler)

  // The schema serializes the answers and documents the endpoint; the request is checked by
  // readTokenRequest (RFC 6749's errors), so its parts are documented only (tokenRouteDoc).
  const route = { config: { auth: 'none', swaggerTransform: tokenRouteDoc }, bodyLimit: TOKEN_BODY_LIMIT_BYTES, schema: tokenRouteSchema } as const
  app.post(opts.path, route, async (request, reply) => {
    const { clientId, clientSecret } = readTokenRequest(request)
    const check = opts.authenticator.checkClientSecret(clientId, clientSecret)
    if (!check.ok) {
      reportFailure(request, { ok: false, reason: check.reason, ...(check.clientId ? { clientId: check.clientId } : {}) })
      throw new OAuthError('invalid_client', 'client authentication failed')
    }
    request.clientId = check.client.id
    const token = await opts.authenticator.tokens.issue(check.client.id, check.secretDigest)
    request.log.info({ event: 'token_issued', clientId: check.client.id, expiresIn: token.expiresIn }, 'token issued')
    // RFC 6749 §5.1: a token answer must not be cached.
    return reply
      .header('cache-control', 'no-store')
      .header('pragma', 'no-cache')
      .send({ access_token: token.accessToken, token_type: 'Bearer', expires_in: token.expiresIn })
  })

  // A connector configured with the wrong method gets told, not a bare 401/404.
  app.route({
    method: ['GET', 'PUT', 'PATCH', 'DELETE'],
    url: opts.path,
    config: { auth: 'none' },
    schema: { hide: true },
    handler: async (_request, reply) => {
      reply.header('allow', 'POST')
      throw new OAuthError('invalid_request', 'the token endpoint takes POST', 405)
    }
  })
}

/** The client's id and secret from a well-formed request, or the OAuth error saying why not. */
function readTokenRequest(request: FastifyRequest): { clientId: string; clientSecret: string } {
  const query = asRecord(request.query) ?? {}
  const body = request.body === undefined || request.body === null || request.body === '' ? {} : asRecord(request.body)
  if (!body) throw new OAuthError('invalid_request', 'the body must be a form (application/x-www-form-urlencoded)')

  const fromQuery = single(query, 'grant_type')
  const fromBody = single(body, 'grant_type')
  if (fromQuery !== undefined && fromBody !== undefined && fromQuery !== fromBody) {
    throw new OAuthError('invalid_request', 'grant_type differs between the query string and the body')
  }
  const grantType = fromQuery ?? fromBody
  if (grantType === undefined || grantType === '') throw new OAuthError('invalid_request', 'grant_type is required')
  if (grantType !== 'client_credentials') throw new OAuthError('unsupported_grant_type', 'only client_credentials is supported')
  // A secret in a URL ends up in proxies' and browsers' logs: refused, not just ignored.
  if (query['client_secret'] !== undefined) throw new OAuthError('invalid_request', 'client_secret must not be sent in the URL')

  const formId = single(body, 'client_id')
  const formSecret = single(body, 'client_secret')
  const basic = parseBasicHeader(request.headers.authorization)
  if (basic.kind === 'basic') {
    if (formSecret !== undefined) throw new OAuthError('invalid_request', 'use one client authentication method, not Basic and the form both')
    if (formId !== undefined && formId !== basic.id) throw new OAuthError('invalid_request', 'client_id differs from the Basic credentials')
    return { clientId: basic.id, clientSecret: basic.secret }
  }
  if (basic.kind === 'malformed') throw new OAuthError('invalid_client', 'malformed Basic credentials')
  if (formId && formSecret) return { clientId: formId, clientSecret: formSecret }
  throw new OAuthError('invalid_client', 'client authentication is required (Basic, or client_id and client_secret)')
}

/** A parameter given once as text; twice (RFC 6749 §3.2: MUST NOT) or as another type is malformed. */
function single(from: Record<string, unknown>, name: string): string | undefined {
  const value = from[name]
  if (value === undefined) return undefined
  if (typeof value !== 'string') throw new OAuthError('invalid_request', `${name} must be given once, as text`)
  return value.trim()
}

function asRecord(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined
}

function oauthErrorHandler(err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  let oauth: OAuthError
  if (err instanceof OAuthError) oauth = err
  else {
    const gateway = toGatewayError(err)
    // The rate limiter's refusal keeps the contract's 429 body and Retry-After.
    if (gateway.code === 'RATE_LIMITED') return sendError(gateway, request, reply)
    if (gateway.status >= 500) {
      request.log.error({ err }, 'token request failed')
      oauth = new OAuthError('server_error', 'the token could not be issued')
    } else if (gateway.code === 'BODY_TOO_LARGE') oauth = new OAuthError('invalid_request', 'the body is too large', 413)
    else oauth = new OAuthError('invalid_request', 'the body must be a form (application/x-www-form-urlencoded)')
  }
  if (oauth.status === 401) reply.header('www-authenticate', REALM)
  if (oauth.status < 500) request.log.info({ error: oauth.error, status: oauth.status }, 'token request refused')
  return reply
    .code(oauth.status)
    .header('cache-control', 'no-store')
    .type('application/json; charset=utf-8')
    .send({ error: oauth.error, error_description: oauth.description })
}
