/**
 * The adapter the core holds can be replaced while calls run (src/core/swappable-adapter.ts):
 * a call in flight finishes on the adapter it started on, new calls go to the new one, and the
 * old one is closed once its calls are done — or at the drain backstop, on a fake clock.
 */
import t from 'tap'
import FakeTimers from '@sinonjs/fake-timers'
import { SwappableAdapter } from '../../src/core/swappable-adapter.js'
import type { CallContext, CrmAdapter, CrmRecord } from '../../src/core/port.js'
import { createSilentLogger, silentLogger } from '../helpers/silent-logger.js'

/** An adapter whose gets wait until the test answers them, and which records its closing. */
function gatedAdapter(label: string, extra: Partial<CrmAdapter> = {}) {
  const waiting: Array<() => void> = []
  const calls: string[] = []
  let closed = 0
  const adapter: CrmAdapter = {
    name: 'gated',
    getCustomer: (id) => {
      calls.push(id)
      return new Promise<CrmRecord | null>((resolve) => waiting.push(() => resolve({ ID: id, FROM: label })))
    },
    searchCustomers: async () => ({ records: [{ FROM: label }] }),
    createCustomer: async (record) => ({ ...record, FROM: label }),
    updateCustomer: async (id) => ({ ID: id, FROM: label }),
    close: async () => {
      closed++
    },
    ...extra
  }
  return {
    adapter,
    calls,
    get closed() {
      return closed
    },
    answerAll: () => waiting.splice(0).forEach((answer) => answer())
  }
}

const ctx: CallContext = { signal: new AbortController().signal, log: silentLogger, requestId: 'r1' }
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

t.test('a call in flight finishes on the old adapter; the next goes to the new one; the old closes when drained', async (t) => {
  const old = gatedAdapter('old')
  const next = gatedAdapter('new')
  const swappable = new SwappableAdapter(old.adapter, { drainTimeoutMs: 10_000, log: silentLogger })
  const inFlight = swappable.getCustomer('C1', ctx)
  await settle()
  t.same(old.calls, ['C1'], 'the call reached the old adapter')

  swappable.swap(next.adapter)
  t.equal(swappable.current, next.adapter)
  t.equal(swappable.draining, 1, 'the old adapter drains')
  t.same(await swappable.searchCustomers({ criteria: [], limit: 1, offset: 0 }, ctx), { records: [{ FROM: 'new' }] }, 'a new call uses the new adapter')
  t.equal(old.closed, 0, 'not closed while its call runs')

  old.answerAll()
  t.same(await inFlight, { ID: 'C1', FROM: 'old' }, 'the call in flight is answered by the old adapter')
  await settle()
  t.equal(old.closed, 1, 'closed once its last call is done')
  t.equal(swappable.draining, 0)
  t.equal(next.closed, 0)

  await swappable.close()
  t.equal(next.closed, 1, 'shutdown closes the current adapter')
  t.equal(old.closed, 1, 'and never closes one twice')
})

t.test('an adapter with nothing in flight is closed at the swap; failures count as settled', async (t) => {
  const old = gatedAdapter('old', { createCustomer: async () => Promise.reject(new Error('refused')) })
  const swappable = new SwappableAdapter(old.adapter, { drainTimeoutMs: 10_000, log: silentLogger })
  await t.rejects(swappable.createCustomer({}, ctx), /refused/)
  swappable.swap(gatedAdapter('new').adapter)
  await settle()
  t.equal(old.closed, 1)
  t.equal(swappable.draining, 0)
})

t.test('a call that never settles: the old adapter is closed at the drain backstop', async (t) => {
  const clock = FakeTimers.createClock()
  const logger = createSilentLogger()
  const old = gatedAdapter('old')
  const swappable = new SwappableAdapter(old.adapter, { drainTimeoutMs: 10_000, log: logger, timers: clock })
  void swappable.getCustomer('C1', ctx)
  swappable.swap(gatedAdapter('new').adapter)
  clock.tick(9_999)
  await settle()
  t.equal(old.closed, 0, 'still waiting just before the backstop')
  clock.tick(1)
  await settle()
  t.equal(old.closed, 1, 'closed at the backstop')
  t.ok(
    logger.records.some((r) => r.level === 'warn' && (r.obj as { event?: string } | undefined)?.event === 'crm_adapter_drain_timeout'),
    'and said so'
  )
  old.answerAll() // the late answer finds the adapter already closed: nothing more happens
  await settle()
  t.equal(old.closed, 1)
})

t.test('a new adapter that declares other capabilities or rates is refused; optional members delegate', async (t) => {
  const versioned = gatedAdapter('old', {
    versionOf: (record) => String(record['V']),
    callRates: { searchCustomers: { calls: 5, perMs: 1000 } },
    uniqueLookup: { fields: () => new Set(['EMAIL']), find: async (_f, value) => ({ EMAIL: value, FROM: 'old' }) }
  })
  const swappable = new SwappableAdapter(versioned.adapter, { drainTimeoutMs: 10_000, log: silentLogger })
  t.same(swappable.differences(gatedAdapter('plain').adapter), ['callRates', 'versionOf', 'uniqueLookup'])
  t.throws(() => swappable.swap(gatedAdapter('plain').adapter), /differs in callRates, versionOf, uniqueLookup/)
  t.equal(swappable.current, versioned.adapter, 'the running adapter stays')

  const next = gatedAdapter('new', {
    versionOf: (record) => `new-${String(record['V'])}`,
    callRates: { searchCustomers: { calls: 5, perMs: 1000 } },
    uniqueLookup: { fields: () => new Set(['MARKER']), find: async (_f, value) => ({ EMAIL: value, FROM: 'new' }) }
  })
  swappable.swap(next.adapter)
  t.equal(swappable.versionOf?.({ V: 3 }), 'new-3')
  t.same([...(swappable.uniqueLookup?.fields() ?? [])], ['MARKER'])
  t.same(await swappable.uniqueLookup?.find('EMAIL', 'a@example.com', ctx), { EMAIL: 'a@example.com', FROM: 'new' })
  t.same(swappable.callRates, { searchCustomers: { calls: 5, perMs: 1000 } })
})
