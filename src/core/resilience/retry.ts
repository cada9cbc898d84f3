/**
 * Retries for idempotent CRM calls: full-jitter exponential backoff (AWS Architecture Blog,
 * "Exponential Backoff And Jitter"), and never past the request's deadline — an associate is
 * waiting, so a retry that cannot finish in time is not started.
 */
import { isCrmFault } from './failure-policy.js'
import { sleep } from '../wait-for.js'

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
 * last error is the answer). `signal` is the caller's: once it fired, nothing more is tried.
 */
export async function withRetries<T>(
  call: () => Promise<T>,
  options: RetryOptions,
  signal: AbortSignal,
  deadlineAt: number | undefined,
  onRetry?: (attempt: number, err: unknown) => void
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call()
    } catch (err) {
      if (attempt + 1 >= options.maxAttempts || !isCrmFault(err) || signal.aborted) throw err
      const delay = backoffDelayMs(attempt, options)
      if (deadlineAt !== undefined && Date.now() + delay >= deadlineAt) throw err
      onRetry?.(attempt + 1, err)
      await sleep(delay, signal).catch(() => {
        throw err
      })
    }
  }
}
