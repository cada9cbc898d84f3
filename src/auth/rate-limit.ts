/**
 * Per-client rate limiting: a fixed window per key, counted in the authentication hook
 * (auth-hook.ts) right after a client is known — so refused requests count for nobody — and
 * by caller address on the token endpoint, where nobody is authenticated yet. Beyond the
 * limit: 429 with Retry-After and the catalogue's localized RATE_LIMITED body.
 *
 * Why not @fastify/rate-limit (which this replaced): its hook is an async function awaiting
 * the key generator, the limit and a promisified store call, and sets three headers on every
 * answer; on a cache hit that was ~15% of the gateway's throughput (BENCHMARKS.md). Here a
 * check is a Map lookup and an addition, in the hook that already runs.
 *
 * Memory: client keys are the configured clients (a bounded set); address keys are held in
 * an LRU of ADDRESS_KEYS entries, like the plugin's default store (an address evicted by a
 * flood of others starts a fresh window — the same trade the plugin makes).
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

const ALLOWED: RateDecision = { allowed: true }
/** Distinct caller addresses tracked at once (token endpoint). */
const ADDRESS_KEYS = 5000

export class RateLimiter {
  readonly #windowMs: number
  readonly #defaultMax: number
  readonly #now: () => number
  readonly #clients = new Map<string, Window>()
  readonly #addresses = new LRUCache<string, Window>({ max: ADDRESS_KEYS })

  constructor(settings: RateLimitSettings, now: () => number = Date.now) {
    this.#windowMs = settings.windowSeconds * 1000
    this.#defaultMax = settings.maxRequests
    this.#now = now
  }

  /** Counts one request of an authenticated client against its limit (or the default). */
  client(clientId: string, max: number | undefined): RateDecision {
    let window = this.#clients.get(clientId)
    if (window === undefined) {
      window = { startedAt: 0, count: 0 }
      this.#clients.set(clientId, window)
    }
    return this.#take(window, max ?? this.#defaultMax)
  }

  /** Counts one request from a caller address (routes answered before anyone is known). */
  address(ip: string): RateDecision {
    let window = this.#addresses.get(ip)
    if (window === undefined) {
      window = { startedAt: 0, count: 0 }
      this.#addresses.set(ip, window)
    }
    return this.#take(window, this.#defaultMax)
  }

  #take(window: Window, max: number): RateDecision {
    const now = this.#now()
    if (now - window.startedAt >= this.#windowMs) {
      window.startedAt = now
      window.count = 0
    }
    if (window.count >= max) {
      return { allowed: false, limit: max, retryAfterSeconds: Math.max(1, Math.ceil((window.startedAt + this.#windowMs - now) / 1000)) }
    }
    window.count++
    return ALLOWED
  }
}
