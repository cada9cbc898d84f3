/**
 * Access tokens for OAuth clients (CONTRACT §7): short-lived HS256 JWTs, signed and verified
 * with jose. Claims: iss/aud (this gateway's SPI, so no other JWT signed with the same key is
 * taken for one), sub = client id, iat/exp, and `sfp` — a keyed fingerprint of the secret the
 * token was obtained with, so removing a secret from config also refuses the tokens it got.
 * The clock is injectable: tests expire tokens without sleeping. The keys can be replaced while
 * running (a configuration reload, setKeys): a token signed with a key no longer configured is
 * refused from then on.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { SignJWT, errors, jwtVerify } from 'jose'

export const TOKEN_ISSUER = 'clienteling-gateway'
export const TOKEN_AUDIENCE = 'clienteling-spi'
/** RFC 9068: an access token, not an ID token or any other JWT. */
const TOKEN_TYPE = 'at+jwt'
/** Instances' clocks differ a little; a token is not refused for a few seconds' skew. */
const CLOCK_TOLERANCE_SECONDS = 5
/** Well above a real token (~300 characters); bounds the work done on a hostile header. */
const MAX_TOKEN_LENGTH = 2048
const JWS_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/

export type TokenFailure = 'token_malformed' | 'token_expired' | 'token_invalid'

export type TokenCheck =
  | { readonly ok: true; readonly clientId: string; readonly fingerprint: string; readonly keyIndex: number }
  /** clientId only when the signature was ours (an expired token): never an attacker's claim. */
  | { readonly ok: false; readonly reason: TokenFailure; readonly clientId?: string }

export interface TokenServiceOptions {
  /** Signing keys, the first signs and all verify. Empty: one random key for this process. */
  readonly keys: readonly string[]
  readonly ttlSeconds: number
  /** Milliseconds since the epoch. */
  readonly now?: () => number
}

export class TokenService {
  readonly ttlSeconds: number
  #keys: readonly Uint8Array[]
  /** This process's random key, kept for its life: a reload without keys must not void every token. */
  #processKey: Uint8Array | undefined
  /**
   * The key each verified token was checked with, so boundToSecret uses that key even when the
   * keys were replaced between verify and boundToSecret (a reload while a request is checked).
   */
  readonly #keyOf = new WeakMap<object, Uint8Array>()
  readonly #now: () => number

  constructor(options: TokenServiceOptions) {
    this.#keys = this.#keysFor(options.keys)
    this.ttlSeconds = options.ttlSeconds
    this.#now = options.now ?? Date.now
  }

  /** True when no key is configured: tokens do not survive a restart or cross instances. */
  get ephemeralKey(): boolean {
    return this.#processKey !== undefined && this.#keys[0] === this.#processKey
  }

  /**
   * Replaces the signing keys (the first signs, all verify). Tokens signed with a key left out
   * are refused from now on; with no keys, this process's own random key signs again.
   */
  setKeys(keys: readonly string[]): void {
    this.#keys = this.#keysFor(keys)
  }

  #keysFor(keys: readonly string[]): readonly Uint8Array[] {
    // A random key is fine for one instance: its tokens die with it and the POS fetches another.
    if (keys.length === 0) return [(this.#processKey ??= randomBytes(32))]
    return keys.map((k) => new TextEncoder().encode(k))
  }

  async issue(clientId: string, secretDigest: Buffer): Promise<{ readonly accessToken: string; readonly expiresIn: number }> {
    const iat = Math.floor(this.#now() / 1000)
    const key = this.#keys[0]!
    const accessToken = await new SignJWT({ sfp: this.#fingerprint(key, secretDigest) })
      .setProtectedHeader({ alg: 'HS256', typ: TOKEN_TYPE })
      .setIssuer(TOKEN_ISSUER)
      .setAudience(TOKEN_AUDIENCE)
      .setSubject(clientId)
      .setIssuedAt(iat)
      .setExpirationTime(iat + this.ttlSeconds)
      .sign(key)
    return { accessToken, expiresIn: this.ttlSeconds }
  }

  async verify(token: string): Promise<TokenCheck> {
    if (token.length > MAX_TOKEN_LENGTH || !JWS_COMPACT.test(token)) return { ok: false, reason: 'token_malformed' }
    for (const [keyIndex, key] of this.#keys.entries()) {
      try {
        const { payload } = await jwtVerify(token, key, {
          algorithms: ['HS256'],
          issuer: TOKEN_ISSUER,
          audience: TOKEN_AUDIENCE,
          typ: TOKEN_TYPE,
          requiredClaims: ['sub', 'iat', 'exp'],
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
          currentDate: new Date(this.#now())
        })
        if (typeof payload.sub !== 'string' || typeof payload['sfp'] !== 'string') return { ok: false, reason: 'token_invalid' }
        const check = { ok: true, clientId: payload.sub, fingerprint: payload['sfp'], keyIndex } as const
        this.#keyOf.set(check, key)
        return check
      } catch (err) {
        if (err instanceof errors.JWSSignatureVerificationFailed) continue // maybe the other key's
        if (err instanceof errors.JWTExpired) {
          return { ok: false, reason: 'token_expired', ...(typeof err.payload.sub === 'string' ? { clientId: err.payload.sub } : {}) }
        }
        if (err instanceof errors.JWTClaimValidationFailed || err instanceof errors.JOSEAlgNotAllowed) {
          return { ok: false, reason: 'token_invalid' }
        }
        return { ok: false, reason: 'token_malformed' }
      }
    }
    return { ok: false, reason: 'token_invalid' }
  }

  /** Whether a verified token was obtained with one of `secretDigests` (the client's current secrets). */
  boundToSecret(check: { readonly fingerprint: string; readonly keyIndex: number }, secretDigests: readonly Buffer[]): boolean {
    const key = this.#keyOf.get(check) ?? this.#keys[check.keyIndex]
    if (!key) return false
    const presented = Buffer.from(check.fingerprint)
    let bound = false
    for (const digest of secretDigests) {
      const expected = Buffer.from(this.#fingerprint(key, digest))
      if (expected.length === presented.length && timingSafeEqual(expected, presented)) bound = true
    }
    return bound
  }

  /** Keyed, so a token's reader cannot test guesses of the secret against it offline. */
  #fingerprint(key: Uint8Array, secretDigest: Buffer): string {
    return createHmac('sha256', key).update('secret-fingerprint\0').update(secretDigest).digest('base64url').slice(0, 22)
  }
}
