/**
 * Logs and traces carry no personal data and no secret (CONTRACT §7, DESIGN §6): every log
 * line the app writes at trace level, and every span it exports, is captured while it runs the
 * vendor's three scenarios, searches, bad inputs, refused credentials, token requests, CRM
 * failures and rate limiting — all full of
 * distinctive names, e-mails, phones, addresses and secrets — and none of those appears. Then
 * a CRM (behind the real demo-crm adapter) answers garbage carrying planted personal data:
 * none of it appears either.
 */
import t from 'tap'
import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { gzipSync } from 'node:zlib'
import type { InjectOptions } from 'fastify'
import { buildApp } from '../../src/app.js'
import { mappingFileFor } from '../../src/config/project-root.js'
import { loadMappingTable } from '../../src/mapping/index.js'
import { createDemoCrmAdapter } from '../../adapters/demo-crm/index.js'
import { buildTestApp } from '../helpers/build-test-app.js'
import { loggerOptions } from '../../src/http/logging.js'
import { credentialHeaderNames } from '../../src/auth/client-registry.js'
import { validateConfig } from '../../src/config/load-config.js'
import { GatewayError } from '../../src/spi/error-catalogue.js'
import { example } from '../helpers/spi-examples.js'
import { basicAuth, clientsOfEveryKind } from '../helpers/auth-clients.js'
import { startCollector, tracingTo } from '../helpers/otlp-collector.js'

const BASE = '/endpoint/sa/customers'
const SECRETS = {
  header: 'Sec-Header-Marmoset-0001',
  query: 'Sec-Query-Narwhal-0002',
  oauth: 'Sec-OAuth-Axolotl-0003',
  custom: 'Sec-Custom-Tapir-00004',
  basic: 'Sec-Basic-Wombat-000005',
  signing: 'Sec-Signing-Key-Quetzal-0006-abcdefghij',
  wrong: 'Wrong-Secret-Pangolin-9',
  crm: 'Crm-Key-Okapi-7777'
}
const PII = {
  first: 'Xanthippe',
  last: 'Quillfeather-Thistlewood',
  email: 'xanthippe.quillfeather@nowhere-mail.test',
  phone: '+44 20 7946 0958',
  phoneDigits: '442079460958',
  street: '742 Evergreen Terrace-Quokka',
  city: 'Wollongabba',
  postal: 'QX9 8ZZ',
  loyalty: 'LOY-SPARROW-991',
  birthday: '1977-07-07',
  custom: 'ultramarine-ocelot',
  tax: 'TAX-ZEBRA-5531'
}
const CLIENTS = clientsOfEveryKind(SECRETS)
type Json = Record<string, any>

/** Every string and number in a fixture that is personal data (not ids, flags or codes). */
function fixtureValues(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string' && v.length >= 5 && !/^<|^en-US$|^\d{4}-\d{2}-\d{2}$/.test(v)) out.push(v)
  else if (Array.isArray(v)) v.forEach((x) => fixtureValues(x, out))
  else if (typeof v === 'object' && v !== null) Object.values(v).forEach((x) => fixtureValues(x, out))
  return out
}

const basic = basicAuth

t.test('no personal data and no secret in any log line or exported span', async (t) => {
  const lines: string[] = []
  const overrides = { auth: { clients: CLIENTS, signingKeys: [SECRETS.signing] }, rateLimit: { maxRequests: 40 } }
  const headerNames = credentialHeaderNames(validateConfig(overrides).auth)
  // Traces on, exported to a collector: the spans are searched as the log lines are.
  const collector = await startCollector(t)
  const tracing = tracingTo(collector)
  const { app, crm } = await buildTestApp(overrides, {
    logger: { ...loggerOptions('trace', headerNames), stream: { write: (line: string) => void lines.push(line) } },
    tracing
  })
  t.teardown(() => app.close())
  const as = {
    header: { 'x-api-key': SECRETS.header },
    basic: { authorization: basic('pos-basic', SECRETS.basic, ': ') }
  }
  const tokens: string[] = []
  const token = async (id: string, secret: string): Promise<string> => {
    const r = await app.inject({ method: 'POST', url: '/oauth2/token?grant_type=client_credentials', headers: { authorization: basic(id, secret, ': ') } })
    const value = r.json().access_token as string
    tokens.push(value)
    return value
  }
  const bearer = { authorization: `Bearer ${await token('pos-oauth', SECRETS.oauth)}` }
  const custom = { 'x-pos-token': await token('pos-custom', SECRETS.custom) }

  // The vendor's three scenarios, each step by another way in.
  const created = await app.inject({ method: 'POST', url: BASE, headers: as.header, payload: example('1-create-with-loyalty.request') })
  t.equal(created.statusCode, 200)
  const amelia = created.json().customer.profile.customerId as string
  const s2 = example('2-update-save-shipping-address.request')
  s2.customer.profile.customerId = amelia
  t.equal((await app.inject({ method: 'PUT', url: BASE, headers: bearer, payload: s2 })).statusCode, 200)
  const s3 = example('3-update-profile-address.request')
  s3.customer.profile.customerId = amelia
  t.equal((await app.inject({ method: 'PUT', url: `${BASE}/${amelia}?api_key=${SECRETS.query}`, payload: s3 })).statusCode, 200)
  t.equal((await app.inject({ method: 'GET', url: `${BASE}/${amelia}`, headers: custom })).statusCode, 200)

  // A customer made of distinctive values, then searched every way.
  const address = { addressLine1: PII.street, city: PII.city, postalCode: PII.postal, countryCode: 'GB', phone: PII.phone }
  const mine = await app.inject({
    method: 'POST',
    url: BASE,
    headers: as.basic,
    payload: {
      customer: {
        profile: { firstName: PII.first, lastName: PII.last, email: PII.email, phoneMobile: PII.phone, birthday: PII.birthday, address, favouriteColour: PII.custom, taxInfo: { taxId: PII.tax } },
        consents: { loyaltySignUp: true },
        loyaltyProfile: { accountNumber: PII.loyalty }
      }
    }
  })
  t.equal(mine.statusCode, 200)
  const q = encodeURIComponent
  for (const query of [`firstName=${PII.first}`, `lastName=${q(PII.last)}`, `email=${q(PII.email)}`, `phone=${q(PII.phone)}`, `phoneMobile=${PII.phoneDigits}`,
    `loyaltyId=${PII.loyalty}`, `email=${q(PII.email)}&limit=abc`, `firstName=${PII.first}&limit=500`, `email=${q(PII.email)}&api_key=${SECRETS.query}`]) {
    await app.inject({ method: 'GET', url: `${BASE}?${query}`, headers: as.header })
  }

  // Bad inputs carrying the same values.
  const bad: Array<InjectOptions> = [
    { method: 'POST', url: BASE, headers: as.header, payload: { profile: { firstName: 42, lastName: PII.last, email: PII.email } } },
    { method: 'POST', url: BASE, headers: { ...as.header, 'content-type': 'application/json' }, payload: `{"profile":{"email":"${PII.email}","lastName":"${PII.last}"` },
    { method: 'POST', url: BASE, headers: { ...as.header, 'content-type': 'application/json' }, payload: JSON.stringify({ profile: { lastName: PII.last.repeat(20_000) } }) },
    { method: 'POST', url: BASE, headers: { ...as.header, 'content-type': 'application/x-www-form-urlencoded' }, payload: `email=${q(PII.email)}` },
    { method: 'POST', url: BASE, headers: as.header, payload: { profile: { birthday: `${PII.first}-day` } } },
    { method: 'PUT', url: `${BASE}/${q(PII.email)}`, headers: as.header, payload: { profile: { customerId: PII.last, email: PII.email } } },
    { method: 'PUT', url: BASE, headers: as.header, payload: { profile: { customerId: `${PII.street}/../x`, email: PII.email } } },
    { method: 'GET', url: `${BASE}/${q(PII.email)}`, headers: as.header },
    { method: 'GET', url: `${BASE}/${q(PII.street)}`, headers: as.header },
    { method: 'GET', url: `${BASE}/${PII.first}%E0%A4%A?email=${q(PII.email)}`, headers: as.header },
    { method: 'GET', url: `/endpoint/sa/${PII.last}?email=${q(PII.email)}`, headers: as.header },
    { method: 'DELETE', url: `${BASE}/${PII.first}`, headers: as.header }
  ]
  for (const request of bad) {
    const r = await app.inject(request)
    t.ok(r.statusCode >= 400 && r.statusCode < 500, `${request.method} ${typeof request.url === 'string' ? request.url.slice(0, 30) : ''}: ${r.statusCode}`)
  }

  // Refused credentials, including a Basic "id" that is personal data.
  const refused: Array<Record<string, string>> = [
    { 'x-api-key': SECRETS.wrong },
    { authorization: basic('pos-basic', SECRETS.wrong) },
    { authorization: basic(PII.email, SECRETS.wrong) },
    { authorization: `Bearer ${SECRETS.wrong}` },
    { authorization: `Bearer ${tokens[0]!.slice(0, -4)}AAAA` },
    { 'x-pos-token': SECRETS.wrong }
  ]
  for (const headers of refused) {
    t.equal((await app.inject({ method: 'GET', url: `${BASE}?email=${q(PII.email)}`, headers })).statusCode, 401)
  }
  await app.inject({ method: 'GET', url: `${BASE}?email=${q(PII.email)}&api_key=${SECRETS.wrong}` })
  await app.inject({ method: 'POST', url: '/oauth2/token?grant_type=client_credentials', headers: { authorization: basic('pos-oauth', SECRETS.wrong) } })
  await app.inject({ method: 'POST', url: `/oauth2/token?grant_type=client_credentials&client_secret=${SECRETS.oauth}` })
  await app.inject({ method: 'POST', url: '/oauth2/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `grant_type=client_credentials&client_id=${PII.email}&client_secret=${SECRETS.wrong}` })

  // CRM failures whose causes carry the CRM's credentials and the search values (as an HTTP
  // client's error does): the 5xx is logged, its cause's request config is not.
  const transport = Object.assign(new Error('Request failed with status code 500'), {
    code: 'ERR_BAD_RESPONSE',
    config: { headers: { 'X-API-Key': SECRETS.crm }, params: { filter: `EMAIL:eq:${PII.email}` }, url: `/contacts?email=${PII.email}` },
    response: { data: `{"email":"${PII.email}"}` }
  })
  crm.failNext('create', new GatewayError('CRM_ERROR', { cause: transport, detail: 'createCustomer: HTTP 500' }))
  t.equal((await app.inject({ method: 'POST', url: BASE, headers: as.header, payload: { profile: { email: PII.email } } })).statusCode, 502)
  crm.failNext('search', transport)
  t.equal((await app.inject({ method: 'GET', url: `${BASE}?email=${q(PII.email)}`, headers: as.header })).statusCode, 500)

  // Over the rate limit.
  let limited = 0
  for (let i = 0; i < 45; i++) {
    if ((await app.inject({ method: 'GET', url: `${BASE}?lastName=${q(PII.last)}`, headers: custom })).statusCode === 429) limited++
  }
  t.ok(limited > 0, 'the rate limit was reached')

  // Redaction, for whatever logs an object holding credentials.
  app.log.info(
    { headers: { authorization: SECRETS.basic, 'x-pos-token': SECRETS.custom, 'x-api-key': SECRETS.header, cookie: SECRETS.wrong }, config: { headers: { authorization: SECRETS.oauth } }, apiKey: SECRETS.crm, nested: { client_secret: SECRETS.oauth, token: tokens[1] } },
    'redaction check'
  )

  const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>)
  t.ok(records.length > 80, `${records.length} log lines captured`)
  const completed = records.filter((r) => r['msg'] === 'request completed')
  t.ok(completed.some((r) => r['clientId'] === 'pos-oauth') && completed.some((r) => r['clientId'] === 'pos-query'), 'completion lines name the client')
  t.ok(completed.every((r) => typeof r['reqId'] === 'string' && typeof r['statusCode'] === 'number' && typeof r['responseTimeMs'] === 'number'))
  t.ok(records.some((r) => r['msg'] === 'authentication failed'), 'refused attempts are logged')
  t.ok(records.some((r) => r['msg'] === 'request failed' && typeof (r['err'] as Json | undefined)?.['stack'] === 'string'), '5xx causes are logged')
  t.ok(records.some((r) => r['msg'] === 'token issued'))
  const check = records.find((r) => r['msg'] === 'redaction check') as Json
  t.same(check['headers'], { authorization: '[redacted]', 'x-pos-token': '[redacted]', 'x-api-key': '[redacted]', cookie: '[redacted]' })
  t.equal(check['config'].headers.authorization, '[redacted]')
  t.equal(check['apiKey'], '[redacted]')
  t.same(check['nested'], { client_secret: '[redacted]', token: '[redacted]' })

  const needles = [
    ...Object.values(SECRETS),
    ...Object.values(PII),
    PII.email.toUpperCase(),
    encodeURIComponent(PII.email),
    encodeURIComponent(PII.last),
    ...tokens,
    ...tokens.map((tk) => tk.split('.')[2]!),
    ...fixtureValues(example('1-create-with-loyalty.request')),
    ...fixtureValues(example('2-update-save-shipping-address.request')),
    ...fixtureValues(example('3-update-profile-address.request')),
    '4155550142'
  ].flat().filter((n): n is string => typeof n === 'string' && n.length > 0)
  await tracing.shutdown()
  const spans = collector.bodies()
  t.ok(collector.spans().length > 80, `${collector.spans().length} spans exported`)
  const found: string[] = []
  for (const line of [...lines, ...spans]) {
    const lower = line.toLowerCase()
    for (const needle of needles) {
      const n = needle.toLowerCase()
      // Digits alone (a phone, a postal code) only count as a whole number, not inside a timestamp.
      const hit = /^\d+$/.test(n) ? new RegExp(`(?<!\\d)${n}(?!\\d)`).test(lower) : lower.includes(n)
      if (hit) found.push(`${needle} in ${line.slice(0, 300)}`)
    }
    if (/[?&](api_key|email|lastName|firstName|phone|client_secret)=/.test(line)) found.push(`a query string in ${line.slice(0, 300)}`)
  }
  t.same(found, [], `${needles.length} distinctive values, none in ${lines.length} lines and ${spans.length} span exports`)
})

t.test('a CRM answering garbage full of personal data: none of it reaches a log line', async (t) => {
  const planted = { email: 'planted.crm@nowhere-mail.test', name: 'Zebulon-Marchbanks', phone: '+1 212 555 0199', street: '9 Quagga Crescent' }
  const garbage = `{"CONTACT_ID":"C1","EMAIL":"${planted.email}","FNAME":"${planted.name}","PHONE":"${planted.phone}","STREET":"${planted.street}" oops`
  // Each request gets the next bad answer: torn JSON, JSON under another content type, an error
  // body whose "code" is personal data, HTML from a proxy, a torn body compressed.
  const answers: Array<(res: ServerResponse) => void> = [
    (res) => res.writeHead(200, { 'content-type': 'application/json' }).end(garbage),
    (res) => res.writeHead(200, { 'content-type': `text/html; note="${planted.email}"` }).end(garbage),
    (res) => res.writeHead(201, { 'content-type': 'application/json' }).end(garbage),
    (res) => res.writeHead(409, { 'content-type': 'application/json' }).end(`{"error":{"code":"${planted.email}","message":"${planted.name}"}}`),
    (res) => res.writeHead(500, { 'content-type': 'text/html' }).end(`<h1>${planted.name} ${planted.email}</h1>`),
    (res) => res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end(gzipSync(garbage)),
    (res) => res.writeHead(200, { 'content-type': `${planted.email}/json` }).end(garbage)
  ]
  let next = 0
  const crmServer = createServer((req, res) => {
    req.resume()
    req.on('end', () => answers[next++ % answers.length]!(res))
  })
  await new Promise<void>((resolve) => crmServer.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { crmServer.closeAllConnections(); crmServer.close(() => resolve()) }))
  const crmUrl = `http://127.0.0.1:${(crmServer.address() as AddressInfo).port}`

  const lines: string[] = []
  const config = validateConfig({
    crm: { adapter: 'demo-crm', baseUrl: crmUrl, options: { apiKey: SECRETS.crm } },
    resilience: { retry: { maxAttempts: 1 } },
    auth: { clients: [{ id: 'pos-header', method: 'header', secrets: [SECRETS.header] }] }
  })
  const app = await buildApp({
    config,
    mapper: await loadMappingTable(mappingFileFor('demo-crm', '')),
    logger: { ...loggerOptions('trace', credentialHeaderNames(config.auth)), stream: { write: (line: string) => void lines.push(line) } },
    adapter: (log) => createDemoCrmAdapter({ baseUrl: crmUrl, settings: config.crm.options, requestTimeoutMs: config.crm.requestTimeoutMs, log })
  })
  t.teardown(() => app.close())
  const as = { 'x-api-key': SECRETS.header }
  const requests: InjectOptions[] = [
    { method: 'GET', url: `${BASE}/C1`, headers: as },
    { method: 'GET', url: `${BASE}?lastName=Marchbanks`, headers: as },
    { method: 'POST', url: BASE, headers: as, payload: { profile: { firstName: 'Ann' } } },
    { method: 'POST', url: BASE, headers: as, payload: { profile: { firstName: 'Bea' } } },
    { method: 'GET', url: `${BASE}/C2`, headers: as },
    { method: 'GET', url: `${BASE}/C3`, headers: as },
    { method: 'GET', url: `${BASE}/C4`, headers: as }
  ]
  const statuses: number[] = []
  for (const request of requests) statuses.push((await app.inject(request)).statusCode)
  t.ok(statuses.every((s) => s >= 400), `every garbage answer refused: ${statuses.join(', ')}`)
  const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>)
  t.ok(records.some((r) => r['msg'] === 'request failed' && typeof (r['err'] as Json | undefined)?.['stack'] === 'string'), 'the failures are logged, with their causes')
  const found = lines.flatMap((line) => Object.values(planted).filter((v) => line.toLowerCase().includes(v.toLowerCase())).map((v) => `${v} in ${line.slice(0, 300)}`))
  t.same(found, [], `none of the CRM's planted values in ${lines.length} lines`)
})
