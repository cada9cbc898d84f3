/**
 * Creates recognized across instances, on a fake clock: two CreateDedups (two instances) over
 * one store. The store here is the in-process one — what SharedCreates asks of a store is the
 * same of Redis's (test/state/redis-store.test.ts), and three gateways over a real Redis are
 * test/e2e/several-instances.test.ts.
 */
import t from 'tap'
import FakeTimers from '@sinonjs/fake-timers'
import { CreateDedup, type CreateAttempt } from '../../src/core/create-dedup.js'
import { CrmFailure } from '../../src/core/port.js'
import { SharedCreates } from '../../src/core/shared-creates.js'
import { GatewayError } from '../../src/spi/error-catalogue.js'
import { MemoryStore } from '../../src/state/memory-store.js'

const open = (): AbortSignal => new AbortController().signal

function useClock(t: { teardown(fn: () => void): void }): ReturnType<typeof FakeTimers.install> {
  const clock = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
  t.teardown(() => clock.uninstall())
  return clock
}

const timeout = (): GatewayError => new GatewayError('CRM_TIMEOUT', { cause: new CrmFailure('timeout', { detail: 'timeout' }) })
const refused = (): GatewayError => new GatewayError('CRM_VALIDATION_FAILED', { cause: new CrmFailure('rejected', { detail: 'rejected' }) })

/** Two instances sharing `store`. */
function instances(store: MemoryStore): [CreateDedup<string>, CreateDedup<string>] {
  const make = () =>
    new CreateDedup<string>({ windowSeconds: 120, maxEntries: 100, shared: new SharedCreates(store, { windowMs: 120_000, leaseMs: 5000, pollMs: 25 }) })
  return [make(), make()]
}

t.test('a create made on A is answered on B; one waiting on A is answered when it ends', async (t) => {
  const clock = useClock(t)
  const [a, b] = instances(new MemoryStore())
  const attempts: CreateAttempt[] = []
  let finish: (id: string) => void = () => undefined
  const slow = (attempt: CreateAttempt) => {
    attempts.push(attempt)
    return new Promise<string>((resolve) => (finish = resolve))
  }
  const first = a.run('pos', undefined, { n: 1 }, open(), slow)
  await clock.tickAsync(0)
  const second = b.run('pos', undefined, { n: 1 }, open(), slow)
  await clock.tickAsync(100)
  t.equal(attempts.length, 1, 'B waits for A instead of creating')
  finish('C1')
  await clock.tickAsync(25)
  t.same(await first, { value: 'C1', outcome: 'first' })
  t.same(await second, { value: 'C1', outcome: 'replayed' }, 'B answers what A made')
  t.same(await b.run('pos', undefined, { n: 1 }, open(), slow), { value: 'C1', outcome: 'replayed' })
  t.same(await a.run('other-client', undefined, { n: 1 }, open(), async () => 'C2'), { value: 'C2', outcome: 'first' }, 'clients never share creates')
})

t.test('an outcome unknown on A: B takes it over with its marker, looking first', async (t) => {
  useClock(t)
  const [a, b] = instances(new MemoryStore())
  let markerOnA = ''
  await t.rejects(a.run('pos', 'k', { n: 2 }, open(), async (attempt) => {
    markerOnA = attempt.marker
    throw timeout()
  }))
  const seen: CreateAttempt[] = []
  const answer = await b.run('pos', 'k', { n: 2 }, open(), async (attempt) => {
    seen.push(attempt)
    return 'C9'
  })
  t.same(seen, [{ marker: markerOnA, earlierOutcomeUnknown: true }], "A's marker, and told to look for what A made")
  t.same(answer, { value: 'C9', outcome: 'replayed' })
})

t.test('refused by the CRM on A: forgotten, so B tries again as a first attempt', async (t) => {
  useClock(t)
  const [a, b] = instances(new MemoryStore())
  await t.rejects(a.run('pos', undefined, { n: 3 }, open(), async () => {
    throw refused()
  }))
  const seen: CreateAttempt[] = []
  t.same(await b.run('pos', undefined, { n: 3 }, open(), async (attempt) => {
    seen.push(attempt)
    return 'C3'
  }), { value: 'C3', outcome: 'first' })
  t.equal(seen[0]?.earlierOutcomeUnknown, false)
})

t.test('an instance that died mid-create: its claim lapses after the lease, then B takes over', async (t) => {
  const clock = useClock(t)
  const store = new MemoryStore()
  const [a, b] = instances(store)
  void a.run('pos', undefined, { n: 4 }, open(), () => new Promise<string>(() => undefined)) // never ends: A "died"
  await clock.tickAsync(0)
  const seen: CreateAttempt[] = []
  const waiting = b.run('pos', undefined, { n: 4 }, open(), async (attempt) => {
    seen.push(attempt)
    return 'C4'
  })
  await clock.tickAsync(4900)
  t.same(seen, [], 'within the lease B waits')
  await clock.tickAsync(200)
  t.same(await waiting, { value: 'C4', outcome: 'replayed' })
  t.equal(seen[0]?.earlierOutcomeUnknown, true, 'past it, B creates, looking first for what A may have made')
})

t.test("a waiting repeat leaves at its own request's end", async (t) => {
  const clock = useClock(t)
  const [a, b] = instances(new MemoryStore())
  void a.run('pos', undefined, { n: 5 }, open(), () => new Promise<string>(() => undefined))
  await clock.tickAsync(0)
  const controller = new AbortController()
  const waiting = b.run('pos', undefined, { n: 5 }, controller.signal, async () => 'never')
  await clock.tickAsync(100)
  controller.abort(timeout())
  await t.rejects(waiting, { code: 'CRM_TIMEOUT' })
})

t.test('an Idempotency-Key reused with another body is refused on the other instance', async (t) => {
  useClock(t)
  const [a, b] = instances(new MemoryStore())
  await a.run('pos', 'key-1', { n: 6 }, open(), async () => 'C6')
  await t.rejects(b.run('pos', 'key-1', { n: 7 }, open(), async () => 'C7'), { code: 'IDEMPOTENCY_KEY_REUSED' })
})
