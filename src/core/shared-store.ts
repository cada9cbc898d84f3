/**
 * What several gateway instances share (README, "Running several instances"): the core's port
 * to a shared store. In-process by default (src/state/memory-store.ts: `npm start` and the
 * embedded demo need nothing else); Redis when `state.redis.url` is set
 * (src/state/redis-store.ts).
 *
 * The store never fails a till: an implementation that cannot reach its server answers from
 * this process's memory instead (per-instance behaviour, as with no shared store at all), and
 * says so through `status()`. So every method resolves; none rejects because of the store.
 */

export type StoreStatus =
  /** In-process only: one instance, or shared state not configured. */
  | { readonly mode: 'local' }
  /** Shared with the other instances. */
  | { readonly mode: 'shared' }
  /** Configured to be shared, but the server cannot be reached: answering from this process. */
  | { readonly mode: 'degraded'; readonly reason: string }

export interface SlotReservation {
  readonly reserved: boolean
  readonly waitMs: number
}

export interface SharedStore {
  /** Connects, waiting at most `waitMs`; a store not reachable by then goes on trying (degraded). */
  connect?(waitMs: number): Promise<void>
  status(): StoreStatus
  /** The text at `key`, or null (absent, or expired). */
  get(key: string): Promise<string | null>
  /** Sets `key` for `ttlMs`. */
  put(key: string, value: string, ttlMs: number): Promise<void>
  /** Sets `key` for `ttlMs` unless it holds a value: null when set now, else the value it holds. */
  putIfAbsent(key: string, value: string, ttlMs: number): Promise<string | null>
  remove(key: string): Promise<void>
  /** Adds one to the counter at `key` (made with `ttlMs` to live) and answers its new value. */
  increment(key: string, ttlMs: number): Promise<number>
  /**
   * Reserves the next slot of a rate shared by the instances (`calls` in any `perMs`, a sliding
   * window, first come first served): `reserved` with the wait until it, or — when that wait
   * would exceed `maxWaitMs` — not reserved, with the wait it would have been.
   */
  reserveSlot(key: string, calls: number, perMs: number, maxWaitMs: number): Promise<SlotReservation>
  /** Removes `key` only while it holds `value` (a lease's release: never another holder's). */
  removeIf(key: string, value: string): Promise<void>
  /** Tells the other instances; this instance's own handlers are not called. */
  publish(topic: string, message: string): Promise<void>
  /**
   * `onMessage` for each message another instance publishes on `topic`. `onGap` when messages
   * may have been missed (the connection to the store was lost): what they would have said
   * must be assumed.
   */
  subscribe(topic: string, onMessage: (message: string) => void, onGap: () => void): void
  close(): Promise<void>
}

/** Whether `store` is configured to share state with other instances (Redis), reachable or not. */
export function isShared(store: SharedStore | undefined): store is SharedStore {
  return store !== undefined && store.status().mode !== 'local'
}
