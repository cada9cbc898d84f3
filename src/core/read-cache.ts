/**
 * GET_CUSTOMER's read cache (DESIGN §5): SPI answers (serialized JSON, so a hit costs no
 * serialization) keyed by `<adapter>:<customerId>`, bounded by bytes (lru-cache's maxSize),
 * fresh for `ttlMs`. Concurrent misses for one key make one CRM call. When the CRM fails, an
 * entry younger than `maxStaleMs` is served and marked stale. Errors and "not found" are never
 * cached. lru-cache: https://isaacs.github.io/node-lru-cache/
 */
import { LRUCache } from 'lru-cache'
import { isClientError } from '../spi/error-catalogue.js'

export interface ReadCacheOptions {
  readonly maxBytes: number
  readonly ttlMs: number
  readonly maxStaleMs: number
}

export type CacheOutcome = 'hit' | 'miss' | 'coalesced' | 'stale'

export interface CachedRead {
  /** The customer as JSON, or null when the CRM says there is no such customer. */
  readonly json: string | null
  readonly outcome: CacheOutcome
  /** Seconds since the CRM gave this answer. */
  readonly ageSeconds: number
}

interface Entry {
  readonly json: string
  readonly storedAt: number
}

interface InFlight {
  readonly promise: Promise<string | null>
  /** A write landed while this read was in flight: its (older) answer must not be stored. */
  superseded: boolean
}

/** Per-entry bookkeeping beyond the JSON itself (key, timestamps, LRU node), in bytes. */
const ENTRY_OVERHEAD_BYTES = 160

export class ReadCache {
  readonly #lru: LRUCache<string, Entry>
  readonly #inFlight = new Map<string, InFlight>()
  readonly #options: ReadCacheOptions

  constructor(options: ReadCacheOptions) {
    this.#options = options
    this.#lru = new LRUCache<string, Entry>({
      maxSize: Math.max(1, options.maxBytes),
      // V8 keeps ASCII strings one byte a character; others take two (see compact()).
      sizeCalculation: (entry, key) => stringBytes(entry.json) + stringBytes(key) + ENTRY_OVERHEAD_BYTES
    })
  }

  /**
   * The cached answer if fresh; else one load shared by every concurrent caller. On a load
   * failure, a stale-enough entry is served instead — unless the failure is the caller's
   * (client-class), which is always passed on.
   */
  async read(key: string, load: () => Promise<string | null>): Promise<CachedRead> {
    const now = Date.now()
    const entry = this.#lru.get(key)
    if (entry && now - entry.storedAt < this.#options.ttlMs) {
      return { json: entry.json, outcome: 'hit', ageSeconds: age(now, entry) }
    }
    const pending = this.#inFlight.get(key)
    const outcome: CacheOutcome = pending ? 'coalesced' : 'miss'
    try {
      const json = await (pending ?? this.#start(key, load)).promise
      return { json, outcome, ageSeconds: 0 }
    } catch (err) {
      const fallback = this.#lru.get(key)
      const at = Date.now()
      if (fallback && !isClientError(err) && at - fallback.storedAt < this.#options.maxStaleMs) {
        return { json: fallback.json, outcome: 'stale', ageSeconds: age(at, fallback) }
      }
      throw err
    }
  }

  /** Write-through after a create or update: the CRM's answer replaces the entry. */
  write(key: string, json: string): void {
    const pending = this.#inFlight.get(key)
    if (pending) pending.superseded = true
    this.#lru.set(key, { json: compact(json), storedAt: Date.now() })
  }

  delete(key: string): void {
    const pending = this.#inFlight.get(key)
    if (pending) pending.superseded = true
    this.#lru.delete(key)
  }

  get sizeBytes(): number {
    return this.#lru.calculatedSize
  }

  get entries(): number {
    return this.#lru.size
  }

  #start(key: string, load: () => Promise<string | null>): InFlight {
    const flight: InFlight = {
      superseded: false,
      promise: load().then(
        (json) => {
          if (!flight.superseded) {
            // Not found is never cached; a customer that vanished leaves no stale copy either.
            if (json === null) this.#lru.delete(key)
            else this.#lru.set(key, { json: compact(json), storedAt: Date.now() })
          }
          return json
        }
      ).finally(() => {
        if (this.#inFlight.get(key) === flight) this.#inFlight.delete(key)
      })
    }
    this.#inFlight.set(key, flight)
    return flight
  }
}

// eslint-disable-next-line no-control-regex -- the point is to find non-Latin-1 characters
const WIDE = /[^\u0000-\u00ff]/

function stringBytes(s: string): number {
  return WIDE.test(s) ? s.length * 2 : s.length
}

/**
 * The same text in a string that takes what sizeCalculation counts. JSON.stringify's result
 * is built in pieces and holds about 2.2 bytes a character (1,300 characters of customer JSON
 * measured 2.8 KB of heap each, BENCHMARKS.md): kept as is, a full cache took twice its bound.
 * A copy through a Buffer is one flat string, one byte a character (two when it must).
 */
function compact(json: string): string {
  return WIDE.test(json) ? Buffer.from(json, 'utf16le').toString('utf16le') : Buffer.from(json, 'latin1').toString('latin1')
}

function age(now: number, entry: Entry): number {
  return Math.max(0, Math.floor((now - entry.storedAt) / 1000))
}
