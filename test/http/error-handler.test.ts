/**
 * Errors as the POS sees them: catalogue codes and statuses, localized messages, Retry-After,
 * 401 with an empty body, and 5xx answers that name no internals.
 */
import t from 'tap'
import Fastify from 'fastify'
import { buildTestApp } from '../helpers/build-test-app.js'
import { GatewayError, type ErrorCode } from '../../src/spi/error-catalogue.js'
import { errorHandler, toGatewayError } from '../../src/http/error-handler.js'
import { pickLanguage } from '../../src/http/locale.js'
import { LANGUAGES, MESSAGES } from '../../src/spi/messages.js'

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
