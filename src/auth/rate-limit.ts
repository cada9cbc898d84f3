/**
 * Rate limiting: a fixed window per key, in two tables.
 *
 * Requests of authenticated clients are counted in the authentication hook (auth-hook.ts)
 * right after a client is known — so refused requests count for nobody. Beyond the limit: 429
 * with Retry-After and the catalogue's localized RATE_LIMITED body.
 *
 * The token endpoint, where nobody is authenticated yet, counts *failed* requests instead
 * (token-guard.ts), keyed by the client id a request names — when it is an OAuth client's; any
 * other id shares one "unknown" key — and the caller's address as Fastify reports it
 * (`server.trustProxy`). Once a key has failed TOKEN_FAILURES times in a window, its further
 * requests get 429 before their secret is checked. So guesses naming client A never hold back
 * client B; behind a proxy that every caller shares (trustProxy not set), they can hold back
 * A's token requests for a window at most (A's tokens already issued keep working); with
 * trustProxy set, only the guesser's own address. Successful token requests are not counted:
 * a correct id and secret are refused only after failures naming that same id from that same
 * address (SECURITY.md § Rate limiting).
 *
 * Why not @fastify/rate-limit (which this replaced): its hook is an async function awaiting
 * the key generator, the limit and a promisified store call, and sets three headers on every
 * answer; on a cache hit that was ~15% of the gateway's throughput (BENCHMARKS.md). Here a
 * check is a Map lookup and an addition, in the hook that already runs.
 *
 * Memory: client keys are the configured clients (a bounded set). Token keys carry a caller
 * address, so they live in an LRU bounded in entries and in bytes (TOKEN_KEYS,
 * TOKEN_KEYS_MAX_BYTES), the address cut to ADDRESS_CHARS (behind a proxy trusted wholesale,
 * X-Forwarded-For can say anything). A key evicted by a flood of others starts a fresh
 * window: the trade @fastify/rate-limit's default store makes.
 */
import { LRUCache } from 'lru-cache'

export interface RateLimitSettings {
  readonly maxRequests: number
  readonly windowSeconds: number
}

export type RateDecision =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly limit: number; readonly retryAfterSeconds: number }

interface Window {
  startedAt: number
  count: number
}

export const ALLOWED: RateDecision = { allowed: true }

/** A decision now, or once a shared count is in (./shared-rate-limit.ts). */
export type Decided = RateDecision | Promise<RateDecision>

/** What the hooks ask: this instance's counts (RateLimiter), or the instances' (SharedRateLimiter). */
export interface RateLimits {
  /** Counts one request of an authenticated client against its limit (or the default). */
  client(clientId: string, max: number | undefined): Decided
  /** Token endpoint, before the secret is checked: refused once this key failed TOKEN_FAILURES times. */
  tokenAttempt(clientId: string | undefined, address: string): Decided
  /** Token endpoint: one refused request of this key. */
  tokenFailed(clientId: string | undefined, address: string): void
}

/** Failed token requests one (client, address) key may make per window before it gets 429. */
export const TOKEN_FAILURES = 10
/** Token keys tracked at once, and the bytes they may hold. */
export const TOKEN_KEYS = 5000
export const TOKEN_KEYS_MAX_BYTES = 1024 * 1024
/** The longest IPv6 text (45 characters) with room for a zone id: nothing longer is an address. */
const ADDRESS_CHARS = 64
/** A window object, lru-cache's slots for it and a string's header, in bytes (an estimate on the safe side). */
const WINDOW_OVERHEAD_BYTES = 160

export class RateLimiter implements RateLimits {
  readonly #windowMs: number
  readonly #defaultMax: number
  readonly #now: () => number
  readonly #clients = new Map<string, Window>()
  readonly #tokenFailures = new LRUCache<string, Window>({
    max: TOKEN_KEYS,
    maxSize: TOKEN_KEYS_MAX_BYTES,
    // Two bytes a character: V8's worst case for a string.
    sizeCalculation: (_window, key) => 2 * key.length + WINDOW_OVERHEAD_BYTES
  })

  constructor(settings: RateLimitSettings, now: () => number = Date.now) {
    this.#windowMs = settings.windowSeconds * 1000
    this.#defaultMax = settings.maxRequests
    this.#now = now
  }

  /** Counts one request of an authenticated client against its limit (or the default). */
  client(clientId: string, max: number | undefined): RateDecision {
    const limit = max ?? this.#defaultMax
    let window = this.#clients.get(clientId)
    if (window === undefined) {
      window = { startedAt: 0, count: 0 }
      this.#clients.set(clientId, window)
    }
    const now = this.#now()
    if (now - window.startedAt >= this.#windowMs) {
      window.startedAt = now
      window.count = 0
    }
    if (window.count >= limit) return { allowed: false, limit, retryAfterSeconds: this.#retryAfter(window, now) }
    window.count++
    return ALLOWED
  }

  /**
   * Token endpoint, before the secret is checked: refused once this key has failed
   * TOKEN_FAILURES times in the window. Counts nothing (tokenFailed does). `clientId` is the
   * presented id when it is an OAuth client's, else undefined.
   */
  tokenAttempt(clientId: string | undefined, address: string): RateDecision {
    const window = this.#tokenFailures.get(tokenKey(clientId, address))
    const now = this.#now()
    if (window === undefined || now - window.startedAt >= this.#windowMs || window.count < TOKEN_FAILURES) return ALLOWED
    return { allowed: false, limit: TOKEN_FAILURES, retryAfterSeconds: this.#retryAfter(window, now) }
  }

  /** Token endpoint: one refused request (bad credentials, a malformed request) of this key. */
  tokenFailed(clientId: string | undefined, address: string): void {
    const key = tokenKey(clientId, address)
    const window = this.#tokenFailures.get(key)
    const now = this.#now()
    if (window === undefined || now - window.startedAt >= this.#windowMs) this.#tokenFailures.set(key, { startedAt: now, count: 1 })
    else window.count++
  }

  /** The token keys held and the bytes they are counted as (for tests). */
  get tokenKeys(): { readonly entries: number; readonly bytes: number } {
    return { entries: this.#tokenFailures.size, bytes: this.#tokenFailures.calculatedSize }
  }

  /** What is left of the window, in whole seconds, never 0 while refused. */
  #retryAfter(window: Window, now: number): number {
    return Math.max(1, Math.ceil((window.startedAt + this.#windowMs - now) / 1000))
  }
}

export function tokenKey(clientId: string | undefined, address: string): string {
  return `${clientId ?? ''}\u0000${address.slice(0, ADDRESS_CHARS)}`
}
