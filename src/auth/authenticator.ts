/**
 * Who is calling: the credentials a request presents, checked against the configured clients
 * (CONTRACT §7). A static secret in a header (`Authorization: Basic`/`Bearer` accepted when
 * that header is `authorization`), a static secret in a query parameter, or an access token
 * from our token endpoint in `Authorization: Bearer` or the client's own header. Pure: no
 * HTTP reply here (see auth-hook.ts), so the token endpoint and the hook share it.
 */
import type { AuthConfig } from '../config/config-schema.js'
import { parseBasicHeader, secretSpellings } from './basic-header.js'
import { ClientRegistry, DEFAULT_TOKEN_HEADER, clientsOf, resolvedSecret, type Client, type OAuthClient } from './client-registry.js'
import { digestSecret, matchSecret } from './secret-compare.js'
import { TokenService, type TokenFailure } from './tokens.js'

export type AuthVia = 'header' | 'query' | 'token'

export type AuthFailureReason =
  | 'no_credentials'
  /** A static secret that is no client's. */
  | 'unknown_secret'
  /** A Basic header naming no such client, or a client of another method. */
  | 'unknown_client'
  | 'malformed_basic'
  /** The same credential parameter or header twice. */
  | 'repeated_credential'
  /** Credentials that authenticate two different clients. */
  | 'conflicting_credentials'
  | TokenFailure
  /** A valid token whose client is gone from config, or not an OAuth client. */
  | 'token_client_unknown'
  /** A valid token obtained with a secret since removed from config. */
  | 'token_secret_retired'

export type AuthOutcome =
  | { readonly ok: true; readonly clientId: string; readonly via: AuthVia; readonly queryParam?: string }
  /** clientId only when known to be a configured client's, never an unverified claim. */
  | { readonly ok: false; readonly reason: AuthFailureReason; readonly via?: AuthVia; readonly clientId?: string }

export type ClientSecretCheck =
  | { readonly ok: true; readonly client: OAuthClient; readonly secretDigest: Buffer }
  | { readonly ok: false; readonly reason: 'unknown_client' | 'unknown_secret'; readonly clientId?: string }

export interface PresentedCredentials {
  /** Lower-case names, as Node presents them. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>
  readonly query: Readonly<Record<string, unknown>>
}

/** Compared against when a client is unknown, so that case takes as long as a wrong secret. */
const DUMMY_DIGESTS = [digestSecret('no such client'), digestSecret('no such client either')]

export class Authenticator {
  constructor(
    readonly registry: ClientRegistry,
    readonly tokens: TokenService
  ) {}

  static fromConfig(auth: AuthConfig, now?: () => number): Authenticator {
    return new Authenticator(
      ClientRegistry.fromConfig(auth),
      new TokenService({ keys: signingKeysOf(auth), ttlSeconds: auth.tokenTtlSeconds, ...(now ? { now } : {}) })
    )
  }

  /**
   * A reloaded configuration's clients and signing keys, in force for the next credential
   * checked (SECURITY.md § Rotating secrets): a secret or client left out is refused, and so
   * are tokens obtained with it or signed with a key left out. Both are built before either is
   * replaced, so a bad value changes nothing.
   */
  reconfigure(auth: Pick<AuthConfig, 'clients' | 'signingKeys'>): void {
    const clients = clientsOf(auth)
    const keys = signingKeysOf(auth)
    this.tokens.setKeys(keys)
    this.registry.replace(clients)
  }

  async authenticate(presented: PresentedCredentials): Promise<AuthOutcome> {
    const outcomes = this.#staticOutcomes(presented)
    if (this.registry.hasOAuthClients) {
      for (const [header, token] of this.#presentedTokens(presented.headers)) outcomes.push(await this.#token(header, token))
    }
    return decide(outcomes)
  }

  #staticOutcomes(presented: PresentedCredentials): AuthOutcome[] {
    const outcomes: AuthOutcome[] = []
    for (const [header, clients] of this.registry.staticHeaders) {
      const value = presented.headers[header]
      if (value !== undefined) outcomes.push(this.#staticHeader(header, value, clients))
    }
    for (const [param, clients] of this.registry.queryParams) {
      const value = presented.query[param]
      if (value === undefined) continue
      if (typeof value !== 'string') outcomes.push({ ok: false, reason: 'repeated_credential', via: 'query' })
      else outcomes.push(this.#matchStatic([value.trim()], clients, 'query', param))
    }
    return outcomes
  }

  /** The token endpoint's client authentication: an OAuth client's id and secret. */
  checkClientSecret(id: string, secret: string): ClientSecretCheck {
    const client = secretSpellings(id)
      .map((i) => this.registry.get(i))
      .find((c) => c !== undefined)
    const oauth = client?.method === 'oauth' ? client : undefined
    const match = matchSecret(secretSpellings(secret), oauth ? oauth.secretDigests : DUMMY_DIGESTS)
    if (!oauth) return { ok: false, reason: 'unknown_client', ...(client ? { clientId: client.id } : {}) }
    if (!match) return { ok: false, reason: 'unknown_secret', clientId: oauth.id }
    return { ok: true, client: oauth, secretDigest: oauth.secretDigests[match.index]! }
  }

  #staticHeader(header: string, value: string | string[], clients: readonly Client[]): AuthOutcome {
    if (typeof value !== 'string') return { ok: false, reason: 'repeated_credential', via: 'header' }
    if (header === 'authorization') {
      const basic = parseBasicHeader(value)
      if (basic.kind === 'malformed') return { ok: false, reason: 'malformed_basic', via: 'header' }
      if (basic.kind === 'basic') {
        // A connector's fixed `Authorization: Basic base64(id:secret)`: the id picks the client.
        const client = clients.find((c) => secretSpellings(basic.id).includes(c.id))
        const match = matchSecret(secretSpellings(basic.secret), client ? client.secretDigests : DUMMY_DIGESTS)
        if (!client) return { ok: false, reason: 'unknown_client', via: 'header' }
        return match ? { ok: true, clientId: client.id, via: 'header' } : { ok: false, reason: 'unknown_secret', via: 'header', clientId: client.id }
      }
      const bearer = /^\s*bearer\s+(.*)$/is.exec(value)
      return this.#matchStatic([(bearer?.[1] ?? value).trim()], clients, 'header')
    }
    return this.#matchStatic([value.trim()], clients, 'header')
  }

  /** Every client sharing the header or parameter is compared: the secret says which it is. */
  #matchStatic(spellings: readonly string[], clients: readonly Client[], via: AuthVia, queryParam?: string): AuthOutcome {
    let found: Client | undefined
    for (const client of clients) {
      if (matchSecret(spellings, client.secretDigests) && found === undefined) found = client
    }
    if (!found) return { ok: false, reason: 'unknown_secret', via }
    return { ok: true, clientId: found.id, via, ...(queryParam === undefined ? {} : { queryParam }) }
  }

  /** [header, token] pairs: `Authorization: Bearer …`, and the bare token in custom headers. */
  #presentedTokens(headers: PresentedCredentials['headers']): Array<[string, string]> {
    const found: Array<[string, string]> = []
    const authorization = headers[DEFAULT_TOKEN_HEADER]
    const bearer = typeof authorization === 'string' ? /^\s*bearer\s+(\S+)\s*$/i.exec(authorization) : null
    if (bearer?.[1] !== undefined) found.push([DEFAULT_TOKEN_HEADER, bearer[1]])
    for (const header of this.registry.customTokenHeaders) {
      const value = headers[header]
      if (typeof value === 'string' && value.trim() !== '') found.push([header, value.trim().replace(/^bearer\s+/i, '')])
    }
    return found
  }

  async #token(header: string, token: string): Promise<AuthOutcome> {
    const check = await this.tokens.verify(token)
    if (!check.ok) return { ok: false, reason: check.reason, via: 'token', ...(check.clientId ? { clientId: check.clientId } : {}) }
    const client = this.registry.get(check.clientId)
    // `Authorization: Bearer` is always accepted; a custom header only for the client configured with it.
    if (client?.method !== 'oauth' || (header !== DEFAULT_TOKEN_HEADER && header !== client.tokenHeader)) {
      return { ok: false, reason: 'token_client_unknown', via: 'token' }
    }
    if (!this.tokens.boundToSecret(check, client.secretDigests)) {
      return { ok: false, reason: 'token_secret_retired', via: 'token', clientId: client.id }
    }
    return { ok: true, clientId: client.id, via: 'token' }
  }
}

function signingKeysOf(auth: Pick<AuthConfig, 'signingKeys'>): string[] {
  return auth.signingKeys.map((k, i) => resolvedSecret(k, `auth.signingKeys.${i}`))
}

/**
 * One client authenticated (perhaps by several credentials) → that client; anything else
 * fails, reported by its most telling reason (for the log): a known client's, else a token's.
 */
function decide(outcomes: readonly AuthOutcome[]): AuthOutcome {
  const passed = outcomes.filter((o) => o.ok)
  const first = passed[0]
  if (first) {
    return passed.every((o) => o.clientId === first.clientId) ? first : { ok: false, reason: 'conflicting_credentials' }
  }
  return (
    outcomes.find((o) => o.clientId !== undefined) ??
    outcomes.find((o) => o.via === 'token') ??
    outcomes[0] ?? { ok: false, reason: 'no_credentials' }
  )
}
