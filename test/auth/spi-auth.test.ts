/**
 * Every SPI route requires credentials (CONTRACT §5, §7): each failure is a 401 with an empty
 * body that never reaches the CRM, checked before anything else is wrong with the request;
 * each configured way of authenticating works; secrets rotate without downtime; each client
 * has its own rate limit; the service endpoints stay open.
 */
import t from 'tap'
import type { InjectOptions } from 'fastify'
import { SignJWT } from 'jose'
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js'
import { TokenService, TOKEN_AUDIENCE, TOKEN_ISSUER } from '../../src/auth/tokens.js'
import { digestSecret } from '../../src/auth/secret-compare.js'
import { basicAuth, clientsOfEveryKind } from '../helpers/auth-clients.js'

const BASE = '/endpoint/sa/customers'
const SIGNING_KEY = 'test-signing-key-0123456789abcdef-0123'
const S = {
  header: 'header-secret-0123456789',
  query: 'query-secret-0123456789ab',
  oauth: 'oauth-secret-0123456789ab',
  custom: 'custom-secret-0123456789a',
  basic: 'basic-secret-0123456789ab'
}
const CLIENTS = clientsOfEveryKind(S, 'X-POS-Token')
const T0 = Date.UTC(2030, 0, 1)

const basic = basicAuth

async function tokenFor(app: TestApp['app'], id: string, secret: string): Promise<string> {
  const r = await app.inject({ method: 'POST', url: '/oauth2/token?grant_type=client_credentials', headers: { authorization: basic(id, secret) } })
  if (r.statusCode !== 200) throw new Error(`token for ${id}: ${r.statusCode} ${r.body}`)
  return r.json().access_token as string
}

function totalCalls(crm: TestApp['crm']): number {
  return crm.calls.get + crm.calls.search + crm.calls.create + crm.calls.update
}

interface Route {
  readonly name: string
  readonly method: 'GET' | 'POST' | 'PUT'
  readonly url: string
  readonly payload?: unknown
}

t.test('each SPI route: every kind of bad credential is a 401 with an empty body, and the CRM is not called', async (t) => {
  let now = T0
  const { app, crm, inject } = await buildTestApp({ auth: { clients: CLIENTS, signingKeys: [SIGNING_KEY] } }, { now: () => now })
  t.teardown(() => app.close())
  const seeded = await inject({ method: 'POST', url: BASE, payload: { profile: { firstName: 'Seed' } }, headers: { 'x-api-key': S.header } })
  t.equal(seeded.statusCode, 200, 'a good static secret gets in')
  const id = seeded.json().customer.profile.customerId as string

  const oauthToken = await tokenFor(app, 'pos-oauth', S.oauth)
  const past = new TokenService({ keys: [SIGNING_KEY], ttlSeconds: 300, now: () => T0 - 3_600_000 })
  const expired = (await past.issue('pos-oauth', digestSecret(S.oauth))).accessToken
  const foreign = (await new TokenService({ keys: ['another-gateway-key-0123456789abcdef'], ttlSeconds: 300, now: () => now }).issue('pos-oauth', digestSecret(S.oauth))).accessToken
  const ours = new TextEncoder().encode(SIGNING_KEY)
  const claims = (sub: string) => new SignJWT({ sfp: 'x' }).setIssuer(TOKEN_ISSUER).setAudience(TOKEN_AUDIENCE).setSubject(sub).setIssuedAt(T0 / 1000).setExpirationTime(T0 / 1000 + 300)
  const wrongAudience = await new SignJWT({ sfp: 'x' }).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' }).setIssuer(TOKEN_ISSUER).setAudience('someone-else').setSubject('pos-oauth').setIssuedAt(T0 / 1000).setExpirationTime(T0 / 1000 + 300).sign(ours)
  const hs512 = await claims('pos-oauth').setProtectedHeader({ alg: 'HS512', typ: 'at+jwt' }).sign(new TextEncoder().encode(SIGNING_KEY.repeat(2)))
  const noTyp = await claims('pos-oauth').setProtectedHeader({ alg: 'HS256' }).sign(ours)
  const forStaticClient = (await new TokenService({ keys: [SIGNING_KEY], ttlSeconds: 300, now: () => now }).issue('pos-header', digestSecret(S.header))).accessToken
  const forNobody = (await new TokenService({ keys: [SIGNING_KEY], ttlSeconds: 300, now: () => now }).issue('pos-gone', digestSecret('whatever-secret-0123'))).accessToken
  const [head, payload] = oauthToken.split('.')
  const unsigned = `${head!.replace(/./g, (c) => c)}.${payload}.`
  const b64 = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url')
  const algNone = `${b64({ alg: 'none', typ: 'at+jwt' })}.${payload}.`
  const tampered = `${head}.${b64({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), sub: 'pos-custom' })}.${oauthToken.split('.')[2]}`

  const bad: Array<[string, Record<string, string>, string?]> = [
    ['no credentials', {}],
    ['a wrong static secret', { 'x-api-key': 'header-secret-0123456780' }],
    ['an empty static secret', { 'x-api-key': '' }],
    ['a static secret of the wrong client’s header', { 'x-api-key': S.query }],
    ['a wrong api_key', {}, 'api_key=query-secret-0123456789aX'],
    ['api_key given twice', {}, `api_key=${S.query}&api_key=${S.query}`],
    ['a static secret in the query of a header client', {}, `api_key=${S.header}`],
    ['Basic with a wrong secret', { authorization: basic('pos-basic', 'basic-secret-0123456789aX') }],
    ['Basic of an unknown client', { authorization: basic('pos-nobody', S.basic) }],
    ['Basic naming another client', { authorization: basic('pos-header', S.basic) }],
    ['malformed Basic', { authorization: 'Basic !!!not-base64!!!' }],
    ['Basic without a colon', { authorization: `Basic ${Buffer.from('pos-basic').toString('base64')}` }],
    ['a malformed bearer token', { authorization: 'Bearer not-a-token' }],
    ['a three-part bearer that is no JWT', { authorization: 'Bearer a.b.c' }],
    ['an expired token', { authorization: `Bearer ${expired}` }],
    ['a foreign-signed token', { authorization: `Bearer ${foreign}` }],
    ['a token for another audience', { authorization: `Bearer ${wrongAudience}` }],
    ['a token signed with another algorithm', { authorization: `Bearer ${hs512}` }],
    ['a token without its type', { authorization: `Bearer ${noTyp}` }],
    ['an unsigned token', { authorization: `Bearer ${unsigned}` }],
    ['an alg:none token', { authorization: `Bearer ${algNone}` }],
    ['a token whose claims were edited', { authorization: `Bearer ${tampered}` }],
    ['a token for a static-secret client', { authorization: `Bearer ${forStaticClient}` }],
    ['a token for a client no longer configured', { authorization: `Bearer ${forNobody}` }],
    ['a valid token in another client’s custom header', { 'x-pos-token': oauthToken }],
    ['a valid token in the static secret header', { 'x-api-key': oauthToken }],
    ['a static secret sent as a bearer token', { authorization: `Bearer ${S.header}` }],
    ['credentials of two different clients', { 'x-api-key': S.header, authorization: basic('pos-basic', S.basic) }]
  ]
  const routes: Route[] = [
    { name: 'CREATE', method: 'POST', url: BASE, payload: { profile: { firstName: 'Nobody' } } },
    { name: 'UPDATE', method: 'PUT', url: BASE, payload: { profile: { customerId: id, firstName: 'Nobody' } } },
    { name: 'UPDATE by path', method: 'PUT', url: `${BASE}/${id}`, payload: { profile: { firstName: 'Nobody' } } },
    { name: 'SEARCH', method: 'GET', url: `${BASE}?lastName=a` },
    { name: 'GET', method: 'GET', url: `${BASE}/${id}` }
  ]
  const before = totalCalls(crm)
  let checked = 0
  for (const route of routes) {
    for (const [what, headers, query] of bad) {
      const url = query ? `${route.url}${route.url.includes('?') ? '&' : '?'}${query}` : route.url
      const r = await app.inject({ method: route.method, url, headers, ...(route.payload ? { payload: route.payload } : {}) })
      if (r.statusCode !== 401 || r.body !== '') t.fail(`${route.name} with ${what}: ${r.statusCode} ${r.body}`)
      else checked++
    }
  }
  t.equal(checked, routes.length * bad.length, `${checked} refusals, each 401 with an empty body`)
  t.equal(totalCalls(crm), before, 'the CRM was never called')

  // Authentication comes before anything else wrong with the request.
  const worse: Array<[string, InjectOptions]> = [
    ['a body over the limit', { method: 'POST', url: BASE, payload: JSON.stringify({ profile: { firstName: 'x'.repeat(400_000) } }), headers: { 'content-type': 'application/json' } }],
    ['malformed JSON', { method: 'POST', url: BASE, payload: '{"profile": {', headers: { 'content-type': 'application/json' } }],
    ['a form body', { method: 'POST', url: BASE, payload: 'a=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } }],
    ['an invalid body', { method: 'PUT', url: BASE, payload: { profile: { firstName: 42 } } }],
    ['an impossible id', { method: 'GET', url: `${BASE}/${encodeURIComponent('../../etc/passwd')}` }],
    ['an undecodable URL', { method: 'GET', url: `${BASE}/%E0%A4%A` }],
    ['an id over the router’s limit', { method: 'GET', url: `${BASE}/${'x'.repeat(300)}` }],
    ['no search criteria', { method: 'GET', url: BASE }],
    ['an unknown route', { method: 'GET', url: '/endpoint/sa/admin' }],
    ['an unknown method', { method: 'DELETE', url: `${BASE}/${id}` }],
    ['the root', { method: 'GET', url: '/' }]
  ]
  for (const [what, request] of worse) {
    const r = await app.inject(request)
    t.equal(r.statusCode, 401, `unauthenticated, with ${what}: 401`)
    t.equal(r.body, '', `${what}: empty body`)
  }
  t.equal(totalCalls(crm), before, 'still no CRM call')

  // The same requests, authenticated, get their contract errors.
  const as = { 'x-api-key': S.header }
  const badUrl = await app.inject({ method: 'GET', url: `${BASE}/%E0%A4%A`, headers: as })
  t.equal(badUrl.statusCode, 400, 'an undecodable URL, authenticated: 400')
  t.same(Object.keys(badUrl.json()).sort(), ['errorCode', 'errorMessage'])
  const badUrlByQuery = await app.inject({ method: 'GET', url: `${BASE}/%zz?api_key=${S.query}` })
  t.equal(badUrlByQuery.statusCode, 400, 'api_key is read from an undecodable URL too')
  const longId = await app.inject({ method: 'GET', url: `${BASE}/${'x'.repeat(300)}`, headers: as })
  t.equal(longId.json().errorCode, 'INVALID_CUSTOMER_ID', 'an over-long id: INVALID_CUSTOMER_ID')
  const id128 = await app.inject({ method: 'GET', url: `${BASE}/${'x'.repeat(128)}`, headers: as })
  t.equal(id128.statusCode, 404, 'a 128-character id is a plausible id (looked up, not found)')
  const big = await app.inject({ ...worse[0]![1], headers: { ...worse[0]![1].headers, ...as } })
  t.equal(big.statusCode, 413)
  t.equal((await app.inject({ method: 'GET', url: '/endpoint/sa/admin', headers: as })).statusCode, 404)

  // An expired token from the token endpoint itself, with the app's clock moved on.
  const fresh = await tokenFor(app, 'pos-oauth', S.oauth)
  t.equal((await app.inject({ method: 'GET', url: `${BASE}/${id}`, headers: { authorization: `Bearer ${fresh}` } })).statusCode, 200)
  now += 300_000 + 4_000
  t.equal((await app.inject({ method: 'GET', url: `${BASE}/${id}`, headers: { authorization: `Bearer ${fresh}` } })).statusCode, 200, 'a few seconds of clock skew are tolerated')
  now += 2_000
  const late = await app.inject({ method: 'GET', url: `${BASE}/${id}`, headers: { authorization: `Bearer ${fresh}` } })
  t.equal(late.statusCode, 401, 'after its lifetime the token is refused')
  t.equal(late.body, '')
})

t.test('each configured way in works on every route', async (t) => {
  const { app, crm, inject } = await buildTestApp({ auth: { clients: CLIENTS, signingKeys: [SIGNING_KEY] } })
  t.teardown(() => app.close())
  const id = (await inject({ method: 'POST', url: BASE, payload: { profile: { firstName: 'Ann' } }, headers: { 'x-api-key': S.header } })).json().customer.profile.customerId as string
  const oauth = await tokenFor(app, 'pos-oauth', S.oauth)
  const custom = await tokenFor(app, 'pos-custom', S.custom)
  const ways: Array<[string, Record<string, string>, string?]> = [
    ['a static secret in x-api-key', { 'x-api-key': S.header }],
    ['a static secret in x-api-key, padded', { 'x-api-key': `  ${S.header} ` }],
    ['a static api_key query parameter', {}, `api_key=${encodeURIComponent(S.query)}`],
    ['a connector’s fixed Authorization: Basic', { authorization: basic('pos-basic', S.basic) }],
    ['the vendor’s "id: secret" Basic spelling', { authorization: basic('pos-basic', S.basic, ': ') }],
    ['a static secret as Authorization: Bearer', { authorization: `Bearer ${S.basic}` }],
    ['a static secret as the bare Authorization value', { authorization: S.basic }],
    ['a token as Authorization: Bearer', { authorization: `Bearer ${oauth}` }],
    ['a token, lower-case bearer', { authorization: `bearer ${oauth}` }],
    ['a bare token in the client’s custom header', { 'x-pos-token': custom }],
    ['Bearer in the client’s custom header', { 'x-pos-token': `Bearer ${custom}` }],
    ['the custom client’s token as Authorization: Bearer', { authorization: `Bearer ${custom}` }]
  ]
  for (const [what, headers, query] of ways) {
    const q = query ? `&${query}` : ''
    const statuses = [
      (await app.inject({ method: 'POST', url: `${BASE}${query ? `?${query}` : ''}`, headers, payload: { profile: { firstName: 'Bo' } } })).statusCode,
      (await app.inject({ method: 'PUT', url: `${BASE}${query ? `?${query}` : ''}`, headers, payload: { profile: { customerId: id, lastName: 'Lee' } } })).statusCode,
      (await app.inject({ method: 'PUT', url: `${BASE}/${id}${query ? `?${query}` : ''}`, headers, payload: { profile: { lastName: 'Lee' } } })).statusCode,
      (await app.inject({ method: 'GET', url: `${BASE}?firstName=ann${q}`, headers })).statusCode,
      (await app.inject({ method: 'GET', url: `${BASE}/${id}${query ? `?${query}` : ''}`, headers })).statusCode
    ]
    t.same(statuses, [200, 200, 200, 200, 200], what)
  }
  const onlyKey = await app.inject({ method: 'GET', url: `${BASE}?api_key=${S.query}` })
  t.equal(onlyKey.json().errorCode, 'SEARCH_CRITERIA_REQUIRED', 'api_key is a credential, never a search criterion')
  t.notOk(crm.lastQuery.some((q) => JSON.stringify(q).includes(S.query)), 'the api_key never reached the CRM')
})

t.test('the service endpoints answer without credentials; unknown addresses do not', async (t) => {
  const { app } = await buildTestApp({ auth: { clients: CLIENTS } })
  t.teardown(() => app.close())
  for (const url of ['/healthz', '/readyz', '/metrics', '/openapi.json', '/docs/', '/docs/json']) {
    t.equal((await app.inject({ method: 'GET', url })).statusCode, 200, `${url} is open`)
  }
  t.equal((await app.inject({ method: 'GET', url: '/healthz?api_key=anything' })).statusCode, 200, 'credentials are not even looked at there')
  for (const url of ['/docsx', '/healthz/../endpoint/sa/customers?lastName=a', '/metrics2', '/endpoint/sa/customers/../../healthz']) {
    const r = await app.inject({ method: 'GET', url })
    t.ok(r.statusCode === 401 || r.statusCode === 200, `${url}: ${r.statusCode}`)
    if (r.statusCode === 200) t.notMatch(r.body, /customers/, `${url} only reached an open endpoint`)
  }
})

t.test('no clients configured: every SPI request is refused (never an open gateway)', async (t) => {
  const { app, crm } = await buildTestApp({ auth: { clients: [] } })
  t.teardown(() => app.close())
  for (const headers of [{}, { 'x-api-key': 'anything-at-all-0123456' }, { authorization: 'Bearer x.y.z' }, { authorization: basic('dev', 'secret') }]) {
    const r = await app.inject({ method: 'GET', url: `${BASE}?lastName=a`, headers })
    t.equal(r.statusCode, 401)
  }
  const token = await app.inject({ method: 'POST', url: '/oauth2/token?grant_type=client_credentials', headers: { authorization: basic('dev', 'secret-secret-secret') } })
  t.equal(token.statusCode, 401, 'and no token is issued')
  t.equal(totalCalls(crm), 0)
  t.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200)
})

t.test('rotation: two secrets at once, then the old one removed', async (t) => {
  const old = { header: 'old-header-secret-0123456', oauth: 'old-oauth-secret-01234567' }
  const neu = { header: 'new-header-secret-0123456', oauth: 'new-oauth-secret-01234567' }
  const config = (header: string[], oauth: string[], signingKeys = [SIGNING_KEY]) => ({
    auth: { signingKeys, clients: [{ id: 'pos-h', method: 'header', secrets: header }, { id: 'pos-o', method: 'oauth', secrets: oauth }] }
  })
  const get = (app: TestApp['app'], headers: Record<string, string>) => app.inject({ method: 'GET', url: `${BASE}?lastName=a`, headers }).then((r) => r.statusCode)
  const token = (app: TestApp['app'], secret: string) =>
    app.inject({ method: 'POST', url: '/oauth2/token?grant_type=client_credentials', headers: { authorization: basic('pos-o', secret) } })

  const before = await buildTestApp(config([old.header], [old.oauth]))
  const tokenOld = (await token(before.app, old.oauth)).json().access_token as string
  await before.app.close()

  const during = await buildTestApp(config([old.header, neu.header], [old.oauth, neu.oauth]))
  t.equal(await get(during.app, { 'x-api-key': old.header }), 200, 'during: the old static secret works')
  t.equal(await get(during.app, { 'x-api-key': neu.header }), 200, 'during: the new one too')
  t.equal((await token(during.app, old.oauth)).statusCode, 200, 'during: a token for the old client secret')
  const tokenNew = (await token(during.app, neu.oauth)).json().access_token as string
  t.equal(await get(during.app, { authorization: `Bearer ${tokenOld}` }), 200, 'during: tokens from before the restart still work (shared signing key)')
  t.equal(await get(during.app, { authorization: `Bearer ${tokenNew}` }), 200)
  await during.app.close()

  const after = await buildTestApp(config([neu.header], [neu.oauth]))
  t.teardown(() => after.app.close())
  t.equal(await get(after.app, { 'x-api-key': old.header }), 401, 'after: the old static secret is refused')
  t.equal(await get(after.app, { 'x-api-key': neu.header }), 200, 'after: the new one works')
  const refused = await token(after.app, old.oauth)
  t.equal(refused.statusCode, 401, 'after: no token for the old client secret')
  t.equal(refused.json().error, 'invalid_client')
  t.equal(await get(after.app, { authorization: `Bearer ${tokenOld}` }), 401, 'after: tokens obtained with the old secret die with it')
  t.equal(await get(after.app, { authorization: `Bearer ${tokenNew}` }), 200, 'after: tokens obtained with the new secret live on')

  // The signing key rotates the same way: the new key first (signs), the old one second (verifies).
  const keyed = await buildTestApp(config([neu.header], [neu.oauth], ['next-signing-key-0123456789abcdef-01', SIGNING_KEY]))
  t.teardown(() => keyed.app.close())
  t.equal(await get(keyed.app, { authorization: `Bearer ${tokenNew}` }), 200, 'a token signed with the previous key is still accepted')
  const next = (await token(keyed.app, neu.oauth)).json().access_token as string
  t.equal(await get(after.app, { authorization: `Bearer ${next}` }), 401, 'tokens are signed with the new key')
  t.equal(await get(keyed.app, { authorization: `Bearer ${next}` }), 200)
})

t.test('rate limit per client: 429 with Retry-After and the catalogue body, after authentication', async (t) => {
  const clients = [
    { id: 'pos-a', method: 'header', secrets: ['client-a-secret-0123456'] },
    { id: 'pos-b', method: 'header', header: 'x-b-key', secrets: ['client-b-secret-0123456'] },
    { id: 'pos-c', method: 'header', header: 'x-c-key', secrets: ['client-c-secret-0123456'], rateLimitMaxRequests: 5 }
  ]
  const { app, crm } = await buildTestApp({ auth: { clients }, rateLimit: { maxRequests: 3, windowSeconds: 60 } })
  t.teardown(() => app.close())
  const a = { 'x-api-key': 'client-a-secret-0123456' }
  const search = (headers: Record<string, string>) => app.inject({ method: 'GET', url: `${BASE}?lastName=a`, headers })
  for (let i = 0; i < 3; i++) t.equal((await search(a)).statusCode, 200, `request ${i + 1} of 3`)
  const calls = crm.calls.search
  const over = await search({ ...a, 'accept-language': 'fr' })
  t.equal(over.statusCode, 429, 'the 4th request in the window: 429')
  t.match(over.headers['retry-after'], /^\d+$/, 'with Retry-After in seconds')
  t.ok(Number(over.headers['retry-after']) >= 1 && Number(over.headers['retry-after']) <= 60)
  t.equal(over.json().errorCode, 'RATE_LIMITED')
  t.match(over.json().errorMessage, /Trop de requêtes/, 'localized')
  t.equal(crm.calls.search, calls, 'a refused request does not reach the CRM')
  t.equal((await search({ 'x-b-key': 'client-b-secret-0123456' })).statusCode, 200, 'another client has its own budget')
  for (let i = 0; i < 5; i++) t.equal((await search({ 'x-c-key': 'client-c-secret-0123456' })).statusCode, 200, `pos-c has its own limit (${i + 1}/5)`)
  t.equal((await search({ 'x-c-key': 'client-c-secret-0123456' })).statusCode, 429)
  const stranger = await search({ 'x-api-key': 'not-a-secret-at-all-0000' })
  t.equal(stranger.statusCode, 401, 'unauthenticated: 401, not 429 (authentication first)')
  for (let i = 0; i < 5; i++) t.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200, 'health checks are never limited')

  const off = await buildTestApp({ auth: { clients }, rateLimit: { enabled: false, maxRequests: 1 } })
  t.teardown(() => off.app.close())
  for (let i = 0; i < 4; i++) t.equal((await off.app.inject({ method: 'GET', url: `${BASE}?lastName=a`, headers: a })).statusCode, 200, 'rate limiting can be turned off')
})

t.test('a refused attempt is counted by reason, logged at debug as an object without the secret, and at info not at all', async (t) => {
  const { loggerOptions } = await import('../../src/http/logging.js')
  const refuseTwo = async (level: string): Promise<{ lines: Array<Record<string, unknown>>; metrics: string }> => {
    const lines: string[] = []
    const { app } = await buildTestApp(
      { auth: { clients: CLIENTS, signingKeys: [SIGNING_KEY] } },
      { logger: { ...loggerOptions(level), stream: { write: (s: string) => void lines.push(s) } } }
    )
    t.teardown(() => app.close())
    await app.inject({ method: 'GET', url: `${BASE}?lastName=a`, headers: { authorization: basic('pos-basic', 'Wrong-Secret-Pelican-42') } })
    await app.inject({ method: 'GET', url: `${BASE}?lastName=a`, headers: { 'x-request-id': 'req-abc-123', 'x-api-key': 'Wrong-Secret-Heron-77' } })
    await app.inject({ method: 'GET', url: `${BASE}?lastName=a` })
    t.notMatch(lines.join(''), /Pelican|Heron|lastName=a/, `${level}: neither the secret nor the query string is logged`)
    const refusedLines = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l['reqId'] !== undefined)
    return { lines: refusedLines, metrics: (await app.inject({ method: 'GET', url: '/metrics' })).body }
  }
  const debug = await refuseTwo('debug')
  const failures = debug.lines.filter((l) => l['msg'] === 'authentication failed')
  t.equal(failures.length, 3)
  t.match(failures[0], { level: 20, event: 'auth_failed', reason: 'unknown_secret', via: 'header', clientId: 'pos-basic', route: '/endpoint/sa/customers' })
  t.match(failures[1], { level: 20, reason: 'unknown_secret', reqId: 'req-abc-123' })
  t.notOk('clientId' in failures[1]!, 'no client id when none is known')
  t.match(failures[2], { level: 20, reason: 'no_credentials' })
  t.match(debug.metrics, /auth_failures_total\{reason="unknown_secret",via="header"\} 2/, 'counted by reason and where the credential was')
  t.match(debug.metrics, /auth_failures_total\{reason="no_credentials",via="none"\} 1/)

  const info = await refuseTwo('info')
  t.same(info.lines, [], 'at info (production), a refused attempt writes no line: a stale till or an attack would write one per call')
  t.match(info.metrics, /auth_failures_total\{reason="unknown_secret",via="header"\} 2/, 'the counter is what production watches (alert ClientelingAuthFailures)')
})

t.test('a rate-limited request: 429 with Retry-After, counted, and no line at info', async (t) => {
  const { loggerOptions } = await import('../../src/http/logging.js')
  const lines: Array<Record<string, unknown>> = []
  const { app, inject } = await buildTestApp(
    { rateLimit: { maxRequests: 1, windowSeconds: 60 } },
    { logger: { ...loggerOptions('info'), stream: { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) } } }
  )
  t.teardown(() => app.close())
  const first = await inject({ method: 'GET', url: `${BASE}?lastName=a`, headers: { 'x-request-id': 'first' } })
  const limited = await inject({ method: 'GET', url: `${BASE}?lastName=a`, headers: { 'x-request-id': 'limited' } })
  t.equal(first.statusCode, 200)
  t.equal(limited.statusCode, 429)
  t.ok(Number(limited.headers['retry-after']) >= 1, 'with Retry-After')
  t.ok(lines.some((l) => l['reqId'] === 'first' && l['msg'] === 'request completed' && l['level'] === 30), "an answered request's line is at info")
  t.same(lines.filter((l) => l['reqId'] === 'limited'), [], 'the refusal writes none at info: a till over its limit would write one per call')
  t.match((await app.inject({ method: 'GET', url: '/metrics' })).body, /rate_limited_requests_total\{client="[^"]+",limit="requests"\} 1/, 'it is counted')
})
