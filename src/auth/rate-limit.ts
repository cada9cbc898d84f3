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

/** What #take needs of a table of windows: a Map's or lru-cache's get and set. */
interface WindowTable {
  get(key: string): Window | undefined
  set(key: string, window: Window): unknown
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
    return this.#take(this.#clients, clientId, max ?? this.#defaultMax)
  }

  /** Counts one request from a caller address (routes answered before anyone is known). */
  address(ip: string): RateDecision {
    return this.#take(this.#addresses, ip, this.#defaultMax)
  }

  /** Both tables are read and written the same way (a Map and lru-cache share get/set). */
  #take(windows: WindowTable, key: string, max: number): RateDecision {
    let window = windows.get(key)
    if (window === undefined) {
      window = { startedAt: 0, count: 0 }
      windows.set(key, window)
    }
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
