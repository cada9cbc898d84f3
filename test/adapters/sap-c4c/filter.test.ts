/** adapters/sap-c4c/filter.ts: criteria → C4C $filter branches, values escaped or refused. */
import t from 'tap'
import { CrmFailure } from '../../../src/core/port.js'
import type { CrmCriterion } from '../../../src/core/port.js'
import { MAX_BRANCHES, filterBranches } from '../../../adapters/sap-c4c/filter.js'
import { parseFilter, evaluate } from '../../fakes/sap-c4c-double-filter.js'
import { thrown } from './thrown.js'

const c = (fields: string[], operator: CrmCriterion['operator'], value: string): CrmCriterion => ({ fields, operator, value })

t.test('each operator as C4C spells it', async (t) => {
  t.same(filterBranches([c(['LastName'], 'equals', 'Okafor')]), ["LastName eq 'Okafor'"])
  t.same(filterBranches([c(['LastName'], 'prefix', 'oka')]), ["startswith(LastName,'oka')"])
  t.same(filterBranches([c(['LastName'], 'contains', 'kaf')]), ["LastName eq '*kaf*'"], 'contains: eq with * wildcards')
  t.same(filterBranches([c(['NormalisedMobile'], 'phone', '4155550142')]), ["endswith(NormalisedMobile,'4155550142')"])
  t.same(filterBranches([c(['LastName'], 'prefix', 'ok'), c(['FirstName'], 'prefix', 'am')]), ["startswith(LastName,'ok') and startswith(FirstName,'am')"], 'criteria ANDed')
})

t.test('a criterion over several properties: one query per property (C4C ORs one property only)', async (t) => {
  t.same(filterBranches([c(['NormalisedMobile', 'NormalisedPhone'], 'phone', '4155550142'), c(['LastName'], 'prefix', 'ok')]), [
    "endswith(NormalisedMobile,'4155550142') and startswith(LastName,'ok')",
    "endswith(NormalisedPhone,'4155550142') and startswith(LastName,'ok')"
  ])
  const many = [c(['A', 'B'], 'equals', 'x'), c(['C', 'D'], 'equals', 'y'), c(['E', 'F'], 'equals', 'z')]
  t.match(thrown(() => filterBranches(many)), { kind: 'unsupported', reason: 'criteria' }, `more than ${MAX_BRANCHES} queries`)
})

t.test('hostile values are literals: quotes doubled, and the double parses each to the value sent', async (t) => {
  const hostile = ["O'Brien", "' or 1 eq 1", "''", 'Smith & Sons', 'Hash#Tag', '100%', 'A+B', 'a/b', 'Ünïcødé 名前', '(x)', 'x,y', 'eq', "it's 'quoted'"]
  for (const value of hostile) {
    const [filter] = filterBranches([c(['LastName'], 'equals', value)])
    const tree = parseFilter(filter ?? '')
    t.same(tree, { kind: 'compare', op: 'eq', property: 'LastName', value }, `${value}: one comparison of the whole value`)
    t.ok(evaluate(tree, () => value), `${value}: matches itself`)
    t.notOk(evaluate(tree, () => 'someone else'), `${value}: and nothing else`)
  }
  t.same(filterBranches([c(['LastName'], 'equals', "' or 1 eq 1")]), ["LastName eq ''' or 1 eq 1'"])
})

t.test('what C4C cannot be asked is refused before any call', async (t) => {
  t.match(thrown(() => filterBranches([c(['LastName'], 'equals', 'O*')])), { kind: 'unsupported', reason: 'value', field: 'LastName' }, 'a * has no escape')
  t.match(thrown(() => filterBranches([c(['LastName'], 'equals', '   ')])), { kind: 'unsupported', reason: 'value' })
  t.match(thrown(() => filterBranches([c(['LastName'], 'equals', 'x'.repeat(256))])), { kind: 'unsupported', reason: 'value' })
  t.match(thrown(() => filterBranches([c(['NormalisedMobile'], 'phone', '+1 415')])), { kind: 'unsupported', reason: 'value' })
  t.match(thrown(() => filterBranches([])), { kind: 'unsupported', reason: 'criteria' })
  t.match(thrown(() => filterBranches([c(["LastName eq 'x' or FirstName"], 'equals', 'y')])), { kind: 'misconfigured' }, 'a field that is no property name')
  t.throws(() => filterBranches([c([], 'equals', 'y')]), CrmFailure)
})
