/**
 * The HTTP classification every adapter shares (adapters/shared/): transport errors, statuses,
 * Retry-After, JSON bodies, base URLs. The end-to-end proofs against real sockets are in
 * test/adapters/demo-crm/adapter.test.ts; these pin down each rule alone.
 */
import { AxiosError, CanceledError } from 'axios'
import type { AxiosResponse } from 'axios'
import t from 'tap'
import { checkBaseUrl } from '../../../adapters/shared/http-client.js'
import {
  bodyWordForLog,
  classifyStatus,
  classifyTransportFailure,
  headerValue,
  parseJsonBody,
  parseRetryAfter
} from '../../../adapters/shared/http-failure.js'
import { CrmFailure } from '../../../src/core/port.js'
import type { CrmFailureKind } from '../../../src/core/port.js'
import { serializeError } from '../../../src/http/logging.js'

const live = new AbortController().signal

function response(status: number, headers: Record<string, unknown> = {}, data = ''): AxiosResponse<string> {
  return { status, statusText: '', headers, data, config: {} } as AxiosResponse<string>
}

const axiosError = (code: string, message = 'boom'): AxiosError => new AxiosError(message, code)

/** The kind a transport error is classified as; fails when it is not classified at all. */
function kindOf(err: unknown, signal: AbortSignal = live): CrmFailureKind | 'not a transport failure' {
  return classifyTransportFailure(err, signal, 'getCustomer')?.kind ?? 'not a transport failure'
}

t.test('transport failures', async (t) => {
  const cases: [string, unknown, CrmFailureKind][] = [
    ['ECONNREFUSED', axiosError('ECONNREFUSED'), 'unreachable'],
    ['ENOTFOUND', axiosError('ENOTFOUND'), 'unreachable'],
    ['EAI_AGAIN', axiosError('EAI_AGAIN'), 'unreachable'],
    ['EHOSTUNREACH', axiosError('EHOSTUNREACH'), 'unreachable'],
    ['ENETUNREACH', axiosError('ENETUNREACH'), 'unreachable'],
    ['ENETDOWN', axiosError('ENETDOWN'), 'unreachable'],
    ['EHOSTDOWN', axiosError('EHOSTDOWN'), 'unreachable'],
    ['a connect timeout', axiosError('ERR_SOCKET_CONNECTION_TIMEOUT'), 'unreachable'],
    ['a Node socket error not wrapped by axios', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 'unreachable'],
    ['ECONNRESET', axiosError('ECONNRESET'), 'interrupted'],
    ['EPIPE', axiosError('EPIPE'), 'interrupted'],
    ['socket hang up (no code)', new AxiosError('socket hang up'), 'interrupted'],
    ['a code on the cause only', Object.assign(new AxiosError('x'), { cause: { code: 'ECONNRESET' } }), 'interrupted'],
    ['axios ERR_NETWORK', axiosError('ERR_NETWORK'), 'interrupted'],
    ['another axios error (TLS)', axiosError('CERT_HAS_EXPIRED'), 'interrupted'],
    ['ECONNABORTED (axios timeout)', axiosError('ECONNABORTED'), 'timeout'],
    ['ETIMEDOUT', axiosError('ETIMEDOUT'), 'timeout'],
    ['a cancellation', new CanceledError(), 'timeout'],
    ['ERR_BAD_RESPONSE', axiosError('ERR_BAD_RESPONSE'), 'bad-response'],
    ['over the size limit', axiosError('ERR_FR_MAX_CONTENT_LENGTH_EXCEEDED'), 'bad-response'],
    ['HTTP parser error', axiosError('HPE_INVALID_CONSTANT'), 'bad-response']
  ]
  for (const [what, err, kind] of cases) {
    const out = classifyTransportFailure(err, live, 'getCustomer')
    t.equal(out?.kind, kind, `${what} → ${kind}`)
    t.equal(out?.cause, err, `${what}: the original error is the cause`)
  }
  for (const bug of [new TypeError('x is undefined'), new Error('no code'), 'a string', null]) {
    t.equal(kindOf(bug), 'not a transport failure', `${String(bug)}: a bug of ours is not classified (sendRequest rethrows it unchanged)`)
  }
  const aborted = AbortSignal.abort()
  t.equal(kindOf(axiosError('ECONNRESET'), aborted), 'timeout', 'a transport failure once the signal fired: the attempt ran out of time')
  t.equal(kindOf(new TypeError('x'), aborted), 'not a transport failure', 'but a bug stays a bug')
  const own = new CrmFailure('bad-response', { detail: 'x' })
  t.equal(classifyTransportFailure(own, live, 'op'), own, 'a CrmFailure passes through unchanged')
  t.match(classifyTransportFailure(axiosError('ECONNREFUSED'), live, 'searchCustomers')?.message, /^searchCustomers: /, 'the log detail names the operation')
})

t.test('statuses', async (t) => {
  const cases: [number, CrmFailureKind, string][] = [
    [401, 'failed', 'our credentials refused'],
    [403, 'failed', 'forbidden'],
    [404, 'failed', 'an undocumented 404'],
    [418, 'failed', 'any other 4xx'],
    [500, 'failed', '5xx'],
    [502, 'failed', '5xx'],
    [301, 'bad-response', 'a redirect'],
    [304, 'bad-response', 'not modified is no answer to us'],
    [200, 'bad-response', 'a success the call does not promise'],
    [429, 'throttled', 'throttled']
  ]
  for (const [status, kind, what] of cases) {
    const err = classifyStatus(response(status), 'op')
    t.ok(err instanceof CrmFailure, `${status}: a CrmFailure`)
    t.equal(err.kind, kind, `${status} → ${kind} (${what})`)
  }
  t.match(classifyStatus(response(401), 'getCustomer').message, /^getCustomer: HTTP 401 \(credentials refused\)$/, 'the log detail says why')
  t.equal(classifyStatus(response(429, { 'retry-after': '12' }), 'op').retryAfterSeconds, 12, '429 carries Retry-After')
  t.equal(classifyStatus(response(429), 'op').retryAfterSeconds, undefined, '429 without Retry-After')
})

t.test('Retry-After', async (t) => {
  const now = Date.parse('2024-03-05T12:00:00Z')
  t.equal(parseRetryAfter('7', now), 7, 'delay-seconds')
  t.equal(parseRetryAfter(' 0 ', now), 0, 'zero, trimmed')
  t.equal(parseRetryAfter('Tue, 05 Mar 2024 12:00:30 GMT', now), 30, 'HTTP-date')
  t.equal(parseRetryAfter('Tue, 05 Mar 2024 11:00:00 GMT', now), 0, 'a date in the past → 0')
  t.equal(parseRetryAfter('soon', now), undefined, 'garbage')
  t.equal(parseRetryAfter('-5', now), undefined, 'negative')
  t.equal(parseRetryAfter('', now), undefined, 'empty')
  t.equal(parseRetryAfter(undefined, now), undefined, 'absent')
  t.equal(headerValue(response(200, { 'x-a': ['1', '2'] }), 'X-A'), '1, 2', 'array headers joined')
  t.equal(headerValue(response(200, { 'content-length': 12 }), 'content-length'), '12', 'numeric headers')
})

t.test('JSON bodies', async (t) => {
  t.same(parseJsonBody(response(200, { 'content-type': 'application/json; charset=utf-8' }, '{"a":1}'), 'op'), { a: 1 }, 'JSON with charset')
  t.same(parseJsonBody(response(400, { 'content-type': 'application/problem+json' }, '{"b":2}'), 'op'), { b: 2 }, '+json types')
  for (const [type, body, what] of [
    ['text/html', '<html/>', 'HTML'],
    ['text/plain', '{"a":1}', 'JSON sent as text/plain'],
    ['application/jsonp', '{"a":1}', 'a look-alike type'],
    [undefined, '{"a":1}', 'no content type'],
    ['application/json', '{"a":', 'a torn body'],
    ['application/json', '', 'an empty body']
  ] as const) {
    t.throws(
      () => parseJsonBody(response(200, type === undefined ? {} : { 'content-type': type }, body), 'op'),
      { name: 'CrmFailure', kind: 'bad-response' },
      `${what} → bad-response`
    )
  }
})

t.test("an unparseable answer's failure carries none of its text", async (t) => {
  const planted = '{"EMAIL":"planted@example.com","FNAME":"Xanthippe" oops'
  const failure = t.throws(() => parseJsonBody(response(200, { 'content-type': 'application/json' }, planted), 'getCustomer')) as CrmFailure
  t.equal(failure.message, `getCustomer: HTTP 200 with a body that is not JSON (${planted.length} characters)`)
  t.equal(failure.cause, undefined, "the parser's error (which quotes the text) is not kept as the cause")
  const typed = t.throws(() => parseJsonBody(response(200, { 'content-type': 'text/html; name="planted@example.com"' }, planted), 'op')) as CrmFailure
  t.equal(typed.message, 'op: HTTP 200 with content type "text/html", not JSON', 'a content type is logged as its media type only')
  const odd = t.throws(() => parseJsonBody(response(200, { 'content-type': 'planted@example.com' }, planted), 'op')) as CrmFailure
  t.notMatch(odd.message, /planted/, 'and not at all when it is no media type')
  for (const f of [failure, typed, odd]) t.notMatch(JSON.stringify(serializeError(f)), /planted|Xanthippe/, 'nothing of it in the logged error')
  t.equal(bodyWordForLog('DUPLICATE_EMAIL'), 'DUPLICATE_EMAIL')
  t.equal(bodyWordForLog('c033cdaa-2c40-4a64-ae48-b4cec88dad24'), 'c033cdaa-2c40-4a64-ae48-b4cec88dad24')
  t.equal(bodyWordForLog(undefined), '')
  for (const v of ['planted@example.com', 'Xanthippe', 'A B', 42, {}]) t.equal(bodyWordForLog(v), '(unreadable)', `${JSON.stringify(v)} is not logged`)
})

t.test('base URLs', async (t) => {
  t.doesNotThrow(() => checkBaseUrl('https://crm.example.com/api', 'x'), 'https')
  t.doesNotThrow(() => checkBaseUrl('http://127.0.0.1:4010', 'x'), 'http')
  t.throws(() => checkBaseUrl('crm.example.com', 'x'), /x adapter: baseUrl must be an absolute/, 'relative')
  t.throws(() => checkBaseUrl('file:///etc/passwd', 'x'), /must use http or https/, 'file:')
})

t.test("Salesforce's 403 REQUEST_LIMIT_EXCEEDED is a spent quota, not refused credentials", async (t) => {
  const json = { 'content-type': 'application/json;charset=UTF-8' }
  // The REST API's published error shape: an array of {message, errorCode}.
  const published = '[{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]'
  const limited = classifyStatus(response(403, json, published), 'searchCustomers')
  t.equal(limited.kind, 'quota-exhausted', 'the array form → quota-exhausted')
  t.equal(limited.retryAfterSeconds, undefined, 'no Retry-After sent → none invented')
  t.match(limited.message, /^searchCustomers: HTTP 403 REQUEST_LIMIT_EXCEEDED$/, 'the log detail names the status and the code')

  const withRetry = classifyStatus(response(403, { ...json, 'retry-after': '30' }, published), 'op')
  t.same([withRetry.kind, withRetry.retryAfterSeconds], ['quota-exhausted', 30], 'a Retry-After header is honoured')

  const cases: [string, unknown, CrmFailureKind][] = [
    ['a single object', '{"message":"ConcurrentRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}', 'quota-exhausted'],
    ['among other errors', '[{"errorCode":"OTHER"},{"errorCode":"REQUEST_LIMIT_EXCEEDED"}]', 'quota-exhausted'],
    ['an already parsed body', [{ message: 'x', errorCode: 'REQUEST_LIMIT_EXCEEDED' }], 'quota-exhausted'],
    ['another Salesforce 403 code', '[{"message":"no access","errorCode":"INSUFFICIENT_ACCESS"}]', 'failed'],
    ['the code only in a message', '[{"message":"REQUEST_LIMIT_EXCEEDED","errorCode":"FORBIDDEN"}]', 'failed'],
    ['the code in a non-JSON body', '<html>REQUEST_LIMIT_EXCEEDED</html>', 'failed'],
    ['the code as a bare JSON string', '"REQUEST_LIMIT_EXCEEDED"', 'failed'],
    ['a code of another type', '[{"errorCode":["REQUEST_LIMIT_EXCEEDED"]}]', 'failed'],
    ['JSON null', 'null', 'failed'],
    ['an empty body', '', 'failed'],
    ['no body at all', undefined, 'failed'],
    ['an oversized body', `[{"errorCode":"REQUEST_LIMIT_EXCEEDED","message":"${'x'.repeat(70_000)}"}]`, 'failed']
  ]
  for (const [what, data, kind] of cases) {
    const err = classifyStatus({ ...response(403, json), data } as AxiosResponse<unknown>, 'op')
    t.equal(err.kind, kind, `403, ${what} → ${kind}`)
  }
  t.equal(
    classifyStatus(response(401, json, published), 'op').kind,
    'failed',
    'only a 403 carries the quota meaning: a 401 stays refused credentials'
  )
  t.equal(classifyStatus(response(500, json, published), 'op').kind, 'failed', 'and a 5xx stays failed')
})
