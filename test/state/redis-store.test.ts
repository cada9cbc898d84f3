/**
 * The Redis store against a real Redis: what it shares, that an instance never hears its own
 * messages, and that Redis going away degrades it to this process's memory — never an error,
 * never a long wait — and that it comes back by itself, telling subscribers of the gap.
 */
import t from 'tap'
import { createClient } from '@redis/client'
import type { StoreStatus } from '../../src/core/shared-store.js'
import { RedisStore } from '../../src/state/redis-store.js'
import { ownRedis, sharedRedis } from '../helpers/redis.js'
import { createSilentLogger } from '../helpers/silent-logger.js'
import { until } from '../helpers/until.js'

interface TestLike {
  teardown(fn: () => unknown): void
}

function storeOn(t: TestLike, url: string, prefix: string, statuses: StoreStatus[] = [], fallbacks: { count: number } = { count: 0 }): RedisStore {
  const store = new RedisStore({
    url,
    keyPrefix: prefix,
    commandTimeoutMs: 100,
    claimTimeoutMs: 500,
    log: createSilentLogger(),
    onStatus: (s) => statuses.push(s),
    onFallback: () => fallbacks.count++
  })
  t.teardown(() => store.close())
  return store
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

t.test('two stores on one Redis share keys, first-writer-wins claims and expiry', async (t) => {
  const redis = await sharedRedis(t)
  if (redis === undefined) return
  const a = storeOn(t, redis.url, redis.prefix)
  const b = storeOn(t, redis.url, redis.prefix)
  await Promise.all([a.connect(2000), b.connect(2000)])
  t.same([a.status(), b.status()], [{ mode: 'shared' }, { mode: 'shared' }])

  t.equal(await a.putIfAbsent('create:1', 'first', 60_000), null, 'the first claim sets')
  t.equal(await b.putIfAbsent('create:1', 'second', 60_000), 'first', 'a second claim, from another instance, gets the first value')
  t.equal(await b.get('create:1'), 'first')
  await b.put('create:1', 'done', 60_000)
  t.equal(await a.get('create:1'), 'done')
  await a.remove('create:1')
  t.equal(await b.get('create:1'), null)
  // A lease's release: only while the key holds the releaser's token.
  await a.put('lease', 'token-a', 60_000)
  await b.removeIf('lease', 'token-b')
  t.equal(await a.get('lease'), 'token-a', 'another token does not remove it')
  await b.removeIf('lease', 'token-a')
  t.equal(await a.get('lease'), null, 'its own does')

  // Expiry is Redis's (PX): checked as the TTL Redis holds, not by waiting for it.
  await a.put('ttl', 'x', 1500)
  const raw = createClient({ url: redis.url })
  await raw.connect()
  t.teardown(() => raw.close())
  const ttl = await raw.pTTL(`${redis.prefix}ttl`)
  t.ok(ttl > 1000 && ttl <= 1500, `the key expires in ${ttl} ms`)
  t.equal(await raw.get('ttl'), null, 'keys are under the prefix only')
})

t.test('a message reaches the other instances within milliseconds, never its sender', async (t) => {
  const redis = await sharedRedis(t)
  if (redis === undefined) return
  const a = storeOn(t, redis.url, redis.prefix)
  const b = storeOn(t, redis.url, redis.prefix)
  await Promise.all([a.connect(2000), b.connect(2000)])
  const atA: string[] = []
  const atB: { message: string; ms: number }[] = []
  let sentAt = 0
  a.subscribe('topic', (m) => atA.push(m), () => undefined)
  b.subscribe('topic', (m) => atB.push({ message: m, ms: performance.now() - sentAt }), () => undefined)
  await pause(100) // for the SUBSCRIBE commands to reach Redis (subscribe() does not wait)
  sentAt = performance.now()
  await a.publish('topic', 'demo-crm:C1')
  t.ok(await until(() => atB.length === 1, 1000), 'delivered to the other instance')
  t.equal(atB[0]?.message, 'demo-crm:C1')
  t.ok((atB[0]?.ms ?? Infinity) < 50, `in ${(atB[0]?.ms ?? NaN).toFixed(1)} ms`)
  t.same(atA, [], 'not to its sender')
})

t.test('Redis away: answered from memory at once, degraded; back: shared again, the gap told', async (t) => {
  const redis = await ownRedis(t)
  if (redis === undefined) return
  const statuses: StoreStatus[] = []
  const store = storeOn(t, redis.url, redis.prefix, statuses)
  const other = storeOn(t, redis.url, redis.prefix)
  await Promise.all([store.connect(2000), other.connect(2000)])
  let gaps = 0
  const heard: string[] = []
  store.subscribe('topic', (m) => heard.push(m), () => gaps++)
  await pause(100)

  await redis.stop()
  const started = performance.now()
  // Every method resolves, promptly, from this process's memory.
  t.equal(await store.putIfAbsent('k', 'v', 60_000), null)
  t.equal(await store.putIfAbsent('k', 'w', 60_000), 'v', 'claims still hold within the instance')
  t.equal(await store.get('k'), 'v')
  await store.publish('topic', 'nobody hears this')
  await store.remove('k')
  const took = performance.now() - started
  t.ok(took < 1000, `five calls while Redis is away took ${took.toFixed(0)} ms`)
  t.equal(store.status().mode, 'degraded')
  t.ok(await until(() => gaps >= 1, 2000), 'subscribers are told messages may be missed')

  await redis.start()
  t.ok(await until(() => store.status().mode === 'shared', 5000), 'reconnected by itself')
  t.ok(await until(() => gaps >= 2, 5000), 'and the gap is told again once the subscription is back')
  t.same(statuses.map((s) => s.mode), ['shared', 'degraded', 'shared'], 'each change reported once')
  // The subscription works again (node-redis subscribes anew after reconnecting).
  t.ok(await until(() => other.status().mode === 'shared', 5000))
  await pause(100)
  await other.publish('topic', 'after the outage')
  t.ok(await until(() => heard.includes('after the outage'), 2000), 'messages flow again')
})

t.test('a Redis that is not there at start: the store starts degraded and joins when it comes', async (t) => {
  const redis = await ownRedis(t)
  if (redis === undefined) return
  await redis.stop()
  const store = storeOn(t, redis.url, redis.prefix)
  const started = performance.now()
  await store.connect(300)
  t.ok(performance.now() - started < 1000, 'start-up waits at most connectWaitMs')
  t.match(store.status(), { mode: 'degraded', reason: /\S/ })
  t.equal(await store.putIfAbsent('k', 'v', 1000), null, 'and works on its own meanwhile')
  await redis.start()
  t.ok(await until(() => store.status().mode === 'shared', 5000), 'joined once Redis came')
})

t.test('a slow Redis: each command waits its timeout at most, then is answered here; the store stays shared', async (t) => {
  const redis = await ownRedis(t)
  if (redis === undefined) return
  const fallbacks = { count: 0 }
  const store = storeOn(t, redis.url, redis.prefix, [], fallbacks)
  await store.connect(2000)
  const admin = createClient({ url: redis.url })
  await admin.connect()
  t.teardown(() => admin.close())
  // The server stops answering for 1.5 s (every client waits behind DEBUG SLEEP).
  const sleeping = admin.sendCommand(['DEBUG', 'SLEEP', '1.5'])
  await pause(50)
  let started = performance.now()
  t.equal(await store.get('k'), null)
  await store.put('k', 'v', 60_000)
  const plain = performance.now() - started
  t.ok(plain < 400, `two commands took ${plain.toFixed(0)} ms (timeout 100 ms each)`)
  started = performance.now()
  t.equal(await store.putIfAbsent('claim', 'x', 60_000), null, 'a claim, answered here')
  const claim = performance.now() - started
  t.ok(claim >= 450 && claim < 1000, `a claim waits longer (timeout 500 ms): ${claim.toFixed(0)} ms`)
  t.equal(fallbacks.count, 3, 'each fallback counted')
  t.equal(store.status().mode, 'shared', 'a slow command is not an outage')
  await sleeping
  t.equal(await store.putIfAbsent('claim2', 'y', 60_000), null, 'answered by Redis again')
  t.equal(fallbacks.count, 3)
})

t.test("a shared rate's slots: one sliding window for every store, on Redis's clock", async (t) => {
  const redis = await sharedRedis(t)
  if (redis === undefined) return
  const a = storeOn(t, redis.url, redis.prefix)
  const b = storeOn(t, redis.url, redis.prefix)
  await Promise.all([a.connect(2000), b.connect(2000)])
  const slots = []
  for (const store of [a, b, a]) slots.push(await store.reserveSlot('pace:search', 3, 1000, 5000))
  t.same(slots.map((s) => s.reserved), [true, true, true])
  t.ok(slots.every((s) => s.waitMs === 0), 'three slots now')
  const fourth = await b.reserveSlot('pace:search', 3, 1000, 5000)
  t.ok(fourth.reserved && fourth.waitMs > 900 && fourth.waitMs <= 1000, `the fourth waits for the window: ${fourth.waitMs} ms`)
  const refused = await a.reserveSlot('pace:search', 3, 1000, 200)
  t.notOk(refused.reserved, 'beyond the caller\'s patience: not reserved')
  t.ok(refused.waitMs > 900, `and told how long it would have waited: ${refused.waitMs} ms`)
  const again = await b.reserveSlot('pace:search', 3, 1000, 5000)
  t.ok(again.waitMs > 900 && again.waitMs <= 1000, 'a refusal takes no slot')
})
