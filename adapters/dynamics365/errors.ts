/**
 * Dataverse's error answers as the port's failure kinds (`CrmFailure`, src/core/port.ts). Only
 * what Dataverse documents is decided here; the rest goes to ../shared/http-failure.ts so every
 * adapter reports HTTP alike (401/403: our application user refused → `failed`; 5xx → `failed`;
 * redirects and undocumented successes → `bad-response`).
 *
 * 404 is not here: for get and update it is a value (`null`), decided at the call site.
 *
 * Sources:
 * - error body `{error: {code, message}}`:
 *   https://learn.microsoft.com/power-apps/developer/data-platform/webapi/compose-http-requests-handle-errors
 * - duplicate detection (500, code 0x80040333):
 *   https://learn.microsoft.com/power-apps/developer/data-platform/webapi/manage-duplicate-detection-create-update
 * - optimistic concurrency (412, "The version of the existing record doesn't match the
 *   RowVersion property provided."):
 *   https://learn.microsoft.com/power-apps/developer/data-platform/webapi/perform-conditional-operations-using-web-api
 * - service protection limits (429 + Retry-After; codes 0x80072322 requests, 0x80072321
 *   execution time, 0x80072326 concurrent requests; evaluated per user and per web server):
 *   https://learn.microsoft.com/power-apps/developer/data-platform/api-limits
 */
import type { AxiosResponse } from 'axios'
import { CrmFailure } from '../../src/core/port.js'
import { classifyStatus, headerValue, parseRetryAfter } from '../shared/http-failure.js'
import { readErrorBody } from './wire.js'

export type DataverseOp = 'getCustomer' | 'searchCustomers' | 'createCustomer' | 'updateCustomer' | 'fieldSchema'

/** "A record was not created or updated because a duplicate of the current record already exists." */
const DUPLICATE_DETECTED = '0x80040333'
/** DuplicateRecord: an alternate key's values are already held by another row. */
const DUPLICATE_KEY = '0x80040237'
/** The optimistic concurrency refusal's message (its code is documented empty). */
const STALE_VERSION = /RowVersion|version of the existing record/i

/**
 * Seconds to wait after a service-protection 429: the `Retry-After` Dataverse sends with each,
 * clamped. At least 1 (an immediate retry is what the limits punish); at most 300, the limits'
 * sliding window: no documented wait is longer, and a longer value (a proxy's, a misreading)
 * would keep tills waiting for nothing. Without the header (not documented to happen): 5 s.
 */
export const RETRY_AFTER_BOUNDS = { min: 1, max: 300, absent: 5 } as const

export function retryAfterSeconds(response: AxiosResponse, nowMs: number = Date.now()): number {
  const sent = parseRetryAfter(headerValue(response, 'retry-after'), nowMs)
  if (sent === undefined) return RETRY_AFTER_BOUNDS.absent
  return Math.min(RETRY_AFTER_BOUNDS.max, Math.max(RETRY_AFTER_BOUNDS.min, sent))
}

/** Dataverse's error codes as they may appear in logs: `0x` and eight hex digits, nothing else. */
const codeForLog = (code: string | undefined): string => (code !== undefined && /^0x[0-9A-Fa-f]{8}$/.test(code) ? code : '')

/**
 * The column a refusal names, when the message names one of the columns sent ("… property
 * 'cg_x' does not exist…", "The length of the 'firstname' attribute…"); only a name from `sent` is passed on, never other text of the message
 * (which may quote values).
 */
function refusedColumn(message: string | undefined, sent: readonly string[]): string | undefined {
  if (message === undefined) return undefined
  return sent.find((column) => message.includes(`'${column}'`))
}

/** A non-success answer of the Web API as a CrmFailure. `sent` lists the columns of the request's body. */
export function dataverseFailure(response: AxiosResponse<string>, op: DataverseOp, sent: readonly string[] = []): CrmFailure {
  const error = readErrorBody(response)
  const code = error?.code
  const detail = [`${op}: HTTP ${response.status}`, codeForLog(code)].filter((w) => w !== '').join(' ')
  // Duplicate detection answers 500 (as documented), an alternate key 412: both are the CRM
  // refusing a duplicate, whatever the status. The other row's id is never passed on.
  if (code === DUPLICATE_DETECTED || code === DUPLICATE_KEY) return new CrmFailure('duplicate', { detail })
  switch (response.status) {
    case 400:
      // A value the column refuses (length, range, format, an unknown column): the values'
      // fault on a write; on a read or a query, ours (the filter is built by the adapter).
      if (op === 'createCustomer' || op === 'updateCustomer') {
        const field = refusedColumn(error?.message, sent)
        return new CrmFailure('rejected', { detail, ...(field === undefined ? {} : { field }) })
      }
      return classifyStatus(response, op)
    case 412:
      if (op === 'updateCustomer' && STALE_VERSION.test(error?.message ?? '')) return new CrmFailure('conflict', { detail })
      // "A record with matching key values already exists" (prevent update in upsert).
      return new CrmFailure('duplicate', { detail })
    case 429:
      return new CrmFailure('throttled', { detail, retryAfterSeconds: retryAfterSeconds(response) })
    default:
      return classifyStatus(response, op)
  }
}
