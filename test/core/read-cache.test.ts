/**
 * GET_CUSTOMER's read cache on a fake clock: fresh hits, one load per key shared by its
 * waiters (and belonging to none of them), stale answers when the CRM fails, the byte bound.
 */
import t from 'tap'
import FakeTimers from '@sinonjs/fake-timers'
import type { CallContext } from '../../src/core/port.js'
import { ReadCache, type Loader } from '../../src/core/read-cache.js'
import { GatewayError } from '../../src/spi/error-catalogue.js'

const noop = (): void => {}
const log: CallContext['log'] = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, fatal: noop, child: () => log }

function device(deadlineMs?: number): { ctx: CallContext; leave: () => void } {
  const controller = new AbortController()
  if (deadlineMs !== undefined) setTimeout(() => controller.abort(new GatewayError('CRM_TIMEOUT', { detail: 'request deadline' })), deadlineMs)
  const deadline = deadlineMs === undefined ? {} : { deadlineAt: Date.now() + deadlineMs }
  return { ctx: { signal: controller.signal, log, requestId: 'r', ...deadline }, leave: () => controller.abort(new GatewayError('CLIENT_CLOSED_REQUEST')) }
}
const ctx = (): CallContext => device().ctx

function useClock(t: { teardown(fn: () => void): void }): ReturnType<typeof FakeTimers.install> {
  const clock = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
  t.teardown(() => clock.uninstall())
  return clock
}

t.test('fresh hits, one load per key, stale on failure, never errors or not-found', async (t) => {
  const clock = useClock(t)
  const cache = new ReadCache({ maxBytes: 10_000, ttlMs: 1000, maxStaleMs: 5000 })
  let loads = 0
  const load = (value: string | null): Loader => async () => {
    loads++
    return value
  }
  const failing = (err: GatewayError): Loader => async () => Promise.reject(err)
  t.same(await cache.read('a:1', ctx(), load('{"v":1}')), { body: Buffer.from('{"v":1}'), outcome: 'miss', ageSeconds: 0 })
  t.equal((await cache.read('a:1', ctx(), load('{"v":2}'))).outcome, 'hit')
  t.equal(loads, 1)

  let release!: (v: string) => void
  const slow: Loader = async () => {
    loads++
    return new Promise<string>((r) => (release = r))
  }
  await clock.tickAsync(1000)
  const many = Array.from({ length: 20 }, () => cache.read('a:1', ctx(), slow))
  release('{"v":3}')
  const answers = await Promise.all(many)
  t.equal(loads, 2, '20 concurrent misses for one id made one load')
  t.equal(answers.filter((a) => a.outcome === 'coalesced').length, 19)
  t.ok(answers.every((a) => a.body?.toString() === '{"v":3}'))

  await clock.tickAsync(2000)
  const stale = await cache.read('a:1', ctx(), failing(new GatewayError('CRM_UNAVAILABLE')))
  t.same(stale, { body: Buffer.from('{"v":3}'), outcome: 'stale', ageSeconds: 2 }, 'the CRM failing: a recent entry is served, marked stale')
  await t.rejects(cache.read('a:1', ctx(), failing(new GatewayError('INVALID_CUSTOMER_ID'))), { code: 'INVALID_CUSTOMER_ID' }, 'a client-class failure is passed on')
  await clock.tickAsync(3000)
  await t.rejects(cache.read('a:1', ctx(), failing(new GatewayError('CRM_TIMEOUT'))), { code: 'CRM_TIMEOUT' }, 'too old to serve stale')

  t.same(await cache.read('a:2', ctx(), load(null)), { body: null, outcome: 'miss', ageSeconds: 0 })
  await cache.read('a:2', ctx(), load(null))
  t.equal(cache.entries <= 1, true, 'not-found is not cached')
  await t.rejects(cache.read('a:3', ctx(), failing(new GatewayError('CRM_ERROR'))))
  t.equal((await cache.read('a:3', ctx(), load('{"ok":1}'))).outcome, 'miss', 'an error is not cached')

  let releaseOld!: (v: string) => void
  const inFlight = cache.read('a:4', ctx(), () => new Promise<string>((r) => (releaseOld = r)))
  cache.write('a:4', '{"new":true}')
  releaseOld('{"old":true}')
  await inFlight
  t.equal(String((await cache.read('a:4', ctx(), load('{"x":0}'))).body), '{"new":true}', 'a write during a load is not overwritten by the older answer')
})

t.test('a shared load belongs to no caller: one leaving does not end it for the others', async (t) => {
  const clock = useClock(t)
  const cache = new ReadCache({ maxBytes: 10_000, ttlMs: 1000, maxStaleMs: 0 })
  let loadCtx: CallContext | undefined
  let release!: (v: string) => void
  const load: Loader = (c) => {
    loadCtx = c
    return new Promise<string>((r) => (release = r))
  }
  const a = device(300)
  const b = device(4000)
  const first = cache.read('a:1', a.ctx, load).catch((err: unknown) => err)
  const second = cache.read('a:1', b.ctx, load)
  t.equal(loadCtx?.deadlineAt, b.ctx.deadlineAt, "the load's budget is the longest remaining deadline among its waiters")
  await clock.tickAsync(300)
  t.match(await first, { code: 'CRM_TIMEOUT' }, 'device A is answered at its own deadline')
  t.equal(loadCtx?.signal.aborted, false, 'and the load goes on for device B')
  await clock.tickAsync(500)
  release('{"v":1}')
  t.same(await second, { body: Buffer.from('{"v":1}'), outcome: 'coalesced', ageSeconds: 0 }, 'device B gets the customer')
})

t.test('a shared load is cancelled once every waiter has gone', async (t) => {
  useClock(t)
  const cache = new ReadCache({ maxBytes: 10_000, ttlMs: 1000, maxStaleMs: 0 })
  let loadCtx: CallContext | undefined
  const load: Loader = (c) => {
    loadCtx = c
    return new Promise<string>(noop)
  }
  const devices = [device(), device(), device()]
  const reads = devices.map((d) => cache.read('a:1', d.ctx, load).catch((err: unknown) => err))
  t.equal(loadCtx?.deadlineAt, undefined, 'no waiter has a deadline: neither has the load')
  devices[0]?.leave()
  devices[1]?.leave()
  await Promise.resolve()
  t.equal(loadCtx?.signal.aborted, false, 'two of three gone: still running')
  devices[2]?.leave()
  for (const r of await Promise.all(reads)) t.match(r, { code: 'CLIENT_CLOSED_REQUEST' })
  t.equal(loadCtx?.signal.aborted, true, 'the last one gone: cancelled')
})

t.test('a load that has answered is not cancelled when its waiters leave: nothing is left to cancel', async (t) => {
  const cache = new ReadCache({ maxBytes: 10_000, ttlMs: 1000, maxStaleMs: 0 })
  let loadCtx: CallContext | undefined
  const { ctx: waiter } = device()
  const answer = await cache.read('a:2', waiter, async (c) => {
    loadCtx = c
    return '{"id":"a:2"}'
  })
  t.equal(answer.outcome, 'miss')
  t.equal(loadCtx?.signal.aborted, false, 'its signal never fires (aborting it made each miss a DOMException)')
  t.equal(waiter.signal.aborted, false, "and the waiter's own signal is left alone")
})

t.test('a waiter whose deadline passes gets the stale entry when there is one', async (t) => {
  const clock = useClock(t)
  const cache = new ReadCache({ maxBytes: 10_000, ttlMs: 1000, maxStaleMs: 60_000 })
  cache.write('a:1', '{"v":1}')
  await clock.tickAsync(5000)
  const read = cache.read('a:1', device(300).ctx, () => new Promise<string>(noop))
  await clock.tickAsync(300)
  t.same(await read, { body: Buffer.from('{"v":1}'), outcome: 'stale', ageSeconds: 5 })
})

t.test('the byte bound holds under a flood of distinct ids', async (t) => {
  const cache = new ReadCache({ maxBytes: 50_000, ttlMs: 60_000, maxStaleMs: 0 })
  const body = JSON.stringify({ profile: { firstName: 'x'.repeat(300) } })
  for (let i = 0; i < 5000; i++) await cache.read(`a:${i}`, ctx(), async () => body)
  t.ok(cache.sizeBytes <= 50_000, `size ${cache.sizeBytes} ≤ bound`)
  t.ok(cache.entries > 50 && cache.entries < 200, `${cache.entries} entries kept, the oldest evicted`)
  t.equal((await cache.read('a:4999', ctx(), async () => 'reloaded')).outcome, 'hit', 'the newest are kept')
})

t.test('entries are UTF-8 bytes of their own, counted as such', async (t) => {
  const cache = new ReadCache({ maxBytes: 1_000_000, ttlMs: 60_000, maxStaleMs: 0 })
  const json = JSON.stringify({ profile: { firstName: 'Zoë', lastName: '渡辺' } })
  const { body } = await cache.read('a:1', ctx(), async () => json)
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
