/**
 * Waiting for work shared by concurrent calls (a token or CSRF fetch that serves every caller
 * at once), as one call waits for it: the call stops waiting when its own attempt's signal
 * fires, answering `timeout`, while the work goes on for the others. Its rejection is
 * handled even once nobody waits.
 */
import { CrmFailure } from '../../src/core/port.js'

/** `shared`'s outcome, or a `timeout` failure (with `detail`) as soon as `signal` fires. */
export async function waitShared<T>(shared: Promise<T>, signal: AbortSignal, detail: string): Promise<T> {
  const timeUp = (): CrmFailure => new CrmFailure('timeout', { detail })
  if (signal.aborted) throw timeUp()
  let leave = (): void => undefined
  const left = new Promise<never>((_resolve, reject) => {
    leave = () => reject(timeUp())
    signal.addEventListener('abort', leave, { once: true })
  })
  try {
    return await Promise.race([shared, left])
  } finally {
    signal.removeEventListener('abort', leave)
  }
}
