/**
 * Rate limits counted across instances (README, "Running several instances"): with several
 * instances behind a load balancer, a client's limit is its limit in total, not per instance.
 * Each request adds one to a counter in the shared store for (client, window); windows are
 * fixed and the same on every instance (aligned to the clock), so the instances count into
 * one counter. The token endpoint's failure counts are kept the same way.
 *
 * A request costs one store command (Redis: a small script, INCR and its expiry). While Redis
 * is away the store counts in this process (./rate-limit.ts's semantics per instance): a
 * client may then get its limit on each instance.
 */
import type { SharedStore } from '../core/shared-store.js'
import { ALLOWED, TOKEN_FAILURES, tokenKey, type RateDecision, type RateLimits, type RateLimitSettings } from './rate-limit.js'

export class SharedRateLimiter implements RateLimits {
  readonly #store: SharedStore
  readonly #windowMs: number
  readonly #defaultMax: number
  readonly #now: () => number

  constructor(store: SharedStore, settings: RateLimitSettings, now: () => number = Date.now) {
    this.#store = store
    this.#windowMs = settings.windowSeconds * 1000
    this.#defaultMax = settings.maxRequests
    this.#now = now
  }

  async client(clientId: string, max: number | undefined): Promise<RateDecision> {
    const limit = max ?? this.#defaultMax
    const { key, resetsAt } = this.#window(`rate:client:${clientId}`)
    const count = await this.#store.increment(key, this.#windowMs)
    return count <= limit ? ALLOWED : this.#refused(limit, resetsAt)
  }

  async tokenAttempt(clientId: string | undefined, address: string): Promise<RateDecision> {
    const { key, resetsAt } = this.#window(`rate:token:${tokenKey(clientId, address)}`)
    const failures = Number((await this.#store.get(key)) ?? 0)
    return failures < TOKEN_FAILURES ? ALLOWED : this.#refused(TOKEN_FAILURES, resetsAt)
  }

  tokenFailed(clientId: string | undefined, address: string): void {
    const { key } = this.#window(`rate:token:${tokenKey(clientId, address)}`)
    // Counted after the answer is sent: nobody waits for it.
    void this.#store.increment(key, this.#windowMs)
  }

  /** The counter of the current window for `name`, and when that window ends. */
  #window(name: string): { key: string; resetsAt: number } {
    const index = Math.floor(this.#now() / this.#windowMs)
    return { key: `${name}:${index}`, resetsAt: (index + 1) * this.#windowMs }
  }

  #refused(limit: number, resetsAt: number): RateDecision {
    return { allowed: false, limit, retryAfterSeconds: Math.max(1, Math.ceil((resetsAt - this.#now()) / 1000)) }
  }
}
