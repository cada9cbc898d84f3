/**
 * One at a time per key, inside this instance: updates of one customer are read-modify-write
 * (the address list is appended to), so two concurrent updates must not interleave or the
 * second would overwrite the first's addresses.
 */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<unknown>>()

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve()
    const current = previous.then(task, task)
    // The tail never rejects, so a failed task does not poison the queue.
    const tail = current.then(noop, noop)
    this.#tails.set(key, tail)
    try {
      return await current
    } finally {
      if (this.#tails.get(key) === tail) this.#tails.delete(key)
    }
  }

  /** Keys with a task running or queued (for tests and metrics). */
  get size(): number {
    return this.#tails.size
  }
}

function noop(): void {}
