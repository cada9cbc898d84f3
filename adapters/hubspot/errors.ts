/**
 * HubSpot's error answers as the port's failure kinds (`CrmFailure`, src/core/port.ts). Only
 * what HubSpot documents is decided here; the rest goes to ../shared/http-failure.ts so that
 * every adapter reports HTTP alike (401/403 → `failed`: our token is refused; 5xx → `failed`;
 * redirects and other statuses → `bad-response` or `failed`).
 *
 * 404 is not here: for get and update it is a value (`null`), decided at the call site.
 *
 * Sources: error handling https://developers.hubspot.com/docs/api-reference/error-handling ;
 * rate limits https://developers.hubspot.com/docs/guides/apps/api-usage/usage-details#rate-limits ;
 * search limits https://developers.hubspot.com/docs/api-reference/search/guide#limitations .
 */
import type { AxiosResponse } from 'axios'
import { CrmFailure } from '../../src/core/port.js'
import { bodyWordForLog, classifyStatus, headerValue, parseRetryAfter, retryAfterOf } from '../shared/http-failure.js'
import { readErrorBody } from './wire.js'

/** The operation a failed call belonged to: searches have a rate limit of their own. */
export type HubSpotOp = 'getCustomer' | 'searchCustomers' | 'createCustomer' | 'updateCustomer' | 'fieldSchema'

/**
 * The duplicate-e-mail conflict. HubSpot's contacts guide makes `email` the unique identifier
 * of contacts; creating (or updating to) an address another contact has answers 409, category
 * CONFLICT, message "Contact already exists. Existing ID: <id>" (as HubSpot answers it, e.g.
 * https://github.com/HubSpot/hubspot-api-nodejs/issues/545). The existing id is not passed on:
 * it would reveal another customer's record to whoever typed the e-mail.
 */
const DUPLICATE_MESSAGE = /already exists/i

/**
 * The 429 of the account's daily allowance. The usage guide
 * (https://developers.hubspot.com/docs/guides/apps/api-usage/usage-details) shows the 429 body
 * `{"status":"error","message":"You have reached your daily limit.","errorType":"RATE_LIMIT",
 * "correlationId":"…","policyName":"DAILY","requestId":"…"}`: "the message and policyName
 * will indicate which limit you hit", and the daily limit resets at midnight in the account's
 * time zone. Waiting seconds does not help, so it is a spent quota, not a throttle.
 */
const DAILY_POLICY = 'DAILY'

/**
 * Seconds to wait after a 429. HubSpot's usage guide documents the rate-limit headers
 * `X-HubSpot-RateLimit-Max`, `-Remaining` and `-Interval-Milliseconds` (the rolling window),
 * not `Retry-After`; search endpoints are limited per second and, as reported by developers,
 * answer without those headers. Hence, in order:
 * 1. `Retry-After`, when a proxy or a future HubSpot sends one (it is the standard);
 * 2. `X-HubSpot-RateLimit-Interval-Milliseconds`, rounded up: the whole window, the most
 *    conservative reading when the headers do not say when a slot frees up;
 * 3. no header: 1 s for a search (its limit is per second), 10 s otherwise (the documented
 *    burst window is ten seconds).
 */
export function retryAfterSeconds(response: AxiosResponse, op: HubSpotOp, nowMs: number = Date.now()): number {
  const standard = parseRetryAfter(headerValue(response, 'retry-after'), nowMs)
  if (standard !== undefined) return standard
  const interval = headerValue(response, 'x-hubspot-ratelimit-interval-milliseconds')
  if (interval !== undefined && /^\d+$/.test(interval.trim())) return Math.max(1, Math.ceil(Number(interval.trim()) / 1000))
  return op === 'searchCustomers' ? 1 : 10
}

/** A non-success answer of HubSpot as a CrmFailure. `op` is for log details. */
export function hubspotFailure(response: AxiosResponse<string>, op: HubSpotOp): CrmFailure {
  const body = readErrorBody(response)
  // The category, policy and correlation id are HubSpot's, not customer data: they help support.
  // Each is logged only when it has the shape HubSpot gives it (bodyWordForLog): a body is text
  // from the other side, whatever it claims to be.
  const words = [body?.category, body?.policyName, body?.correlationId].map(bodyWordForLog).filter((w) => w !== '')
  const detail = [`${op}: HTTP ${response.status}`, ...words].join(' ')
  switch (response.status) {
    case 400: {
      // VALIDATION_ERROR (a property value HubSpot refuses, an unknown property, an invalid
      // e-mail). CRM object errors carry `errors[].context.propertyName`: the property name
      // (never its value) tells the associate what to fix.
      const field = body?.errors?.find((e) => e.context?.propertyName?.[0] !== undefined)?.context?.propertyName?.[0]
      return new CrmFailure('rejected', { detail, ...(field === undefined ? {} : { field }) })
    }
    case 409:
      if (body?.category === 'CONFLICT' && DUPLICATE_MESSAGE.test(body.message ?? '')) {
        return new CrmFailure('duplicate', { detail })
      }
      return new CrmFailure('failed', { detail })
    case 429:
      // The daily allowance: no wait is known unless one is sent (it resets at the account's
      // midnight), so none is invented.
      if (body?.policyName === DAILY_POLICY) return new CrmFailure('quota-exhausted', { detail, ...retryAfterOf(response) })
      // RATE_LIMITS (SECONDLY, TEN_SECONDLY_ROLLING…): how long to wait, always said.
      return new CrmFailure('throttled', { detail, retryAfterSeconds: retryAfterSeconds(response, op) })
    default:
      // 401 INVALID_AUTHENTICATION / 403 MISSING_SCOPES (our token), 5xx, anything else.
      return classifyStatus(response, op)
  }
}
