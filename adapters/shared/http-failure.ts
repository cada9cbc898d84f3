/**
 * What any HTTP-based adapter does with a failed or unexpected exchange: classify it into the
 * gateway's error catalogue (src/spi/error-catalogue.ts). CRM-specific meanings (a 409 that
 * means "duplicate", a 400 that means "validation") stay in each adapter's errors.ts; this
 * file holds only what is true of HTTP itself, so every adapter classifies the same way:
 *
 *   no answer in time, or the caller gave up   → CRM_TIMEOUT      (upstream: trips the breaker)
 *   cannot connect / connection dropped        → CRM_UNAVAILABLE  (upstream)
 *   429 (+ Retry-After)                         → CRM_RATE_LIMITED (upstream)
 *   403 REQUEST_LIMIT_EXCEEDED (Salesforce)     → CRM_RATE_LIMITED (upstream; Retry-After if sent)
 *   401 / other 403: credentials refused        → CRM_ERROR        (a config problem, not the POS's)
 *   5xx and other unexpected statuses           → CRM_ERROR        (upstream)
 *   3xx (we never follow redirects), non-JSON,
 *   a body that is not HTTP or over the limit   → CRM_BAD_RESPONSE (upstream)
 *
 * `detail` strings go to logs only; they carry the operation and status, never customer data.
 */
import { isAxiosError, isCancel } from 'axios'
import type { AxiosResponse } from 'axios'
import { GatewayError, isGatewayError } from '../../src/spi/error-catalogue.js'

/** Socket-level error codes meaning "the CRM cannot be reached or dropped us". */
const UNREACHABLE_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EHOSTDOWN',
  'ERR_NETWORK',
  'ERR_SOCKET_CONNECTION_TIMEOUT'
])

const TIMEOUT_CODES: ReadonlySet<string> = new Set(['ECONNABORTED', 'ETIMEDOUT'])

/** A response larger than the client's limit, or one axios could not read. */
const BAD_RESPONSE_CODES: ReadonlySet<string> = new Set(['ERR_BAD_RESPONSE', 'ERR_FR_MAX_CONTENT_LENGTH_EXCEEDED'])

/** The error code axios or Node attached to an error, also looking one `cause` deep. */
function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined
  const own = (err as { code?: unknown }).code
  if (typeof own === 'string') return own
  const cause = (err as { cause?: { code?: unknown } }).cause
  return typeof cause?.code === 'string' ? cause.code : undefined
}

/**
 * Classifies a request that produced no HTTP response (the transport failed or was aborted).
 * `signal` is the call's AbortSignal: when it fired, the caller's deadline passed (breaker
 * timeout, request deadline), which is a timeout from the POS's point of view.
 */
export function classifyTransportFailure(err: unknown, signal: AbortSignal, op: string): GatewayError {
  if (isGatewayError(err)) return err
  if (signal.aborted || isCancel(err)) {
    return new GatewayError('CRM_TIMEOUT', { cause: err, detail: `${op}: aborted by the caller's deadline` })
  }
  const code = errorCode(err)
  const message = err instanceof Error ? err.message : ''
  if (code !== undefined && TIMEOUT_CODES.has(code)) {
    return new GatewayError('CRM_TIMEOUT', { cause: err, detail: `${op}: no answer in time (${code})` })
  }
  if ((code !== undefined && UNREACHABLE_CODES.has(code)) || /socket hang up/i.test(message)) {
    return new GatewayError('CRM_UNAVAILABLE', { cause: err, detail: `${op}: CRM unreachable (${code ?? message})` })
  }
  // HPE_*: Node's HTTP parser could not read the answer (not HTTP at all, or broken HTTP).
  if (code !== undefined && (BAD_RESPONSE_CODES.has(code) || code.startsWith('HPE_'))) {
    return new GatewayError('CRM_BAD_RESPONSE', { cause: err, detail: `${op}: unreadable answer (${code})` })
  }
  if (isAxiosError(err)) {
    // Anything else on the wire (TLS failures, protocol errors): we could not get an answer.
    return new GatewayError('CRM_UNAVAILABLE', { cause: err, detail: `${op}: transport failure (${code ?? message})` })
  }
  // Not a transport failure at all: a bug on our side. Never disguise it as the CRM's fault.
  return new GatewayError('INTERNAL_ERROR', { cause: err, detail: `${op}: unexpected error` })
}

/**
 * Retry-After (RFC 9110 §10.2.3): delay-seconds or an HTTP-date. Returns whole seconds >= 0,
 * or undefined when absent or unreadable.
 */
export function parseRetryAfter(value: unknown, nowMs: number = Date.now()): number | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined
  const text = value.trim()
  if (/^\d+$/.test(text)) return Number(text)
  // Every HTTP-date form starts with a day name; Date.parse alone would read "-5" as a year.
  if (!/^[A-Za-z]{3}/.test(text)) return undefined
  const at = Date.parse(text)
  if (Number.isNaN(at)) return undefined
  return Math.max(0, Math.ceil((at - nowMs) / 1000))
}

/** A response header as one string (axios may hold strings, arrays or numbers). */
export function headerValue(response: AxiosResponse, name: string): string | undefined {
  const raw: unknown = (response.headers as Record<string, unknown>)[name.toLowerCase()]
  if (Array.isArray(raw)) return raw.map(String).join(', ')
  if (typeof raw === 'string') return raw
  return typeof raw === 'number' ? String(raw) : undefined
}

/** Bigger bodies are not read for an error code: a throttling answer is a few dozen bytes. */
const MAX_ERROR_BODY_CHARS = 64 * 1024

const REQUEST_LIMIT_EXCEEDED = 'REQUEST_LIMIT_EXCEEDED'

/**
 * Whether a 403 body is Salesforce's "API request limit exceeded" (the org's 24-hour or
 * concurrent-request limit): a throttle, not refused credentials. Salesforce's REST API answers
 * errors as an array of `{"message": "…", "errorCode": "…"}`
 * (https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm);
 * a single such object is accepted too. The body is read as text (http-client.ts) or, for an
 * adapter that parses itself, as an already parsed value; anything unreadable is "no".
 */
function isRequestLimitExceeded(data: unknown): boolean {
  let body = data
  if (typeof data === 'string') {
    if (data.length > MAX_ERROR_BODY_CHARS || !data.includes(REQUEST_LIMIT_EXCEEDED)) return false
    try {
      body = JSON.parse(data)
    } catch {
      return false
    }
  }
  const hasCode = (item: unknown): boolean =>
    typeof item === 'object' && item !== null && (item as { errorCode?: unknown }).errorCode === REQUEST_LIMIT_EXCEEDED
  return Array.isArray(body) ? body.some(hasCode) : hasCode(body)
}

/**
 * The generic meaning of an HTTP status that the adapter did not handle itself. Adapters call
 * this last, after mapping the statuses their CRM documents.
 */
export function classifyStatus(response: AxiosResponse, op: string): GatewayError {
  const status = response.status
  const detail = `${op}: HTTP ${status}`
  if (status === 429 || (status === 403 && isRequestLimitExceeded(response.data))) {
    const retryAfterSeconds = parseRetryAfter(headerValue(response, 'retry-after'))
    const why = status === 403 ? `${detail} REQUEST_LIMIT_EXCEEDED` : detail
    return new GatewayError('CRM_RATE_LIMITED', { detail: why, ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }) })
  }
  if (status === 401 || status === 403) {
    // Our own credentials are refused: an upstream / configuration problem, never the POS's.
    return new GatewayError('CRM_ERROR', { detail: `${detail} (credentials refused)` })
  }
  if (status < 400) {
    // 1xx leftovers, redirects (maxRedirects: 0) and a success status the API does not promise
    // for this call (a 200 where a create answers 201) are not answers the CRM documents.
    return new GatewayError('CRM_BAD_RESPONSE', { detail })
  }
  return new GatewayError('CRM_ERROR', { detail })
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i

/**
 * The body of a response as JSON. A missing or non-JSON content type, or a body that does not
 * parse, is a CRM_BAD_RESPONSE: the CRM answered something its API does not promise (an HTML
 * error page from a proxy, say).
 */
export function parseJsonBody(response: AxiosResponse<unknown>, op: string): unknown {
  const type = headerValue(response, 'content-type') ?? ''
  if (!JSON_TYPE.test(type)) {
    return badResponse(op, `HTTP ${response.status} with content type "${type.slice(0, 60)}", not JSON`)
  }
  if (typeof response.data !== 'string') return badResponse(op, 'body was not read as text')
  try {
    return JSON.parse(response.data)
  } catch (err) {
    return badResponse(op, `HTTP ${response.status} with a body that is not JSON`, err)
  }
}

/** Throws CRM_BAD_RESPONSE. */
export function badResponse(op: string, why: string, cause?: unknown): never {
  throw new GatewayError('CRM_BAD_RESPONSE', { detail: `${op}: ${why}`, ...(cause === undefined ? {} : { cause }) })
}
