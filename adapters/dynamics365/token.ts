/**
 * The application user's access token: Microsoft Entra ID's OAuth 2.0 client credentials grant
 * (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow,
 * "Get a token" with a shared secret), cached and refreshed single-flight.
 *
 * Why the documented request on the project's HTTP client rather than @azure/msal-node: the
 * flow is one form POST and one JSON answer; written here it shares the gateway's transport
 * (keep-alive pool, timeouts, no redirects, answers size-checked and shape-checked) and its
 * failure kinds, adds no dependency, and its cache takes the test's clock. MSAL earns its
 * weight with certificates, managed identities and user flows, none of which this adapter uses.
 *
 *   POST {authorityHost}/{tenant}/oauth2/v2.0/token
 *   Content-Type: application/x-www-form-urlencoded
 *   client_id=…&scope=https://{org}.crm.dynamics.com/.default&client_secret=…&grant_type=client_credentials
 *   → 200 {token_type: "Bearer", expires_in: 3599, access_token}
 *   → 400/401 {error: "invalid_client" | "invalid_scope" | …, error_description, error_codes: [AADSTS…]}
 *
 * Cache: a token is used until REFRESH_MARGIN before it expires (Dataverse refuses an expired
 * one with 401), then one request fetches the next while every caller waits on it (single
 * flight): a burst of POS calls at expiry costs one token request, not one each. The fetch runs
 * on its own time budget, not on one caller's signal, so a caller that gives up does not fail
 * the others; each caller still stops waiting when its own signal fires.
 */
import type { AxiosResponse } from 'axios'
import { CrmFailure } from '../../src/core/port.js'
import type { CallContext } from '../../src/core/port.js'
import { createHttpClient, sendRequest } from '../shared/http-client.js'
import type { HttpClient } from '../shared/http-client.js'
import { classifyStatus } from '../shared/http-failure.js'
import { pathSegment } from '../shared/path-segment.js'
import { waitShared } from '../shared/wait-shared.js'
import { readToken, readTokenError } from './wire.js'

/** Refresh this long before expiry (or at half the lifetime for a short-lived token). */
export const REFRESH_MARGIN_MS = 5 * 60_000

/** OAuth 2.0's error codes (RFC 6749 §5.2), the only words of a token error that are logged. */
const OAUTH_ERRORS: ReadonlySet<string> = new Set(['invalid_request', 'invalid_client', 'invalid_grant', 'unauthorized_client', 'unsupported_grant_type', 'invalid_scope'])

export interface TokenSourceOptions {
  readonly authorityHost: string
  readonly tenantId: string
  readonly clientId: string
  readonly clientSecret: string
  readonly scope: string
  readonly timeoutMs: number
  /** The clock of expiry (ms since the epoch); tests pass their own. */
  readonly now?: () => number
}

interface Cached {
  readonly token: string
  readonly refreshAt: number
}

export class EntraTokenSource {
  readonly #options: TokenSourceOptions
  readonly #client: HttpClient
  readonly #now: () => number
  #cached: Cached | undefined
  #pending: Promise<Cached> | undefined
  /** Token requests sent (for tests and logs). */
  requests = 0

  constructor(options: TokenSourceOptions) {
    this.#options = options
    this.#now = options.now ?? Date.now
    this.#client = createHttpClient({ baseUrl: options.authorityHost, timeoutMs: options.timeoutMs, maxSockets: 4 })
  }

  /** A valid access token: the cached one, or the one being fetched, or a new one. */
  async token(ctx: CallContext): Promise<string> {
    const cached = this.#cached
    if (cached !== undefined && this.#now() < cached.refreshAt) return cached.token
    this.#pending ??= this.#fetch(ctx).finally(() => {
      this.#pending = undefined
    })
    return (await waitShared(this.#pending, ctx.signal, "token: the attempt's time was up while the token was fetched")).token
  }

  /**
   * Forgets `token` after Dataverse refused it (401: revoked, or the clock of the token's
   * issuer ran ahead of ours); a token fetched meanwhile by another caller is kept.
   */
  invalidate(token: string): void {
    if (this.#cached?.token === token) this.#cached = undefined
  }

  close(): void {
    this.#client.close()
  }

  async #fetch(ctx: CallContext): Promise<Cached> {
    const { tenantId, clientId, clientSecret, scope, timeoutMs } = this.#options
    const form = new URLSearchParams({ client_id: clientId, scope, client_secret: clientSecret, grant_type: 'client_credentials' })
    this.requests++
    const response = await sendRequest(
      this.#client,
      {
        method: 'POST',
        url: `/${pathSegment(tenantId)}/oauth2/v2.0/token`,
        data: form.toString(),
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        signal: AbortSignal.timeout(timeoutMs)
      },
      { op: 'token', log: ctx.log }
    )
    if (response.status !== 200) throw tokenFailure(response)
    const answer = readToken(response, 'token')
    const lifetimeMs = answer.expires_in * 1000
    const cached = { token: answer.access_token, refreshAt: this.#now() + lifetimeMs - Math.min(REFRESH_MARGIN_MS, lifetimeMs / 2) }
    this.#cached = cached
    return cached
  }
}

/**
 * A refused token request. 400/401 with an OAuth error (a wrong secret, an unknown client, a
 * scope naming no environment) is our configuration: `failed`, never the POS's doing; the
 * error code and the AADSTS numbers are logged (never the description, which may quote ids).
 * Throttling and 5xx are the identity platform's, reported as any HTTP failure.
 */
function tokenFailure(response: AxiosResponse<string>): CrmFailure {
  const body = readTokenError(response)
  if ((response.status === 400 || response.status === 401) && body !== undefined) {
    const code = OAUTH_ERRORS.has(body.error) ? body.error : 'unreadable'
    const aadsts = (body.error_codes ?? []).map((n) => `AADSTS${n}`).join(',')
    return new CrmFailure('failed', { detail: `token: HTTP ${response.status} ${code} ${aadsts} (the app registration's credentials or scope were refused)`.trim() })
  }
  return classifyStatus(response, 'token')
}
