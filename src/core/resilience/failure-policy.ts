/**
 * What each way a CRM call can fail means to the gateway — the one place where the port's
 * failure kinds (src/core/port.ts) become decisions and SPI error codes:
 *
 * | kind              | breaker counts it | idempotent call retried | a create may have happened | SPI code (status)            |
 * |-------------------|-------------------|-------------------------|----------------------------|------------------------------|
 * | unreachable       | yes               | yes                     | no                         | CRM_UNAVAILABLE (503)        |
 * | interrupted       | yes               | yes                     | yes                        | CRM_UNAVAILABLE (503)        |
 * | timeout           | yes               | yes                     | yes                        | CRM_TIMEOUT (504)            |
 * | failed            | yes               | yes                     | yes                        | CRM_ERROR (502)              |
 * | bad-response      | yes               | yes                     | yes                        | CRM_BAD_RESPONSE (502)       |
 * | throttled         | no                | no                      | no                         | CRM_RATE_LIMITED (429)       |
 * | quota-exhausted   | no                | no                      | no                         | CRM_QUOTA_EXHAUSTED (429)    |
 * | rejected          | no                | no                      | no                         | CRM_VALIDATION_FAILED (400)  |
 * | duplicate         | no                | no                      | no                         | DUPLICATE_CUSTOMER (409)     |
 * | conflict          | no                | no                      | no                         | UPDATE_CONFLICT (409)        |
 * | unsupported       | no                | no                      | no                         | INVALID_REQUEST, PAGING_OUT_OF_RANGE or SEARCH_PARAMETER_UNSUPPORTED (400) |
 * | misconfigured     | no                | no                      | no                         | INTERNAL_ERROR (500)         |
 *
 * A breaker judges the CRM's health: only the first five say something about it. Throttling
 * is the CRM working as designed; the others are about the request or our configuration.
 * Anything that is not a CrmFailure (a bug) is neither counted nor retried, and answers 500.
 */
import { isCrmFailure, type CrmFailure, type CrmFailureKind } from '../port.js'
import { GatewayError, isGatewayError, refusalError, DEFAULT_RETRY_AFTER_SECONDS, type ErrorCode } from '../../spi/error-catalogue.js'

const CRM_FAULTS: ReadonlySet<CrmFailureKind> = new Set(['unreachable', 'interrupted', 'timeout', 'failed', 'bad-response'])
const MAYBE_APPLIED: ReadonlySet<CrmFailureKind> = new Set(['interrupted', 'timeout', 'failed', 'bad-response'])

/** The CRM itself failed: counted by its breaker, and worth another attempt of an idempotent call. */
export function isCrmFault(err: unknown): boolean {
  return isCrmFailure(err) && CRM_FAULTS.has(err.kind)
}

/** The CRM asks us to hold off (a throttle or a spent quota). */
export function isThrottle(err: unknown): err is CrmFailure {
  return isCrmFailure(err) && (err.kind === 'throttled' || err.kind === 'quota-exhausted')
}

/**
 * Whether a create that failed this way may nevertheless have created the customer: the
 * request may have reached the CRM and the answer was lost or unreadable. Looks through the
 * SPI error the core made of it (its `cause`).
 */
export function mayHaveApplied(err: unknown): boolean {
  const failure = isGatewayError(err) ? err.cause : err
  return isCrmFailure(failure) && MAYBE_APPLIED.has(failure.kind)
}

/** The circuit is open: answered at once, without calling the CRM. */
export class CircuitOpen extends Error {
  readonly retryAfterSeconds: number
  constructor(retryAfterSeconds: number) {
    super('circuit open')
    this.name = 'CircuitOpen'
    this.retryAfterSeconds = retryAfterSeconds
  }
}

const CODES: Readonly<Record<Exclude<CrmFailureKind, 'unsupported'>, ErrorCode>> = {
  unreachable: 'CRM_UNAVAILABLE',
  interrupted: 'CRM_UNAVAILABLE',
  timeout: 'CRM_TIMEOUT',
  failed: 'CRM_ERROR',
  'bad-response': 'CRM_BAD_RESPONSE',
  throttled: 'CRM_RATE_LIMITED',
  'quota-exhausted': 'CRM_QUOTA_EXHAUSTED',
  rejected: 'CRM_VALIDATION_FAILED',
  duplicate: 'DUPLICATE_CUSTOMER',
  conflict: 'UPDATE_CONFLICT',
  misconfigured: 'INTERNAL_ERROR'
}

/**
 * A failure as the POS will be answered: a CrmFailure or an open circuit as its SPI error
 * (the CrmFailure kept as `cause`), any Retry-After clamped to `maxRetryAfterSeconds` — an
 * associate cannot wait for hours, whatever the CRM says. GatewayErrors pass as they are;
 * anything else (a bug) becomes INTERNAL_ERROR.
 */
export function toGatewayError(err: unknown, maxRetryAfterSeconds: number): GatewayError {
  if (isGatewayError(err)) return err
  const clamp = (seconds: number): number => Math.min(Math.max(1, seconds), maxRetryAfterSeconds)
  if (err instanceof CircuitOpen) return refusalError('CRM_UNAVAILABLE', { retryAfterSeconds: clamp(err.retryAfterSeconds), detail: 'circuit open' })
  if (!isCrmFailure(err)) return new GatewayError('INTERNAL_ERROR', { cause: err, detail: 'unexpected error from the CRM adapter' })
  const base = { cause: err, detail: `${err.kind}: ${err.message}` }
  // The core held the call back (a throttle gate, the pacer): the CRM was not asked, a refusal.
  const throttleError = err.refused ? refusalError : (code: ErrorCode, options: typeof base & { retryAfterSeconds: number }) => new GatewayError(code, options)
  switch (err.kind) {
    case 'unsupported':
      if (err.reason === 'paging') return new GatewayError('PAGING_OUT_OF_RANGE', { ...base, params: { field: err.field ?? 'offset', reason: 'offset' } })
      if (err.reason === 'value') return new GatewayError('INVALID_REQUEST', { ...base, params: { field: err.field ?? 'query', reason: 'invalid' } })
      return new GatewayError('SEARCH_PARAMETER_UNSUPPORTED', { ...base, params: { field: err.field ?? 'query' } })
    case 'throttled':
      return throttleError('CRM_RATE_LIMITED', { ...base, retryAfterSeconds: clamp(err.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS) })
    case 'quota-exhausted':
      // A spent quota renews in hours: without the CRM's word, the longest wait we may ask.
      return throttleError('CRM_QUOTA_EXHAUSTED', { ...base, retryAfterSeconds: clamp(err.retryAfterSeconds ?? maxRetryAfterSeconds) })
    case 'rejected':
      return new GatewayError('CRM_VALIDATION_FAILED', { ...base, ...(err.field === undefined ? {} : { params: { field: err.field } }) })
    default:
      return new GatewayError(CODES[err.kind], base)
  }
}
