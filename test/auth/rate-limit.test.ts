/**
 * The rate limiter (src/auth/rate-limit.ts) on its own clock, then the token endpoint, the one
 * route counted by caller address (per-client counting is in spi-auth.test.ts).
 */
import t from 'tap'
import { RateLimiter } from '../../src/auth/rate-limit.js'
import { buildTestApp } from '../helpers/build-test-app.js'

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

t.test('addresses are counted apart from clients, in a bounded table', async (t) => {
  let now = 0
  const limiter = new RateLimiter({ maxRequests: 2, windowSeconds: 10 }, () => now)
  t.equal(limiter.address('10.0.0.1').allowed, true)
  t.equal(limiter.address('10.0.0.1').allowed, true)
  t.equal(limiter.address('10.0.0.1').allowed, false, 'the third from one address in the window')
  t.equal(limiter.client('10.0.0.1', undefined).allowed, true, 'a client named like an address is another counter')
  t.equal(limiter.address('10.0.0.2').allowed, true, 'another address')
  for (let i = 0; i < 6000; i++) limiter.address(`192.0.2.${i}`)
  t.equal(limiter.address('10.0.0.1').allowed, true, 'after 6,000 other addresses the oldest was evicted: memory stays bounded')
  now += 10_000
  t.equal(limiter.address('192.0.2.5999').allowed, true)
})

t.test('the token endpoint is limited per caller address; service endpoints never', async (t) => {
  const { app } = await buildTestApp({ auth: { clients: [{ id: 'pos-oauth', method: 'oauth', secrets: ['oauth-secret-0123456789'] }] }, rateLimit: { maxRequests: 2, windowSeconds: 60 } })
  t.teardown(() => app.close())
  const token = () =>
    app.inject({
      method: 'POST',
      url: '/oauth2/token?grant_type=client_credentials',
      headers: { authorization: `Basic ${Buffer.from('pos-oauth:wrong-secret-000000').toString('base64')}` }
    })
  t.equal((await token()).statusCode, 401, 'a bad secret counts')
  t.equal((await token()).statusCode, 401)
  const over = await token()
  t.equal(over.statusCode, 429, 'the third attempt from this address in the window')
  t.match(over.headers['retry-after'], /^[1-9]\d*$/)
  t.equal(over.headers['x-ratelimit-limit'], '2')
  t.equal(over.json().errorCode, 'RATE_LIMITED')
  for (let i = 0; i < 4; i++) t.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200, 'readiness is never limited')
})
