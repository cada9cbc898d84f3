/**
 * Rate limits counted across instances: two limiters (two instances) over one store count into
 * one counter per (client, window), on the clock's own windows. The store here is the
 * in-process one (what the limiter asks of it, Redis does too: test/state/redis-store.test.ts);
 * three gateways over Redis are test/e2e/several-instances.test.ts.
 */
import t from 'tap'
import { SharedRateLimiter } from '../../src/auth/shared-rate-limit.js'
import { TOKEN_FAILURES } from '../../src/auth/rate-limit.js'
import { MemoryStore } from '../../src/state/memory-store.js'

t.test("a client's limit is its limit in total, over the instances; windows end on the clock", async (t) => {
  let now = 60_000 * 100 + 15_000 // 15 s into a minute
  const store = new MemoryStore()
  const a = new SharedRateLimiter(store, { maxRequests: 4, windowSeconds: 60 }, () => now)
  const b = new SharedRateLimiter(store, { maxRequests: 4, windowSeconds: 60 }, () => now)
  const decisions = [await a.client('pos', undefined), await b.client('pos', undefined), await a.client('pos', undefined), await b.client('pos', undefined)]
  t.same(decisions.map((d) => d.allowed), [true, true, true, true])
  t.same(await a.client('pos', undefined), { allowed: false, limit: 4, retryAfterSeconds: 45 }, 'the fifth, on either instance, waits for the window to end')
  t.same(await b.client('pos', undefined), { allowed: false, limit: 4, retryAfterSeconds: 45 })
  t.equal((await b.client('other', undefined)).allowed, true, 'another client has its own count')
  t.equal((await a.client('big', 10)).allowed, true, "a client's own limit applies")
  now += 45_000
  t.equal((await b.client('pos', undefined)).allowed, true, 'a new window, a new count')
})

t.test('token failures are counted over the instances too', async (t) => {
  const now = 60_000 * 200
  const store = new MemoryStore()
  const a = new SharedRateLimiter(store, { maxRequests: 100, windowSeconds: 60 }, () => now)
  const b = new SharedRateLimiter(store, { maxRequests: 100, windowSeconds: 60 }, () => now)
  for (let i = 0; i < TOKEN_FAILURES; i++) (i % 2 === 0 ? a : b).tokenFailed('pos-oauth', '10.0.0.1')
  await new Promise((resolve) => setImmediate(resolve))
  t.match(await a.tokenAttempt('pos-oauth', '10.0.0.1'), { allowed: false, limit: TOKEN_FAILURES })
  t.match(await b.tokenAttempt('pos-oauth', '10.0.0.1'), { allowed: false })
  t.same(await b.tokenAttempt('pos-oauth', '10.0.0.2'), { allowed: true }, 'another address is not held back')
  t.same(await b.tokenAttempt('other', '10.0.0.1'), { allowed: true }, 'nor another client id')
})
