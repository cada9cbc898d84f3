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
  classifyStatus,
  classifyTransportFailure,
  headerValue,
  parseJsonBody,
  parseRetryAfter
} from '../../../adapters/shared/http-failure.js'
import { GatewayError } from '../../../src/spi/error-catalogue.js'

const live = new AbortController().signal

function response(status: number, headers: Record<string, unknown> = {}, data = ''): AxiosResponse<string> {
  return { status, statusText: '', headers, data, config: {} } as AxiosResponse<string>
}

const axiosError = (code: string, message = 'boom'): AxiosError => new AxiosError(message, code)

t.test('transport failures', async (t) => {
  const cases: [string, unknown, string][] = [
    ['ECONNREFUSED', axiosError('ECONNREFUSED'), 'CRM_UNAVAILABLE'],
    ['ECONNRESET', axiosError('ECONNRESET'), 'CRM_UNAVAILABLE'],
    ['ENOTFOUND', axiosError('ENOTFOUND'), 'CRM_UNAVAILABLE'],
    ['EAI_AGAIN', axiosError('EAI_AGAIN'), 'CRM_UNAVAILABLE'],
    ['EPIPE', axiosError('EPIPE'), 'CRM_UNAVAILABLE'],
    ['socket hang up (no code)', new AxiosError('socket hang up'), 'CRM_UNAVAILABLE'],
    ['a code on the cause only', Object.assign(new AxiosError('x'), { cause: { code: 'ECONNRESET' } }), 'CRM_UNAVAILABLE'],
    ['ECONNABORTED (axios timeout)', axiosError('ECONNABORTED'), 'CRM_TIMEOUT'],
    ['ETIMEDOUT', axiosError('ETIMEDOUT'), 'CRM_TIMEOUT'],
    ['a cancellation', new CanceledError(), 'CRM_TIMEOUT'],
    ['ERR_BAD_RESPONSE', axiosError('ERR_BAD_RESPONSE'), 'CRM_BAD_RESPONSE'],
    ['over the size limit', axiosError('ERR_FR_MAX_CONTENT_LENGTH_EXCEEDED'), 'CRM_BAD_RESPONSE'],
    ['HTTP parser error', axiosError('HPE_INVALID_CONSTANT'), 'CRM_BAD_RESPONSE'],
    ['another axios error (TLS)', axiosError('CERT_HAS_EXPIRED'), 'CRM_UNAVAILABLE'],
    ['a bug of ours', new TypeError('x is undefined'), 'INTERNAL_ERROR']
  ]
  for (const [what, err, code] of cases) {
    const out = classifyTransportFailure(err, live, 'getCustomer')
    t.equal(out.code, code, `${what} → ${code}`)
    t.equal(out.cause, err, `${what}: the original error is the cause`)
  }
  const aborted = AbortSignal.abort()
  t.equal(classifyTransportFailure(axiosError('ECONNRESET'), aborted, 'op').code, 'CRM_TIMEOUT', 'any failure after an abort is the deadline')
  const own = new GatewayError('CRM_BAD_RESPONSE')
  t.equal(classifyTransportFailure(own, live, 'op'), own, 'a GatewayError passes through unchanged')
  t.match(classifyTransportFailure(axiosError('ECONNREFUSED'), live, 'searchCustomers').message, /^searchCustomers: /, 'the log detail names the operation')
})

t.test('statuses', async (t) => {
  const cases: [number, string, string][] = [
    [401, 'CRM_ERROR', 'our credentials refused: upstream, not the POS'],
    [403, 'CRM_ERROR', 'forbidden: upstream'],
    [404, 'CRM_ERROR', 'an undocumented 404'],
    [418, 'CRM_ERROR', 'any other 4xx'],
    [500, 'CRM_ERROR', '5xx'],
    [502, 'CRM_ERROR', '5xx'],
    [301, 'CRM_BAD_RESPONSE', 'a redirect'],
    [304, 'CRM_BAD_RESPONSE', 'not modified is no answer to us'],
    [429, 'CRM_RATE_LIMITED', 'throttled']
  ]
  for (const [status, code, what] of cases) {
    const err = classifyStatus(response(status), 'op')
    t.same([err.code, err.errorClass], [code, 'upstream'], `${status} → ${code} (${what})`)
  }
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
      { code: 'CRM_BAD_RESPONSE' },
      `${what} → CRM_BAD_RESPONSE`
    )
  }
})

t.test('base URLs', async (t) => {
  t.doesNotThrow(() => checkBaseUrl('https://crm.example.com/api', 'x'), 'https')
  t.doesNotThrow(() => checkBaseUrl('http://127.0.0.1:4010', 'x'), 'http')
  t.throws(() => checkBaseUrl('crm.example.com', 'x'), /x adapter: baseUrl must be an absolute/, 'relative')
  t.throws(() => checkBaseUrl('file:///etc/passwd', 'x'), /must use http or https/, 'file:')
})

t.test("Salesforce's 403 REQUEST_LIMIT_EXCEEDED is a throttle, not refused credentials", async (t) => {
  const json = { 'content-type': 'application/json;charset=UTF-8' }
  // The REST API's published error shape: an array of {message, errorCode}.
  const published = '[{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]'
  const limited = classifyStatus(response(403, json, published), 'searchCustomers')
  t.same([limited.code, limited.errorClass, limited.status], ['CRM_RATE_LIMITED', 'upstream', 429], 'the array form → CRM_RATE_LIMITED')
  t.equal(limited.retryAfterSeconds, undefined, 'no Retry-After sent → none invented')
  t.match(limited.message, /^searchCustomers: HTTP 403 REQUEST_LIMIT_EXCEEDED$/, 'the log detail names the status and the code')

  const withRetry = classifyStatus(response(403, { ...json, 'retry-after': '30' }, published), 'op')
  t.same([withRetry.code, withRetry.retryAfterSeconds], ['CRM_RATE_LIMITED', 30], 'a Retry-After header is honoured')

  const cases: [string, unknown, string][] = [
    ['a single object', '{"message":"ConcurrentRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}', 'CRM_RATE_LIMITED'],
    ['among other errors', '[{"errorCode":"OTHER"},{"errorCode":"REQUEST_LIMIT_EXCEEDED"}]', 'CRM_RATE_LIMITED'],
    ['an already parsed body', [{ message: 'x', errorCode: 'REQUEST_LIMIT_EXCEEDED' }], 'CRM_RATE_LIMITED'],
    ['another Salesforce 403 code', '[{"message":"no access","errorCode":"INSUFFICIENT_ACCESS"}]', 'CRM_ERROR'],
    ['the code only in a message', '[{"message":"REQUEST_LIMIT_EXCEEDED","errorCode":"FORBIDDEN"}]', 'CRM_ERROR'],
    ['the code in a non-JSON body', '<html>REQUEST_LIMIT_EXCEEDED</html>', 'CRM_ERROR'],
    ['the code as a bare JSON string', '"REQUEST_LIMIT_EXCEEDED"', 'CRM_ERROR'],
    ['a code of another type', '[{"errorCode":["REQUEST_LIMIT_EXCEEDED"]}]', 'CRM_ERROR'],
    ['JSON null', 'null', 'CRM_ERROR'],
    ['an empty body', '', 'CRM_ERROR'],
    ['no body at all', undefined, 'CRM_ERROR'],
    ['an oversized body', `[{"errorCode":"REQUEST_LIMIT_EXCEEDED","message":"${'x'.repeat(70_000)}"}]`, 'CRM_ERROR']
  ]
  for (const [what, data, code] of cases) {
    const err = classifyStatus({ ...response(403, json), data } as AxiosResponse<unknown>, 'op')
    t.same([err.code, err.errorClass], [code, 'upstream'], `403, ${what} → ${code}`)
  }
  t.equal(
    classifyStatus(response(401, json, published), 'op').code,
    'CRM_ERROR',
    'only a 403 carries the throttle meaning: a 401 stays refused credentials'
  )
  t.equal(classifyStatus(response(500, json, published), 'op').code, 'CRM_ERROR', 'and a 5xx stays CRM_ERROR')
})
