/**
 * The pacer on a fake clock: a sliding window of `calls` per `perMs`, slots granted first come
 * first served, refusals that say how long until a slot, callers that leave.
 */
import t from 'tap'
import FakeTimers from '@sinonjs/fake-timers'
import { Pacer, SharedPacer } from '../../../src/core/resilience/pacer.js'
import { MemoryStore } from '../../../src/state/memory-store.js'

function useClock(t: { teardown(fn: () => void): void }): ReturnType<typeof FakeTimers.install> {
  const clock = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
  t.teardown(() => clock.uninstall())
  return clock
}

const never = new AbortController().signal

t.test('at most `calls` in any window of perMs; later callers wait in order', async (t) => {
  const clock = useClock(t)
  const pacer = new Pacer({ calls: 3, perMs: 1000 })
  const t0 = Date.now()
  const granted: number[] = []
  const takes = Array.from({ length: 7 }, () => pacer.take(never, undefined).then(() => granted.push(Date.now() - t0)))
  await clock.tickAsync(2500)
  await Promise.all(takes)
  t.same(granted, [0, 0, 0, 1000, 1000, 1000, 2000], 'three per second, in arrival order')
  await clock.tickAsync(1000)
  const at = Date.now() - t0
  await pacer.take(never, undefined)
  t.equal(Date.now() - t0, at, 'a quiet window frees its slots: no wait')
})

t.test('a slot past the deadline is refused at once, with the seconds until one frees', async (t) => {
  const clock = useClock(t)
  const pacer = new Pacer({ calls: 1, perMs: 1000 })
  await pacer.take(never, Date.now() + 100)
  const err = await pacer.take(never, Date.now() + 999).catch((e: unknown) => e)
  t.match(err, { name: 'CrmFailure', kind: 'throttled', retryAfterSeconds: 1 })
  t.match((err as Error).message, /CRM not called/)
  await clock.tickAsync(300)
  const waited = pacer.take(never, Date.now() + 700)
  await clock.tickAsync(700)
  await t.resolves(waited, 'a slot exactly at the deadline is taken')
  await t.rejects(pacer.take(never, Date.now() + 999), { name: 'CrmFailure', kind: 'throttled', retryAfterSeconds: 1 }, 'the waiter took the slot at 1000 ms; the refused caller reserved none')
})

t.test('a caller that leaves stops waiting; its slot stays spent (the CRM may have been called by then)', async (t) => {
  const clock = useClock(t)
  const pacer = new Pacer({ calls: 1, perMs: 1000 })
  await pacer.take(never, undefined)
  const leaving = new AbortController()
  const waiting = pacer.take(leaving.signal, undefined)
  leaving.abort(new Error('the POS hung up'))
  await t.rejects(waiting, /hung up/)
  const t0 = Date.now()
  const next = pacer.take(never, undefined)
  await clock.tickAsync(2000)
  await next
  t.equal(Date.now() - t0 >= 2000, true, 'the next caller takes the slot after the abandoned one')
  t.throws(() => new Pacer({ calls: 0, perMs: 1000 }), /bad call rate/)
})

t.test('shared: two instances take their slots from one window, widened by the margin; refusals say when', async (t) => {
  const clock = useClock(t)
  const store = new MemoryStore()
  const a = new SharedPacer(store, 'pace:hubspot:search', { calls: 2, perMs: 1000 })
  const b = new SharedPacer(store, 'pace:hubspot:search', { calls: 2, perMs: 1000 })
  const t0 = Date.now()
  const granted: number[] = []
  const takes = [a, b, a, b].map((p) => p.take(never, undefined).then(() => granted.push(Date.now() - t0)))
  await clock.tickAsync(1200)
  await Promise.all(takes)
  t.same(granted, [0, 0, 1100, 1100], 'two per window over both instances; the window is 1000 ms + 10%')
  const late = a.take(never, Date.now() + 500)
  await t.rejects(late, { name: 'CrmFailure', kind: 'throttled', retryAfterSeconds: 1 }, 'no slot before the deadline (the next is 1000 ms away): refused at once, with the wait')
})
