/**
 * The one error catalogue: every failure the gateway answers with has a stable code here,
 * its HTTP status (CONTRACT.md §5) and its class. Messages live in ./messages.ts, localized.
 *
 * Class decides resilience behaviour: `client` errors (bad input, not found, duplicate) are
 * the caller's and never trip a circuit breaker; `upstream` errors are the CRM's and do.
 */
import { withoutStack } from '../core/without-stack.js'

export type ErrorClass = 'client' | 'upstream' | 'internal'

interface CatalogueEntry {
  readonly status: number
  readonly class: ErrorClass
}

export const ERROR_CATALOGUE = {
  /** The request body or a parameter fails the contract. params: field, reason */
  INVALID_REQUEST: { status: 400, class: 'client' },
  /**
   * A request Fastify, a plugin or Node's HTTP parser could not read, with no more specific
   * code; also any other 4xx they raise that has no code of its own (http/error-handler.ts).
   */
  BAD_REQUEST: { status: 400, class: 'client' },
  /** The body is not valid JSON. */
  MALFORMED_JSON: { status: 400, class: 'client' },
  /** UPDATE without profile.customerId. */
  CUSTOMER_ID_REQUIRED: { status: 400, class: 'client' },
  /** PUT …/customers/:id whose path id and body id differ. */
  CUSTOMER_ID_MISMATCH: { status: 400, class: 'client' },
  /** A customer id of an impossible shape. params: field */
  INVALID_CUSTOMER_ID: { status: 400, class: 'client' },
  /** SEARCH without any criterion. */
  SEARCH_CRITERIA_REQUIRED: { status: 400, class: 'client' },
  /** SEARCH on a parameter the configured CRM cannot filter on. params: field */
  SEARCH_PARAMETER_UNSUPPORTED: { status: 400, class: 'client' },
  /** limit / offset out of range. params: field, reason */
  PAGING_OUT_OF_RANGE: { status: 400, class: 'client' },
  /** The CRM refused the values (its own validation). params: field? */
  CRM_VALIDATION_FAILED: { status: 400, class: 'client' },
  UNAUTHORIZED: { status: 401, class: 'client' },
  /** A plugin refused the path (the docs' static files: a path outside their folder). */
  FORBIDDEN: { status: 403, class: 'client' },
  CUSTOMER_NOT_FOUND: { status: 404, class: 'client' },
  ROUTE_NOT_FOUND: { status: 404, class: 'client' },
  /** The path exists, not with this method: answered with `Allow` (http/method-not-allowed.ts). */
  METHOD_NOT_ALLOWED: { status: 405, class: 'client' },
  /** The request did not arrive whole in time (Node's requestTimeout / headersTimeout). */
  REQUEST_TIMEOUT: { status: 408, class: 'client' },
  /** The CRM refuses a duplicate (e.g. the e-mail is taken). */
  DUPLICATE_CUSTOMER: { status: 409, class: 'client' },
  /** The CRM's optimistic concurrency check failed again after retrying. */
  UPDATE_CONFLICT: { status: 409, class: 'client' },
  /** If-Match / If-Unmodified-Since did not hold (the docs' static files). */
  PRECONDITION_FAILED: { status: 412, class: 'client' },
  BODY_TOO_LARGE: { status: 413, class: 'client' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, class: 'client' },
  /** A Range header the docs' static files cannot satisfy. */
  RANGE_NOT_SATISFIABLE: { status: 416, class: 'client' },
  /** An Idempotency-Key reused with a different body. */
  IDEMPOTENCY_KEY_REUSED: { status: 422, class: 'client' },
  /** The caller is over its rate. */
  RATE_LIMITED: { status: 429, class: 'client' },
  /** Request line and headers over Node's maxHeaderSize (http/client-error.ts). */
  HEADERS_TOO_LARGE: { status: 431, class: 'client' },
  /**
   * The POS closed the connection before the answer: nobody reads this answer. Logged and
   * counted under its own status (nginx's 499) so that hang-ups never pass for CRM timeouts.
   */
  CLIENT_CLOSED_REQUEST: { status: 499, class: 'client' },
  /** The CRM throttles us and will accept calls again soon. */
  CRM_RATE_LIMITED: { status: 429, class: 'upstream' },
  /** The CRM's daily (or org-wide) API allowance is spent: not a blip, calls resume when it renews. */
  CRM_QUOTA_EXHAUSTED: { status: 429, class: 'upstream' },
  /** The CRM answered with an error. */
  CRM_ERROR: { status: 502, class: 'upstream' },
  /** The CRM answered something that is not what its API promises. */
  CRM_BAD_RESPONSE: { status: 502, class: 'upstream' },
  /** The CRM cannot be reached, or the circuit to it is open. */
  CRM_UNAVAILABLE: { status: 503, class: 'upstream' },
  /** The CRM did not answer in time. */
  CRM_TIMEOUT: { status: 504, class: 'upstream' },
  INTERNAL_ERROR: { status: 500, class: 'internal' }
} as const satisfies Record<string, CatalogueEntry>

export type ErrorCode = keyof typeof ERROR_CATALOGUE

/** Values substituted into a message: a field name, a reason. Never customer data. */
export type ErrorParams = Readonly<Record<string, string | number>>

export class GatewayError extends Error {
  readonly code: ErrorCode
  readonly status: number
  readonly errorClass: ErrorClass
  readonly params: ErrorParams
  /** Seconds, for a Retry-After header (429/503). */
  readonly retryAfterSeconds: number | undefined
  /**
   * The gateway refused at once, without trying (an open circuit, a throttle gate or pacer
   * holding the CRM's rate, the POS's rate limit, a bad credential): made without a stack and
   * logged at debug only, since an outage or a misconfigured till repeats it many times a
   * second; the metrics count each one (see `refusalError`).
   */
  readonly refusal: boolean

  constructor(
    code: ErrorCode,
    options: { params?: ErrorParams; cause?: unknown; retryAfterSeconds?: number; detail?: string; refusal?: boolean } = {}
  ) {
    // `detail` is for logs only: it never reaches the POS.
    super(options.detail ?? code, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'GatewayError'
    this.code = code
    this.status = ERROR_CATALOGUE[code].status
    this.errorClass = ERROR_CATALOGUE[code].class
    this.params = options.params ?? {}
    this.retryAfterSeconds = options.retryAfterSeconds
    this.refusal = options.refusal ?? false
  }
}

/**
 * A refusal (above): no stack captured. Counted by crm_call_duration_seconds{outcome=
 * "circuit_open"}, crm_paced_calls_total{outcome="refused"}, rate_limited_requests_total,
 * auth_failures_total, and every answer by status in the request metrics.
 */
export function refusalError(code: ErrorCode, options: { retryAfterSeconds?: number; detail?: string; cause?: unknown } = {}): GatewayError {
  return withoutStack(() => new GatewayError(code, { ...options, refusal: true }))
}

export function isGatewayError(err: unknown): err is GatewayError {
  return err instanceof GatewayError
}

/** Client-class outcomes are the caller's doing: breakers must not count them as failures. */
export function isClientError(err: unknown): boolean {
  return isGatewayError(err) && err.errorClass === 'client'
}

/**
 * Seconds for Retry-After on a 429 or 503: the value the CRM or the breaker gave, else a
 * default, so the POS always learns when to try again (CONTRACT §5).
 */
export const DEFAULT_RETRY_AFTER_SECONDS = 5

export function retryAfterOf(error: GatewayError): number | undefined {
  if (error.retryAfterSeconds !== undefined) return error.retryAfterSeconds
  return error.status === 429 || error.status === 503 ? DEFAULT_RETRY_AFTER_SECONDS : undefined
}
