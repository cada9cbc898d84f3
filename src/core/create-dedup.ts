/**
 * Idempotent CREATE_CUSTOMER (CONTRACT §4): the POS may send a create twice (an associate
 * retrying after a timeout). Within the window, a create from the same client with the same
 * `Idempotency-Key` — or the same body (key order aside) — is the same create: it joins the
 * first while that is running, answers its customer once it succeeded, and reaches the CRM
 * once. A used key with a different body is refused.
 *
 * What a create's failure leaves behind decides what its retry does:
 * - the CRM refused it, or it never reached the CRM (a validation error, a throttle, a refused
 *   connection): forgotten, so the retry simply tries again;
 * - its outcome is unknown (a timeout, a broken connection, an unreadable answer: the CRM may
 *   have created the customer): remembered for the whole window, and the retry is told so
 *   (`earlierOutcomeUnknown`), so that it first looks for what the first attempt made.
 *
 * Every create carries a `marker`, a fingerprint of (client, body, window) the customer service
 * stores in the CRM record, so that a create is found again by whoever retries it — here, on
 * another instance, or after a restart (`markersFor`).
 */
import { createHash } from 'node:crypto'
import { LRUCache } from 'lru-cache'
import { GatewayError } from '../spi/error-catalogue.js'
import { MAX_JSON_DEPTH } from '../spi/json-depth.js'
import { waitFor } from './wait-for.js'
import { mayHaveApplied } from './resilience/failure-policy.js'
import type { SharedCreates } from './shared-creates.js'

export interface CreateDedupOptions {
  readonly windowSeconds: number
  readonly maxEntries: number
  /**
   * Bound on what the remembered creates hold (keys and answered customers, estimated), on top
   * of `maxEntries`: both come from requests, so a count alone would not bound the memory.
   * Default DEFAULT_MAX_BYTES.
   */
  readonly maxBytes?: number
  /** Repeats recognized across instances too (./shared-creates.ts); none: within this instance. */
  readonly shared?: SharedCreates<unknown>
}

export const DEFAULT_MAX_BYTES = 32 * 1024 * 1024

/**
 * An entry's cost beyond its key and its answer: the entry and state objects, the body hash
 * and marker strings, lru-cache's slots. An estimate on the safe side, as is counting an
 * answer at twice its JSON length (objects cost more in the heap than their JSON text).
 */
const ENTRY_OVERHEAD_BYTES = 512

export interface CreateAttempt {
  /** The creation marker to store in the CRM record. */
  readonly marker: string
  /** An earlier attempt of this create may have created the customer: look for it first. */
  readonly earlierOutcomeUnknown: boolean
}

interface Entry<T> {
  readonly bodyHash: string
  readonly marker: string
  readonly at: number
  /** The answered customer's estimated size, once done. */
  answerBytes: number
  state: { readonly kind: 'pending'; readonly result: Promise<T> } | { readonly kind: 'done'; readonly value: T } | { readonly kind: 'unknown' }
}

export type DedupOutcome = 'first' | 'replayed'

export class CreateDedup<T> {
  readonly #entries: LRUCache<string, Entry<T>>
  readonly #windowMs: number
  readonly #shared: SharedCreates<unknown> | undefined

  /** `windowSeconds` > 0: a window of 0 means no repeated-create detection, hence no CreateDedup. */
  constructor(options: CreateDedupOptions) {
    if (!(options.windowSeconds > 0)) throw new RangeError('CreateDedup: windowSeconds must be positive')
    this.#windowMs = options.windowSeconds * 1000
    this.#shared = options.shared
    this.#entries = new LRUCache<string, Entry<T>>({
      max: options.maxEntries,
      maxSize: options.maxBytes ?? DEFAULT_MAX_BYTES,
      // Keys hold a client's Idempotency-Key: counted at two bytes a character, V8's worst case.
      sizeCalculation: (entry, key) => 2 * key.length + ENTRY_OVERHEAD_BYTES + entry.answerBytes
    })
  }

  /** What the remembered creates are counted as holding, in bytes (for tests and metrics). */
  get bytes(): number {
    return this.#entries.calculatedSize
  }

  /**
   * Runs `create` unless the same create ran within the window; then joins or answers it.
   * `client` scopes keys and bodies: one client's never match another's. `signal` is the
   * caller's: it stops waiting for a create it joined (the create goes on for the others).
   * Whether a failure leaves the outcome unknown is failure-policy.ts's mayHaveApplied.
   */
  async run(
    client: string,
    idempotencyKey: string | undefined,
    body: unknown,
    signal: AbortSignal,
    create: (attempt: CreateAttempt) => Promise<T>
  ): Promise<{ value: T; outcome: DedupOutcome }> {
    const bodyHash = hashBody(body)
    const now = Date.now()
    const byBody = `${client}\u0000body\u0000${bodyHash}`
    const byKey = idempotencyKey === undefined ? undefined : `${client}\u0000key\u0000${idempotencyKey}`
    const existing = this.#live(byKey, now) ?? this.#live(byBody, now)
    if (existing && existing.bodyHash !== bodyHash) throw new GatewayError('IDEMPOTENCY_KEY_REUSED')
    if (existing?.state.kind === 'done') return { value: existing.state.value, outcome: 'replayed' }
    if (existing?.state.kind === 'pending') {
      try {
        return { value: await waitFor(existing.state.result, signal), outcome: 'replayed' }
      } catch (err) {
        // The create it joined ended without knowing whether it happened: a joiner with time
        // left does what any retry does next, and looks for it (the entry is 'unknown' now).
        const settled = existing.state as Entry<T>['state'] // set again by the create that ended
        if (signal.aborted || !mayHaveApplied(err) || settled.kind !== 'unknown') throw err
        return this.run(client, idempotencyKey, body, signal, create)
      }
    }

    // A retry of a create whose outcome is unknown keeps its first marker and its window.
    const entry: Entry<T> = existing ?? { bodyHash, marker: markerOf(client, bodyHash, now, this.#windowMs), at: now, answerBytes: 0, state: { kind: 'unknown' } }
    const attempt = { marker: entry.marker, earlierOutcomeUnknown: existing !== undefined }
    let replayedElsewhere = false
    // First here: another instance may have made (or be making) it; the shared store says.
    const result = this.#shared === undefined
      ? create(attempt)
      : this.#shared.run({ client, idempotencyKey, bodyHash }, entry.marker, signal, (a) => create({ marker: a.marker, earlierOutcomeUnknown: a.earlierOutcomeUnknown || attempt.earlierOutcomeUnknown })).then(({ value, replayed }) => {
          replayedElsewhere = replayed
          return value as T
        })
    entry.state = { kind: 'pending', result }
    this.#entries.set(byBody, entry)
    if (byKey !== undefined) this.#entries.set(byKey, entry)
    try {
      const value = await result
      entry.state = { kind: 'done', value }
      entry.answerBytes = 2 * (JSON.stringify(value)?.length ?? 0)
      this.#recount(byBody, entry)
      if (byKey !== undefined) this.#recount(byKey, entry)
      return { value, outcome: existing === undefined && !replayedElsewhere ? 'first' : 'replayed' }
    } catch (err) {
      if (mayHaveApplied(err)) {
        entry.state = { kind: 'unknown' }
      } else {
        // The CRM did not create it: the POS's retry must try again.
        if (this.#entries.get(byBody) === entry) this.#entries.delete(byBody)
        if (byKey !== undefined && this.#entries.get(byKey) === entry) this.#entries.delete(byKey)
      }
      throw err
    }
  }

  /**
   * The markers a create of this body by this client may carry if it was made within the
   * window: of this window and the one before (windows are fixed, so the first attempt may
   * have fallen into the previous one). For a create that knows nothing of an earlier attempt
   * (another instance made it, or this one restarted) and finds the customer exists already.
   */
  markersFor(client: string, body: unknown): string[] {
    const bodyHash = hashBody(body)
    const now = Date.now()
    return [markerOf(client, bodyHash, now, this.#windowMs), markerOf(client, bodyHash, now - this.#windowMs, this.#windowMs)]
  }

  /** lru-cache sizes an entry when it is set: set again (if still held) now that it holds an answer. */
  #recount(key: string, entry: Entry<T>): void {
    if (this.#entries.peek(key) !== entry) return
    this.#entries.delete(key)
    this.#entries.set(key, entry)
  }

  #live(key: string | undefined, now: number): Entry<T> | undefined {
    if (key === undefined) return undefined
    const entry = this.#entries.get(key)
    return entry && now - entry.at < this.#windowMs ? entry : undefined
  }
}

/**
 * The creation marker: 32 hex digits of SHA-256 over the client, the body's hash and the
 * window the create began in — the same on every instance, different for the same body sent
 * again in a later window (a different customer who happens to give the same details).
 */
function markerOf(client: string, bodyHash: string, at: number, windowMs: number): string {
  const window = Math.floor(at / windowMs)
  return createHash('sha256').update(`${client}\u0000${bodyHash}\u0000${window}`).digest('hex').slice(0, 32)
}

/** SHA-256 of the body's canonical JSON (keys sorted at every depth). */
export function hashBody(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('base64url')
}

/**
 * Recursive, one frame per level: bodies reach it checked against MAX_JSON_DEPTH (envelope.ts),
 * and a deeper value is refused here too (400, never a stack overflow's 500).
 */
export function canonicalJson(value: unknown, depth = 0): string {
  if (value !== null && typeof value === 'object' && depth >= MAX_JSON_DEPTH) {
    throw new GatewayError('INVALID_REQUEST', { params: { field: 'body', reason: 'tooDeep' } })
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v, depth + 1)).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort()
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k], depth + 1)}`).join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
}
