/**
 * The security schemes /openapi.json declares, from the configured POS clients (SECURITY.md,
 * CONTRACT §7): a static secret in a header (`x-api-key` by default, or each header client's
 * own), a static secret in a query parameter where a client sends one there, and OAuth 2
 * client credentials against the token endpoint (its token, as `Authorization: Bearer`, or
 * bare in a client's own header). An SPI call needs one of them.
 */
import type { AuthConfig } from '../config/config-schema.js'

/** The token endpoint's client authentication: an OAuth client's id and secret, Basic. */
export const TOKEN_CLIENT_SCHEME = 'clientBasic'

const DEFAULT_HEADER = 'x-api-key'
const DEFAULT_QUERY_PARAM = 'api_key'

export type SecurityScheme =
  | { readonly type: 'apiKey'; readonly in: 'header' | 'query'; readonly name: string; readonly description: string }
  | { readonly type: 'http'; readonly scheme: 'basic' | 'bearer'; readonly description: string }
  | {
      readonly type: 'oauth2'
      readonly description: string
      readonly flows: { readonly clientCredentials: { readonly tokenUrl: string; readonly scopes: Record<string, string> } }
    }

export interface SpiSecurity {
  readonly schemes: Readonly<Record<string, SecurityScheme>>
  /** Alternatives: any one of them authenticates an SPI call. */
  readonly requirements: ReadonlyArray<Readonly<Record<string, readonly string[]>>>
}

/** A component name for a header or parameter name (component keys allow `A-Za-z0-9._-`). */
const key = (prefix: string, name: string): string => `${prefix}-${name.replace(/[^A-Za-z0-9._-]/g, '_')}`

export function spiSecurity(auth: Pick<AuthConfig, 'clients' | 'tokenPath'>): SpiSecurity {
  const schemes: Record<string, SecurityScheme> = {}
  const spi: string[] = []
  const headerClients = auth.clients.filter((c) => c.method === 'header')
  const headers = new Set(headerClients.map((c) => (c.header ?? DEFAULT_HEADER).toLowerCase()))
  if (headers.size === 0) headers.add(DEFAULT_HEADER)
  for (const header of headers) {
    const name = header === DEFAULT_HEADER ? 'apiKey' : key('apiKey', header)
    schemes[name] =
      header === 'authorization'
        ? { type: 'http', scheme: 'basic', description: 'a static secret: Basic base64(clientId:secret) (`Bearer <secret>` is accepted too)' }
        : { type: 'apiKey', in: 'header', name: header, description: `a static secret in the ${header} header` }
    spi.push(name)
  }
  const params = new Set(auth.clients.filter((c) => c.method === 'query').map((c) => c.queryParam ?? DEFAULT_QUERY_PARAM))
  for (const param of params) {
    const name = param === DEFAULT_QUERY_PARAM ? 'apiKeyQuery' : key('apiKeyQuery', param)
    schemes[name] = { type: 'apiKey', in: 'query', name: param, description: `a static secret in the ${param} query parameter (never logged)` }
    spi.push(name)
  }
  schemes['oauth2'] = {
    type: 'oauth2',
    description:
      'OAuth 2 client credentials (the OAUTH-OAuth connector): POST the token endpoint with grant_type=client_credentials ' +
      'in the query string and Basic client credentials, then send the token as `Authorization: Bearer <token>`. An expired ' +
      'token gets 401: fetch another.',
    flows: { clientCredentials: { tokenUrl: auth.tokenPath, scopes: {} } }
  }
  spi.push('oauth2')
  const tokenHeaders = new Set(
    auth.clients.filter((c) => c.method === 'oauth' && c.header !== undefined).map((c) => (c.header ?? '').toLowerCase())
  )
  tokenHeaders.delete('authorization')
  for (const header of tokenHeaders) {
    const name = key('oauth2Token', header)
    schemes[name] = { type: 'apiKey', in: 'header', name: header, description: `an access token from the token endpoint, bare, in the ${header} header` }
    spi.push(name)
  }
  schemes[TOKEN_CLIENT_SCHEME] = { type: 'http', scheme: 'basic', description: "an OAuth client's id and secret (the token endpoint only)" }
  return { schemes, requirements: spi.map((name) => ({ [name]: [] })) }
}
