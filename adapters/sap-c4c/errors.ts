/**
 * C4C's error answers as the port's failure kinds. Only what C4C (and SAP Gateway, which
 * serves its OData) documents is decided here; the rest goes to ../shared/http-failure.ts.
 *
 * - 400 on a write: the values were refused (an invalid e-mail, a code not in its list, a
 *   property that does not exist) → `rejected`, naming `innererror.errordetails[].propertyref`
 *   when given (the property, never its value);
 * - 409 → `duplicate` (a duplicate check refusing the record), never passing on the other id;
 * - 412 Precondition Failed: the If-Match ETag is stale (guide, "Optimistic Concurrency Control
 *   with ETag") → `conflict`;
 * - 429, and 503 with a Retry-After (the tenant, or SAP's load balancer, asking to wait; RFC
 *   6585 §4 and RFC 9110 §15.6.4) → `throttled`, the wait clamped to 1 s – 1 h; a 503 without
 *   one is a failure like any 5xx;
 * - 403: the CSRF refusal (`x-csrf-token: Required`) is handled by the client (one new token,
 *   one retry), so a 403 here is our user's missing authorization → `failed` (or Salesforce-style
 *   REQUEST_LIMIT_EXCEEDED quota, by the shared rule); 401 → `failed`.
 * 404 is a value (`null`) for get and update, decided at the call site.
 */
import type { AxiosResponse } from 'axios'
import { CrmFailure } from '../../src/core/port.js'
import { bodyWordForLog, classifyStatus, headerValue, parseRetryAfter } from '../shared/http-failure.js'
import { readErrorBody } from './wire.js'

export type C4cOp = 'getCustomer' | 'searchCustomers' | 'createCustomer' | 'updateCustomer' | 'fieldSchema' | 'csrfFetch'

/** Waits asked for are kept within these bounds: at least a second, never hours. */
export const MIN_RETRY_AFTER_SECONDS = 1
export const MAX_RETRY_AFTER_SECONDS = 3600
/** A 429 without Retry-After: wait this long. */
export const DEFAULT_RETRY_AFTER_SECONDS = 5

export function clampRetryAfter(seconds: number | undefined): number {
  if (seconds === undefined) return DEFAULT_RETRY_AFTER_SECONDS
  return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(MIN_RETRY_AFTER_SECONDS, seconds))
}

/** Whether a 403 is the CSRF refusal (SAP Gateway: header `x-csrf-token: Required`). */
export function isCsrfRefusal(response: AxiosResponse): boolean {
  return response.status === 403 && /^required$/i.test(headerValue(response, 'x-csrf-token')?.trim() ?? '')
}

const WRITES: ReadonlySet<C4cOp> = new Set(['createCustomer', 'updateCustomer'])

/** A non-success answer of C4C as a CrmFailure. */
export function c4cFailure(response: AxiosResponse<string>, op: C4cOp): CrmFailure {
  const body = readErrorBody(response)
  const code = bodyWordForLog(body?.code)
  const detail = [`${op}: HTTP ${response.status}`, code].filter((w) => w !== '').join(' ')
  const retryAfter = parseRetryAfter(headerValue(response, 'retry-after'))
  switch (response.status) {
    case 400:
      if (WRITES.has(op)) {
        const field = body?.innererror?.errordetails?.find((d) => d.propertyref !== undefined && /^[A-Za-z_][A-Za-z0-9_/]{0,255}$/.test(d.propertyref))?.propertyref
        return new CrmFailure('rejected', { detail, ...(field === undefined ? {} : { field: field.split('/').at(-1) ?? field }) })
      }
      // A query C4C refused: ours to fix, not the POS's values.
      return new CrmFailure('failed', { detail })
    case 409:
      return new CrmFailure('duplicate', { detail })
    case 412:
      return new CrmFailure('conflict', { detail })
    case 429:
      return new CrmFailure('throttled', { detail, retryAfterSeconds: clampRetryAfter(retryAfter) })
    case 503:
      if (retryAfter !== undefined) return new CrmFailure('throttled', { detail, retryAfterSeconds: clampRetryAfter(retryAfter) })
      return classifyStatus(response, op)
    default:
      return classifyStatus(response, op)
  }
}
