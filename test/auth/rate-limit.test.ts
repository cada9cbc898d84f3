/**
 * The rate limiter (src/auth/rate-limit.ts) on its own clock, then the token endpoint, which
 * counts failed requests per (presented OAuth client, caller address) (per-client counting of
 * SPI requests is in spi-auth.test.ts).
 */
import t from 'tap'
import { RateLimiter, TOKEN_FAILURES, TOKEN_KEYS, TOKEN_KEYS_MAX_BYTES } from '../../src/auth/rate-limit.js'
import { loadConfig } from '../../src/config/load-config.js'
import { buildTestApp } from '../helpers/build-test-app.js'
import { basicAuth } from '../helpers/auth-clients.js'

t.test('a fixed window per client: the limit, Retry-After counting down, a fresh window', async (t) => {
  let now = 1_000_000
  const limiter = new RateLimiter({ maxRequests: 3, windowSeconds: 60 }, () => now)
  for (let i = 0; i < 3; i++) t.same(limiter.client('pos-a', undefined), { allowed: true }, `request ${i + 1} of 3`)
  t.same(limiter.client('pos-a', undefined), { allowed: false, limit: 3, retryAfterSeconds: 60 })
  now += 45_500
  t.same(limiter.client('pos-a', undefined), { allowed: false, limit: 3, retryAfterSeconds: 15 }, 'Retry-After is what is left of the window, rounded up')
  now += 14_499
  t.same(limiter.client('pos-a', undefined), { allowed: false, limit: 3, retryAfterSeconds: 1 }, 'never 0 while refused')
  now += 1
  t.same(limiter.client('pos-a', undefined), { allowed: true }, 'the window is over: a fresh one starts')
  t.same(limiter.client('pos-b', undefined), { allowed: true }, 'another client has its own window')
  for (let i = 0; i < 5; i++) t.equal(limiter.client('pos-c', 5).allowed, true, `a client's own limit (${i + 1}/5)`)
  t.equal(limiter.client('pos-c', 5).allowed, false)
})

t.test('token failures: per (OAuth client, address), bounded in entries and bytes', async (t) => {
  let now = 0
  const limiter = new RateLimiter({ maxRequests: 1000, windowSeconds: 60 }, () => now)
  for (let i = 0; i < TOKEN_FAILURES; i++) {
    t.equal(limiter.tokenAttempt('pos-a', '10.0.0.1').allowed, true, `attempt ${i + 1}`)
    limiter.tokenFailed('pos-a', '10.0.0.1')
  }
  t.same(limiter.tokenAttempt('pos-a', '10.0.0.1'), { allowed: false, limit: TOKEN_FAILURES, retryAfterSeconds: 60 }, `after ${TOKEN_FAILURES} failures: refused`)
  t.equal(limiter.tokenAttempt('pos-b', '10.0.0.1').allowed, true, 'another client from the same address is not')
  t.equal(limiter.tokenAttempt('pos-a', '10.0.0.2').allowed, true, 'nor the same client from another address')
  t.equal(limiter.tokenAttempt(undefined, '10.0.0.1').allowed, true, 'nor unknown ids from that address')
  t.equal(limiter.client('pos-a', undefined).allowed, true, "nor the client's own requests with a token")
  now += 59_500
  t.same(limiter.tokenAttempt('pos-a', '10.0.0.1'), { allowed: false, limit: TOKEN_FAILURES, retryAfterSeconds: 1 })
  now += 500
  t.equal(limiter.tokenAttempt('pos-a', '10.0.0.1').allowed, true, 'the window is over')
  limiter.tokenFailed('pos-a', '10.0.0.1')
  t.equal(limiter.tokenAttempt('pos-a', '10.0.0.1').allowed, true, 'a new window counts from one')

  // Hostile addresses (X-Forwarded-For from a proxy trusted wholesale can say anything).
  for (let i = 0; i < 20_000; i++) limiter.tokenFailed(undefined, `${i}:${'x'.repeat(10_000)}`)
  t.ok(limiter.tokenKeys.entries <= TOKEN_KEYS, `${limiter.tokenKeys.entries} keys held, at most ${TOKEN_KEYS}`)
  t.ok(limiter.tokenKeys.bytes <= TOKEN_KEYS_MAX_BYTES, `${limiter.tokenKeys.bytes} bytes counted, at most ${TOKEN_KEYS_MAX_BYTES}`)
  t.ok(limiter.tokenKeys.bytes / limiter.tokenKeys.entries < 400, 'an address is cut to a few dozen characters')
})

const OAUTH_CLIENTS = [
  { id: 'pos-a', method: 'oauth', secrets: ['client-a-secret-0123456'] },
  { id: 'pos-b', method: 'oauth', secrets: ['client-b-secret-0123456'] }
]

t.test('the token endpoint: one caller\'s failures never refuse another client', async (t) => {
  const { app } = await buildTestApp({ auth: { clients: OAUTH_CLIENTS }, rateLimit: { maxRequests: 2, windowSeconds: 60 } })
  t.teardown(() => app.close())
  // Everyone comes from one address here, as behind a proxy without trustProxy.
  const token = (id: string, secret: string, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url: '/oauth2/token?grant_type=client_credentials', headers: { authorization: basicAuth(id, secret), ...headers } })
  const form = (body: string) =>
    app.inject({ method: 'POST', url: '/oauth2/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: body })

  for (let i = 0; i < 3; i++) t.equal((await token('pos-b', 'client-b-secret-0123456')).statusCode, 200, `successes are not counted (${i + 1}, the limit is 2)`)
  for (let i = 0; i < TOKEN_FAILURES; i++) t.equal((await token('pos-a', `wrong-secret-${i}-000000000`)).statusCode, 401, `bad guess ${i + 1} naming pos-a`)
  const over = await token('pos-a', 'wrong-secret-x-000000000')
  t.equal(over.statusCode, 429, 'then pos-a is held back for the window')
  t.match(over.headers['retry-after'], /^[1-9]\d*$/)
  t.equal(over.headers['x-ratelimit-limit'], String(TOKEN_FAILURES))
  t.equal(over.json().errorCode, 'RATE_LIMITED')
  t.equal((await form('grant_type=client_credentials&client_id=pos-a&client_secret=client-a-secret-0123456')).statusCode, 429, 'pos-a named in the form: the same key')

  for (let i = 0; i < 50; i++) await token(`nobody-${i}`, 'wrong-secret-0000000000')
  for (let i = 0; i < 20; i++) await form(`grant_type=client_credentials&client_id=nobody&client_secret=x${i}`)
  for (let i = 0; i < 20; i++) await app.inject({ method: 'POST', url: '/oauth2/token', headers: { 'content-type': 'text/plain' }, payload: 'garbage' })
  t.equal((await token('nobody', 'wrong-secret-0000000000')).statusCode, 429, 'ids naming no client share one key per address')
  const b = await token('pos-b', 'client-b-secret-0123456')
  t.equal(b.statusCode, 200, 'pos-b, with its id and secret, still gets its token after 100 failures of others')
  t.equal((await form('grant_type=client_credentials&client_id=pos-b&client_secret=client-b-secret-0123456')).statusCode, 200, 'by the form too')
  for (let i = 0; i < 4; i++) t.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200, 'readiness is never limited')
})

t.test('server.trustProxy: X-Forwarded-For names the caller only when the proxy is trusted', async (t) => {
  const bad = { 'x-forwarded-for': '203.0.113.9' }
  const good = { 'x-forwarded-for': '198.51.100.7' }
  const attempts = async (trustProxy: unknown): Promise<number[]> => {
    const { app } = await buildTestApp({ server: { trustProxy }, auth: { clients: OAUTH_CLIENTS } })
    t.teardown(() => app.close())
    const token = (secret: string, headers: Record<string, string>) =>
      app.inject({ method: 'POST', url: '/oauth2/token?grant_type=client_credentials', headers: { authorization: basicAuth('pos-a', secret), ...headers } }).then((r) => r.statusCode)
    for (let i = 0; i < TOKEN_FAILURES; i++) await token('wrong-secret-0000000000', bad)
    return [await token('wrong-secret-0000000000', bad), await token('client-a-secret-0123456', good)]
  }
  t.same(await attempts('127.0.0.1'), [429, 200], 'the proxy trusted: the guesser is held back, pos-a from elsewhere is not')
  t.same(await attempts(true), [429, 200], 'trustProxy: true likewise')
  t.same(await attempts(false), [429, 429], 'not trusted (the default): the header is ignored, both are one caller')

  for (const [env, value] of [['true', true], ['false', false], ['10.0.0.1', '10.0.0.1'], ['10.0.0.0/8, 127.0.0.1, ::1', '10.0.0.0/8, 127.0.0.1, ::1'], ['loopback', 'loopback']] as const) {
    t.same(loadConfig({ TRUST_PROXY: env }).server.trustProxy, value, `TRUST_PROXY=${env}`)
  }
  t.equal(loadConfig({}).server.trustProxy, false, 'default: false')
  for (const env of ['2', 'yes', 'proxy.example.com']) {
    t.throws(() => loadConfig({ TRUST_PROXY: env }), { name: 'ConfigError', message: /server\.trustProxy \(env TRUST_PROXY\)/ }, `TRUST_PROXY=${env} stops start-up, naming it`)
  }
})
