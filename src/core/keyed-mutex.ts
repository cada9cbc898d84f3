/**
 * One at a time per key, inside this instance: updates of one customer are read-modify-write
 * (the address list is appended to), so two concurrent updates must not interleave or the
 * second would overwrite the first's addresses.
 *
 * A task waiting its turn belongs to a caller with a deadline: when the caller's signal fires
 * while it waits (the deadline passed, the POS hung up), the caller is answered at once and the
 * task never runs — its turn is skipped, so nothing is done for a request nobody waits for.
 * Once a task runs, its caller waits for it: what it does with the signal is its own affair.
 */
import { abortReason, waitFor } from './wait-for.js'

export class KeyedMutex {
  readonly #tails = new Map<string, Promise<unknown>>()

  run<T>(key: string, task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve()
    const turn = (): Promise<T> => (signal?.aborted === true ? Promise.reject(abortReason(signal)) : task())
    const current = previous.then(turn, turn)
    // The tail never rejects, so a failed task does not poison the queue.
    const tail = current.then(noop, noop)
    this.#tails.set(key, tail)
    // Forgotten once its turn is over (not when a caller leaves early: later tasks still queue
    // behind that turn), unless another task queued behind it meanwhile.
    const forget = (): void => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key)
    }
    current.then(forget, forget)
    if (signal === undefined) return current
    // The caller may leave while it waits for its turn; once its task runs, the task answers
    // (it may be a write already sent, whose outcome the caller must hear).
    return waitFor(previous.then(noop, noop), signal).then(() => current)
  }

  /** Keys with a task running or queued (for tests and metrics). */
  get size(): number {
    return this.#tails.size
  }
}

function noop(): void {}
