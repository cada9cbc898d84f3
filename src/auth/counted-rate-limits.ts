/**
 * The rate limits, with each refusal reported (rate_limited_requests_total): a wrapper, so the
 * limiters count and decide, the hooks refuse, and neither knows of metrics.
 */
import type { Decided, RateDecision, RateLimits } from './rate-limit.js'

/** Which limit refused: a client's requests, or the token endpoint's failed attempts. */
export type RateLimitKind = 'requests' | 'token_failures'

export type OnRateLimited = (clientId: string | undefined, limit: RateLimitKind) => void

export function countedRateLimits(limits: RateLimits, onLimited: OnRateLimited): RateLimits {
  const seen = (decided: Decided, clientId: string | undefined, limit: RateLimitKind): Decided => {
    const report = (decision: RateDecision): RateDecision => {
      if (!decision.allowed) onLimited(clientId, limit)
      return decision
    }
    return decided instanceof Promise ? decided.then(report) : report(decided)
  }
  return {
    client: (clientId, max) => seen(limits.client(clientId, max), clientId, 'requests'),
    tokenAttempt: (clientId, address) => seen(limits.tokenAttempt(clientId, address), clientId, 'token_failures'),
    tokenFailed: (clientId, address) => limits.tokenFailed(clientId, address)
  }
}
