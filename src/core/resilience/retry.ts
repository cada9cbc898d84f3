/**
 * Retries for idempotent CRM calls: full-jitter exponential backoff (AWS Architecture Blog,
 * "Exponential Backoff And Jitter"), and never past the request's deadline — an associate is
 * waiting, so a retry that cannot finish in time is not started.
 */
import { isCrmFault } from './failure-policy.js'
import { sleep } from '../wait-for.js'
import type { CallContext } from '../port.js'

export interface RetryOptions {
  readonly maxAttempts: number
  readonly baseDelayMs: number
  readonly maxDelayMs: number
}

export function backoffDelayMs(attempt: number, options: RetryOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** attempt)
  return Math.floor(random() * ceiling)
}

/**
 * Runs `call` up to maxAttempts times while it fails with a CRM fault (failure-policy.ts: an
 * open circuit and throttling are answered at once, never retried or waited on). Between
 * attempts waits a jittered delay, unless that delay would end past `deadlineAt` (then the
 * last error is the answer). `caller.signal` fires when the caller stops waiting: once it has,
 * nothing more is tried. It is read only when a retry is considered (reading a request's
 * signal arms its timer: src/http/call-context.ts).
 */
export async function withRetries<T>(
  call: () => Promise<T>,
  options: RetryOptions,
  caller: Pick<CallContext, 'signal' | 'deadlineAt'>,
  onRetry?: (attempt: number, err: unknown) => void
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call()
    } catch (err) {
      if (attempt + 1 >= options.maxAttempts || !isCrmFault(err) || caller.signal.aborted) throw err
      const delay = backoffDelayMs(attempt, options)
      if (caller.deadlineAt !== undefined && Date.now() + delay >= caller.deadlineAt) throw err
      onRetry?.(attempt + 1, err)
      await sleep(delay, caller.signal).catch(() => {
        throw err
      })
    }
  }
}
