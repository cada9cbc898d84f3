/**
 * What any HTTP-based adapter does with a failed or unexpected exchange: say what happened, as
 * one of the port's failure kinds (`CrmFailure`, src/core/port.ts). CRM-specific meanings (a
 * 409 that means "duplicate", a 400 that means "refused values") stay in each adapter's
 * errors.ts; this file holds only what is true of HTTP itself, so every adapter reports alike:
 *
 *   the call's signal fired, axios cancelled        → timeout          (its time was up)
 *   ECONNABORTED / ETIMEDOUT: no answer in time      → timeout
 *   no connection made (ECONNREFUSED, ENOTFOUND,
 *   EAI_AGAIN, EHOSTUNREACH, ENETUNREACH, ENETDOWN,
 *   EHOSTDOWN, a connect timeout)                    → unreachable      (the request never left)
 *   the connection broke during the exchange
 *   (ECONNRESET, EPIPE, "socket hang up", a body
 *   cut short, any other transport error)            → interrupted      (the CRM may have acted)
 *   not HTTP (HPE_*), unreadable, over the limit     → bad-response
 *   429 (+ Retry-After)                               → throttled
 *   403 REQUEST_LIMIT_EXCEEDED (Salesforce)           → quota-exhausted  (Retry-After if sent)
 *   401 / other 403: our credentials refused          → failed
 *   3xx (we never follow redirects), other < 400      → bad-response
 *   5xx and any other status                          → failed
 *
 * Between unreachable and interrupted, the doubtful case is interrupted: a create that may
 * have reached the CRM must not be reported as one that surely did not. An error that is no
 * transport failure at all (a TypeError…) is a bug of ours, passed on unchanged: never
 * disguised as the CRM's fault.
 *
 * `detail` strings go to logs only; they carry the operation and status, never customer data.
 */
import { isAxiosError, isCancel } from 'axios'
import type { AxiosResponse } from 'axios'
import { CrmFailure, isCrmFailure } from '../../src/core/port.js'

/** Socket-level codes meaning "no connection could be made": nothing was sent. */
const UNREACHABLE_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EHOSTDOWN',
  // Node's code for a connect attempt that timed out (undici-adapter.ts maps undici's to it).
  'ERR_SOCKET_CONNECTION_TIMEOUT'
])

/** Codes meaning "the connection broke during the exchange". */
const INTERRUPTED_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'EPIPE', 'ERR_NETWORK'])

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

function isKnownTransportCode(code: string | undefined): boolean {
  if (code === undefined) return false
  return UNREACHABLE_CODES.has(code) || INTERRUPTED_CODES.has(code) || TIMEOUT_CODES.has(code) || BAD_RESPONSE_CODES.has(code) || code.startsWith('HPE_')
}

/**
 * What a request that produced no HTTP response ran into, or `undefined` when `err` is no
 * transport failure at all (a bug: the caller rethrows it unchanged). A CrmFailure is returned
 * as it is. `signal` is the call's AbortSignal: when it fired, the attempt's time was up.
 */
export function classifyTransportFailure(err: unknown, signal: AbortSignal, op: string): CrmFailure | undefined {
  if (isCrmFailure(err)) return err
  const code = errorCode(err)
  // axios wraps every failure on the wire (undici-adapter.ts too); a bare Node socket error
  // is recognised by its code.
  if (!isAxiosError(err) && !isKnownTransportCode(code)) return undefined
  if (signal.aborted || isCancel(err)) {
    return new CrmFailure('timeout', { cause: err, detail: `${op}: aborted when the attempt's time was up` })
  }
  const message = err instanceof Error ? err.message : ''
  if (code !== undefined && TIMEOUT_CODES.has(code)) {
    return new CrmFailure('timeout', { cause: err, detail: `${op}: no answer in time (${code})` })
  }
  if (code !== undefined && UNREACHABLE_CODES.has(code)) {
    return new CrmFailure('unreachable', { cause: err, detail: `${op}: CRM unreachable (${code})` })
  }
  // HPE_*: Node's HTTP parser could not read the answer (not HTTP at all, or broken HTTP).
  if (code !== undefined && (BAD_RESPONSE_CODES.has(code) || code.startsWith('HPE_'))) {
    return new CrmFailure('bad-response', { cause: err, detail: `${op}: unreadable answer (${code})` })
  }
  // ECONNRESET, EPIPE, "socket hang up", TLS and protocol errors: the connection may have
  // carried the request before it broke, so the CRM may have acted on it.
  return new CrmFailure('interrupted', { cause: err, detail: `${op}: connection broke (${code ?? message})` })
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
 * concurrent-request limit): an allowance spent, not refused credentials. Salesforce's REST API
 * answers errors as an array of `{"message": "…", "errorCode": "…"}`
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

/** `{retryAfterSeconds}` when the answer carries a readable Retry-After, else `{}`. */
export function retryAfterOf(response: AxiosResponse): { retryAfterSeconds?: number } {
  const retryAfterSeconds = parseRetryAfter(headerValue(response, 'retry-after'))
  return retryAfterSeconds === undefined ? {} : { retryAfterSeconds }
}

/**
 * The generic meaning of an HTTP status that the adapter did not handle itself. Adapters call
 * this last, after mapping the statuses their CRM documents.
 */
export function classifyStatus(response: AxiosResponse, op: string): CrmFailure {
  const status = response.status
  const detail = `${op}: HTTP ${status}`
  if (status === 429) return new CrmFailure('throttled', { detail, ...retryAfterOf(response) })
  if (status === 403 && isRequestLimitExceeded(response.data)) {
    return new CrmFailure('quota-exhausted', { detail: `${detail} REQUEST_LIMIT_EXCEEDED`, ...retryAfterOf(response) })
  }
  if (status === 401 || status === 403) {
    // Our own credentials are refused: a configuration problem, never the POS's.
    return new CrmFailure('failed', { detail: `${detail} (credentials refused)` })
  }
  if (status < 400) {
    // 1xx leftovers, redirects (maxRedirects: 0) and a success status the API does not promise
    // for this call (a 200 where a create answers 201) are not answers the CRM documents.
    return new CrmFailure('bad-response', { detail })
  }
  return new CrmFailure('failed', { detail })
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i

/**
 * The body of a response as JSON. A missing or non-JSON content type, or a body that does not
 * parse, is a `bad-response`: the CRM answered something its API does not promise (an HTML
 * error page from a proxy, say).
 *
 * The parser's error is dropped, not kept as the failure's `cause`: V8's SyntaxError quotes
 * the text around the fault (`Unexpected token … in "EMAIL":"someone@…"`), and a failure's
 * causes are logged. What the log gets is the status and the body's length, never its text.
 */
export function parseJsonBody(response: AxiosResponse<unknown>, op: string): unknown {
  const type = headerValue(response, 'content-type') ?? ''
  if (!JSON_TYPE.test(type)) {
    return badResponse(op, `HTTP ${response.status} with content type "${contentTypeForLog(type)}", not JSON`)
  }
  if (typeof response.data !== 'string') return badResponse(op, 'body was not read as text')
  try {
    return JSON.parse(response.data)
  } catch {
    return badResponse(op, `HTTP ${response.status} with a body that is not JSON (${response.data.length} characters)`)
  }
}

/**
 * A content type as it may appear in a log: its media type only, in the characters a media
 * type has (RFC 9110 §8.3.1). Parameters and anything else the CRM (or a proxy) put there
 * could carry text from the answer.
 */
function contentTypeForLog(type: string): string {
  const media = type.split(';', 1)[0]?.trim() ?? ''
  return /^[A-Za-z0-9!#$&^_.+-]{1,64}\/[A-Za-z0-9!#$&^_.+-]{1,64}$/.test(media) ? media : media === '' ? '' : 'unreadable'
}

/**
 * A word from a CRM's error body (an error code, a category, a request id) as it may appear in
 * a failure's `detail`, which is logged: only when it has the shape of such a word — upper-case
 * code characters, or a hex request id — else a placeholder. The body is the CRM's text, and a
 * broken or hostile CRM may put anything there, customer data included.
 */
export function bodyWordForLog(value: unknown): string {
  if (value === undefined || value === null || value === '') return ''
  if (typeof value === 'string' && (/^[A-Z][A-Z0-9_]{0,63}$/.test(value) || /^[0-9a-f][0-9a-f-]{7,63}$/i.test(value))) return value
  return '(unreadable)'
}

/** Throws a `bad-response` CrmFailure. */
export function badResponse(op: string, why: string, cause?: unknown): never {
  throw new CrmFailure('bad-response', { detail: `${op}: ${why}`, ...(cause === undefined ? {} : { cause }) })
}
