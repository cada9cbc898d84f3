/**
 * The in-process SharedStore: what one instance shares with itself. The default (no
 * `state.redis.url`), and what the Redis store answers from while Redis is away. Entries
 * expire by the clock (`Date.now`, so tests' fake clocks apply); the oldest go first beyond
 * `maxEntries`, so a flood of keys cannot grow it without bound.
 */
import { reserveSlot } from '../core/resilience/pacer.js'
import type { SharedStore, SlotReservation, StoreStatus } from '../core/shared-store.js'

interface Entry {
  readonly value: string
  readonly expiresAt: number
}

export const DEFAULT_MAX_ENTRIES = 100_000

const LOCAL: StoreStatus = { mode: 'local' }

export class MemoryStore implements SharedStore {
  readonly #entries = new Map<string, Entry>()
  /** Granted slot times (ms) per rate, ascending; at most `calls`, some possibly in the future. */
  readonly #slots = new Map<string, number[]>()
  readonly #maxEntries: number

  constructor(maxEntries = DEFAULT_MAX_ENTRIES) {
    this.#maxEntries = maxEntries
  }

  status(): StoreStatus {
    return LOCAL
  }

  get(key: string): Promise<string | null> {
    return Promise.resolve(this.#live(key)?.value ?? null)
  }

  put(key: string, value: string, ttlMs: number): Promise<void> {
    this.#entries.delete(key)
    this.#entries.set(key, { value, expiresAt: Date.now() + ttlMs })
    // A Map keeps insertion order: the first key is the oldest.
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next()
      if (oldest.done === true) break
      this.#entries.delete(oldest.value)
    }
    return Promise.resolve()
  }

  async putIfAbsent(key: string, value: string, ttlMs: number): Promise<string | null> {
    const held = this.#live(key)
    if (held !== undefined) return held.value
    await this.put(key, value, ttlMs)
    return null
  }

  remove(key: string): Promise<void> {
    this.#entries.delete(key)
    return Promise.resolve()
  }

  async increment(key: string, ttlMs: number): Promise<number> {
    const held = this.#live(key)
    const count = (held === undefined ? 0 : Number(held.value) || 0) + 1
    if (held === undefined) await this.put(key, String(count), ttlMs)
    else this.#entries.set(key, { value: String(count), expiresAt: held.expiresAt })
    return count
  }

  reserveSlot(key: string, calls: number, perMs: number, maxWaitMs: number): Promise<SlotReservation> {
    let slots = this.#slots.get(key)
    if (slots === undefined) {
      slots = []
      this.#slots.set(key, slots)
    }
    return Promise.resolve(reserveSlot(slots, Date.now(), calls, perMs, maxWaitMs))
  }

  removeIf(key: string, value: string): Promise<void> {
    if (this.#live(key)?.value === value) this.#entries.delete(key)
    return Promise.resolve()
  }

  /** One instance: nobody else to tell. */
  publish(): Promise<void> {
    return Promise.resolve()
  }

  /** One instance: nobody else publishes. */
  subscribe(): void {}

  close(): Promise<void> {
    this.#entries.clear()
    this.#slots.clear()
    return Promise.resolve()
  }

  /** Entries held, expired ones included until they are read (for tests). */
  get size(): number {
    return this.#entries.size
  }

  #live(key: string): Entry | undefined {
    const entry = this.#entries.get(key)
    if (entry === undefined) return undefined
    if (entry.expiresAt > Date.now()) return entry
    this.#entries.delete(key)
    return undefined
  }
}
