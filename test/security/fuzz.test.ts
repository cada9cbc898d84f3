/**
 * Hostile and malformed input, generated (fast-check): well over 10,000 requests across the
 * four SPI routes and the token endpoint — bad and missing credentials, prototype-pollution
 * keys at every depth, wrong types, malformed and oversized bodies, odd content types,
 * undecodable URLs, hostile ids and query strings. Whatever comes in: no 5xx, no crash, every
 * refusal a contract error (`{errorCode, errorMessage}` matching its status, the empty 401, or
 * on the token endpoint RFC 6749's `{error, error_description}`), and Object.prototype as it was.
 */
import t from 'tap'
import fc from 'fast-check'
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js'
import { TokenService } from '../../src/auth/tokens.js'
import { digestSecret } from '../../src/auth/secret-compare.js'
import { ERROR_CATALOGUE } from '../../src/spi/error-catalogue.js'

const BASE = '/endpoint/sa/customers'
const TOKEN = '/oauth2/token'
const KEY = 'fuzz-signing-key-0123456789abcdef-0123'
const S = { header: 'fuzz-header-secret-00001', query: 'fuzz-query-secret-000001', oauth: 'fuzz-oauth-secret-000001' }
const CLIENTS = [
  { id: 'pos-h', method: 'header', secrets: [S.header] },
  { id: 'pos-q', method: 'query', secrets: [S.query] },
  { id: 'pos-o', method: 'oauth', header: 'x-pos-token', secrets: [S.oauth] }
]
const RUNS_PER_PROPERTY = 2_100
const OAUTH_ERRORS = new Set(['invalid_request', 'invalid_client', 'unsupported_grant_type'])
const PROTO_NAMES = Object.getOwnPropertyNames(Object.prototype).sort()

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH'
interface Req {
  readonly method: Method
  readonly url: string
  readonly headers: Record<string, string>
  readonly payload?: string
}

// ---- generators -----------------------------------------------------------------------------

/** encodeURIComponent, with lone surrogates (which it refuses) replaced first. */
const encode = (s: string): string => {
  try {
    return encodeURIComponent(s)
  } catch {
    return encodeURIComponent(s.replace(/[\ud800-\udfff]/g, '\ufffd'))
  }
}

const text = fc.oneof(fc.string({ maxLength: 24 }), fc.string({ unit: 'binary', maxLength: 12 }), fc.constantFrom('', ' ', '\u0000', '☃', '𝒳', '\ud800'))
const headerText = fc.stringMatching(/^[\x20-\x7e]{0,48}$/)
const hostileKey = fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__', 'isPrototypeOf')
const anyKey = fc.oneof({ weight: 2, arbitrary: hostileKey }, { weight: 3, arbitrary: fc.string({ maxLength: 10 }) }, { weight: 1, arbitrary: fc.constantFrom('profile', 'customer', 'customerLoyaltyProfile', 'loyaltyProfile', 'addressList', 'consents', 'address') })

/** JSON values whose objects use hostile keys at any depth. */
const { value: hostileValue } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(null, true, false, 0, -1, 1e308, '', '__proto__'),
    text,
    fc.double(),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(anyKey, tie('value'), { maxKeys: 4 })
  )
}))

const idLike = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9._~:@-]{1,20}$/),
  fc.constantFrom('M0001', '../../admin', '..', '.', 'a/b', '%2e%2e', '__proto__', 'constructor', 'x'.repeat(129), 'x'.repeat(400), 'amelia@example.com', ' '),
  text
)

/** The seeded customers' ids, so updates and reads often find someone. */
const knownId = fc.constantFrom('M0001', 'M0002', 'M0003')
const address = fc.record({ addressLine1: fc.oneof(text, hostileValue), city: text, postalCode: text, countryCode: text, addressId: idLike }, { requiredKeys: [] })
const customer = fc.record(
  {
    profile: fc.oneof(
      hostileValue,
      fc.record({ customerId: fc.oneof(idLike, hostileValue), firstName: fc.oneof(text, hostileValue), email: text, birthday: fc.oneof(text, fc.integer(), hostileValue), phoneMobile: text, address: fc.oneof(address, hostileValue) }, { requiredKeys: [] })
    ),
    consents: fc.oneof(fc.record({ loyaltySignUp: fc.oneof(fc.boolean(), hostileValue), smsSignUp: fc.boolean() }, { requiredKeys: [] }), hostileValue),
    loyaltyProfile: hostileValue,
    customerLoyaltyProfile: hostileValue,
    addressList: fc.oneof(fc.array(address, { maxLength: 3 }), hostileValue),
    __proto__: hostileValue,
    constructor: hostileValue
  },
  { requiredKeys: [] }
)

/** Well-typed where the schema looks, hostile keys where free-form data may go: reaches the merge and the CRM. */
const plain = fc.string({ maxLength: 16 })
const wellTyped = fc.record(
  {
    profile: fc.record({ customerId: fc.oneof({ weight: 3, arbitrary: knownId }, { weight: 1, arbitrary: idLike }), firstName: plain, lastName: plain, email: plain, birthday: fc.constantFrom('1990-04-17', '--02-29', '04-17', ''), favourite: hostileValue }, { requiredKeys: [] }),
    consents: fc.record({ loyaltySignUp: fc.boolean(), eReceipt: fc.boolean() }, { requiredKeys: [] }),
    loyaltyProfile: fc.record({ customLoyaltyAttributes: fc.dictionary(anyKey, hostileValue, { maxKeys: 4 }), address: fc.record({ addressLine1: plain, city: plain, postalCode: plain, countryCode: plain }) }, { requiredKeys: [] }),
    addressList: fc.array(fc.record({ addressLine1: plain, city: plain, postalCode: plain, countryCode: plain }), { maxLength: 2 }),
    extra: fc.dictionary(anyKey, hostileValue, { maxKeys: 3 })
  },
  { requiredKeys: ['profile'] }
).map(({ extra, ...c }) => ({ ...extra, ...c }))

/** The raw body text: JSON of a (hostile) customer, wrapped or not, or no JSON at all. */
const body = fc.oneof(
  { weight: 6, arbitrary: wellTyped.map((c) => JSON.stringify(c)) },
  { weight: 6, arbitrary: customer.map((c) => JSON.stringify(c)) },
  { weight: 2, arbitrary: customer.map((c) => JSON.stringify({ customer: c })) },
  { weight: 2, arbitrary: hostileValue.map((v) => JSON.stringify(v) ?? 'null') },
  { weight: 1, arbitrary: fc.constantFrom('{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"polluted":1}}}', '{"profile":{"__proto__":{"polluted":1},"firstName":"P"}}', '{"customer":{"__proto__":{"polluted":1}}}', '[' .repeat(2000) + ']'.repeat(2000), '{"a":'.repeat(500) + '1' + '}'.repeat(500)) },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.nat({ max: 6000 }).map((n) => JSON.stringify({ profile: { firstName: 'x'.repeat(n) } })) },
  { weight: 1, arbitrary: fc.constant('') }
)

const contentType = fc.oneof(
  { weight: 8, arbitrary: fc.constant('application/json') },
  { weight: 2, arbitrary: fc.constantFrom('application/json; charset=utf-8', 'APPLICATION/JSON', 'text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', 'application/vnd.api+json', '*/*', 'garbage') }
)

const VALID = (tokens: { good: string }) =>
  fc.constantFrom<Record<string, string>>({ 'x-api-key': S.header }, { authorization: `Bearer ${tokens.good}` }, { 'x-pos-token': tokens.good })
const INVALID = (tokens: { expired: string; foreign: string }) =>
  fc.oneof(
    fc.constantFrom<Record<string, string>>(
      {},
      { 'x-api-key': 'fuzz-header-secret-00002' },
      { authorization: `Bearer ${tokens.expired}` },
      { authorization: `Bearer ${tokens.foreign}` },
      { 'x-pos-token': tokens.expired },
      { authorization: 'Basic !!!' },
      { authorization: `Basic ${Buffer.from('pos-o: fuzz-oauth-secret-000001').toString('base64')}` }
    ),
    headerText.map((v) => ({ authorization: v })),
    headerText.map((v) => ({ 'x-api-key': v })),
    headerText.map((v) => ({ authorization: `Bearer ${v}` }))
  )
const credentials = (tokens: { good: string; expired: string; foreign: string }) =>
  fc.oneof({ weight: 7, arbitrary: VALID(tokens) }, { weight: 3, arbitrary: INVALID(tokens) })

const queryKey = fc.oneof(
  fc.constantFrom('firstName', 'lastName', 'email', 'phone', 'phoneMobile', 'phoneNumber', 'customerId', 'loyaltyId', 'limit', 'offset', 'api_key', '__proto__', 'constructor', '__proto__[polluted]', 'constructor[prototype][polluted]', 'toString', 'hasOwnProperty'),
  fc.string({ maxLength: 8 })
)
const queryValue = fc.oneof(text, fc.constantFrom('', '0', '-1', '101', '1e3', 'NaN', '999999999999999999999', S.query, '%', '%zz', '%E0%A4%A'), fc.integer().map(String))
/** A query string: mostly encoded pairs, sometimes raw text (undecodable escapes and all). */
const query = fc.oneof(
  { weight: 4, arbitrary: fc.array(fc.tuple(queryKey, queryValue), { maxLength: 5 }).map((pairs) => pairs.map(([k, v]) => `${encode(k)}=${encode(v)}`).join('&')) },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9=&%_.[\]-]{0,30}$/) }
)
const pathId = fc.oneof({ weight: 3, arbitrary: knownId }, { weight: 4, arbitrary: idLike.map(encode) }, { weight: 1, arbitrary: fc.stringMatching(/^[%A-Fa-f0-9zZ.~-]{1,9}$/) })
const acceptLanguage = fc.option(fc.oneof(fc.constantFrom('fr', 'de-CH', 'ja;q=0.9, es;q=0.8', '*', 'xx'), headerText), { nil: undefined })

function spiRequest(tokens: { good: string; expired: string; foreign: string }): fc.Arbitrary<Req> {
  return fc
    .record({
      route: fc.constantFrom('create', 'update', 'updateByPath', 'search', 'get', 'other'),
      credentials: credentials(tokens),
      apiKeyInQuery: fc.boolean(),
      body,
      contentType,
      query,
      id: pathId,
      lang: acceptLanguage,
      otherMethod: fc.constantFrom<Method>('DELETE', 'PATCH', 'POST', 'GET'),
      otherPath: fc.stringMatching(/^[A-Za-z0-9._~%/-]{0,20}$/)
    })
    .map((g): Req => {
      const q = g.apiKeyInQuery ? `${g.query}&api_key=${S.query}` : g.query
      const headers: Record<string, string> = { ...g.credentials, 'content-type': g.contentType }
      if (g.lang !== undefined) headers['accept-language'] = g.lang
      switch (g.route) {
        case 'create':
          return { method: 'POST', url: `${BASE}?${q}`, headers, payload: g.body }
        case 'update':
          return { method: 'PUT', url: `${BASE}?${q}`, headers, payload: g.body }
        case 'updateByPath':
          return { method: 'PUT', url: `${BASE}/${g.id}?${q}`, headers, payload: g.body }
        case 'search':
          return { method: 'GET', url: `${BASE}?${q}`, headers }
        case 'get':
          return { method: 'GET', url: `${BASE}/${g.id}?${q}`, headers }
        case 'other':
          return { method: g.otherMethod, url: `/endpoint/sa/${g.otherPath}?${q}`, headers, ...(g.otherMethod === 'POST' ? { payload: g.body } : {}) }
      }
    })
}

const basicOf = (id: string, secret: string, sep: string): string => `Basic ${Buffer.from(`${id}${sep}${secret}`).toString('base64')}`
const tokenRequest: fc.Arbitrary<Req> = fc
  .record({
    grantInQuery: fc.oneof(fc.constant('grant_type=client_credentials'), fc.constant(''), fc.constant('grant_type=client_credentials&grant_type=client_credentials'), queryValue.map((v) => `grant_type=${encode(v)}`), query),
    authorization: fc.option(
      fc.oneof(
        fc.constantFrom(basicOf('pos-o', S.oauth, ':'), basicOf('pos-o', S.oauth, ': '), basicOf('pos-o', 'wrong-secret-0000000', ':'), basicOf('pos-h', S.header, ':'), 'Basic', 'Basic ===', 'Bearer x'),
        fc.tuple(text, text, fc.constantFrom(':', ': ', ' : ', '')).map(([id, secret, sep]) => basicOf(id, secret, sep)),
        headerText
      ),
      { nil: undefined }
    ),
    body: fc.oneof(
      fc.array(fc.tuple(fc.oneof(fc.constantFrom('grant_type', 'client_id', 'client_secret', 'scope', '__proto__', '__proto__[x]', 'constructor[prototype][x]'), fc.string({ maxLength: 6 })), queryValue), { maxLength: 4 }).map((pairs) => new URLSearchParams(pairs).toString()),
      fc.constantFrom(`grant_type=client_credentials&client_id=pos-o&client_secret=${S.oauth}`, 'grant_type=client_credentials', ''),
      hostileValue.map((v) => JSON.stringify(v) ?? ''),
      fc.string({ maxLength: 30 }),
      fc.nat({ max: 6000 }).map((n) => `scope=${'x'.repeat(n)}`)
    ),
    contentType: fc.constantFrom('application/x-www-form-urlencoded', 'application/json', 'text/plain', 'application/xml', 'multipart/form-data; boundary=x', ''),
    method: fc.constantFrom<Method>('POST', 'POST', 'POST', 'POST', 'GET', 'PUT', 'DELETE', 'PATCH')
  })
  .map((g): Req => {
    const headers: Record<string, string> = {}
    if (g.authorization !== undefined) headers['authorization'] = g.authorization
    if (g.contentType !== '') headers['content-type'] = g.contentType
    return { method: g.method, url: `${TOKEN}?${g.grantInQuery}`, headers, ...(g.method === 'GET' ? {} : { payload: g.body }) }
  })

// ---- the property ---------------------------------------------------------------------------

/** Why an answer breaks the contract, or undefined when it keeps it. */
function contractViolation(req: Req, status: number, contentType: string | undefined, raw: string): string | undefined {
  if (status >= 500) return `a ${status}`
  const tokenEndpoint = req.url.startsWith(`${TOKEN}?`)
  if (status === 401 && !tokenEndpoint) return raw === '' ? undefined : 'a 401 with a body'
  let body: unknown
  try {
    body = JSON.parse(raw)
  } catch {
    return `a non-JSON ${status} answer: ${raw.slice(0, 80)}`
  }
  if (!/^application\/json/.test(contentType ?? '')) return `content-type ${contentType}`
  const o = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>
  if (status < 300) {
    if ('errorCode' in o || 'error' in o) return 'an error in a success'
    if (tokenEndpoint && (typeof o['access_token'] !== 'string' || o['token_type'] !== 'Bearer')) return 'a token answer without a token'
    return undefined
  }
  if (tokenEndpoint && status !== 429) {
    const keys = Object.keys(o).sort().join(',')
    return keys === 'error,error_description' && OAUTH_ERRORS.has(String(o['error'])) && typeof o['error_description'] === 'string'
      ? undefined
      : `not an RFC 6749 error: ${raw.slice(0, 120)}`
  }
  const keys = Object.keys(o).sort().join(',')
  if (keys !== 'errorCode,errorMessage' || typeof o['errorMessage'] !== 'string' || o['errorMessage'] === '') return `not a contract error: ${raw.slice(0, 120)}`
  const entry = (ERROR_CATALOGUE as Record<string, { status: number } | undefined>)[String(o['errorCode'])]
  if (entry?.status !== status) return `${String(o['errorCode'])} answered with ${status}`
  return undefined
}

function prototypeTouched(): string | undefined {
  const names = Object.getOwnPropertyNames(Object.prototype).sort()
  if (names.join() !== PROTO_NAMES.join()) return `Object.prototype now has ${names.filter((n) => !PROTO_NAMES.includes(n)).join(', ')}`
  const probe = {} as Record<string, unknown>
  if (probe['polluted'] !== undefined || probe['x'] !== undefined) return 'Object.prototype was polluted'
  if (Object.getPrototypeOf(probe) !== Object.prototype) return 'a fresh object lost its prototype'
  return undefined
}

/** A fixed seed (FUZZ_SEED to explore others): the run is reproducible; each property its own. */
const SEED = Number(process.env['FUZZ_SEED'] ?? 20_251_126)

async function hammer(t: { pass: (message: string) => unknown }, app: TestApp['app'], name: string, seed: number, arb: fc.Arbitrary<Req>, counter: { runs: number; statuses: Map<number, number> }): Promise<void> {
  await fc.assert(
    fc.asyncProperty(arb, async (req) => {
      const res = await app.inject({ method: req.method, url: req.url, headers: req.headers, ...(req.payload === undefined ? {} : { payload: req.payload }) })
      counter.runs++
      counter.statuses.set(res.statusCode, (counter.statuses.get(res.statusCode) ?? 0) + 1)
      const problem = contractViolation(req, res.statusCode, res.headers['content-type'] as string | undefined, res.body) ?? prototypeTouched()
      if (problem) throw new Error(`${req.method} ${req.url}: ${problem}`)
    }),
    { numRuns: RUNS_PER_PROPERTY, seed, endOnFailure: true }
  )
  t.pass(`${name}: ${RUNS_PER_PROPERTY} generated requests kept the contract`)
}

t.test('generated hostile requests: no 5xx, every answer a contract answer, no pollution', async (t) => {
  const { app, crm, inject } = await buildTestApp({ auth: { clients: CLIENTS, signingKeys: [KEY] }, rateLimit: { enabled: false }, server: { bodyLimitBytes: 4096 } })
  t.teardown(() => app.close())
  // Customers to update and read, so generated ids sometimes exist.
  for (let i = 0; i < 3; i++) await inject({ method: 'POST', url: BASE, payload: { profile: { firstName: `Seed${i}` } } })
  const digest = digestSecret(S.oauth)
  const tokens = {
    good: (await new TokenService({ keys: [KEY], ttlSeconds: 3600 }).issue('pos-o', digest)).accessToken,
    expired: (await new TokenService({ keys: [KEY], ttlSeconds: 60, now: () => Date.now() - 3_600_000 }).issue('pos-o', digest)).accessToken,
    foreign: (await new TokenService({ keys: ['someone-else-entirely-0123456789abcd'], ttlSeconds: 3600 }).issue('pos-o', digest)).accessToken
  }
  const counter = { runs: 0, statuses: new Map<number, number>() }
  const started = performance.now()
  const spi = spiRequest(tokens)
  for (let i = 1; i <= 4; i++) await hammer(t, app, `SPI routes (${i})`, SEED + i, spi, counter)
  await hammer(t, app, 'token endpoint', SEED, tokenRequest, counter)
  const seconds = (performance.now() - started) / 1000
  const byStatus = [...counter.statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(' ')
  t.ok(counter.runs >= 10_000, `${counter.runs} generated requests in ${seconds.toFixed(1)} s (${byStatus})`)
  t.ok(crm.calls.create > 100 && crm.calls.update > 20, `hostile bodies reached the CRM: ${crm.calls.create} creates, ${crm.calls.update} updates, ${crm.calls.get} gets, ${crm.calls.search} searches`)
  for (const status of [200, 400, 401, 404, 413, 415]) t.ok(counter.statuses.has(status), `the generators reach ${status} answers`)
  t.equal(prototypeTouched(), undefined, 'Object.prototype untouched at the end')
})

t.test('prototype-pollution payloads, by hand, through every write path', async (t) => {
  const { app, crm, inject } = await buildTestApp()
  t.teardown(() => app.close())
  const created = await inject({ method: 'POST', url: BASE, payload: { profile: { firstName: 'Pia' } } })
  const id = created.json().customer.profile.customerId as string
  const payloads = [
    `{"profile":{"customerId":"${id}","__proto__":{"polluted":"yes"}},"__proto__":{"polluted":"yes"}}`,
    `{"customer":{"profile":{"customerId":"${id}","constructor":{"prototype":{"polluted":"yes"}}}}}`,
    `{"profile":{"customerId":"${id}"},"loyaltyProfile":{"customLoyaltyAttributes":{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},"prototype":{"polluted":"yes"}}}}`,
    `{"profile":{"customerId":"${id}"},"addressList":[{"addressLine1":"1 A St","city":"B","postalCode":"1","countryCode":"NO","__proto__":{"polluted":"yes"}}]}`,
    `{"profile":{"customerId":"${id}"},"customerLoyaltyProfile":{"__proto__":{"isAdmin":true}}}`
  ]
  for (const payload of payloads) {
    for (const [method, url] of [['PUT', BASE], ['PUT', `${BASE}/${id}`], ['POST', BASE]] as const) {
      const r = await inject({ method, url, payload, headers: { 'content-type': 'application/json' } })
      t.equal(r.statusCode, 200, `${method} ${url === BASE ? '' : 'by path '}accepts the rest of the body`)
      t.notMatch(r.body, /polluted|isAdmin/, 'and keeps none of the forbidden keys')
    }
  }
  const stored = JSON.stringify([...crm.records.values()])
  t.notMatch(stored, /polluted|isAdmin|__proto__|"prototype"/, 'nothing forbidden reached the CRM')
  t.equal(prototypeTouched(), undefined, 'Object.prototype untouched')
  t.equal(({} as Record<string, unknown>)['isAdmin'], undefined)
})
