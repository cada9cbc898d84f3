/**
 * Pacing calls to a CRM's published request rate (src/core/port.ts `callRates`: HubSpot's
 * search, five per second per account). A call that would exceed the rate waits for its slot
 * if the slot comes before the request's deadline; otherwise it is refused at once, saying
 * when a slot frees up, without reaching the CRM — a 429 from the CRM would cost the same wait
 * and, on HubSpot, count against the account.
 *
 * The window is sliding: a slot at time t is granted when fewer than `calls` slots were granted
 * in (t − perMs, t]. Slots are reserved in order, so waiting callers go first come, first served.
 * A caller that leaves while waiting keeps its slot spent: cheaper than re-planning the queue,
 * and never more calls than the rate.
 * `Pacer` keeps the slots in this process; `SharedPacer` in the shared store, so that several
 * instances spend one account's rate together (README, "Running several instances").
 */
import type { CallRate } from '../port.js'
import { CrmFailure } from '../port.js'
import type { SharedStore } from '../shared-store.js'
import { sleep } from '../wait-for.js'
import { withoutStack } from '../without-stack.js'

/** What the resilience layer asks of a pacer. */
export interface Pacing {
  /**
   * Waits for this call's slot. Throws a `throttled` CrmFailure (with the seconds until the
   * slot) when the slot is later than `deadlineAt`, and the signal's reason if it fires first.
   * Resolves to the milliseconds it had to wait (0: a slot was free), which the metrics count
   * as the rate's usage (src/observability/metrics.ts, crm_paced_calls_total).
   */
  take(signal: AbortSignal, deadlineAt: number | undefined): Promise<number>
}

function refusal(rate: CallRate, waitMs: number): CrmFailure {
  return withoutStack(
    () =>
      new CrmFailure('throttled', {
        detail: `paced: the CRM's rate (${rate.calls} per ${rate.perMs} ms) has no slot before the request's deadline; CRM not called`,
        retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)),
        refused: true
      })
  )
}

function checkRate(rate: CallRate): void {
  if (!(Number.isInteger(rate.calls) && rate.calls >= 1 && rate.perMs >= 1)) throw new Error(`bad call rate: ${rate.calls} per ${rate.perMs} ms`)
}

/**
 * The sliding window's next slot: the latest of now, the last slot granted, and the slot
 * `calls` back plus `perMs`. `slots` (granted times, ascending) is trimmed to the window and,
 * when the slot is granted (at most `maxWaitMs` away), takes it. The one algorithm of both
 * pacers: this process's (below) and the in-process store's (src/state/memory-store.ts); the
 * Redis store runs the same steps as a script.
 */
export function reserveSlot(slots: number[], now: number, calls: number, perMs: number, maxWaitMs: number): { reserved: boolean; waitMs: number } {
  while (slots.length > 0 && (slots[0] ?? 0) <= now - perMs) slots.shift()
  const last = slots[slots.length - 1] ?? now
  const windowFull = slots.length >= calls ? (slots[slots.length - calls] ?? now) + perMs : now
  const slot = Math.max(now, last, windowFull)
  if (slot - now > maxWaitMs) return { reserved: false, waitMs: slot - now }
  slots.push(slot)
  if (slots.length > calls) slots.shift()
  return { reserved: true, waitMs: slot - now }
}

export class Pacer implements Pacing {
  readonly #rate: CallRate
  /** Granted slot times (ms), ascending; at most `calls`, some possibly in the future. */
  readonly #slots: number[] = []

  constructor(rate: CallRate) {
    checkRate(rate)
    this.#rate = rate
  }

  async take(signal: AbortSignal, deadlineAt: number | undefined): Promise<number> {
    const now = Date.now()
    const maxWaitMs = deadlineAt === undefined ? Number.POSITIVE_INFINITY : deadlineAt - now
    const { reserved, waitMs } = reserveSlot(this.#slots, now, this.#rate.calls, this.#rate.perMs, maxWaitMs)
    if (!reserved) throw refusal(this.#rate, waitMs)
    if (waitMs > 0) await sleep(waitMs, signal)
    return waitMs
  }
}

/**
 * The same pacing, its slots in the shared store (one sliding window for every instance).
 *
 * A slot is granted on the store's clock and used on this instance's, after a round trip and
 * a timer: calls of one slot leave the instances a few milliseconds apart, so a window of
 * exactly `perMs` let calls reach the CRM closer than its rate (measured: two of twelve
 * HubSpot searches over three gateways refused). The window is widened by SLOT_MARGIN.
 */
export const SLOT_MARGIN = 0.1

export class SharedPacer implements Pacing {
  readonly #store: SharedStore
  readonly #key: string
  readonly #rate: CallRate
  readonly #windowMs: number

  constructor(store: SharedStore, key: string, rate: CallRate) {
    checkRate(rate)
    this.#store = store
    this.#key = key
    this.#rate = rate
    this.#windowMs = Math.ceil(rate.perMs * (1 + SLOT_MARGIN))
  }

  async take(signal: AbortSignal, deadlineAt: number | undefined): Promise<number> {
    const maxWaitMs = deadlineAt === undefined ? Number.POSITIVE_INFINITY : deadlineAt - Date.now()
    const { reserved, waitMs } = await this.#store.reserveSlot(this.#key, this.#rate.calls, this.#windowMs, maxWaitMs)
    if (!reserved) throw refusal(this.#rate, waitMs)
    if (waitMs > 0) await sleep(waitMs, signal)
    return waitMs
  }
}
