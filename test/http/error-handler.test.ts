/**
 * Errors as the POS sees them: catalogue codes and statuses, localized messages, Retry-After,
 * 401 with an empty body, and 5xx answers that name no internals.
 */
import t from 'tap'
import Fastify from 'fastify'
import { buildTestApp } from '../helpers/build-test-app.js'
import { GatewayError, type ErrorCode } from '../../src/spi/error-catalogue.js'
import { CrmFailure } from '../../src/core/port.js'
import { errorHandler, toGatewayError } from '../../src/http/error-handler.js'
import { pickLanguage } from '../../src/http/locale.js'
import { LANGUAGES, MESSAGES } from '../../src/spi/messages.js'
import { clientErrorAnswer } from '../../src/http/client-error.js'

const BASE = '/endpoint/sa/customers'

t.test('adapter failures become their catalogue status; 5xx bodies name no internals', async (t) => {
  const { app, crm, inject } = await buildTestApp()
  t.teardown(() => app.close())
  const cases: Array<[Error, number, string]> = [
    [new GatewayError('CRM_UNAVAILABLE', { detail: 'connect ECONNREFUSED 10.1.2.3:8443' }), 503, 'CRM_UNAVAILABLE'],
    [new GatewayError('CRM_TIMEOUT'), 504, 'CRM_TIMEOUT'],
    [new GatewayError('CRM_ERROR', { detail: 'HTTP 500 from crm.internal' }), 502, 'CRM_ERROR'],
    [new GatewayError('CRM_BAD_RESPONSE'), 502, 'CRM_BAD_RESPONSE'],
    [new GatewayError('DUPLICATE_CUSTOMER'), 409, 'DUPLICATE_CUSTOMER'],
    [new GatewayError('CRM_VALIDATION_FAILED', { params: { field: 'profile.email' } }), 400, 'CRM_VALIDATION_FAILED'],
    [new Error('TypeError at /srv/app/node_modules/secret-lib/index.js:42 token=abc'), 500, 'INTERNAL_ERROR']
  ]
  for (const [error, status, code] of cases) {
    crm.failNext('create', error)
    const r = await inject({ method: 'POST', url: BASE, payload: { profile: { firstName: 'X' } } })
    t.equal(r.statusCode, status, `${code} → ${status}`)
    t.equal(r.json().errorCode, code)
    t.notMatch(r.body, /10\.1\.2\.3|crm\.internal|node_modules|token=|ECONN|stack/, `${code}: no internals in the body`)
  }
  const v = await inject({ method: 'POST', url: BASE, payload: { profile: { firstName: 'X' } } })
  t.equal(v.statusCode, 200, 'a fault is one call only')

  crm.failNext('get', new GatewayError('CRM_RATE_LIMITED', { retryAfterSeconds: 7 }))
  const throttled = await inject({ method: 'GET', url: `${BASE}/M0999` })
  t.equal(throttled.statusCode, 429)
  t.equal(throttled.headers['retry-after'], '7', 'Retry-After is passed on')
  t.match(throttled.json().errorMessage, /7 seconds/)

  crm.failNext('get', new GatewayError('CRM_UNAVAILABLE'), 3)
  const down = await inject({ method: 'GET', url: `${BASE}/M0998` })
  t.equal(down.statusCode, 503, 'a CRM outage is never reported as not found')
})

t.test('messages are localized from Accept-Language, honouring q weights', async (t) => {
  const { app, inject } = await buildTestApp()
  t.teardown(() => app.close())
  const expect: Array<[string | undefined, string]> = [
    [undefined, 'Customer not found.'],
    ['fr-FR,fr;q=0.9', 'Client introuvable.'],
    ['de', 'Kunde nicht gefunden.'],
    ['es-MX', 'Cliente no encontrado.'],
    ['ja', '顧客が見つかりません。'],
    ['en;q=0.1, ja;q=0.9', '顧客が見つかりません。'],
    ['fr;q=0.2, de;q=0.8', 'Kunde nicht gefunden.'],
    ['pt-BR', 'Customer not found.'],
    ['*', 'Customer not found.'],
    ['garbage;;;q=x', 'Customer not found.']
  ]
  for (const [header, message] of expect) {
    const r = await inject({ method: 'GET', url: `${BASE}/M0404`, headers: header ? { 'accept-language': header } : {} })
    t.equal(r.json().errorMessage, message, `Accept-Language: ${header ?? '(none)'}`)
  }
  t.equal(pickLanguage('zh, ja;q=0.5'), 'ja')
})

t.test('every code has a message in every language, with the same placeholders', async (t) => {
  for (const code of Object.keys(MESSAGES.en) as Array<keyof typeof MESSAGES.en>) {
    const placeholders = (s: string): string[] => (s.match(/\{\w+\}/g) ?? []).sort()
    for (const lang of LANGUAGES) {
      t.ok(MESSAGES[lang][code], `${lang} ${code}`)
      t.same(placeholders(MESSAGES[lang][code]), placeholders(MESSAGES.en[code]), `${lang} ${code} placeholders`)
    }
  }
})

t.test('401 answers have an empty body; unknown errors become INTERNAL_ERROR', async (t) => {
  const app = Fastify({ logger: false })
  app.setErrorHandler(errorHandler)
  app.get('/deny', async () => {
    throw new GatewayError('UNAUTHORIZED')
  })
  t.teardown(() => app.close())
  const r = await app.inject({ method: 'GET', url: '/deny', headers: { 'accept-language': 'fr' } })
  t.equal(r.statusCode, 401)
  t.equal(r.body, '', 'empty body')
  const codes: Array<[unknown, ErrorCode]> = [
    [{ code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }, 'BODY_TOO_LARGE'],
    [{ statusCode: 415 }, 'UNSUPPORTED_MEDIA_TYPE'],
    [{ name: 'MappingValueError', field: 'profile.birthday', message: 'x' }, 'INVALID_REQUEST'],
    ['a string thrown', 'INTERNAL_ERROR']
  ]
  for (const [err, code] of codes) t.equal(toGatewayError(err).code, code)
})

t.test("any 4xx from Fastify or a plugin keeps its status, in the contract's shape; only a 5xx is logged as an error", async (t) => {
  const statuses: Array<[number, ErrorCode, number]> = [
    [400, 'BAD_REQUEST', 400],
    [401, 'UNAUTHORIZED', 401],
    [403, 'FORBIDDEN', 403],
    [404, 'ROUTE_NOT_FOUND', 404],
    [405, 'METHOD_NOT_ALLOWED', 405],
    [408, 'REQUEST_TIMEOUT', 408],
    [412, 'PRECONDITION_FAILED', 412],
    [413, 'BODY_TOO_LARGE', 413],
    [415, 'UNSUPPORTED_MEDIA_TYPE', 415],
    [416, 'RANGE_NOT_SATISFIABLE', 416],
    [429, 'RATE_LIMITED', 429],
    [431, 'HEADERS_TOO_LARGE', 431],
    [418, 'BAD_REQUEST', 400],
    [500, 'INTERNAL_ERROR', 500],
    [503, 'INTERNAL_ERROR', 500]
  ]
  const records: Array<{ level: number; msg: string }> = []
  const app = Fastify({ logger: { level: 'info', stream: { write: (l: string) => void records.push(JSON.parse(l) as { level: number; msg: string }) } } })
  app.setErrorHandler(errorHandler)
  app.get('/fail/:status', async (request) => {
    const status = Number((request.params as { status: string }).status)
    throw Object.assign(new Error('Range Not Satisfiable'), { statusCode: status, name: 'HttpError' })
  })
  t.teardown(() => app.close())
  for (const [status, code, answered] of statuses) {
    t.equal(toGatewayError({ statusCode: status, message: 'x' }).code, code, `statusCode ${status} → ${code}`)
    records.length = 0
    const r = await app.inject({ method: 'GET', url: `/fail/${status}` })
    t.equal(r.statusCode, answered, `a plugin's ${status}: answered ${answered}`)
    if (answered !== 401) t.equal(r.json().errorCode, code)
    const errors = records.filter((l) => l.level >= 50)
    t.equal(errors.length, answered >= 500 ? 1 : 0, answered >= 500 ? 'a 5xx is logged at error level' : 'a 4xx is not an error of ours')
  }
  for (const code of ['BAD_REQUEST', 'FORBIDDEN', 'REQUEST_TIMEOUT', 'PRECONDITION_FAILED', 'RANGE_NOT_SATISFIABLE', 'HEADERS_TOO_LARGE'] as const) {
    for (const lang of LANGUAGES) t.ok(MESSAGES[lang][code].length > 5, `${lang} ${code}`)
  }
})

t.test("a parser error's raw answer: the contract body, the connection closed, English", async (t) => {
  const answer = (code: string): string => clientErrorAnswer(Object.assign(new Error('x'), { code }))
  t.equal(
    answer('HPE_HEADER_OVERFLOW'),
    'HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: 85\r\nConnection: close\r\n\r\n{"errorCode":"HEADERS_TOO_LARGE","errorMessage":"The request headers are too large."}'
  )
  t.match(answer('ERR_HTTP_REQUEST_TIMEOUT'), /^HTTP\/1\.1 408 Request Timeout\r\n[\s\S]*"errorCode":"REQUEST_TIMEOUT"/)
  t.match(answer('HPE_INVALID_METHOD'), /^HTTP\/1\.1 400 Bad Request\r\n[\s\S]*"errorCode":"BAD_REQUEST"/)
  for (const code of ['HPE_HEADER_OVERFLOW', 'HPE_INVALID_METHOD']) {
    const text = answer(code)
    const body = text.slice(text.indexOf('\r\n\r\n') + 4)
    t.equal(Number(/Content-Length: (\d+)/.exec(text)?.[1]), Buffer.byteLength(body), `${code}: Content-Length is the body's`)
  }
})

t.test("an open circuit's refusals: 503 with Retry-After, counted, not an error line each; a CRM failure still is one", async (t) => {
  const lines: Array<Record<string, unknown>> = []
  const { app, crm, inject } = await buildTestApp(
    { resilience: { breaker: { volumeThreshold: 2, errorThresholdPercentage: 50 }, retry: { maxAttempts: 1 } }, cache: { enabled: false } },
    { logger: { level: 'debug', stream: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) } } }
  )
  t.teardown(() => app.close())
  crm.failNext('get', new CrmFailure('unreachable', { detail: 'connect ECONNREFUSED' }), 2)
  const failures = [await inject({ method: 'GET', url: `${BASE}/M0001` }), await inject({ method: 'GET', url: `${BASE}/M0002` })]
  t.same(failures.map((r) => r.statusCode), [503, 503], 'two CRM failures open the circuit')
  const errorsBefore = lines.filter((l) => l['msg'] === 'request failed').length
  t.equal(errorsBefore, 2, 'each real CRM failure is logged at error, with its cause')

  const refused = await Promise.all(
    Array.from({ length: 5 }, (_, i) => inject({ method: 'GET', url: `${BASE}/M01${i}`, headers: { 'x-request-id': `refused-${i}` } }))
  )
  t.same([...new Set(refused.map((r) => r.statusCode))], [503], 'refused while open')
  t.ok(refused.every((r) => Number(r.headers['retry-after']) >= 1), 'with Retry-After')
  t.equal(lines.filter((l) => l['msg'] === 'request failed').length, errorsBefore, 'no error line per refusal')
  t.equal(lines.filter((l) => l['msg'] === 'request refused' && l['level'] === 20).length, 5, 'a debug line each, for whoever turns debug on')
  const refusedIds = new Set(refused.map((_, i) => `refused-${i}`))
  const theirLines = lines.filter((l) => refusedIds.has(l['reqId'] as string))
  t.same(theirLines.filter((l) => (l['level'] as number) >= 30), [], 'no line at info or above for a refusal: production logs none')
  t.equal(theirLines.filter((l) => l['msg'] === 'request completed' && l['level'] === 20).length, 5, 'its request line is at debug')
  t.ok(
    lines.some((l) => l['msg'] === 'request completed' && l['level'] === 30 && l['statusCode'] === 503),
    "a real CRM failure's request line stays at info"
  )
  t.ok(lines.some((l) => l['msg'] === 'circuit breaker state changed' && l['breaker'] === 'open'), 'the opening itself is logged, once')
  const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body
  t.match(metrics, /crm_call_duration_seconds_count\{[^}]*operation="get"[^}]*outcome="circuit_open"[^}]*\} 5/, 'and every refusal counted')
})
