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
 * The state is this process's; several instances share one account's rate only once a shared
 * store holds the slots (README, "Running several instances").
 */
import type { CallRate } from '../port.js'
import { CrmFailure } from '../port.js'
import { sleep } from '../wait-for.js'

export class Pacer {
  readonly #rate: CallRate
  /** Granted slot times (ms), ascending; at most `calls`, some possibly in the future. */
  readonly #slots: number[] = []

  constructor(rate: CallRate) {
    if (!(Number.isInteger(rate.calls) && rate.calls >= 1 && rate.perMs >= 1)) throw new Error(`bad call rate: ${rate.calls} per ${rate.perMs} ms`)
    this.#rate = rate
  }

  /**
   * Waits for this call's slot. Throws a `throttled` CrmFailure (with the seconds until the
   * slot) when the slot is later than `deadlineAt`, and the signal's reason if it fires first.
   */
  async take(signal: AbortSignal, deadlineAt: number | undefined): Promise<void> {
    const now = Date.now()
    const { calls, perMs } = this.#rate
    while (this.#slots.length > 0 && (this.#slots[0] ?? 0) <= now - perMs) this.#slots.shift()
    const last = this.#slots[this.#slots.length - 1] ?? now
    const windowFull = this.#slots.length >= calls ? (this.#slots[this.#slots.length - calls] ?? now) + perMs : now
    const slot = Math.max(now, last, windowFull)
    if (deadlineAt !== undefined && slot > deadlineAt) {
      throw new CrmFailure('throttled', {
        detail: `paced: the CRM's rate (${calls} per ${perMs} ms) has no slot before the request's deadline; CRM not called`,
        retryAfterSeconds: Math.max(1, Math.ceil((slot - now) / 1000))
      })
    }
    this.#slots.push(slot)
    if (this.#slots.length > calls) this.#slots.shift()
    if (slot > now) await sleep(slot - now, signal)
  }
}
