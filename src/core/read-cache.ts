/**
 * GET_CUSTOMER's read cache (DESIGN §5): SPI answers as UTF-8 JSON bytes (a hit costs no
 * serialization and no encoding: the bytes go to the socket as they are) keyed by `<adapter>:<customerId>`, bounded by bytes (lru-cache's maxSize),
 * fresh for `ttlMs`. Concurrent misses for one key make one CRM call. When the CRM fails, an
 * entry younger than `maxStaleMs` is served and marked stale. Errors and "not found" are never
 * cached. lru-cache: https://isaacs.github.io/node-lru-cache/
 *
 * A shared load belongs to no single caller: it runs under a call context of its own whose
 * deadline is the longest remaining one among its waiters, and which is cancelled only when
 * every waiter has gone. A device that gives up leaves alone; the others keep waiting, each
 * until its own deadline (and then get a stale entry if there is one, or its timeout).
 */
import { LRUCache } from 'lru-cache'
import { isClientError } from '../spi/error-catalogue.js'
import type { CallContext } from './port.js'
import { waitFor } from './wait-for.js'

export interface ReadCacheOptions {
  readonly maxBytes: number
  readonly ttlMs: number
  readonly maxStaleMs: number
}

export type CacheOutcome = 'hit' | 'miss' | 'coalesced' | 'stale'

export interface CachedRead {
  /** The customer as UTF-8 JSON, or null when the CRM says there is no such customer. */
  readonly body: Buffer | null
  readonly outcome: CacheOutcome
  /** Seconds since the CRM gave this answer. */
  readonly ageSeconds: number
}

interface Entry {
  readonly body: Buffer
  readonly storedAt: number
}

interface InFlight {
  readonly promise: Promise<Buffer | null>
  /** A write landed while this read was in flight: its (older) answer must not be stored. */
  superseded: boolean
  /** Callers waiting for it right now. */
  waiters: number
  /** The longest deadline among the callers that joined (epoch ms), if all had one. */
  deadlineAt: number | undefined
  /** Fires when the last waiter has gone: nothing more is tried for nobody. */
  readonly controller: AbortController
  /** The load has ended: nothing left to cancel. */
  settled: boolean
}

/** What loads a customer's JSON (null: no such customer) under the call context it is given. */
export type Loader = (ctx: CallContext) => Promise<string | null>

/**
 * Per-entry memory beyond the JSON bytes and the key, so that the bound bounds what entries
 * really cost: the entry, its Buffer object, the key's Map slot and lru-cache's arrays (~408
 * bytes of V8 heap per entry, its ~32-byte key string included, measured by the bench's cache
 * fill after full GCs) and the Buffer's native side — backing-store bookkeeping and malloc
 * headers, invisible to V8's counters: ~237 bytes of RSS per unpooled Buffer beyond its bytes
 * and heap, measured on 300,000 of them. See BENCHMARKS.md.
 */
export const ENTRY_OVERHEAD_BYTES = 384 + 237

export class ReadCache {
  readonly #lru: LRUCache<string, Entry>
  readonly #inFlight = new Map<string, InFlight>()
  readonly #options: ReadCacheOptions

  constructor(options: ReadCacheOptions) {
    this.#options = options
    this.#lru = new LRUCache<string, Entry>({
      maxSize: Math.max(1, options.maxBytes),
      // Keys are ids: V8 keeps ASCII strings one byte a character, others two.
      sizeCalculation: (entry, key) => entry.body.byteLength + stringBytes(key) + ENTRY_OVERHEAD_BYTES
    })
  }

  /**
   * The cached answer if fresh; else one load shared by every concurrent caller, each waiting
   * until its own `ctx.signal` fires at most. On a load failure (or the caller's deadline), a
   * stale-enough entry is served instead — unless the failure is the caller's (client-class),
   * which is always passed on.
   */
  async read(key: string, ctx: CallContext, load: Loader): Promise<CachedRead> {
    const now = Date.now()
    const entry = this.#lru.get(key)
    if (entry && now - entry.storedAt < this.#options.ttlMs) {
      return { body: entry.body, outcome: 'hit', ageSeconds: age(now, entry) }
    }
    const pending = this.#inFlight.get(key)
    const outcome: CacheOutcome = pending ? 'coalesced' : 'miss'
    const flight = pending ?? this.#start(key, ctx, load)
    this.#join(flight, ctx)
    try {
      const body = await waitFor(flight.promise, ctx.signal)
      return { body, outcome, ageSeconds: 0 }
    } catch (err) {
      const fallback = this.#lru.get(key)
      const at = Date.now()
      if (fallback && !isClientError(err) && at - fallback.storedAt < this.#options.maxStaleMs) {
        return { body: fallback.body, outcome: 'stale', ageSeconds: age(at, fallback) }
      }
      throw err
    } finally {
      this.#leave(flight, ctx)
    }
  }

  /** Write-through after a create or update: the CRM's answer replaces the entry. */
  write(key: string, json: string): void {
    const pending = this.#inFlight.get(key)
    if (pending) pending.superseded = true
    this.#lru.set(key, { body: ownBytes(json), storedAt: Date.now() })
  }

  delete(key: string): void {
    const pending = this.#inFlight.get(key)
    if (pending) pending.superseded = true
    this.#lru.delete(key)
  }

  /**
   * Drops every entry, and keeps any read in flight from storing its answer: for when writes
   * elsewhere may have been missed (another instance's, during a lost connection).
   */
  clear(): void {
    for (const flight of this.#inFlight.values()) flight.superseded = true
    this.#lru.clear()
  }

  get sizeBytes(): number {
    return this.#lru.calculatedSize
  }

  get entries(): number {
    return this.#lru.size
  }

  #start(key: string, first: CallContext, load: Loader): InFlight {
    const waiting = { superseded: false, waiters: 0, deadlineAt: first.deadlineAt, controller: new AbortController(), settled: false }
    // The load's own call context: cancelled with the last waiter, its deadline the longest.
    const shared: CallContext = {
      signal: waiting.controller.signal,
      log: first.log,
      requestId: first.requestId,
      get deadlineAt() {
        return waiting.deadlineAt
      }
    }
    const promise = load(shared)
      .then((json) => {
        const body = json === null ? null : ownBytes(json)
        if (!flight.superseded) {
          // Not found is never cached; a customer that vanished leaves no stale copy either.
          if (body === null) this.#lru.delete(key)
          else this.#lru.set(key, { body, storedAt: Date.now() })
        }
        return body
      })
      .finally(() => {
        flight.settled = true
        if (this.#inFlight.get(key) === flight) this.#inFlight.delete(key)
      })
    const flight: InFlight = Object.assign(waiting, { promise })
    this.#inFlight.set(key, flight)
    return flight
  }

  #join(flight: InFlight, ctx: CallContext): void {
    flight.waiters++
    const a = flight.deadlineAt
    const b = ctx.deadlineAt
    flight.deadlineAt = a === undefined || b === undefined ? undefined : Math.max(a, b)
  }

  /** The last waiter leaving — answered, or gone — ends whatever is left of the load. */
  #leave(flight: InFlight, ctx: CallContext): void {
    flight.waiters--
    // A load that has ended (the usual case: its answer is why the waiter leaves) has nothing to
    // cancel; aborting it anyway cost every cache miss a DOMException (BENCHMARKS.md, change 14).
    if (flight.waiters === 0 && !flight.settled) flight.controller.abort(ctx.signal.reason)
  }
}

// eslint-disable-next-line no-control-regex -- the point is to find non-Latin-1 characters
const WIDE = /[^\u0000-\u00ff]/

function stringBytes(s: string): number {
  return WIDE.test(s) ? s.length * 2 : s.length
}

/**
 * The text's UTF-8 bytes in a Buffer of their own, outside V8's heap: a cache full to its
 * bound holds its bound in bytes, and the garbage collector neither copies nor scans them.
 * Not Buffer.from(): below 4 KB it returns a slice of a shared 8 KB pool, and a cached slice
 * would keep its whole pool alive. (Kept as strings, a full 64 MiB cache took 67 MiB of heap
 * at best, 123 MiB before the strings were flattened: BENCHMARKS.md.)
 */
function ownBytes(text: string): Buffer {
  const bytes = Buffer.allocUnsafeSlow(Buffer.byteLength(text))
  bytes.write(text)
  return bytes
}

function age(now: number, entry: Entry): number {
  return Math.max(0, Math.floor((now - entry.storedAt) / 1000))
}
