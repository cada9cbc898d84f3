/**
 * Waiting for work without owning it: the caller stops waiting when its signal fires (its
 * deadline passed, the POS hung up) while the work goes on for whoever else depends on it — a
 * CRM attempt the breaker must see to its end, a load other devices wait on, a create whose
 * outcome a retry will ask for.
 */

/**
 * Settles as `work` does, or rejects with `signal.reason` as soon as the signal fires, whichever
 * comes first. `work` is never cancelled; its later rejection is handled, never unhandled.
 */
export function waitFor<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  work.catch(noop)
  if (signal.aborted) return Promise.reject(abortReason(signal))
  let leave = noop
  const left = new Promise<never>((_resolve, reject) => {
    leave = (): void => reject(abortReason(signal))
    signal.addEventListener('abort', leave, { once: true })
  })
  return Promise.race([work, left]).finally(() => signal.removeEventListener('abort', leave))
}

/** Why the signal fired: the reason it was aborted with (the gateway always gives an Error). */
export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason
  return reason instanceof Error ? reason : new Error('aborted')
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it fires. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(abortReason(signal))
      return
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(abortReason(signal))
    }
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

function noop(): void {}
