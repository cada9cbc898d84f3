/**
 * Refusals reported (src/auth/counted-rate-limits.ts): each refused decision once, with the
 * client and the limit, whether the limiter answers at once (this instance's counts) or later
 * (the shared store's); allowed ones never; the decisions themselves unchanged.
 */
import t from 'tap'
import { countedRateLimits, type RateLimitKind } from '../../src/auth/counted-rate-limits.js'
import { RateLimiter, type RateDecision, type RateLimits } from '../../src/auth/rate-limit.js'

const refused: RateDecision = { allowed: false, limit: 1, retryAfterSeconds: 7 }

t.test('a local limiter: refusals reported at once, with the client and the limit', async (t) => {
  const reported: [string | undefined, RateLimitKind][] = []
  const limits = countedRateLimits(new RateLimiter({ maxRequests: 1, windowSeconds: 60 }), (client, limit) => reported.push([client, limit]))
  t.same(limits.client('pos-a', undefined), { allowed: true })
  t.match(limits.client('pos-a', undefined), { allowed: false, limit: 1 })
  for (let i = 0; i < 10; i++) limits.tokenFailed('pos-b', '10.0.0.1')
  t.match(limits.tokenAttempt('pos-b', '10.0.0.1'), { allowed: false })
  t.same(reported, [['pos-a', 'requests'], ['pos-b', 'token_failures']])
})

t.test('a shared limiter answering later: reported when the decision comes, passed on as it is', async (t) => {
  const reported: [string | undefined, RateLimitKind][] = []
  const later: RateLimits = {
    client: async () => refused,
    tokenAttempt: async () => ({ allowed: true }),
    tokenFailed: () => undefined
  }
  const limits = countedRateLimits(later, (client, limit) => reported.push([client, limit]))
  t.same(await limits.client('pos-a', 5), refused)
  t.same(await limits.tokenAttempt(undefined, '10.0.0.2'), { allowed: true })
  t.same(reported, [['pos-a', 'requests']])
})
