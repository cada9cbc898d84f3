/**
 * The $filter the adapter builds (adapters/dynamics365/filter.ts): OData literals, LIKE
 * wildcards, URL encoding, and what is refused before any call. The double parses these
 * filters in test/adapters/dynamics365/adapter.test.ts (hostile searches end to end).
 */
import t from 'tap'
import { likeLiteral, literal, phoneSpellings, queryString, selectList, toFilter } from '../../../adapters/dynamics365/filter.js'
import { parseFilter } from '../../fakes/dataverse-double-filter.js'
import { crmFailure } from '../../helpers/expect-failure.js'

t.test("literals: a quote is doubled, nothing else can end the literal", async (t) => {
  t.equal(literal("O'Brien"), "'O''Brien'")
  t.equal(literal("' or 1 eq 1"), "''' or 1 eq 1'")
  t.equal(literal("''"), "''''''")
  for (const hostile of ["' or 1 eq 1", "x') or contains(lastname,'", "a'';b", 'ü&#%+/?=$@,;:', "'"]) {
    const filter = `lastname eq ${literal(hostile)}`
    t.same(parseFilter(filter), { kind: 'compare', operator: 'eq', column: 'lastname', value: hostile }, `${JSON.stringify(hostile)} stays one literal`)
  }
})

t.test('LIKE wildcards typed by a user are made literal in startswith/contains', async (t) => {
  t.equal(likeLiteral('100%'), "'100[%]'")
  t.equal(likeLiteral('a_b'), "'a[_]b'")
  t.equal(likeLiteral('[x]'), "'[[]x]'")
  t.equal(likeLiteral("O'[%"), "'O''[[][%]'")
})

t.test('criteria: ANDed, fields ORed, per operator', async (t) => {
  t.equal(toFilter([{ fields: ['lastname'], operator: 'prefix', value: 'ok' }]), "startswith(lastname,'ok')")
  t.equal(toFilter([{ fields: ['lastname'], operator: 'contains', value: 'ka' }, { fields: ['emailaddress1'], operator: 'equals', value: 'a@b.c' }]), "contains(lastname,'ka') and emailaddress1 eq 'a@b.c'")
  const phone = toFilter([{ fields: ['mobilephone', 'telephone2'], operator: 'phone', value: '4155550142', international: '+14155550142' }]) ?? ''
  t.match(phone, /^\(\(mobilephone eq '\+14155550142' or .*\) or \(telephone2 eq '\+14155550142' or .*\)\)$/)
  t.ok(parseFilter(phone), 'and the service can parse it')
  t.equal(toFilter([{ fields: ['contactid'], operator: 'equals', value: '3F2B8C1E-5A4D-4E6F-9B7A-0C1D2E3F4A5B' }]), 'contactid eq 3f2b8c1e-5a4d-4e6f-9b7a-0c1d2e3f4a5b', 'a GUID unquoted')
  t.equal(toFilter([{ fields: ['contactid'], operator: 'equals', value: "C0001' or 1 eq 1" }]), undefined, 'an id that is no GUID: nothing can match, no call')
})

t.test('phone spellings: E.164, formats, digits', async (t) => {
  const spellings = phoneSpellings({ fields: ['mobilephone'], operator: 'phone', value: '4155550142', international: '+14155550142' })
  for (const s of ['+14155550142', '+1 415 555 0142', '(415) 555-0142', '4155550142', '14155550142', '415-555-0142', '415.555.0142', '415 555 0142', '+1 415-555-0142']) t.ok(spellings.includes(s), s)
})

t.test('refused before any call', async (t) => {
  const failure = (criteria: Parameters<typeof toFilter>[0]) => crmFailure(Promise.resolve().then(() => toFilter(criteria)))
  t.equal((await failure([])).kind, 'misconfigured', 'no criterion')
  t.equal((await failure([{ fields: ["lastname eq 'x' or firstname"], operator: 'equals', value: 'x' }])).kind, 'misconfigured', 'a field that is no logical name')
  t.match(await failure([{ fields: ['lastname'], operator: 'prefix', value: '  ' }]), { kind: 'unsupported', reason: 'value' }, 'a prefix of nothing would list everyone')
})

t.test('query strings: every value encoded whole; $select only logical names, the id first', async (t) => {
  t.equal(queryString([['$filter', "lastname eq 'a&b#c%d+e/f ü'"]]), "$filter=lastname%20eq%20'a%26b%23c%25d%2Be%2Ff%20%C3%BC'")
  t.equal(selectList(['firstname', 'contactid', 'lastname']), 'contactid,firstname,lastname')
  t.equal((await crmFailure(Promise.resolve().then(() => selectList(['cg_ConsentTerms'])))).kind, 'misconfigured', 'a schema name is not a logical name')
})
