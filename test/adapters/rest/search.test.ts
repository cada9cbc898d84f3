/**
 * Searches of the rest adapter against a CRM on 127.0.0.1: each paging style (offset/limit,
 * page/size, cursor, none) carrying the port's offset/limit; criteria as query parameters or a
 * JSON body; single-term CRMs and CRMs that cannot put every criterion, filtered here with the
 * port's comparison; limits refused before any call.
 */
import t from 'tap'
import type { CrmCriterion } from '../../../src/core/port.js'
import { planPages } from '../../../adapters/rest/paging.js'
import { matchesAll } from '../../../adapters/rest/search.js'
import { crmFailure } from '../../helpers/expect-failure.js'
import { adapterOver, baseDefinition, context, json, records, startCrm } from './fixtures.js'

const ALL = records(120)
const ids = (page: { records: readonly Record<string, unknown>[] }): unknown[] => page.records.map((r) => r['id'])
const byName: CrmCriterion = { fields: ['name'], operator: 'prefix', value: 'Name' }

t.test('offset/limit: the window itself, in requests of at most maxLimit', async (t) => {
  const crm = await startCrm(t, (req) => {
    const offset = Number(req.query.get('offset'))
    const limit = Number(req.query.get('limit'))
    return json(200, { items: ALL.slice(offset, offset + limit), total: ALL.length })
  })
  const adapter = adapterOver(t, crm.url, baseDefinition())
  const page = await adapter.searchCustomers({ criteria: [byName], limit: 20, offset: 30 }, context())
  t.same(ids(page), ALL.slice(30, 50).map((r) => r['id']))
  t.equal(page.total, 120)
  t.same(crm.requests.map((r) => [r.query.get('offset'), r.query.get('limit')]), [['30', '20']])

  crm.requests.length = 0
  const wide = await adapter.searchCustomers({ criteria: [byName], limit: 100, offset: 0 }, context())
  t.equal(wide.records.length, 100)
  t.same(crm.requests.map((r) => [r.query.get('offset'), r.query.get('limit')]), [['0', '50'], ['50', '50']], 'maxLimit 50: two requests')

  crm.requests.length = 0
  const end = await adapter.searchCustomers({ criteria: [byName], limit: 100, offset: 100 }, context())
  t.same(ids(end), ALL.slice(100).map((r) => r['id']))
  t.equal(crm.requests.length, 1, 'a short page is the last: nothing asked after it')
})

t.test('page/size: one page when the window fits one, else the pages around it', async (t) => {
  t.same(planPages(40, 20, 100), { pages: [{ index: 2, size: 20 }], skip: 0 })
  t.same(planPages(5, 10, 100), { pages: [{ index: 0, size: 15 }], skip: 5 })
  t.same(planPages(95, 10, 100), { pages: [{ index: 6, size: 15 }], skip: 5 })
  t.same(planPages(0, 100, 50), { pages: [{ index: 0, size: 50 }, { index: 1, size: 50 }], skip: 0 }, 'a limit beyond maxSize')
  t.same(planPages(7, 3, 4), { pages: [{ index: 2, size: 3 }, { index: 3, size: 3 }], skip: 1 }, 'no bigger page fits: two of limit')

  for (const firstPage of [0, 1]) {
    const crm = await startCrm(t, (req) => {
      const page = Number(req.query.get('p')) - firstPage
      const size = Number(req.query.get('n'))
      return json(200, { data: { rows: ALL.slice(page * size, page * size + size), count: ALL.length } })
    })
    const d = baseDefinition()
    d['operations'].search.answer = { records: 'data.rows', total: 'data.count' }
    d['operations'].search.paging = { style: 'page', page: 'p', size: 'n', firstPage, maxSize: 100 }
    const adapter = adapterOver(t, crm.url, d)
    for (const [offset, limit] of [[0, 10], [40, 20], [5, 10], [95, 10], [115, 10]] as const) {
      const page = await adapter.searchCustomers({ criteria: [byName], limit, offset }, context())
      t.same(ids(page), ALL.slice(offset, offset + limit).map((r) => r['id']), `firstPage ${firstPage}: offset ${offset}, limit ${limit}`)
      t.equal(page.total, 120)
    }
    t.equal(crm.requests.length, 5, 'one request per window')
    t.equal(crm.requests[0]?.query.get('p'), String(firstPage))
  }
})

t.test('cursor: pages walked from the first, following the next cursor, within maxWindow', async (t) => {
  const crm = await startCrm(t, (req) => {
    const at = req.query.get('after') === null ? 0 : Number(req.query.get('after'))
    const limit = Number(req.query.get('limit'))
    const rows = ALL.slice(at, at + limit)
    const next = at + limit < ALL.length ? String(at + limit) : null
    return json(200, { results: rows, paging: { next: next === null ? null : { after: next } } })
  })
  const d = baseDefinition()
  d['operations'].search.answer = { records: 'results' }
  d['operations'].search.paging = { style: 'cursor', cursor: 'after', limit: 'limit', maxLimit: 25, next: 'paging.next.after' }
  const adapter = adapterOver(t, crm.url, d)
  const page = await adapter.searchCustomers({ criteria: [byName], limit: 10, offset: 40 }, context())
  t.same(ids(page), ALL.slice(40, 50).map((r) => r['id']))
  t.equal(page.total, undefined, 'no total declared: none given')
  t.same(crm.requests.map((r) => r.query.get('after')), [null, '25'], 'two pages of 25 reach record 50')

  crm.requests.length = 0
  const last = await adapter.searchCustomers({ criteria: [byName], limit: 50, offset: 100 }, context())
  t.same(ids(last), ALL.slice(100).map((r) => r['id']), 'the last page has no next cursor')

  crm.requests.length = 0
  const deep = await crmFailure(adapter.searchCustomers({ criteria: [byName], limit: 10, offset: 195 }, context()))
  t.match(deep, { kind: 'unsupported', reason: 'paging', field: 'offset' }, 'beyond the default 200: refused')
  t.equal(crm.requests.length, 0, 'without a call')

  crm.answer(() => json(200, { results: ALL.slice(0, 25), paging: { next: { after: 'same' } } }))
  t.match(await crmFailure(adapter.searchCustomers({ criteria: [byName], limit: 100, offset: 0 }, context())), { kind: 'bad-response' }, 'a cursor given twice pages no further')
})

t.test('no paging: every match at once, the window cut here', async (t) => {
  const crm = await startCrm(t, () => json(200, ALL.slice(0, 30)))
  const d = baseDefinition()
  d['operations'].search.answer = {}
  d['operations'].search.paging = { style: 'none' }
  const adapter = adapterOver(t, crm.url, d)
  const page = await adapter.searchCustomers({ criteria: [byName], limit: 10, offset: 25 }, context())
  t.same(ids(page), ALL.slice(25, 30).map((r) => r['id']))
  t.equal(page.total, 30)
  t.same([...(crm.requests[0]?.query.keys() ?? [])], ['name[sw]'], 'no paging parameter')
})

t.test('query criteria: one parameter per criterion, fields joined, values encoded', async (t) => {
  const crm = await startCrm(t, () => json(200, { data: [], total: 0 }))
  const d = baseDefinition()
  d['operations'].search.answer = { records: 'data', total: 'total' }
  d['operations'].search.criteria = { style: 'query', parameter: 'filter', value: '{fields}:{operator}:{value}', fieldSeparator: '|', operators: { equals: 'eq', prefix: 'sw', phone: 'ewd' } }
  const adapter = adapterOver(t, crm.url, d)
  const criteria: CrmCriterion[] = [
    { fields: ['LAST'], operator: 'prefix', value: 'o’k&a=1' },
    { fields: ['MOBILE', 'HOME'], operator: 'phone', value: '4155550142', international: '+14155550142' }
  ]
  t.same(await adapter.searchCustomers({ criteria, limit: 5, offset: 0 }, context()), { records: [], total: 0 })
  t.same(crm.requests[0]?.query.getAll('filter'), ['LAST:sw:o’k&a=1', 'MOBILE|HOME:ewd:4155550142'])

  const unsupported = await crmFailure(adapter.searchCustomers({ criteria: [{ fields: ['NOTES'], operator: 'contains', value: 'x' }], limit: 5, offset: 0 }, context()))
  t.match(unsupported, { kind: 'unsupported', reason: 'criteria', field: 'NOTES' }, 'an operator the CRM lacks is refused, never sent as another')

  const badField = await crmFailure(adapter.searchCustomers({ criteria: [{ fields: ['A|B:eq:x'], operator: 'equals', value: 'x' }], limit: 5, offset: 0 }, context()))
  t.equal(badField.kind, 'misconfigured', 'a field name outside fieldPattern is the table’s fault, never sent')
  t.equal(crm.requests.length, 1, 'neither was sent')
})

t.test('query criteria with one field per parameter: several fields cannot be ORed', async (t) => {
  const crm = await startCrm(t, (req) => {
    const last = req.query.get('last[eq]')
    const rows = [{ id: '1', last: 'Okafor', mobile: '(415) 555-0142' }, { id: '2', last: 'Okafor', home: '+1 415 555 0142' }, { id: '3', last: 'Okafor' }]
    return json(200, { items: rows.filter((r) => last === null || r.last.toLowerCase() === last.toLowerCase()), total: 3 })
  })
  const phone: CrmCriterion = { fields: ['mobile', 'home'], operator: 'phone', value: '4155550142' }
  const last: CrmCriterion = { fields: ['last'], operator: 'equals', value: 'okafor' }
  const strict = adapterOver(t, crm.url, baseDefinition())
  t.match(await crmFailure(strict.searchCustomers({ criteria: [last, phone], limit: 5, offset: 0 }, context())), { kind: 'unsupported', reason: 'criteria', field: 'mobile' })
  t.equal(crm.requests.length, 0)

  const d = baseDefinition()
  d['operations'].search.clientSideFilter = true
  const lenient = adapterOver(t, crm.url, d)
  const page = await lenient.searchCustomers({ criteria: [last, phone], limit: 5, offset: 0 }, context())
  t.same(ids(page), ['1', '2'], 'what the CRM can take is sent, the rest applied here')
  t.equal(page.total, 2, 'every record was read: the total is known')
  t.same([...(crm.requests[0]?.query.keys() ?? [])], ['last[eq]', 'offset', 'limit'])
})

t.test('body criteria: a JSON list built from the template, paging in the body', async (t) => {
  const crm = await startCrm(t, (req) => {
    const { from, size } = req.body.page
    return json(200, { hits: ALL.slice(from, from + size), total: ALL.length })
  })
  const d = baseDefinition()
  d['operations'].search = {
    method: 'POST',
    path: '/customers/search',
    body: { sort: [{ field: 'id', order: 'asc' }], query: { match: 'all' } },
    answer: { records: 'hits', total: 'total' },
    criteria: { style: 'body', at: 'query.filters', criterion: { fields: '{fields}', op: '{operator}', value: '{value}', label: 'op={operator}' }, operators: { equals: 'EQ', phone: 'PHONE' } },
    paging: { style: 'offset', offset: 'page.from', limit: 'page.size', maxLimit: 100 }
  }
  const adapter = adapterOver(t, crm.url, d)
  const criteria: CrmCriterion[] = [
    { fields: ['email'], operator: 'equals', value: 'a"b@example.com' },
    { fields: ['mobile', 'home'], operator: 'phone', value: '4155550142', international: '+14155550142' }
  ]
  const page = await adapter.searchCustomers({ criteria, limit: 10, offset: 20 }, context())
  t.same(ids(page), ALL.slice(20, 30).map((r) => r['id']))
  const sent = crm.requests[0]
  t.equal(sent?.method, 'POST')
  t.equal(sent?.headers['content-type'], 'application/json')
  t.same(sent?.body, {
    sort: [{ field: 'id', order: 'asc' }],
    query: {
      match: 'all',
      filters: [
        { fields: ['email'], op: 'EQ', value: 'a"b@example.com', label: 'op=EQ' },
        { fields: ['mobile', 'home'], op: 'PHONE', value: '4155550142', label: 'op=PHONE' }
      ]
    },
    page: { from: 20, size: 10 }
  })
})

t.test('single-term search: the most selective value sent, every criterion applied here', async (t) => {
  const people = [
    { id: 'p1', first: 'Amelia', last: 'Okafor', email: 'amelia@example.com', phone: '(415) 555-0142', loyalty: { no: 'LY1' } },
    { id: 'p2', first: 'Amos', last: 'Okafor', email: 'amos@example.com', phone: '+1 212 555 0100' },
    { id: 'p3', first: 'Amelia', last: 'Okonkwo', email: 'a.okonkwo@example.com', phone: '14155550142', points: 42 },
    ...Array.from({ length: 40 }, (_, i) => ({ id: `c${String(i + 1).padStart(3, '0')}`, first: 'Other', last: `Okafor${i}` }))
  ]
  const crm = await startCrm(t, (req) => {
    // A fuzzy CRM: the term anywhere in any value, pages of page/size.
    const q = (req.query.get('q') ?? '').toLowerCase()
    const hits = people.filter((p) => JSON.stringify(p).toLowerCase().includes(q))
    const page = Number(req.query.get('page'))
    const size = Number(req.query.get('size'))
    return json(200, { rows: hits.slice((page - 1) * size, page * size) })
  })
  const d = baseDefinition()
  d['operations'].search.answer = { records: 'rows' }
  d['operations'].search.criteria = { style: 'term', parameter: 'q' }
  d['operations'].search.paging = { style: 'page', page: 'page', size: 'size', maxSize: 10 }
  d['operations'].search.clientSideFilter = { maxRecords: 30 }
  const adapter = adapterOver(t, crm.url, d)
  const first: CrmCriterion = { fields: ['first'], operator: 'prefix', value: 'ame' }
  const last: CrmCriterion = { fields: ['last'], operator: 'prefix', value: 'oka' }
  const email: CrmCriterion = { fields: ['email'], operator: 'equals', value: 'AMELIA@example.com' }
  const phone: CrmCriterion = { fields: ['phone'], operator: 'phone', value: '4155550142' }

  const byEmail = await adapter.searchCustomers({ criteria: [first, email, phone], limit: 5, offset: 0 }, context())
  t.same(ids(byEmail), ['p1'])
  t.equal(crm.requests[0]?.query.get('q'), 'AMELIA@example.com', 'equals is the most selective term')
  t.equal(byEmail.total, 1)

  crm.requests.length = 0
  const byNames = await adapter.searchCustomers({ criteria: [first, last], limit: 5, offset: 0 }, context())
  t.same(ids(byNames), ['p1'], 'a prefix, case-insensitive, on each field')
  t.equal(crm.requests[0]?.query.get('q'), 'ame', 'the longer of two prefixes')

  crm.requests.length = 0
  const wide = adapterOver(t, crm.url, { ...d, operations: { ...d['operations'], search: { ...d['operations'].search, clientSideFilter: { maxRecords: 100 } } } })
  const byPhone = await wide.searchCustomers({ criteria: [phone], limit: 5, offset: 0 }, context())
  t.same(ids(byPhone), ['p1', 'p3'], 'a phone by its digits, however it is stored')
  t.equal(crm.requests[0]?.query.get('q'), null, 'a phone is no term by default: every record read')
  t.equal(crm.requests.length, 5, '43 records in pages of 10')

  crm.requests.length = 0
  const paged = await adapter.searchCustomers({ criteria: [last], limit: 2, offset: 1 }, context())
  t.same(ids(paged), ['p2', 'c001'], 'paging on our side')
  t.equal(paged.total, undefined, 'stopped once the window was full: no total')
  t.equal(crm.requests.length, 1)

  crm.requests.length = 0
  const broad = await crmFailure(adapter.searchCustomers({ criteria: [{ fields: ['first'], operator: 'prefix', value: 'x' }, { fields: ['last'], operator: 'prefix', value: 'okafor' }], limit: 5, offset: 0 }, context()))
  t.match(broad, { kind: 'unsupported', reason: 'criteria' }, 'more than maxRecords to read: refused, never answered in part')
  t.equal(crm.requests.length, 3, 'after 30 records read')
  const deep = await crmFailure(adapter.searchCustomers({ criteria: [last], limit: 10, offset: 25 }, context()))
  t.match(deep, { kind: 'unsupported', reason: 'paging', field: 'offset' }, 'a window beyond maxRecords')
})

t.test('client-side filtering over a CRM that answers everything at once', async (t) => {
  const crm = await startCrm(t, () => json(200, records(40)))
  const d = baseDefinition()
  d['operations'].search.answer = {}
  d['operations'].search.criteria = { style: 'term', parameter: 'q', operators: ['contains'] }
  d['operations'].search.paging = { style: 'none' }
  d['operations'].search.clientSideFilter = { maxRecords: 30 }
  const adapter = adapterOver(t, crm.url, d)
  const page = await adapter.searchCustomers({ criteria: [{ fields: ['name'], operator: 'contains', value: 'me 1' }], limit: 5, offset: 0 }, context())
  t.same(ids(page), ['c001', 'c010', 'c011', 'c012', 'c013'])
  t.equal(page.total, 11, 'one answer held every record: read whole, though more than maxRecords, and the total known')
  t.equal(crm.requests[0]?.query.get('q'), 'me 1')
})

t.test('the port’s comparison, applied here', async (t) => {
  const record = { NAME: 'Ökafor', NUM: 1250, TAGS: ['x'], LOYALTY: { ACCT: 'LY42' }, PHONE: '+1 (415) 555-0142' }
  const c = (fields: string[], operator: CrmCriterion['operator'], value: string): CrmCriterion => ({ fields, operator, value })
  t.ok(matchesAll(record, [c(['NAME'], 'equals', 'ökafor')]), 'equals, case-insensitive')
  t.ok(matchesAll(record, [c(['NAME'], 'contains', 'KAF')]), 'contains')
  t.notOk(matchesAll(record, [c(['NAME'], 'prefix', 'kaf')]), 'prefix is a prefix')
  t.ok(matchesAll(record, [c(['NUM'], 'equals', '1250')]), 'numbers as their decimal text')
  t.notOk(matchesAll(record, [c(['TAGS'], 'contains', 'x')]), 'lists never match')
  t.ok(matchesAll(record, [c(['LOYALTY.ACCT'], 'equals', 'ly42')]), 'dotted fields')
  t.ok(matchesAll(record, [c(['MISSING', 'PHONE'], 'phone', '4155550142')]), 'any of the fields')
  t.notOk(matchesAll(record, [c(['PHONE'], 'phone', 'abc')]), 'a phone without digits finds nothing')
  t.notOk(matchesAll(record, [c(['NAME'], 'equals', 'ökafor'), c(['NUM'], 'equals', '1')]), 'criteria are ANDed')

  // The table's paths: a key after a list is read in each item; positions; quoted keys.
  const person = {
    emails: [{ value: 'work@example.com', primary: true }, { value: 'home@example.com', primary: false }, 'stray text'],
    phones: [{ value: '(415) 555-0142', label: 'mobile' }],
    custom_fields: { '18f60802d8b7e72d1f0ee89c2a7963645e9a5860': 'LY42', 'Loyalty #': 'LY43' }
  }
  t.ok(matchesAll(person, [c(['emails.value'], 'equals', 'HOME@example.com')]), 'a key after a list: any item')
  t.notOk(matchesAll(person, [c(['emails.0.value'], 'equals', 'home@example.com')]), 'a position: that item only')
  t.ok(matchesAll(person, [c(['phones.value'], 'phone', '4155550142')]), 'a phone in a list')
  t.notOk(matchesAll(person, [c(['emails'], 'contains', 'example')]), 'the list itself never matches')
  t.ok(matchesAll(person, [c(['custom_fields.18f60802d8b7e72d1f0ee89c2a7963645e9a5860'], 'equals', 'ly42')]), 'a key starting with a digit')
  t.ok(matchesAll(person, [c(['custom_fields."Loyalty #"'], 'equals', 'LY43')]), 'a quoted key')
  t.notOk(matchesAll(person, [c(['emails..value'], 'equals', 'home@example.com')]), 'a field that is no path matches nothing')
})

t.test('a term search names no field in its request: the table’s paths need no fieldPattern', async (t) => {
  const crm = await startCrm(t, () => json(200, { rows: [{ id: '1', custom_fields: { '0f014f52': 'LY1' } }] }))
  const d = baseDefinition()
  d['operations'].search.answer = { records: 'rows' }
  d['operations'].search.criteria = { style: 'term', parameter: 'q' }
  d['operations'].search.paging = { style: 'none' }
  d['operations'].search.clientSideFilter = true
  const adapter = adapterOver(t, crm.url, d)
  const page = await adapter.searchCustomers({ criteria: [{ fields: ['custom_fields.0f014f52'], operator: 'equals', value: 'LY1' }], limit: 5, offset: 0 }, context())
  t.same(ids(page), ['1'], 'a digit-first key, outside the default fieldPattern, is compared here')
  const selector = await crmFailure(adapter.searchCustomers({ criteria: [{ fields: ['phones[label=mobile].value'], operator: 'equals', value: 'x' }], limit: 5, offset: 0 }, context()))
  t.equal(selector.kind, 'misconfigured', 'a keyed list item is no field to compare: the table’s fault')
  t.equal(crm.requests.length, 1)
})

t.test('limits and answers checked', async (t) => {
  const crm = await startCrm(t, () => json(200, { items: 'not a list', total: 1 }))
  const d = baseDefinition()
  d['operations'].search.maxCriteria = 1
  const adapter = adapterOver(t, crm.url, d)
  t.match(await crmFailure(adapter.searchCustomers({ criteria: [byName, byName], limit: 5, offset: 0 }, context())), { kind: 'unsupported', reason: 'criteria' }, 'more criteria than the CRM takes')
  t.equal(crm.requests.length, 0)
  t.match(await crmFailure(adapter.searchCustomers({ criteria: [byName], limit: 5, offset: 0 }, context())), { kind: 'bad-response' }, 'no list where the definition says')
  crm.answer(() => json(200, { items: [], total: -1 }))
  t.match(await crmFailure(adapter.searchCustomers({ criteria: [byName], limit: 5, offset: 0 }, context())), { kind: 'bad-response' }, 'no total where the definition says')
  crm.answer(() => json(200, { items: [{ name: 'no id' }], total: 1 }))
  t.match(await crmFailure(adapter.searchCustomers({ criteria: [byName], limit: 5, offset: 0 }, context())), { kind: 'bad-response' }, 'a record without its id')
  crm.answer(() => json(500, { items: [] }))
  t.match(await crmFailure(adapter.searchCustomers({ criteria: [byName], limit: 5, offset: 0 }, context())), { kind: 'failed' })
})
