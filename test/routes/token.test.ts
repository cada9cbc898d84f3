/**
 * The OAuth 2 token endpoint (CONTRACT §7, RFC 6749 §4.4): every form the POS's connector (or
 * a stricter OAuth client) may send is accepted; every malformed request gets the RFC 6749
 * §5.2 error it deserves, never a token and never a secret echoed back.
 */
import t from 'tap'
import { decodeJwt, decodeProtectedHeader } from 'jose'
import { buildTestApp } from '../helpers/build-test-app.js'

const TOKEN = '/oauth2/token'
const SECRET = 'oauth+secret/with=chars-0123'
const CLIENTS = [
  { id: 'pos-oauth', method: 'oauth', secrets: [SECRET] },
  { id: 'pos-static', method: 'header', secrets: ['static-secret-0123456789'] }
]
const T0 = Date.UTC(2031, 5, 1, 12)
const b64 = (s: string): string => Buffer.from(s).toString('base64')
const FORM = { 'content-type': 'application/x-www-form-urlencoded' }
const form = (fields: Record<string, string>): string => new URLSearchParams(fields).toString()

t.test('every accepted form of a token request', async (t) => {
  const { app } = await buildTestApp({ auth: { clients: CLIENTS } }, { now: () => T0 })
  t.teardown(() => app.close())
  const enc = encodeURIComponent(SECRET)
  const accepted: Array<[string, { url?: string; headers?: Record<string, string>; payload?: string }]> = [
    ['grant in the query, Basic id:secret (the connector)', { headers: { authorization: `Basic ${b64(`pos-oauth:${SECRET}`)}` } }],
    ['the vendor’s "id: secret" spelling', { headers: { authorization: `Basic ${b64(`pos-oauth: ${SECRET}`)}` } }],
    ['spaces all around', { headers: { authorization: `  basic   ${b64(` pos-oauth :  ${SECRET} `)}  ` } }],
    ['form-encoded id and secret in Basic (RFC 6749 §2.3.1)', { headers: { authorization: `Basic ${b64(`pos-oauth:${enc}`)}` } }],
    ['grant in a form body, Basic', { url: TOKEN, headers: { ...FORM, authorization: `Basic ${b64(`pos-oauth:${SECRET}`)}` }, payload: form({ grant_type: 'client_credentials' }) }],
    ['everything in the form body', { url: TOKEN, headers: FORM, payload: form({ grant_type: 'client_credentials', client_id: 'pos-oauth', client_secret: SECRET }) }],
    ['grant in the query, credentials in the form', { headers: FORM, payload: form({ client_id: 'pos-oauth', client_secret: SECRET }) }],
    ['the grant in both, agreeing', { headers: { ...FORM, authorization: `Basic ${b64(`pos-oauth:${SECRET}`)}` }, payload: form({ grant_type: 'client_credentials' }) }],
    ['Basic plus a matching client_id', { headers: { ...FORM, authorization: `Basic ${b64(`pos-oauth:${SECRET}`)}` }, payload: form({ client_id: 'pos-oauth', scope: 'anything' }) }],
    ['a JSON body', { url: TOKEN, headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ grant_type: 'client_credentials', client_id: 'pos-oauth', client_secret: SECRET }) }],
    ['an empty JSON body', { headers: { 'content-type': 'application/json', authorization: `Basic ${b64(`pos-oauth:${SECRET}`)}` }, payload: '' }],
    ['an empty form body', { headers: { ...FORM, authorization: `Basic ${b64(`pos-oauth:${SECRET}`)}` }, payload: '' }]
  ]
  for (const [what, request] of accepted) {
    const r = await app.inject({ method: 'POST', url: request.url ?? `${TOKEN}?grant_type=client_credentials`, headers: request.headers ?? {}, ...(request.payload === undefined ? {} : { payload: request.payload }) })
    t.equal(r.statusCode, 200, `${what}: 200 (${r.body})`)
    if (r.statusCode !== 200) continue
    const body = r.json()
    t.same(Object.keys(body).sort(), ['access_token', 'expires_in', 'token_type'], `${what}: the RFC 6749 answer`)
    t.equal(body.token_type, 'Bearer')
    t.equal(body.expires_in, 300)
    t.equal(r.headers['cache-control'], 'no-store', 'never cached')
    t.equal(r.headers['pragma'], 'no-cache')
  }

  const r = await app.inject({ method: 'POST', url: `${TOKEN}?grant_type=client_credentials`, headers: { authorization: `Basic ${b64(`pos-oauth: ${SECRET}`)}` } })
  const token = r.json().access_token as string
  t.match(decodeProtectedHeader(token), { alg: 'HS256', typ: 'at+jwt' })
  const claims = decodeJwt(token)
  t.match(claims, { iss: 'clienteling-gateway', aud: 'clienteling-spi', sub: 'pos-oauth', iat: T0 / 1000, exp: T0 / 1000 + 300 })
  t.notOk(JSON.stringify(claims).includes(SECRET), 'the secret is not in the token')
  const used = await app.inject({ method: 'GET', url: '/endpoint/sa/customers?lastName=x', headers: { authorization: `Bearer ${token}` } })
  t.equal(used.statusCode, 200, 'the token opens the SPI')
})

t.test('token lifetime is configurable', async (t) => {
  const { app } = await buildTestApp({ auth: { clients: CLIENTS, tokenTtlSeconds: 60, tokenPath: '/auth/token' } })
  t.teardown(() => app.close())
  const r = await app.inject({ method: 'POST', url: '/auth/token?grant_type=client_credentials', headers: { authorization: `Basic ${b64(`pos-oauth:${SECRET}`)}` } })
  t.equal(r.json().expires_in, 60)
  t.equal((await app.inject({ method: 'POST', url: `${TOKEN}?grant_type=client_credentials` })).statusCode, 401, 'the default path is gone (an unknown address)')
})

t.test('every malformed token request gets its RFC 6749 §5.2 error', async (t) => {
  // Over thirty refusals from one address: the limit on failed token requests (token-guard.ts,
  // tested in test/auth) would answer most of them 429 before their own error.
  const { app } = await buildTestApp({ auth: { clients: CLIENTS }, rateLimit: { enabled: false } })
  t.teardown(() => app.close())
  const good = `Basic ${b64(`pos-oauth:${SECRET}`)}`
  const q = `${TOKEN}?grant_type=client_credentials`
  const cases: Array<[string, { method?: 'POST' | 'GET' | 'PUT' | 'DELETE'; url?: string; headers?: Record<string, string>; payload?: string }, number, string]> = [
    ['no grant_type', { url: TOKEN, headers: { authorization: good } }, 400, 'invalid_request'],
    ['an empty grant_type', { url: `${TOKEN}?grant_type=`, headers: { authorization: good } }, 400, 'invalid_request'],
    ['grant_type=password', { url: `${TOKEN}?grant_type=password`, headers: { authorization: good } }, 400, 'unsupported_grant_type'],
    ['grant_type=authorization_code in the form', { url: TOKEN, headers: { ...FORM, authorization: good }, payload: form({ grant_type: 'authorization_code' }) }, 400, 'unsupported_grant_type'],
    ['grant_type twice in the query', { url: `${q}&grant_type=client_credentials`, headers: { authorization: good } }, 400, 'invalid_request'],
    ['grant_type twice in the form', { url: TOKEN, headers: { ...FORM, authorization: good }, payload: 'grant_type=client_credentials&grant_type=client_credentials' }, 400, 'invalid_request'],
    ['query and form grants differ', { url: q, headers: { ...FORM, authorization: good }, payload: form({ grant_type: 'password' }) }, 400, 'invalid_request'],
    ['no client authentication', { url: q }, 401, 'invalid_client'],
    ['a wrong secret', { url: q, headers: { authorization: `Basic ${b64('pos-oauth:oauth+secret/with=chars-0124')}` } }, 401, 'invalid_client'],
    ['an unknown client', { url: q, headers: { authorization: `Basic ${b64(`pos-nobody:${SECRET}`)}` } }, 401, 'invalid_client'],
    ['a static-secret client', { url: q, headers: { authorization: `Basic ${b64('pos-static:static-secret-0123456789')}` } }, 401, 'invalid_client'],
    ['Basic that is not base64', { url: q, headers: { authorization: 'Basic ***' } }, 401, 'invalid_client'],
    ['Basic without a colon', { url: q, headers: { authorization: `Basic ${b64('pos-oauth')}` } }, 401, 'invalid_client'],
    ['Basic with an empty secret', { url: q, headers: { authorization: `Basic ${b64('pos-oauth: ')}` } }, 401, 'invalid_client'],
    ['Basic with an empty id', { url: q, headers: { authorization: `Basic ${b64(`:${SECRET}`)}` } }, 401, 'invalid_client'],
    ['Basic with no credentials at all', { url: q, headers: { authorization: 'Basic' } }, 401, 'invalid_client'],
    ['Basic of invalid UTF-8', { url: q, headers: { authorization: `Basic ${Buffer.from([0xff, 0x3a, 0xfe]).toString('base64')}` } }, 401, 'invalid_client'],
    ['a Bearer header', { url: q, headers: { authorization: 'Bearer abc' } }, 401, 'invalid_client'],
    ['a form client_id without a secret', { url: q, headers: FORM, payload: form({ client_id: 'pos-oauth' }) }, 401, 'invalid_client'],
    ['a form client_secret without an id', { url: q, headers: FORM, payload: form({ client_secret: SECRET }) }, 401, 'invalid_client'],
    ['Basic and a form secret both', { url: q, headers: { ...FORM, authorization: good }, payload: form({ client_id: 'pos-oauth', client_secret: SECRET }) }, 400, 'invalid_request'],
    ['Basic and another client_id', { url: q, headers: { ...FORM, authorization: good }, payload: form({ client_id: 'pos-static' }) }, 400, 'invalid_request'],
    ['client_secret in the URL', { url: `${q}&client_id=pos-oauth&client_secret=${encodeURIComponent(SECRET)}` }, 400, 'invalid_request'],
    ['a form field given twice', { url: q, headers: FORM, payload: 'client_id=pos-oauth&client_id=pos-oauth&client_secret=x' }, 400, 'invalid_request'],
    ['a JSON grant of the wrong type', { url: TOKEN, headers: { 'content-type': 'application/json', authorization: good }, payload: '{"grant_type":["client_credentials"]}' }, 400, 'invalid_request'],
    ['a JSON array body', { url: q, headers: { 'content-type': 'application/json', authorization: good }, payload: '[1,2]' }, 400, 'invalid_request'],
    ['a JSON string body', { url: q, headers: { 'content-type': 'application/json', authorization: good }, payload: '"x"' }, 400, 'invalid_request'],
    ['malformed JSON', { url: q, headers: { 'content-type': 'application/json', authorization: good }, payload: '{"grant_type":' }, 400, 'invalid_request'],
    ['a text/plain body', { url: q, headers: { 'content-type': 'text/plain', authorization: good }, payload: 'grant_type=client_credentials' }, 400, 'invalid_request'],
    ['an XML body', { url: q, headers: { 'content-type': 'application/xml', authorization: good }, payload: '<grant/>' }, 400, 'invalid_request'],
    ['a body over 4 KiB', { url: q, headers: { ...FORM, authorization: good }, payload: `scope=${'x'.repeat(5000)}` }, 413, 'invalid_request'],
    ['GET', { method: 'GET', url: q, headers: { authorization: good } }, 405, 'invalid_request'],
    ['DELETE', { method: 'DELETE', url: q, headers: { authorization: good } }, 405, 'invalid_request']
  ]
  for (const [what, request, status, error] of cases) {
    const r = await app.inject({ method: request.method ?? 'POST', url: request.url ?? q, headers: request.headers ?? {}, ...(request.payload === undefined ? {} : { payload: request.payload }) })
    t.equal(r.statusCode, status, `${what}: ${status}`)
    const body = r.json()
    t.equal(body.error, error, `${what}: ${error}`)
    t.same(Object.keys(body).sort(), ['error', 'error_description'], `${what}: the RFC 6749 §5.2 shape, nothing else`)
    t.notOk(r.body.includes(SECRET) || r.body.includes(encodeURIComponent(SECRET)), `${what}: no secret echoed`)
    if (status === 401) t.match(r.headers['www-authenticate'], /^Basic realm=/, `${what}: a Basic challenge`)
    if (status === 405) t.equal(r.headers['allow'], 'POST')
    t.notOk('access_token' in body)
  }

  const polluted = await app.inject({
    method: 'POST',
    url: q,
    headers: { 'content-type': 'application/json', authorization: good },
    payload: '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"grant_type":"client_credentials"}'
  })
  t.equal(polluted.statusCode, 200, 'forbidden keys in a JSON body are dropped')
  const formPolluted = await app.inject({ method: 'POST', url: q, headers: { ...FORM, authorization: good }, payload: '__proto__[polluted]=1&constructor[prototype][polluted]=1' })
  t.equal(formPolluted.statusCode, 200)
  t.equal(({} as Record<string, unknown>)['polluted'], undefined, 'Object.prototype untouched')
})
