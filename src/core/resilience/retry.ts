/**
 * Retries for idempotent CRM calls: full-jitter exponential backoff (AWS Architecture Blog,
 * "Exponential Backoff And Jitter"), and never past the request's deadline — an associate is
 * waiting, so a retry that cannot finish in time is not started.
 */
import { GatewayError, isGatewayError } from '../../spi/error-catalogue.js'
import { CircuitOpenError } from './breakers.js'

export interface RetryOptions {
  readonly maxAttempts: number
  readonly baseDelayMs: number
  readonly maxDelayMs: number
}

/** Failures worth another attempt: the CRM failing transiently. */
export function isRetryable(err: unknown): boolean {
  if (!isGatewayError(err)) return false
  switch (err.code) {
    case 'CRM_ERROR':
    case 'CRM_BAD_RESPONSE':
    case 'CRM_TIMEOUT':
      return true
    case 'CRM_UNAVAILABLE':
      // An open circuit answers at once on purpose: retrying it is pointless.
      return !(err instanceof CircuitOpenError)
    default:
      // Throttling is answered at once with Retry-After (the POS decides), never waited on.
      return false
  }
}

export function backoffDelayMs(attempt: number, options: RetryOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** attempt)
  return Math.floor(random() * ceiling)
}

/**
 * Runs `call` up to maxAttempts times. Between attempts waits a jittered delay, unless that
 * delay would end past `deadlineAt` (then the last error is the answer). `signal` aborts the
 * wait.
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
      if (attempt + 1 >= options.maxAttempts || !isRetryable(err) || signal.aborted) throw err
      const delay = backoffDelayMs(attempt, options)
      if (deadlineAt !== undefined && Date.now() + delay >= deadlineAt) throw err
      onRetry?.(attempt + 1, err)
      await sleep(delay, signal).catch(() => {
        throw err
      })
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(new GatewayError('CRM_TIMEOUT', { detail: 'aborted during backoff' }))
    }
    signal.addEventListener('abort', onAbort, { once: true })
  })
}
