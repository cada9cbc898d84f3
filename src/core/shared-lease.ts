/**
 * One update per customer at a time across instances (README, "Running several instances"),
 * for CRMs without optimistic concurrency (HubSpot): an update is read-modify-write (the
 * address list is appended to), so two instances updating one customer at once would lose one
 * of the changes. The instance holding a customer's lease does the update; the others wait for
 * it (polling, within their own request's deadline).
 *
 * A lease lasts `leaseMs`: the longest an update can take (its request's deadline bounds every
 * CRM call of it) plus a margin, so it cannot lapse while its holder still writes — the
 * fencing a CRM without conditional writes allows. It is released when the update ends, only
 * by its holder (a random token). While Redis is away the store answers from memory, so the
 * lease holds within the instance only (README).
 */
import { randomUUID } from 'node:crypto'
import type { SharedStore } from './shared-store.js'
import { sleep } from './wait-for.js'

export interface SharedLeaseOptions {
  readonly leaseMs: number
  /** How often a waiting update asks whether the lease is free. */
  readonly pollMs?: number
}

export const DEFAULT_LEASE_POLL_MS = 20

export class SharedLease {
  readonly #store: SharedStore
  readonly #leaseMs: number
  readonly #pollMs: number

  constructor(store: SharedStore, options: SharedLeaseOptions) {
    this.#store = store
    this.#leaseMs = options.leaseMs
    this.#pollMs = options.pollMs ?? DEFAULT_LEASE_POLL_MS
  }

  /** Runs `task` holding `key`'s lease; `signal` (the request's) ends a wait for it. */
  async run<T>(key: string, task: () => Promise<T>, signal: AbortSignal): Promise<T> {
    const lease = `lease:${key}`
    const token = randomUUID()
    while ((await this.#store.putIfAbsent(lease, token, this.#leaseMs)) !== null) await sleep(this.#pollMs, signal)
    try {
      return await task()
    } finally {
      await this.#store.removeIf(lease, token)
    }
  }
}
