/**
 * Authentication, as the definition's `auth` declares it: what each request carries (a header,
 * a query parameter), and for OAuth2 client credentials the access token — fetched from the
 * token endpoint, cached until shortly before it expires, renewed by one request however many
 * calls wait for it (single flight), and renewed once more when the CRM refuses it (401).
 *
 * Secrets come from the adapter's settings (`crm.options`, resolved from {fromEnv}/{fromFile});
 * none of them, nor a token, nor the token endpoint's answer, ever reaches a log or an error.
 */
import type { Logger } from '../../src/core/logger.js'
import type { CallContext } from '../../src/core/port.js'
import { createHttpClient, sendRequest } from '../shared/http-client.js'
import type { HttpClient } from '../shared/http-client.js'
import { waitShared } from '../shared/wait-shared.js'
import { badResponse, classifyStatus, parseJsonBody } from '../shared/http-failure.js'
import type { AuthDefinition, OAuth2Definition } from './definition.js'

/** What one request carries to authenticate. */
export interface Credentials {
  readonly headers: Readonly<Record<string, string>>
  readonly params: readonly (readonly [string, string])[]
}

export interface Authenticator {
  credentials(ctx: CallContext): Promise<Credentials>
  /**
   * The CRM answered 401 to a request sent with `used`: whether to send it once more with
   * fresh credentials (an access token may have been revoked or expired early).
   */
  refused(used: Credentials): boolean
  close(): void
}

export interface AuthOptions {
  readonly baseUrl: string
  readonly timeoutMs: number
  /** The adapter's logger: a token fetch serves every waiting call, not one. */
  readonly log: Logger
}

const NONE: Credentials = { headers: {}, params: [] }

const fixed = (credentials: Credentials): Authenticator => ({
  credentials: () => Promise.resolve(credentials),
  refused: () => false,
  close: () => undefined
})

/** RFC 7617 (basic) and RFC 6749 §2.3.1 (the client's id and secret, form-encoded first). */
/** application/x-www-form-urlencoded, as RFC 6749 §2.3.1 wants the client id and secret before basic. */
const formEncoded = (text: string): string => new URLSearchParams([['', text]]).toString().slice(1)

const basicHeader = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`

export function createAuthenticator(auth: AuthDefinition, secrets: Readonly<Record<string, string>>, options: AuthOptions): Authenticator {
  const secret = (name: string): string => {
    const value = secrets[name]
    // settings.ts requires every name the auth uses: reaching this is a bug of ours.
    if (value === undefined) throw new TypeError(`rest adapter: no setting "${name}"`)
    return value
  }
  switch (auth.kind) {
    case 'none':
      return fixed(NONE)
    case 'api-key':
      return fixed(
        (auth.in ?? 'header') === 'header' ? { headers: { [auth.name]: secret(auth.setting) }, params: [] } : { headers: {}, params: [[auth.name, secret(auth.setting)]] }
      )
    case 'bearer':
      return fixed({ headers: { Authorization: `Bearer ${secret(auth.setting)}` }, params: [] })
    case 'basic':
      return fixed({ headers: { Authorization: basicHeader(secret(auth.usernameSetting), secret(auth.passwordSetting)) }, params: [] })
    case 'oauth2-client-credentials':
      return new OAuth2ClientCredentials(auth, secret(auth.clientIdSetting), secret(auth.clientSecretSetting), options)
  }
}

interface CachedToken {
  readonly value: string
  /** Epoch ms from which it is renewed before use; Infinity when the server gave no lifetime. */
  readonly renewAt: number
}

/** A token endpoint's answer (RFC 6749 §5.1); `expires_in` is recommended, not required. */
function readToken(body: unknown, now: number, marginSeconds: number): CachedToken {
  const op = 'token'
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return badResponse(op, 'the token answer is not an object')
  const { access_token: value, token_type: type, expires_in: expiresIn } = body as Record<string, unknown>
  if (typeof value !== 'string' || value === '') return badResponse(op, 'the token answer has no access_token')
  if (type !== undefined && (typeof type !== 'string' || type.toLowerCase() !== 'bearer')) return badResponse(op, 'the token is not a bearer token')
  if (expiresIn === undefined) return { value, renewAt: Infinity }
  const seconds = typeof expiresIn === 'number' ? expiresIn : typeof expiresIn === 'string' && /^\d+$/.test(expiresIn) ? Number(expiresIn) : NaN
  if (!Number.isFinite(seconds) || seconds < 0) return badResponse(op, 'the token answer has an unreadable expires_in')
  // Renewed `margin` before it expires, but never sooner than half its life (a short-lived
  // token would otherwise be fetched again on every call).
  const margin = Math.min(marginSeconds, seconds / 2)
  return { value, renewAt: now + (seconds - margin) * 1000 }
}

class OAuth2ClientCredentials implements Authenticator {
  readonly #auth: OAuth2Definition
  readonly #clientId: string
  readonly #clientSecret: string
  readonly #options: AuthOptions
  readonly #client: HttpClient
  readonly #url: string
  #token: CachedToken | undefined
  #pending: Promise<CachedToken> | undefined

  constructor(auth: OAuth2Definition, clientId: string, clientSecret: string, options: AuthOptions) {
    this.#auth = auth
    this.#clientId = clientId
    this.#clientSecret = clientSecret
    this.#options = options
    // A path is on the CRM's base URL; an absolute URL (an identity provider) gets its own
    // client, still never following redirects nor leaving the configured origin.
    const absolute = !auth.tokenUrl.startsWith('/')
    const url = absolute ? new URL(auth.tokenUrl) : undefined
    this.#client = createHttpClient({ baseUrl: url?.origin ?? options.baseUrl, timeoutMs: options.timeoutMs })
    this.#url = url === undefined ? auth.tokenUrl : `${url.pathname}${url.search}`
  }

  async credentials(ctx: CallContext): Promise<Credentials> {
    const token = await this.#current(ctx.signal)
    return { headers: { Authorization: `Bearer ${token.value}` }, params: [] }
  }

  refused(used: Credentials): boolean {
    // Only the token that was refused is dropped: a call that already fetched a new one keeps it.
    if (this.#token !== undefined && used.headers['Authorization'] === `Bearer ${this.#token.value}`) this.#token = undefined
    return true
  }

  close(): void {
    this.#client.close()
  }

  #current(signal: AbortSignal): Promise<CachedToken> {
    const token = this.#token
    if (token !== undefined && Date.now() < token.renewAt) return Promise.resolve(token)
    if (this.#pending === undefined) {
      const pending = this.#fetch()
      const done = (): void => {
        if (this.#pending === pending) this.#pending = undefined
      }
      pending.then(done, done)
      this.#pending = pending
    }
    return waitShared(this.#pending, signal, "token: aborted when the attempt's time was up")
  }

  /** One token request (RFC 6749 §4.4), on a signal of its own: it serves every waiting call. */
  async #fetch(): Promise<CachedToken> {
    const form = new URLSearchParams({ grant_type: 'client_credentials' })
    if (this.#auth.scope !== undefined && this.#auth.scope !== '') form.set('scope', this.#auth.scope)
    if (this.#auth.audience !== undefined && this.#auth.audience !== '') form.set('audience', this.#auth.audience)
    const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded' }
    if ((this.#auth.clientAuth ?? 'basic') === 'basic') {
      headers['Authorization'] = basicHeader(formEncoded(this.#clientId), formEncoded(this.#clientSecret))
    } else {
      form.set('client_id', this.#clientId)
      form.set('client_secret', this.#clientSecret)
    }
    const response = await sendRequest(
      this.#client,
      { method: 'POST', url: this.#url, data: form.toString(), headers, signal: AbortSignal.timeout(this.#options.timeoutMs) },
      { op: 'token', log: this.#options.log }
    )
    // Any refusal (400 invalid_client, 401) is our credentials': `failed`, as classifyStatus says.
    if (response.status !== 200) throw classifyStatus(response, 'token')
    const token = readToken(parseJsonBody(response, 'token'), Date.now(), this.#auth.refreshMarginSeconds ?? 60)
    this.#token = token
    return token
  }
}
