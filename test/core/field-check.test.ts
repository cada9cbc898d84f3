/**
 * The field check behind readiness, on a fake clock with a scripted field schema: the first
 * check, answers from the last result, a background re-check once it is stale, one check at a
 * time, and a CRM that cannot be asked.
 */
import t from 'tap'
import FakeTimers from '@sinonjs/fake-timers'
import { FieldCheck } from '../../src/core/field-check.js'
import { CrmFailure, type CrmFieldUse, type FieldReport, type FieldSchema } from '../../src/core/port.js'
import { createSilentLogger } from '../helpers/silent-logger.js'

const fields: CrmFieldUse[] = [{ name: 'consent_terms', kind: 'boolean', read: true, write: true, search: false, unique: false, spi: 'consents.agreeToTC' }]

function scripted(): FieldSchema & { calls: number; next: () => Promise<FieldReport> } {
  const schema = {
    calls: 0,
    next: async (): Promise<FieldReport> => ({ missing: [], mismatched: [] }),
    check(): Promise<FieldReport> {
      schema.calls++
      return schema.next()
    },
    provision: () => Promise.reject(new Error('not used'))
  }
  return schema
}

t.test('readiness answers from the last check and re-checks in the background once it is stale', async (t) => {
  const clock = FakeTimers.install({ toFake: ['Date', 'setTimeout', 'clearTimeout'] })
  t.teardown(() => clock.uninstall())
  const schema = scripted()
  const log = createSilentLogger()
  const check = new FieldCheck(schema, () => fields, { intervalMs: 60_000, timeoutMs: 1000, log })
  schema.next = async () => ({ missing: ['consent_terms'], mismatched: [] })
  t.same(await check.run(), { status: 'missing', missing: ['consent_terms'], mismatched: [] })
  t.match(log.records.at(-1), { level: 'error', obj: { fieldCheck: 'missing', missing: ['consent_terms'] } }, 'logged by name')

  schema.next = async () => ({ missing: [], mismatched: [] })
  for (let i = 0; i < 5; i++) t.equal(check.view().status, 'missing', 'within the interval: the last result, no call')
  t.equal(schema.calls, 1)
  await clock.tickAsync(60_000)
  t.equal(check.view().status, 'missing', 'stale: still answered at once …')
  await clock.tickAsync(0)
  t.equal(schema.calls, 2, '… while one re-check runs')
  t.equal(check.view().status, 'ok', 'the next view has the new result')

  let release!: (r: FieldReport) => void
  schema.next = () => new Promise((resolve) => (release = resolve))
  const a = check.run()
  const b = check.run()
  t.equal(schema.calls, 3, 'one check at a time')
  release({ missing: [], mismatched: [{ name: 'consent_terms', expected: 'bool', actual: 'number' }] })
  t.same(await a, await b)

  schema.next = () => Promise.reject(new CrmFailure('unreachable', { detail: 'fieldSchema: no connection (ECONNREFUSED)' }))
  t.same(await check.run(), { status: 'unknown', reason: 'fieldSchema: no connection (ECONNREFUSED)' }, 'a CRM that cannot be asked: unknown, which keeps the gateway ready')
})
