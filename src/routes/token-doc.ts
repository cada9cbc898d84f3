/**
 * The token endpoint as /openapi.json shows it (CONTRACT §7, RFC 6749 §4.4): POST with
 * `grant_type=client_credentials` in the query string (as the POS connector sends it) or the
 * form body, the client's id and secret as Basic credentials (or `client_id`/`client_secret`
 * in the form body), and its answers — the token, or RFC 6749 §5.2's `{error,
 * error_description}` (not the SPI's error shape: the connector's OAuth machinery reads it),
 * but for the rate limit's 429, which is the SPI's.
 *
 * tokenRouteSchema is the route's own schema (its answers are serialized with it);
 * tokenRouteDoc adds the request's parts for the document only: the route checks a request
 * itself, so that each mistake gets its RFC 6749 error rather than a schema's.
 */
import type { FastifySchema } from 'fastify'
import type { SwaggerTransform } from '@fastify/swagger'
import { Type } from 'typebox'
import { errorResponse } from '../spi/answer-schema.js'
import { TOKEN_CLIENT_SCHEME } from './openapi-security.js'

const noStore = {
  'Cache-Control': { type: 'string', enum: ['no-store'], description: 'a token answer is never cached (RFC 6749 §5.1)', required: true }
}

function oauthError(codes: readonly string[], description: string, headers: Record<string, unknown> = {}) {
  return Type.Object(
    {
      error: Type.Unsafe<string>({ type: 'string', enum: [...codes], description: 'the RFC 6749 §5.2 error code' }),
      error_description: Type.String({ description: 'fixed text saying what is wrong; never an input echoed back' })
    },
    { description, headers: { ...noStore, ...headers } }
  )
}

export const tokenRouteSchema = {
  operationId: 'ISSUE_TOKEN',
  summary: 'Get an access token (OAuth 2 client credentials)',
  description:
    'For the POS’s OAUTH-OAuth connector: `POST …?grant_type=client_credentials` with `Authorization: Basic base64(clientId:clientSecret)` ' +
    '(a space after the colon is tolerated). The token goes on every SPI call as `Authorization: Bearer <token>` (or bare, in the ' +
    'header the client is configured with) until it expires; then the SPI answers 401 and the connector fetches another. Only ' +
    'clients configured with method oauth get tokens. Repeated failures from one client and address are answered 429.',
  tags: ['OAuth'],
  security: [{ [TOKEN_CLIENT_SCHEME]: [] }],
  response: {
    200: Type.Object(
      {
        access_token: Type.String({ description: 'a signed, short-lived token (JWT)' }),
        token_type: Type.Unsafe<'Bearer'>({ type: 'string', enum: ['Bearer'] }),
        expires_in: Type.Integer({ minimum: 1, description: 'seconds the token is valid for (auth.tokenTtlSeconds)' })
      },
      {
        description: 'The token',
        headers: { ...noStore, Pragma: { type: 'string', enum: ['no-cache'], description: 'HTTP/1.0 caches: do not cache', required: true } }
      }
    ),
    400: oauthError(
      ['invalid_request', 'unsupported_grant_type'],
      'A malformed request (a missing, repeated or differing grant_type, a secret in the URL, two authentication methods, a body that is no form) or a grant other than client_credentials'
    ),
    401: oauthError(['invalid_client'], 'Client authentication failed (no credentials, an unknown client, a wrong secret, a client that is not an OAuth client)', {
      'WWW-Authenticate': { type: 'string', description: 'the Basic challenge (RFC 6749 §5.2)', required: true }
    }),
    413: oauthError(['invalid_request'], 'The body is over 4 KiB'),
    429: errorResponse(429),
    500: oauthError(['server_error'], 'The token could not be issued'),
    431: errorResponse(431)
  }
} satisfies FastifySchema

const grantType = Type.Unsafe<string>({
  type: 'string',
  enum: ['client_credentials'],
  description: 'the grant: in the query string, as the POS connector sends it, or in the form body (equal when in both)'
})

const TokenForm = Type.Object(
  {
    grant_type: Type.Optional(grantType),
    client_id: Type.Optional(Type.String({ description: "the client's id: with client_secret, instead of Basic credentials; with Basic, equal to its id" })),
    client_secret: Type.Optional(Type.String({ description: "the client's secret, instead of Basic credentials (never in the query string)" }))
  },
  { additionalProperties: true, description: 'Optional: the grant and the client credentials may be sent here instead' }
)

export const tokenRouteDoc: SwaggerTransform = ({ schema, url }) => ({
  url,
  schema: {
    ...schema,
    querystring: Type.Object({ grant_type: Type.Optional(grantType) }, { additionalProperties: true }),
    body: { content: { 'application/x-www-form-urlencoded': { schema: TokenForm }, 'application/json': { schema: TokenForm } } },
    'x-body-optional': true
  } as FastifySchema
})
