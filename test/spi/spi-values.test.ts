/**
 * SPI value rules that do not need a server: birthdays, envelopes, the search query,
 * localized messages with their reasons, the scenario examples the document embeds.
 */
import t from 'tap'
import { readFileSync, readdirSync } from 'node:fs'
import { normalizeBirthday } from '../../src/spi/birthday.js'
import { cleanCustomerInput, unwrapCustomer, wrapCustomerJson } from '../../src/spi/envelope.js'
import { parseSearchQuery, readPagingParams } from '../../src/spi/search-query.js'
import { SCENARIO_PAIRS } from '../../src/spi/examples.js'
import { localizeError } from '../../src/spi/localize-error.js'
import { GatewayError } from '../../src/spi/error-catalogue.js'

t.test('birthday: accepted forms and the emitted form (CONTRACT §6)', async (t) => {
  t.equal(normalizeBirthday('1990-04-17'), '1990-04-17')
  t.equal(normalizeBirthday('--04-17'), '--04-17')
  t.equal(normalizeBirthday('04-17'), '--04-17')
  t.equal(normalizeBirthday('--02-29'), '--02-29', 'a leap-day birthday without a year is fine')
  t.equal(normalizeBirthday(Date.UTC(2001, 0, 2, 23, 59)), '2001-01-02', 'epoch ms read as a UTC date')
  for (const bad of ['1990-02-30', '1990-13-01', '17/04/1990', '', 'soon', '--13-01']) {
    t.equal(normalizeBirthday(bad), undefined, `"${bad}" refused`)
  }
  t.equal(normalizeBirthday(1.5), undefined, 'a fractional epoch is refused')
  t.equal(normalizeBirthday(8.64e15 + 1), undefined, 'an epoch out of Date range is refused')
})

t.test('envelope out, for a customer already serialized: bytes (cached) or text', async (t) => {
  const json = '{"profile":{"firstName":"Zoë"}}'
  const bytes = Buffer.from(json)
  t.equal(wrapCustomerJson(json, 'wrapped'), `{"customer":${json}}`)
  t.same(JSON.parse(String(wrapCustomerJson(bytes, 'wrapped'))), { customer: { profile: { firstName: 'Zoë' } } })
  t.equal(wrapCustomerJson(bytes, 'bare'), bytes, 'bare: the same bytes, not a copy')
  t.equal(wrapCustomerJson(json, 'bare'), json)
})

t.test('envelope: both forms in; a bare customer may carry its own `customer` field', async (t) => {
  t.same(unwrapCustomer({ customer: { profile: { firstName: 'A' } } }), { profile: { firstName: 'A' } })
  t.same(unwrapCustomer({ profile: { firstName: 'A' } }), { profile: { firstName: 'A' } })
  const bareWithCustom = { profile: { firstName: 'A' }, customer: { tier: 'x' } }
  t.same(unwrapCustomer(bareWithCustom), bareWithCustom, 'not unwrapped when customer fields sit beside it')
  t.equal(unwrapCustomer('text'), 'text')
  t.same(cleanCustomerInput({ loyaltyProfile: { a: 1 }, customerLoyaltyProfile: { a: 2 } }), { loyaltyProfile: { a: 1 } }, 'current name wins')
  t.same(cleanCustomerInput({ addressList: [null, { city: null, state: 'CA' }] }), { addressList: [{ state: 'CA' }] }, 'nulls dropped in lists too')
})

t.test('search query: criteria, aliases, paging', async (t) => {
  t.same(parseSearchQuery({ phoneNumber: ' 555 ', limit: '5', offset: '10' }, 20), { criteria: [['phone', '555']], limit: 5, offset: 10 })
  t.same(parseSearchQuery({ phone: '1', phoneMobile: '2' }, 20).criteria, [['phone', '1']], 'the first alias wins')
  t.same(parseSearchQuery({ email: ['a@b.c', 'x@y.z'] }, 7), { criteria: [['email', 'a@b.c']], limit: 7, offset: 0 }, 'a repeated parameter: the first')
  t.throws(() => parseSearchQuery({ limit: '5' }, 20), { code: 'SEARCH_CRITERIA_REQUIRED' })
  t.throws(() => parseSearchQuery({ email: 'a', limit: '1e2' }, 20), { code: 'PAGING_OUT_OF_RANGE', params: { field: 'limit' } })
  t.throws(() => parseSearchQuery({ email: 'a', offset: '1.5' }, 20), { code: 'PAGING_OUT_OF_RANGE', params: { field: 'offset' } })
  t.strictSame(parseSearchQuery({ email: 'a', limit: 5, offset: 0 }, 20), { criteria: [['email', 'a']], limit: 5, offset: 0 }, 'paging already read as numbers')
  t.throws(() => parseSearchQuery({ email: 'a', limit: 101 }, 20), { code: 'PAGING_OUT_OF_RANGE', params: { field: 'limit' } })
})

t.test('paging read as numbers before the schema checks them (SEARCH preValidation)', async (t) => {
  const read = (query: Record<string, unknown>): Record<string, unknown> => {
    readPagingParams(query)
    return query
  }
  t.strictSame(read({ limit: '5', offset: '10', email: 'a' }), { limit: 5, offset: 10, email: 'a' }, 'whole numbers become numbers')
  t.strictSame(read({ limit: ' 007 ' }), { limit: 7 }, 'leading zeros and spaces are fine')
  t.same(read({ limit: '', offset: '  ' }), {}, 'blank: gone, so the schema default applies')
  t.strictSame(read({ limit: ['3', '9'] }), { limit: 3 }, 'repeated: the first')
  t.same(read({}), {}, 'absent: left absent')
  t.strictSame(read({ offset: String(Number.MAX_SAFE_INTEGER) }), { offset: Number.MAX_SAFE_INTEGER })
  for (const [field, value] of [['limit', '0'], ['limit', '101'], ['limit', '1e2'], ['limit', '-1'], ['limit', 'ten'], ['limit', '2.0'], ['offset', '-1'], ['offset', '1.5'], ['offset', '99999999999999999'], ['offset', '0x10']] as const) {
    t.throws(() => read({ [field]: value }), { code: 'PAGING_OUT_OF_RANGE', params: { field, reason: field } }, `${field}=${value}: PAGING_OUT_OF_RANGE naming ${field}`)
  }
})

t.test('the scenario examples the OpenAPI document embeds are the fixture files', async (t) => {
  const dir = new URL('../fixtures/spi-examples/', import.meta.url)
  const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort()
  t.same(Object.keys(SCENARIO_PAIRS).sort(), files.map((f) => f.replace(/\.json$/, '')), 'one pair entry per fixture file')
  for (const file of files) {
    const name = file.replace(/\.json$/, '') as keyof typeof SCENARIO_PAIRS
    t.strictSame(SCENARIO_PAIRS[name], JSON.parse(readFileSync(new URL(file, dir), 'utf8')), `${file}: embedded as it is`)
  }
})

t.test('localized messages substitute field, reason and retry', async (t) => {
  const e = new GatewayError('INVALID_REQUEST', { params: { field: 'profile.email', reason: 'string' } })
  t.same(localizeError(e, 'en'), { errorCode: 'INVALID_REQUEST', errorMessage: 'Invalid value for profile.email: must be text.' })
  t.equal(localizeError(e, 'de').errorMessage, 'Ungültiger Wert für profile.email: muss Text sein.')
  t.equal(localizeError(new GatewayError('RATE_LIMITED', { retryAfterSeconds: 3 }), 'es').errorMessage, 'Demasiadas solicitudes. Inténtelo de nuevo en 3 segundos.')
  t.equal(localizeError(new GatewayError('CRM_TIMEOUT', { detail: 'upstream host crm.local:9000' }), 'en').errorMessage.includes('crm.local'), false, 'detail never reaches the message')
})
