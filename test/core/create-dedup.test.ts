/**
 * Repeated creates on a fake clock: one CRM call per create, joins with their own patience,
 * unknown outcomes remembered (and retried with their marker), refusals forgotten, the window.
 */
import t from 'tap'
import FakeTimers from '@sinonjs/fake-timers'
import { CreateDedup, canonicalJson, type CreateAttempt } from '../../src/core/create-dedup.js'
import { CrmFailure } from '../../src/core/port.js'
import { GatewayError } from '../../src/spi/error-catalogue.js'
import { MAX_JSON_DEPTH } from '../../src/spi/json-depth.js'

const open = (): AbortSignal => new AbortController().signal

function useClock(t: { teardown(fn: () => void): void }): ReturnType<typeof FakeTimers.install> {
  const clock = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
  t.teardown(() => clock.uninstall())
  return clock
}

/** A SPI error the way the core makes one of a CrmFailure: the failure as its cause. */
const spiError = (kind: 'timeout' | 'rejected' | 'unreachable'): GatewayError =>
  new GatewayError(kind === 'rejected' ? 'CRM_VALIDATION_FAILED' : kind === 'timeout' ? 'CRM_TIMEOUT' : 'CRM_UNAVAILABLE', { cause: new CrmFailure(kind, { detail: kind }) })

t.test('one CRM call per create, key reuse refused, refusals forgotten, the window', async (t) => {
  const clock = useClock(t)
  const dedup = new CreateDedup<string>({ windowSeconds: 120, maxEntries: 100 })
  const attempts: CreateAttempt[] = []
  const create = async (attempt: CreateAttempt): Promise<string> => {
    attempts.push(attempt)
    return `C${attempts.length}`
  }
  const run = (client: string, key: string | undefined, body: unknown, fn = create) => dedup.run(client, key, body, open(), fn)
  const body = { profile: { firstName: 'A', lastName: 'B' } }
  const same = await Promise.all(Array.from({ length: 20 }, () => run('pos', undefined, { profile: { lastName: 'B', firstName: 'A' } })))
  t.equal(attempts.length, 1, '20 identical creates at once → one CRM create')
  t.ok(same.every((r) => r.value === 'C1'))
  t.equal(same.filter((r) => r.outcome === 'first').length, 1)
  t.equal((await run('other-pos', undefined, body)).value, 'C2', 'another client is another scope')
  t.equal((await run('pos', 'k0', body)).value, 'C1', 'the same body within the window is the same create, keyed or not')

  const other = { profile: { firstName: 'K' } }
  t.equal((await run('pos', 'k1', other)).value, 'C3')
  t.same(await run('pos', 'k1', other), { value: 'C3', outcome: 'replayed' })
  t.same(await run('pos', undefined, other), { value: 'C3', outcome: 'replayed' }, 'a retry without the key finds it by its body')
  await t.rejects(run('pos', 'k1', { profile: { firstName: 'Z' } }), { code: 'IDEMPOTENCY_KEY_REUSED', status: 422 })

  const refused = { profile: { firstName: 'R' } }
  await t.rejects(run('pos', 'k2', refused, async () => Promise.reject(spiError('rejected'))))
  await t.rejects(run('pos', 'k2', refused, async () => Promise.reject(spiError('unreachable'))))
  t.equal((await run('pos', 'k2', refused)).value, 'C4', 'a create the CRM refused, or never received, is forgotten')
  t.equal(attempts.at(-1)?.earlierOutcomeUnknown, false)

  await clock.tickAsync(120_000)
  t.equal((await run('pos', undefined, body)).value, 'C5', 'after the window, a create is a create')
  t.not(attempts.at(-1)?.marker, attempts[0]?.marker, 'with a marker of its own')
  t.equal(canonicalJson({ b: [1, { d: 1, c: 2 }], a: null }), '{"a":null,"b":[1,{"c":2,"d":1}]}')
})

t.test('a create whose outcome is unknown is remembered; its retry is told so and keeps its marker', async (t) => {
  useClock(t)
  const dedup = new CreateDedup<string>({ windowSeconds: 120, maxEntries: 100 })
  const attempts: CreateAttempt[] = []
  const body = { profile: { firstName: 'U', email: 'u@example.com' } }
  await t.rejects(
    dedup.run('pos', 'k', body, open(), async (a) => {
      attempts.push(a)
      throw spiError('timeout')
    }),
    { code: 'CRM_TIMEOUT' }
  )
  const retry = await dedup.run('pos', undefined, body, open(), async (a) => {
    attempts.push(a)
    return 'C1'
  })
  t.same(retry, { value: 'C1', outcome: 'replayed' })
  t.same(attempts.map((a) => a.earlierOutcomeUnknown), [false, true], 'the retry knows an earlier attempt may have created the customer')
  t.equal(attempts[1]?.marker, attempts[0]?.marker, 'and looks for it by the first marker')
  t.equal(attempts[0]?.marker.length, 32)
  t.ok(dedup.markersFor('pos', body).includes(attempts[0]?.marker ?? ''), 'markersFor gives the marker to an instance that knows nothing of it')
  t.notOk(dedup.markersFor('other', body).includes(attempts[0]?.marker ?? ''), 'another client never has it')
})

t.test('a retry joins a create still running, waiting no longer than its own caller', async (t) => {
  const clock = useClock(t)
  const dedup = new CreateDedup<string>({ windowSeconds: 120, maxEntries: 100 })
  let release!: (v: string) => void
  let creates = 0
  const slow = (): Promise<string> => {
    creates++
    return new Promise<string>((r) => (release = r))
  }
  const body = { profile: { firstName: 'P' } }
  const first = dedup.run('pos', undefined, body, open(), slow)
  const impatient = new AbortController()
  setTimeout(() => impatient.abort(new GatewayError('CLIENT_CLOSED_REQUEST')), 1000)
  const gaveUp = dedup.run('pos', undefined, body, impatient.signal, slow).catch((err: unknown) => err)
  const patient = dedup.run('pos', undefined, body, open(), slow)
  await clock.tickAsync(1000)
  t.match(await gaveUp, { code: 'CLIENT_CLOSED_REQUEST' }, 'a retry whose POS left stops waiting')
  release('C1')
  t.same(await first, { value: 'C1', outcome: 'first' })
  t.same(await patient, { value: 'C1', outcome: 'replayed' }, 'the other gets the first create’s customer')
  t.equal(creates, 1)
})

t.test('what is remembered is bounded in bytes, whatever the keys and answers', async (t) => {
  useClock(t)
  const maxBytes = 256 * 1024
  const dedup = new CreateDedup<unknown>({ windowSeconds: 120, maxEntries: 100_000, maxBytes })
  const big = { profile: { firstName: 'x'.repeat(20_000) } }
  for (let i = 0; i < 200; i++) {
    await dedup.run('pos', `key-${i}-${'k'.repeat(190)}`, { profile: { firstName: `n${i}` } }, open(), async () => big)
  }
  t.ok(dedup.bytes <= maxBytes, `200 creates answering 20 KB each: ${dedup.bytes} bytes counted, at most ${maxBytes}`)
  t.ok(dedup.bytes > maxBytes / 2, 'answers are counted (they are most of the memory)')
  const again = await dedup.run('pos', undefined, { profile: { firstName: 'n199' } }, open(), async () => 'a second create')
  t.equal(again.outcome, 'replayed', 'the latest creates are still remembered')
})

t.test('the fingerprint of a body nested deeper than the limit is a 400, never a stack overflow', async (t) => {
  let deep: unknown = 'leaf'
  for (let i = 0; i < 5000; i++) deep = [deep]
  t.throws(() => canonicalJson(deep), { code: 'INVALID_REQUEST', status: 400, params: { reason: 'tooDeep' } })
  let ok: unknown = 'leaf'
  for (let i = 0; i < MAX_JSON_DEPTH; i++) ok = { a: ok }
  t.match(canonicalJson(ok), /^(\{"a":){32}"leaf"\}{32}$/, `${MAX_JSON_DEPTH} levels: fingerprinted`)
  const dedup = new CreateDedup<string>({ windowSeconds: 120, maxEntries: 10 })
  await t.rejects(dedup.run('pos', undefined, deep, open(), async () => 'C1'), { code: 'INVALID_REQUEST' })
})

t.test('a retry that joined a create which then timed out looks for what it made, with its own time', async (t) => {
  const clock = useClock(t)
  const dedup = new CreateDedup<string>({ windowSeconds: 120, maxEntries: 100 })
  const attempts: CreateAttempt[] = []
  const body = { profile: { firstName: 'J' } }
  let fail!: () => void
  const first = dedup
    .run('pos', undefined, body, open(), (a) => {
      attempts.push(a)
      return new Promise<string>((_resolve, reject) => (fail = () => reject(spiError('timeout'))))
    })
    .catch((err: unknown) => err)
  const joined = dedup.run('pos', undefined, body, open(), async (a) => {
    attempts.push(a)
    return 'C1 (found by its marker)'
  })
  await clock.tickAsync(10)
  fail()
  t.match(await first, { code: 'CRM_TIMEOUT' }, 'the first caller hears its timeout')
  t.same(await joined, { value: 'C1 (found by its marker)', outcome: 'replayed' }, 'the joiner, with time left, reconciles')
  t.same(attempts.map((a) => a.earlierOutcomeUnknown), [false, true])
  t.equal(attempts[1]?.marker, attempts[0]?.marker)
})
