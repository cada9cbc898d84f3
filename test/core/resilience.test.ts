/**
 * The resilience layer on a fake clock (no sleeps): breakers per operation, the breaker's
 * timeout aborting the call, retries within the deadline, the read cache and repeated creates.
 */
import t from 'tap'
import FakeTimers from '@sinonjs/fake-timers'
import type { CallContext, CrmAdapter, CrmRecord } from '../../src/core/port.js'
import { ResilientAdapter } from '../../src/core/resilience/resilient-adapter.js'
import { backoffDelayMs } from '../../src/core/resilience/retry.js'
import { ReadCache } from '../../src/core/read-cache.js'
import { CreateDedup, canonicalJson } from '../../src/core/create-dedup.js'
import { GatewayError } from '../../src/spi/error-catalogue.js'

const noop = (): void => {}
const log: CallContext['log'] = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, fatal: noop, child: () => log }
const ctx = (deadlineAt?: number, signal = new AbortController().signal): CallContext => ({ signal, log, requestId: 'r', ...(deadlineAt === undefined ? {} : { deadlineAt }) })

const breaker = { timeoutMs: 1000, errorThresholdPercentage: 50, volumeThreshold: 4, resetTimeoutMs: 5000, rollingWindowMs: 10_000 }
const noRetry = { maxAttempts: 1, baseDelayMs: 10, maxDelayMs: 100 }

/** A CRM double whose every call does what `behaviour` says, counting calls and aborts. */
class ScriptedCrm implements CrmAdapter {
  readonly name = 'scripted'
  calls = 0
  aborted = 0
  behaviour: (signal: AbortSignal) => Promise<CrmRecord | null> = async () => ({ ID: '1' })
  run(signal: AbortSignal): Promise<CrmRecord | null> {
    this.calls++
    signal.addEventListener('abort', () => this.aborted++, { once: true })
    return this.behaviour(signal)
  }
  getCustomer = (_id: string, c: CallContext) => this.run(c.signal)
  searchCustomers = async (_q: unknown, c: CallContext) => ({ records: [(await this.run(c.signal)) ?? {}] })
  createCustomer = async (_r: CrmRecord, c: CallContext) => (await this.run(c.signal)) ?? {}
  updateCustomer = (_id: string, _p: CrmRecord, c: CallContext) => this.run(c.signal)
}

function useClock(t: { teardown(fn: () => void): void }): ReturnType<typeof FakeTimers.install> {
  const clock = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] })
  t.teardown(() => clock.uninstall())
  return clock
}

t.test('the breaker opens after the configured failures, fails fast, half-opens and closes', async (t) => {
  const clock = useClock(t)
  const crm = new ScriptedCrm()
  const states: string[] = []
  const adapter = new ResilientAdapter(crm, { breaker, retry: noRetry, log, observer: { breakerState: (op, s) => states.push(`${op}:${s}`) } })
  t.teardown(() => adapter.close())
  crm.behaviour = async () => Promise.reject(new GatewayError('CRM_ERROR'))
  for (let i = 0; i < 4; i++) await t.rejects(adapter.getCustomer('1', ctx()), { code: 'CRM_ERROR' })
  t.equal(adapter.breakerStates().get, 'open', 'open after 4 failures of 4')
  t.equal(adapter.breakerStates().search, 'closed', 'one breaker per operation')

  const before = crm.calls
  await t.rejects(adapter.getCustomer('1', ctx()), { code: 'CRM_UNAVAILABLE', status: 503, retryAfterSeconds: 5 })
  t.equal(crm.calls, before, 'an open breaker answers without calling the CRM')

  await clock.tickAsync(2000)
  await t.rejects(adapter.getCustomer('1', ctx()), { code: 'CRM_UNAVAILABLE', retryAfterSeconds: 3 }, 'Retry-After counts down')
  await clock.tickAsync(3000)
  t.equal(adapter.breakerStates().get, 'halfOpen', 'half-open after resetTimeoutMs')
  crm.behaviour = async () => ({ ID: '1' })
  t.same(await adapter.getCustomer('1', ctx()), { ID: '1' }, 'the trial call goes through')
  t.equal(adapter.breakerStates().get, 'closed', 'and closes the circuit')
  t.same(states, ['get:open', 'get:halfOpen', 'get:closed'], 'each transition reported once')
})

t.test('client-class outcomes never trip the breaker', async (t) => {
  useClock(t)
  const crm = new ScriptedCrm()
  const adapter = new ResilientAdapter(crm, { breaker, retry: noRetry, log })
  t.teardown(() => adapter.close())
  crm.behaviour = async () => Promise.reject(new GatewayError('DUPLICATE_CUSTOMER'))
  for (let i = 0; i < 10; i++) await t.rejects(adapter.createCustomer({}, ctx()), { code: 'DUPLICATE_CUSTOMER' })
  crm.behaviour = async () => null
  for (let i = 0; i < 10; i++) t.equal(await adapter.getCustomer('x', ctx()), null)
  t.same(adapter.breakerStates(), { get: 'closed', search: 'closed', create: 'closed', update: 'closed' })
})

t.test("the breaker's timeout aborts the CRM call through its signal", async (t) => {
  const clock = useClock(t)
  const crm = new ScriptedCrm()
  const adapter = new ResilientAdapter(crm, { breaker, retry: noRetry, log })
  t.teardown(() => adapter.close())
  let sawAbort = false
  crm.behaviour = (signal) =>
    new Promise((_resolve, reject) => {
      signal.addEventListener('abort', () => {
        sawAbort = true
        reject(new GatewayError('CRM_TIMEOUT'))
      })
    })
  const pending = t.rejects(adapter.getCustomer('1', ctx()), { code: 'CRM_TIMEOUT', status: 504 })
  await clock.tickAsync(999)
  t.notOk(sawAbort, 'not before the timeout')
  await clock.tickAsync(1)
  await pending
  t.ok(sawAbort, 'the in-flight call was aborted, not left running')
})

t.test('retries: idempotent calls only, jittered, never past the deadline', async (t) => {
  const clock = useClock(t)
  const crm = new ScriptedCrm()
  const retry = { maxAttempts: 3, baseDelayMs: 50, maxDelayMs: 400 }
  const adapter = new ResilientAdapter(crm, { breaker: { ...breaker, volumeThreshold: 100 }, retry, log })
  t.teardown(() => adapter.close())
  let failures = 2
  crm.behaviour = async () => (failures-- > 0 ? Promise.reject(new GatewayError('CRM_ERROR')) : { ID: 'ok' })
  const got = adapter.getCustomer('1', ctx(Date.now() + 5000))
  await clock.tickAsync(1000)
  t.same(await got, { ID: 'ok' }, 'a get succeeds on its third attempt')
  t.equal(crm.calls, 3)

  crm.calls = 0
  crm.behaviour = async () => Promise.reject(new GatewayError('CRM_UNAVAILABLE'))
  await t.rejects(adapter.createCustomer({}, ctx(Date.now() + 5000)), { code: 'CRM_UNAVAILABLE' })
  t.equal(crm.calls, 1, 'a create is never retried')

  crm.calls = 0
  crm.behaviour = async () => Promise.reject(new GatewayError('CRM_RATE_LIMITED', { retryAfterSeconds: 30 }))
  await t.rejects(adapter.searchCustomers({ criteria: [], limit: 1, offset: 0 }, ctx(Date.now() + 5000)), { code: 'CRM_RATE_LIMITED', retryAfterSeconds: 30 })
  t.equal(crm.calls, 1, 'throttling is answered at once, not waited on')

  crm.calls = 0
  crm.behaviour = async () => Promise.reject(new GatewayError('CRM_ERROR'))
  await t.rejects(adapter.updateCustomer('1', {}, ctx(Date.now() + 1)), { code: 'CRM_ERROR' })
  t.equal(crm.calls, 1, 'no retry whose backoff would end past the deadline')

  for (let attempt = 0; attempt < 6; attempt++) {
    const d = backoffDelayMs(attempt, retry, () => 0.999)
    t.ok(d <= Math.min(400, 50 * 2 ** attempt), `backoff ${attempt} capped (${d} ms)`)
  }
  t.equal(backoffDelayMs(3, retry, () => 0), 0, 'full jitter starts at zero')
})

t.test('read cache: fresh hits, one load per key, stale on failure, never errors or not-found', async (t) => {
  const clock = useClock(t)
  const cache = new ReadCache({ maxBytes: 10_000, ttlMs: 1000, maxStaleMs: 5000 })
  let loads = 0
  const load = (value: string | null) => async () => {
    loads++
    return value
  }
  t.same(await cache.read('a:1', load('{"v":1}')), { body: Buffer.from('{"v":1}'), outcome: 'miss', ageSeconds: 0 })
  t.equal((await cache.read('a:1', load('{"v":2}'))).outcome, 'hit')
  t.equal(loads, 1)

  let release!: (v: string) => void
  const slow = async (): Promise<string> => {
    loads++
    return new Promise<string>((r) => (release = r))
  }
  await clock.tickAsync(1000)
  const many = Array.from({ length: 20 }, () => cache.read('a:1', slow))
  release('{"v":3}')
  const answers = await Promise.all(many)
  t.equal(loads, 2, '20 concurrent misses for one id made one load')
  t.equal(answers.filter((a) => a.outcome === 'coalesced').length, 19)
  t.ok(answers.every((a) => a.body?.toString() === '{"v":3}'))

  await clock.tickAsync(2000)
  const stale = await cache.read('a:1', async () => Promise.reject(new GatewayError('CRM_UNAVAILABLE')))
  t.same(stale, { body: Buffer.from('{"v":3}'), outcome: 'stale', ageSeconds: 2 }, 'the CRM failing: a recent entry is served, marked stale')
  await t.rejects(cache.read('a:1', async () => Promise.reject(new GatewayError('INVALID_CUSTOMER_ID'))), { code: 'INVALID_CUSTOMER_ID' }, 'a client-class failure is passed on')
  await clock.tickAsync(3000)
  await t.rejects(cache.read('a:1', async () => Promise.reject(new GatewayError('CRM_TIMEOUT'))), { code: 'CRM_TIMEOUT' }, 'too old to serve stale')

  t.same(await cache.read('a:2', load(null)), { body: null, outcome: 'miss', ageSeconds: 0 })
  await cache.read('a:2', load(null))
  t.equal(cache.entries <= 1, true, 'not-found is not cached')
  await t.rejects(cache.read('a:3', async () => Promise.reject(new GatewayError('CRM_ERROR'))))
  t.equal((await cache.read('a:3', load('{"ok":1}'))).outcome, 'miss', 'an error is not cached')

  let releaseOld!: (v: string) => void
  const inFlight = cache.read('a:4', () => new Promise<string>((r) => (releaseOld = r)))
  cache.write('a:4', '{"new":true}')
  releaseOld('{"old":true}')
  await inFlight
  t.equal(String((await cache.read('a:4', load('{"x":0}'))).body), '{"new":true}', 'a write during a load is not overwritten by the older answer')
})

t.test('read cache: the byte bound holds under a flood of distinct ids', async (t) => {
  const cache = new ReadCache({ maxBytes: 50_000, ttlMs: 60_000, maxStaleMs: 0 })
  const body = JSON.stringify({ profile: { firstName: 'x'.repeat(300) } })
  for (let i = 0; i < 5000; i++) await cache.read(`a:${i}`, async () => body)
  t.ok(cache.sizeBytes <= 50_000, `size ${cache.sizeBytes} ≤ bound`)
  t.ok(cache.entries > 50 && cache.entries < 200, `${cache.entries} entries kept, the oldest evicted`)
  t.equal((await cache.read('a:4999', async () => 'reloaded')).outcome, 'hit', 'the newest are kept')
})

t.test('read cache: entries are UTF-8 bytes of their own, counted as such', async (t) => {
  const cache = new ReadCache({ maxBytes: 1_000_000, ttlMs: 60_000, maxStaleMs: 0 })
  const json = JSON.stringify({ profile: { firstName: 'Zoë', lastName: '渡辺' } })
  const { body } = await cache.read('a:1', async () => json)
  t.equal(body?.toString('utf8'), json, 'the same text, as UTF-8')
  t.equal(body?.byteLength, Buffer.byteLength(json))
  // A pooled slice (Buffer.from of a short string) would keep a whole 8 KB pool alive.
  t.equal(body?.buffer.byteLength, body?.byteLength, 'not a slice of a shared pool')
  const wide = cache.sizeBytes
  const ascii = JSON.stringify({ profile: { firstName: 'Zoe', lastName: 'Watanabe' } })
  cache.write('a:2', ascii)
  const narrow = cache.sizeBytes - wide
  t.equal(wide - narrow, Buffer.byteLength(json) - ascii.length, 'entries differ by their UTF-8 byte lengths, not their characters')
})

t.test('repeated creates: one CRM call, key reuse refused, failures forgotten, window', async (t) => {
  const clock = useClock(t)
  const dedup = new CreateDedup<string>({ windowSeconds: 120, maxEntries: 100 })
  let creates = 0
  const create = async (): Promise<string> => {
    creates++
    return `C${creates}`
  }
  const body = { profile: { firstName: 'A', lastName: 'B' } }
  const same = await Promise.all(Array.from({ length: 20 }, () => dedup.run('pos', undefined, { profile: { lastName: 'B', firstName: 'A' } }, create)))
  t.equal(creates, 1, '20 identical creates at once → one CRM create')
  t.ok(same.every((r) => r.value === 'C1'))
  t.equal((await dedup.run('other-pos', undefined, body, create)).value, 'C2', 'another client is another scope')

  t.equal((await dedup.run('pos', 'k1', body, create)).value, 'C3')
  t.same(await dedup.run('pos', 'k1', body, create), { value: 'C3', outcome: 'replayed' })
  await t.rejects(dedup.run('pos', 'k1', { profile: { firstName: 'Z' } }, create), { code: 'IDEMPOTENCY_KEY_REUSED', status: 422 })

  await t.rejects(dedup.run('pos', 'k2', body, async () => Promise.reject(new GatewayError('CRM_TIMEOUT'))))
  t.equal((await dedup.run('pos', 'k2', body, create)).value, 'C4', 'a failed create is not remembered')

  await clock.tickAsync(120_000)
  t.equal((await dedup.run('pos', undefined, body, create)).value, 'C5', 'after the window, a create is a create')
  t.equal(canonicalJson({ b: [1, { d: 1, c: 2 }], a: null }), '{"a":null,"b":[1,{"c":2,"d":1}]}')
})
