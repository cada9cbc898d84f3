/**
 * The application user's token (adapters/dynamics365/token.ts) against the Dataverse double's
 * token endpoint: cached until shortly before expiry (the test's clock), fetched once for a
 * burst of callers, forgotten when refused, and its failures as the port's kinds.
 */
import t from 'tap'
import { EntraTokenSource, REFRESH_MARGIN_MS } from '../../../adapters/dynamics365/token.js'
import { CLIENT_ID, CLIENT_SECRET, TENANT_ID, startDataverse } from '../../helpers/gateway-over-dynamics365.js'
import { crmFailure } from '../../helpers/expect-failure.js'
import { silentLogger } from '../../helpers/silent-logger.js'

const ctx = (signal: AbortSignal = new AbortController().signal) => ({ signal, log: silentLogger, requestId: 'token-test' })

t.test('a token is cached until REFRESH_MARGIN before it expires, then fetched again', async (t) => {
  let clock = Date.parse('2026-01-01T00:00:00Z')
  const double = await startDataverse(t, { now: () => clock, tokenLifetimeSeconds: 3600 })
  const tokens = new EntraTokenSource({ authorityHost: double.url, tenantId: TENANT_ID, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, scope: `${double.url}/.default`, timeoutMs: 2000, now: () => clock })
  t.teardown(() => tokens.close())
  const first = await tokens.token(ctx())
  clock += 3600_000 - REFRESH_MARGIN_MS - 1
  t.equal(await tokens.token(ctx()), first, 'still cached just before the margin')
  t.equal(double.tokensIssued, 1)
  clock += 1
  const second = await tokens.token(ctx())
  t.not(second, first, 'refreshed at the margin, before Dataverse would refuse it')
  t.equal(double.tokensIssued, 2)
})

t.test('single flight: a burst of callers at expiry costs one token request; a caller giving up fails alone', async (t) => {
  const double = await startDataverse(t)
  const tokens = new EntraTokenSource({ authorityHost: double.url, tenantId: TENANT_ID, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, scope: `${double.url}/.default`, timeoutMs: 2000 })
  t.teardown(() => tokens.close())
  const impatient = new AbortController()
  const waiting = tokens.token(ctx(impatient.signal))
  const burst = Array.from({ length: 10 }, () => tokens.token(ctx()))
  impatient.abort()
  t.equal((await crmFailure(waiting)).kind, 'timeout', 'the caller whose signal fired')
  const got = await Promise.all(burst)
  t.equal(new Set(got).size, 1, 'everyone else gets the one token')
  t.equal(tokens.requests, 1)
  t.equal(double.tokensIssued, 1)
})

t.test('invalidate forgets a refused token, not one fetched since', async (t) => {
  const double = await startDataverse(t)
  const tokens = new EntraTokenSource({ authorityHost: double.url, tenantId: TENANT_ID, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, scope: `${double.url}/.default`, timeoutMs: 2000 })
  t.teardown(() => tokens.close())
  const first = await tokens.token(ctx())
  tokens.invalidate(first)
  const second = await tokens.token(ctx())
  t.not(second, first)
  tokens.invalidate(first)
  t.equal(await tokens.token(ctx()), second, 'a stale invalidation leaves the new token alone')
})

t.test('refusals and transport failures as the port kinds; no secret in any detail', async (t) => {
  const double = await startDataverse(t)
  const make = (overrides: Partial<{ clientSecret: string; scope: string; authorityHost: string }>) => {
    const tokens = new EntraTokenSource({ authorityHost: double.url, tenantId: TENANT_ID, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, scope: `${double.url}/.default`, timeoutMs: 500, ...overrides })
    t.teardown(() => tokens.close())
    return tokens
  }
  const wrongSecret = await crmFailure(make({ clientSecret: 'wrong-secret-value' }).token(ctx()))
  t.equal(wrongSecret.kind, 'failed', 'a wrong secret: failed (our configuration)')
  t.match(wrongSecret.message, /invalid_client AADSTS7000215/)
  t.notMatch(wrongSecret.message, /wrong-secret-value|test-client-secret/)
  t.match(await crmFailure(make({ scope: 'https://elsewhere.crm.dynamics.com/.default' }).token(ctx())), { kind: 'failed', message: /invalid_scope/ })
  t.equal((await crmFailure(make({ authorityHost: 'http://127.0.0.1:9' }).token(ctx()))).kind, 'unreachable', 'the authority down')
  t.equal(double.tokensIssued, 0)
})
