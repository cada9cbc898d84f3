/**
 * Each authentication style of the rest adapter against a CRM on 127.0.0.1: what every request
 * carries, and for OAuth2 client credentials the token's life — fetched once for every waiting
 * call, cached until shortly before it expires (a fake clock), renewed once when refused —
 * with no secret in any log or failure.
 */
import FakeTimers from '@sinonjs/fake-timers'
import t from 'tap'
import type { CrmFailureKind } from '../../../src/core/port.js'
import { crmFailure } from '../../helpers/expect-failure.js'
import { createSilentLogger } from '../../helpers/silent-logger.js'
import { adapterOver, baseDefinition, context, json, startCrm } from './fixtures.js'
import type { Recorded } from './fixtures.js'

const RECORD = { id: 'c001', name: 'Ada' }

t.test('api-key in a header, on every call', async (t) => {
  const crm = await startCrm(t, () => json(200, RECORD))
  const d = baseDefinition()
  d['auth'] = { kind: 'api-key', in: 'header', name: 'X-API-Key', setting: 'apiKey' }
  const adapter = adapterOver(t, crm.url, d, { secrets: { apiKey: 'key-123' } })
  t.same(await adapter.getCustomer('c001', context()), RECORD)
  t.equal(crm.requests[0]?.headers['x-api-key'], 'key-123')
  t.equal(crm.requests[0]?.query.toString(), '', 'nothing in the query')
})

t.test('api-key as a query parameter, beside the others', async (t) => {
  const crm = await startCrm(t, () => json(200, { items: [RECORD], total: 1 }))
  const d = baseDefinition()
  d['auth'] = { kind: 'api-key', in: 'query', name: 'api_key', setting: 'apiKey' }
  d['operations'].search.query = { expand: 'all' }
  const adapter = adapterOver(t, crm.url, d, { secrets: { apiKey: 'key 1&2' } })
  await adapter.searchCustomers({ criteria: [{ fields: ['name'], operator: 'prefix', value: 'Ad' }], limit: 5, offset: 0 }, context())
  const q = crm.requests[0]?.query
  t.equal(q?.get('api_key'), 'key 1&2', 'URL-encoded, never spliced')
  t.equal(q?.get('expand'), 'all')
  t.equal(q?.get('name[sw]'), 'Ad')
  t.equal(crm.requests[0]?.headers['authorization'], undefined)
})

t.test('bearer token and basic credentials', async (t) => {
  const crm = await startCrm(t, () => json(200, RECORD))
  const bearer = adapterOver(t, crm.url, baseDefinition(), { secrets: { token: 'tok-abc' } })
  await bearer.getCustomer('c001', context())
  t.equal(crm.requests[0]?.headers['authorization'], 'Bearer tok-abc')

  const d = baseDefinition()
  d['auth'] = { kind: 'basic', usernameSetting: 'user', passwordSetting: 'password' }
  const basic = adapterOver(t, crm.url, d, { secrets: { user: 'gateway', password: 'pa:ss' } })
  await basic.getCustomer('c001', context())
  t.equal(crm.requests[1]?.headers['authorization'], `Basic ${Buffer.from('gateway:pa:ss').toString('base64')}`)
})

t.test('a refused key is `failed`, asked once (nothing to renew)', async (t) => {
  const crm = await startCrm(t, () => json(401, { error: 'bad key' }))
  const adapter = adapterOver(t, crm.url, baseDefinition())
  t.equal((await crmFailure(adapter.getCustomer('c001', context()))).kind, 'failed')
  t.equal(crm.requests.length, 1)
})

// ---------------------------------------------------------------------------------------------
// OAuth2 client credentials

interface TokenServer {
  /** Tokens issued so far (tok-1, tok-2…). */
  issued: number
  /** Token requests, as recorded. */
  readonly tokenRequests: Recorded[]
  /** Tokens the CRM accepts. */
  readonly valid: Set<string>
  /** What the token endpoint answers; default a fresh token for an hour. */
  tokenAnswer: (() => ReturnType<typeof json> | Promise<ReturnType<typeof json>>) | undefined
  expiresIn: number | undefined
}

async function oauthCrm(t: Parameters<typeof startCrm>[0]) {
  const state: TokenServer = { issued: 0, tokenRequests: [], valid: new Set(), tokenAnswer: undefined, expiresIn: 3600 }
  const crm = await startCrm(t, async (req) => {
    if (req.path === '/oauth/token') {
      state.tokenRequests.push(req)
      if (state.tokenAnswer !== undefined) return state.tokenAnswer()
      const token = `tok-${++state.issued}`
      state.valid.add(token)
      return json(200, { access_token: token, token_type: 'Bearer', ...(state.expiresIn === undefined ? {} : { expires_in: state.expiresIn }) })
    }
    const auth = req.headers['authorization'] ?? ''
    if (!state.valid.has(auth.replace(/^Bearer /, ''))) return json(401, { error: 'invalid_token' })
    return json(200, RECORD)
  })
  return { crm, state }
}

const oauthDefinition = (auth: Record<string, unknown> = {}) => {
  const d = baseDefinition()
  d['auth'] = { kind: 'oauth2-client-credentials', tokenUrl: '/oauth/token', clientIdSetting: 'clientId', clientSecretSetting: 'clientSecret', scope: 'contacts.read contacts.write', ...auth }
  return d
}
const SECRETS = { clientId: 'gateway client', clientSecret: 's3cr3t/value' }

t.test('oauth2: the token is fetched once, with the client credentials, and cached', async (t) => {
  const { crm, state } = await oauthCrm(t)
  const log = createSilentLogger()
  const adapter = adapterOver(t, crm.url, oauthDefinition(), { secrets: SECRETS, log })
  for (let i = 0; i < 3; i++) t.same(await adapter.getCustomer('c001', context(log)), RECORD)
  t.equal(state.tokenRequests.length, 1, 'one token for three calls')
  const request = state.tokenRequests[0]
  t.equal(request?.method, 'POST')
  t.equal(request?.headers['content-type'], 'application/x-www-form-urlencoded')
  const form = new URLSearchParams(String(request?.body))
  t.equal(form.get('grant_type'), 'client_credentials')
  t.equal(form.get('scope'), 'contacts.read contacts.write')
  t.equal(form.get('client_secret'), null, 'basic client authentication by default: no secret in the body')
  // RFC 6749 §2.3.1: id and secret form-encoded, then basic.
  t.equal(request?.headers['authorization'], `Basic ${Buffer.from('gateway+client:s3cr3t%2Fvalue').toString('base64')}`)
  t.equal(crm.requests.filter((r) => r.path !== '/oauth/token').every((r) => r.headers['authorization'] === 'Bearer tok-1'), true)
  const logged = JSON.stringify(log.records)
  for (const secret of ['s3cr3t', 'tok-1', 'gateway client', 'Basic']) t.notOk(logged.includes(secret), `no ${secret} in the logs`)
})

t.test('oauth2: client credentials in the body, and a token endpoint elsewhere (absolute URL)', async (t) => {
  const idp = await oauthCrm(t)
  const api = await startCrm(t, (req) => (idp.state.valid.has((req.headers['authorization'] ?? '').replace(/^Bearer /, '')) ? json(200, RECORD) : json(401, {})))
  const adapter = adapterOver(t, api.url, oauthDefinition({ tokenUrl: `${idp.crm.url}/oauth/token`, clientAuth: 'body', scope: undefined, audience: 'https://api.example' }), { secrets: SECRETS })
  t.same(await adapter.getCustomer('c001', context()), RECORD)
  const form = new URLSearchParams(String(idp.state.tokenRequests[0]?.body))
  t.equal(form.get('client_id'), 'gateway client')
  t.equal(form.get('client_secret'), 's3cr3t/value')
  t.equal(form.get('audience'), 'https://api.example')
  t.equal(form.get('scope'), null)
  t.equal(idp.state.tokenRequests[0]?.headers['authorization'], undefined)
  t.equal(api.requests.length, 1, 'the API saw only the API call')
})

t.test('oauth2: single flight — many calls waiting for a token cause one token request', async (t) => {
  const { crm, state } = await oauthCrm(t)
  let release: () => void = () => undefined
  const gate = new Promise<void>((resolve) => (release = resolve))
  state.tokenAnswer = async () => {
    await gate
    state.valid.add('tok-shared')
    return json(200, { access_token: 'tok-shared', expires_in: 3600 })
  }
  const adapter = adapterOver(t, crm.url, oauthDefinition(), { secrets: SECRETS })
  const calls = Array.from({ length: 5 }, () => adapter.getCustomer('c001', context()))
  // One caller stops waiting: it fails as a timeout, the fetch goes on for the others.
  const controller = new AbortController()
  const impatient = adapter.getCustomer('c001', context(undefined, controller.signal))
  controller.abort()
  t.equal((await crmFailure(impatient)).kind, 'timeout')
  release()
  t.same(await Promise.all(calls), Array(5).fill(RECORD))
  t.equal(state.tokenRequests.length, 1, 'one token request for six calls')
})

t.test('oauth2: renewed shortly before it expires (fake clock)', async (t) => {
  const clock = FakeTimers.install({ toFake: ['Date'] })
  t.teardown(() => clock.uninstall())
  const { crm, state } = await oauthCrm(t)
  const adapter = adapterOver(t, crm.url, oauthDefinition({ refreshMarginSeconds: 60 }), { secrets: SECRETS })
  await adapter.getCustomer('c001', context())
  clock.tick((3600 - 60) * 1000 - 1)
  await adapter.getCustomer('c001', context())
  t.equal(state.tokenRequests.length, 1, 'still cached just before expiry minus the margin')
  clock.tick(1)
  await adapter.getCustomer('c001', context())
  t.equal(state.tokenRequests.length, 2, 'renewed at expiry minus the margin')
  t.equal(crm.requests.at(-1)?.headers['authorization'], 'Bearer tok-2')

  // A short-lived token is kept half its life, not fetched on every call.
  state.expiresIn = 20
  clock.tick(3600 * 1000)
  await adapter.getCustomer('c001', context())
  t.equal(state.tokenRequests.length, 3)
  clock.tick(9_999)
  await adapter.getCustomer('c001', context())
  t.equal(state.tokenRequests.length, 3, 'a 20 s token is used for 10 s')
  clock.tick(1)
  await adapter.getCustomer('c001', context())
  t.equal(state.tokenRequests.length, 4)

  // Without expires_in: kept until the CRM refuses it.
  state.expiresIn = undefined
  clock.tick(3600 * 1000)
  await adapter.getCustomer('c001', context())
  clock.tick(365 * 86_400 * 1000)
  await adapter.getCustomer('c001', context())
  t.equal(state.tokenRequests.length, 5)
})

t.test('oauth2: a token the CRM refuses is renewed once, and the call sent once more', async (t) => {
  const { crm, state } = await oauthCrm(t)
  const adapter = adapterOver(t, crm.url, oauthDefinition(), { secrets: SECRETS })
  await adapter.getCustomer('c001', context())
  state.valid.clear() // revoked before its time
  t.same(await adapter.getCustomer('c001', context()), RECORD, 'a refused token is renewed and the call answered')
  t.equal(state.tokenRequests.length, 2)
  t.same(crm.requests.slice(-3).map((r) => `${r.path} ${r.headers['authorization'] ?? ''}`), ['/customers/c001 Bearer tok-1', '/oauth/token Basic Z2F0ZXdheStjbGllbnQ6czNjcjN0JTJGdmFsdWU=', '/customers/c001 Bearer tok-2'])

  const before = crm.requests.length
  state.valid.clear()
  crm.answer(async (req) => {
    if (req.path === '/oauth/token') {
      state.tokenRequests.push(req)
      const token = `tok-${++state.issued}`
      state.valid.add(token)
      return json(200, { access_token: token, expires_in: 3600 })
    }
    const token = (req.headers['authorization'] ?? '').replace(/^Bearer /, '')
    return state.valid.has(token) ? json(201, { ...RECORD, name: req.body.name }) : json(401, {})
  })
  const tokensBefore = state.tokenRequests.length
  t.same(await adapter.createCustomer({ name: 'Bo' }, context()), { ...RECORD, name: 'Bo' }, 'a create refused for its token is sent again: the CRM did not act')
  t.equal(state.tokenRequests.length, tokensBefore + 1, 'one renewal')
  t.equal(crm.requests.slice(before).filter((r) => r.path === '/customers').length, 2, 'the call, then once more')

  // Two calls refused at once renew the token once.
  state.valid.clear()
  const tokens = state.tokenRequests.length
  const both = await Promise.all([adapter.createCustomer({ name: 'Cy' }, context()), adapter.createCustomer({ name: 'Di' }, context())])
  t.same(both.map((r) => r['name']), ['Cy', 'Di'])
  t.equal(state.tokenRequests.length, tokens + 1, 'one renewal for both')
})

t.test('oauth2: a CRM that keeps refusing is `failed` after one renewal', async (t) => {
  const { crm, state } = await oauthCrm(t)
  crm.answer((req) => {
    if (req.path !== '/oauth/token') return json(401, {})
    state.tokenRequests.push(req)
    return json(200, { access_token: `tok-${++state.issued}`, expires_in: 3600 })
  })
  const adapter = adapterOver(t, crm.url, oauthDefinition(), { secrets: SECRETS })
  t.equal((await crmFailure(adapter.getCustomer('c001', context()))).kind, 'failed')
  t.equal(state.tokenRequests.length, 2)
  t.equal(crm.requests.filter((r) => r.path !== '/oauth/token').length, 2, 'asked twice, never more')
})

t.test('oauth2: the token endpoint failing is reported as its kind, without secrets', async (t) => {
  const { crm, state } = await oauthCrm(t)
  const adapter = adapterOver(t, crm.url, oauthDefinition(), { secrets: SECRETS })
  const cases: [string, () => ReturnType<typeof json>, CrmFailureKind][] = [
    ['invalid_client (400)', () => json(400, { error: 'invalid_client', error_description: 'client s3cr3t/value unknown' }), 'failed'],
    ['refused (401)', () => json(401, { error: 'invalid_client' }), 'failed'],
    ['throttled (429)', () => json(429, {}, { 'retry-after': '9' }), 'throttled'],
    ['down (503)', () => json(503, {}), 'failed'],
    ['an HTML page', () => ({ status: 200, raw: '<html>login</html>', headers: { 'content-type': 'text/html' } }), 'bad-response'],
    ['no access_token', () => json(200, { token_type: 'bearer' }), 'bad-response'],
    ['not a bearer token', () => json(200, { access_token: 'x', token_type: 'mac' }), 'bad-response'],
    ['an unreadable lifetime', () => json(200, { access_token: 'x', expires_in: 'soon' }), 'bad-response']
  ]
  for (const [name, answer, kind] of cases) {
    state.tokenAnswer = answer
    const failure = await crmFailure(adapter.getCustomer('c001', context()))
    t.equal(failure.kind, kind, name)
    t.notMatch(failure.message, /s3cr3t|gateway client/, `${name}: no secret in the failure`)
  }
  state.tokenAnswer = undefined
  t.same(await adapter.getCustomer('c001', context()), RECORD, 'a failed fetch is not cached: the next call fetches again')
})
