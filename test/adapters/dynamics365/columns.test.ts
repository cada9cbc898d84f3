/**
 * The readiness column check (adapters/dynamics365/columns.ts) against the double's
 * EntityDefinitions: missing custom columns named, mistyped and read-only ones reported,
 * nothing created by `provision`.
 */
import t from 'tap'
import { dynamicsAdapter, loadDynamicsTable, startDataverse } from '../../helpers/gateway-over-dynamics365.js'
import { silentLogger } from '../../helpers/silent-logger.js'

const mapping = await loadDynamicsTable()
const ctx = { signal: new AbortController().signal, log: silentLogger, requestId: 'columns-test' }

t.test('a table whose columns all exist with fitting types: nothing missing', async (t) => {
  const double = await startDataverse(t)
  t.same(await dynamicsAdapter(t, double, mapping).fieldSchema?.check(mapping.fields, ctx), { missing: [], mismatched: [] })
  t.match(double.requests.at(-1)?.url, /^\/api\/data\/v9\.2\/EntityDefinitions\(LogicalName='contact'\)\/Attributes\?\$select=/)
})

t.test('missing custom columns are named; a mistyped or read-only one is reported; provision creates none', async (t) => {
  const double = await startDataverse(t, { provisioned: false })
  double.addColumns([
    { name: 'cg_consentterms', type: 'String', maxLength: 10 },
    { name: 'cg_addresslist', type: 'String', maxLength: 4000 }
  ])
  const fields = [...mapping.fields, { name: 'fullname', kind: 'text' as const, read: true, write: true, search: false, unique: false, spi: 'profile.fullName' }]
  const adapter = dynamicsAdapter(t, double, mapping)
  const report = await adapter.fieldSchema?.check(fields, ctx)
  t.ok(report?.missing.includes('cg_consentsms') && report.missing.includes('cg_loyaltyaccountnumber'), 'custom columns missing')
  t.notOk(report?.missing.some((name) => !name.startsWith('cg_')), 'standard columns present')
  t.same(report?.mismatched, [
    { name: 'cg_consentterms', expected: 'Boolean', actual: 'String' },
    { name: 'cg_addresslist', expected: 'Memo', actual: 'String' },
    { name: 'fullname', expected: 'a writable String or Memo or DateTime column', actual: 'read-only' }
  ])
  const columnsBefore = double.columns.size
  const provisioned = await adapter.fieldSchema?.provision(mapping.fields, ctx)
  t.same(provisioned?.created, [])
  t.equal(double.columns.size, columnsBefore, 'no schema created')
  t.match(provisioned?.notes, [/^create cg_\w+ on the contact table \(/])
})
