/**
 * Repeated creates recognized across instances (README, "Running several instances"): a POS
 * retry storm spread by the load balancer over several gateways makes one customer.
 * ./create-dedup.ts recognizes a repeat within one instance; this is what it asks before a
 * create of its own reaches the CRM. In the shared store, per (client, body):
 *
 *   pending  an instance is creating it, until `until` (its request's deadline, plus a margin);
 *   done     created: the answered customer, replayed to every repeat;
 *   unknown  its outcome is unknown (a timeout…): the next attempt first looks for what it made.
 *
 * A repeat that finds it pending waits for it (polling the store, until its own request's
 * signal fires); a pending record past its `until` — its owner's longest possible request,
 * `leaseMs` (the instance died mid-create) — is treated as unknown. An Idempotency-Key is bound to its body's hash, so a key reused with another body is
 * refused on every instance. Records live for the idempotency window.
 *
 * The store answers from this process's memory while Redis is away: repeats are then only
 * recognized within an instance (README states this).
 */
import { GatewayError } from '../spi/error-catalogue.js'
import { mayHaveApplied } from './resilience/failure-policy.js'
import type { SharedStore } from './shared-store.js'
import { sleep } from './wait-for.js'

export interface SharedCreateAttempt {
  /** The creation marker to store in the CRM record (the first attempt's, on every instance). */
  readonly marker: string
  readonly earlierOutcomeUnknown: boolean
}

type Record<T> =
  | { readonly state: 'pending'; readonly bodyHash: string; readonly marker: string; readonly until: number }
  | { readonly state: 'done'; readonly bodyHash: string; readonly marker: string; readonly value: T }
  | { readonly state: 'unknown'; readonly bodyHash: string; readonly marker: string }

export interface SharedCreatesOptions {
  readonly windowMs: number
  /** How long an instance may take over a create (its request deadline, and a margin). */
  readonly leaseMs: number
  /** How often a repeat looks whether the pending create it waits for has ended. */
  readonly pollMs?: number
}

export const DEFAULT_POLL_MS = 25

export class SharedCreates<T> {
  readonly #store: SharedStore
  readonly #windowMs: number
  readonly #pollMs: number
  readonly #leaseMs: number

  constructor(store: SharedStore, options: SharedCreatesOptions) {
    this.#store = store
    this.#windowMs = options.windowMs
    this.#pollMs = options.pollMs ?? DEFAULT_POLL_MS
    this.#leaseMs = options.leaseMs
  }

  /**
   * Runs `create` unless another instance ran (or runs) this create; then answers its customer.
   * `marker` is this instance's marker for a first attempt; `signal` (the request's) ends a wait.
   */
  async run(
    ids: { readonly client: string; readonly idempotencyKey: string | undefined; readonly bodyHash: string },
    marker: string,
    signal: AbortSignal,
    create: (attempt: SharedCreateAttempt) => Promise<T>
  ): Promise<{ value: T; replayed: boolean }> {
    const { client, idempotencyKey, bodyHash } = ids
    if (idempotencyKey !== undefined) {
      const bound = await this.#store.putIfAbsent(`create-key:${client}\u0000${idempotencyKey}`, bodyHash, this.#windowMs)
      if (bound !== null && bound !== bodyHash) throw new GatewayError('IDEMPOTENCY_KEY_REUSED')
    }
    const key = `create:${client}\u0000${bodyHash}`
    const pending = (m: string): string => JSON.stringify({ state: 'pending', bodyHash, marker: m, until: Date.now() + this.#leaseMs })
    for (;;) {
      const held = await this.#store.putIfAbsent(key, pending(marker), this.#windowMs)
      if (held === null) return { value: await this.#own(key, bodyHash, marker, false, create), replayed: false }
      const record = parse<T>(held)
      if (record === undefined) {
        // Not a record this code wrote (another version's?): this create goes on alone.
        return { value: await create({ marker, earlierOutcomeUnknown: false }), replayed: false }
      }
      if (record.state === 'done') return { value: record.value, replayed: true }
      const abandoned = record.state === 'pending' && Date.now() > record.until
      if (record.state === 'unknown' || abandoned) {
        // Take it over: its marker, and a look for what the earlier attempt made.
        await this.#store.put(key, pending(record.marker), this.#windowMs)
        return { value: await this.#own(key, bodyHash, record.marker, true, create), replayed: true }
      }
      // Another instance is creating it: wait for its outcome (the signal fires at our deadline).
      await sleep(this.#pollMs, signal)
    }
  }

  /** This instance makes the create, and records how it ended for the others. */
  async #own(key: string, bodyHash: string, marker: string, earlierOutcomeUnknown: boolean, create: (attempt: SharedCreateAttempt) => Promise<T>): Promise<T> {
    try {
      const value = await create({ marker, earlierOutcomeUnknown })
      await this.#store.put(key, JSON.stringify({ state: 'done', bodyHash, marker, value }), this.#windowMs)
      return value
    } catch (err) {
      if (mayHaveApplied(err)) await this.#store.put(key, JSON.stringify({ state: 'unknown', bodyHash, marker }), this.#windowMs)
      // The CRM did not create it: the POS's retry, on any instance, simply tries again.
      else await this.#store.remove(key)
      throw err
    }
  }
}

function parse<T>(text: string): Record<T> | undefined {
  try {
    const value = JSON.parse(text) as Partial<Record<T>> | null
    if (value === null || typeof value !== 'object' || typeof value.marker !== 'string' || typeof value.bodyHash !== 'string') return undefined
    if (value.state === 'pending' && typeof (value as { until?: unknown }).until === 'number') return value as Record<T>
    if (value.state === 'done' && 'value' in value) return value as Record<T>
    if (value.state === 'unknown') return value as Record<T>
    return undefined
  } catch {
    return undefined
  }
}
