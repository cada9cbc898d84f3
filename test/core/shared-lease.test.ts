/**
 * The per-customer lease across instances, on a fake clock over the in-process store (what it
 * asks of a store is the same of Redis's; three gateways over Redis and HubSpot are
 * test/e2e/several-instances.test.ts): one holder at a time, released by its holder only,
 * lapsing after its lease, a wait ended by the request's signal.
 */
import t from 'tap'
import FakeTimers from '@sinonjs/fake-timers'
import { SharedLease } from '../../src/core/shared-lease.js'
import { MemoryStore } from '../../src/state/memory-store.js'

function useClock(t: { teardown(fn: () => void): void }): ReturnType<typeof FakeTimers.install> {
  const clock = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
  t.teardown(() => clock.uninstall())
  return clock
}

const open = (): AbortSignal => new AbortController().signal

t.test('one holder at a time; the next runs once it is released', async (t) => {
  const clock = useClock(t)
  const store = new MemoryStore()
  const a = new SharedLease(store, { leaseMs: 5000, pollMs: 20 })
  const b = new SharedLease(store, { leaseMs: 5000, pollMs: 20 })
  const order: string[] = []
  let release: () => void = () => undefined
  const first = a.run('C1', () => new Promise<void>((resolve) => {
    order.push('a starts')
    release = () => {
      order.push('a ends')
      resolve()
    }
  }), open())
  await clock.tickAsync(0)
  const second = b.run('C1', async () => {
    order.push('b runs')
  }, open())
  const other = b.run('C2', async () => {
    order.push('b runs C2')
  }, open())
  await clock.tickAsync(100)
  t.same(order, ['a starts', 'b runs C2'], 'B waits for C1, not for another customer')
  release()
  await first
  await clock.tickAsync(20)
  await Promise.all([second, other])
  t.same(order, ['a starts', 'b runs C2', 'a ends', 'b runs'])
  t.equal(await store.get('lease:C1'), null, 'released')
})

t.test("a holder that died: its lease lapses after leaseMs; a release never frees another's lease", async (t) => {
  const clock = useClock(t)
  const store = new MemoryStore()
  const dead = new SharedLease(store, { leaseMs: 5000 })
  void dead.run('C1', () => new Promise(() => undefined), open())
  await clock.tickAsync(0)
  const held = await store.get('lease:C1')
  await store.removeIf('lease:C1', 'someone else')
  t.equal(await store.get('lease:C1'), held, 'not released by a token it does not hold')
  let ran = false
  const next = new SharedLease(store, { leaseMs: 5000, pollMs: 20 }).run('C1', async () => {
    ran = true
  }, open())
  await clock.tickAsync(4900)
  t.notOk(ran, 'within the lease it waits')
  await clock.tickAsync(200)
  await next
  t.ok(ran, 'after it, it runs')
})

t.test("a wait ends with the request's signal; the task never runs", async (t) => {
  const clock = useClock(t)
  const store = new MemoryStore()
  void new SharedLease(store, { leaseMs: 5000 }).run('C1', () => new Promise(() => undefined), open())
  await clock.tickAsync(0)
  const controller = new AbortController()
  let ran = false
  const waiting = new SharedLease(store, { leaseMs: 5000 }).run('C1', async () => {
    ran = true
  }, controller.signal)
  await clock.tickAsync(100)
  controller.abort(new Error('deadline'))
  await t.rejects(waiting, { message: 'deadline' })
  t.notOk(ran)
})
