/**
 * Searches that answer hits (summaries: an id and a few fields) rather than records, and
 * single-term searches with a minimum term length or no search without a term — against a CRM on
 * 127.0.0.1 whose answers each test writes. The hits' records are read in full (one `get` each,
 * or a batch read by ids), in the hits' order, before the criteria are applied.
 */
import t from 'tap'
import type { CrmCriterion } from '../../../src/core/port.js'
import { crmFailure } from '../../helpers/expect-failure.js'
import { adapterOver, baseDefinition, context, json, startCrm } from './fixtures.js'
import type { Recorded } from './fixtures.js'

interface Person {
  readonly id: number
  readonly name: string
  readonly emails: { value: string; primary: boolean }[]
  readonly gone?: boolean
}

const PEOPLE: Person[] = Array.from({ length: 12 }, (_, i) => ({
  id: i + 1,
  name: i < 10 ? `Okafor ${i + 1}` : `Other ${i + 1}`,
  emails: [{ value: `work${i + 1}@example.com`, primary: true }, { value: `home${i + 1}@example.com`, primary: false }]
}))

/** A Pipedrive-like CRM: a term search answering hits by relevance, a read by ids, a read by id. */
function pipedriveLike(people: readonly Person[]) {
  return (req: Recorded) => {
    if (req.path === '/search') {
      const term = (req.query.get('term') ?? '').toLowerCase()
      // Relevance: the last persons first, as a search engine may rank them.
      const found = people.filter((p) => JSON.stringify(p).toLowerCase().includes(term)).reverse()
      const at = Number(req.query.get('cursor') ?? 0)
      const limit = Number(req.query.get('limit'))
      const page = found.slice(at, at + limit)
      return json(200, {
        data: { items: page.map((p) => ({ score: 1, item: { id: p.id, name: p.name } })) },
        additional_data: { next_cursor: at + limit < found.length ? at + limit : null }
      })
    }
    if (req.path === '/persons' && req.query.get('ids') !== null) {
      const ids = new Set((req.query.get('ids') ?? '').split(',').map(Number))
      // By id, never in the order asked; unknown ids left out.
      return json(200, { data: people.filter((p) => ids.has(p.id)) })
    }
    if (req.path === '/persons') {
      const at = Number(req.query.get('cursor') ?? 0)
      const limit = Number(req.query.get('limit'))
      return json(200, { data: people.slice(at, at + limit), additional_data: { next_cursor: at + limit < people.length ? at + limit : null } })
    }
    const one = people.find((p) => req.path === `/persons/${p.id}`)
    return one === undefined ? json(404, { success: false }) : json(200, { data: one })
  }
}

function definition(read: unknown = { path: '/persons', ids: 'ids', maxIds: 4, answer: 'data' }): Record<string, any> {
  const d = baseDefinition()
  d['record'] = { id: 'id', idFrom: 'id', idPattern: '^[1-9][0-9]*$' }
  d['operations'].get = { method: 'GET', path: '/persons/{id}', answer: 'data' }
  d['operations'].search = {
    method: 'GET',
    path: '/search',
    answer: { records: 'data.items' },
    criteria: { style: 'term', parameter: 'term', minLength: 2 },
    hits: { id: 'item.id', read },
    paging: { style: 'cursor', cursor: 'cursor', limit: 'limit', maxLimit: 5, next: 'additional_data.next_cursor', maxWindow: 100 },
    clientSideFilter: { maxRecords: 100 }
  }
  return d
}

const ids = (page: { records: readonly Record<string, unknown>[] }): unknown[] => page.records.map((r) => r['id'])
const okafor: CrmCriterion = { fields: ['name'], operator: 'prefix', value: 'okafor' }

t.test('hits read by ids: in the hits’ order, maxIds a request, criteria applied on the whole records', async (t) => {
  const crm = await startCrm(t, pipedriveLike(PEOPLE))
  const adapter = adapterOver(t, crm.url, definition())
  const page = await adapter.searchCustomers({ criteria: [okafor], limit: 20, offset: 0 }, context())
  t.same(ids(page), ['10', '9', '8', '7', '6', '5', '4', '3', '2', '1'], 'the search’s order, not the read’s (by id)')
  t.match(page.records[0], { id: '10', name: 'Okafor 10', emails: [{ value: 'work10@example.com' }] }, 'whole records, the id as text')
  t.equal(page.total, 10, 'every hit was read: the total is known')
  const reads = crm.requests.filter((r) => r.path === '/persons').map((r) => r.query.get('ids'))
  t.same(reads, ['10,9,8,7', '6', '5,4,3,2', '1'], 'each page of 5 hits read in requests of at most 4 ids')
  t.same(crm.requests.filter((r) => r.path === '/search').map((r) => [r.query.get('term'), r.query.get('cursor')]), [['okafor', null], ['okafor', '5']])

  crm.requests.length = 0
  const second = await adapter.searchCustomers({ criteria: [{ fields: ['emails.value'], operator: 'equals', value: 'HOME3@example.com' }], limit: 5, offset: 0 }, context())
  t.same(ids(second), ['3'], 'a key after a list is compared in each item: found by a second e-mail')
  t.equal(crm.requests[0]?.query.get('term'), 'HOME3@example.com')
})

t.test('hits whose record is gone are left out; a record not asked for is a bad-response', async (t) => {
  const crm = await startCrm(t, pipedriveLike(PEOPLE))
  const adapter = adapterOver(t, crm.url, definition())
  crm.answer((req) => {
    // Persons 9 and 10 were deleted between the search and the read.
    if (req.path === '/persons') return pipedriveLike(PEOPLE.filter((p) => p.id < 9))(req)
    return pipedriveLike(PEOPLE)(req)
  })
  const page = await adapter.searchCustomers({ criteria: [okafor], limit: 3, offset: 0 }, context())
  t.same(ids(page), ['8', '7', '6'], 'the window is made of the records that are there')

  crm.answer((req) => (req.path === '/persons' ? json(200, { data: PEOPLE.slice(0, 6) }) : pipedriveLike(PEOPLE)(req)))
  t.match(await crmFailure(adapter.searchCustomers({ criteria: [okafor], limit: 3, offset: 0 }, context())), { kind: 'bad-response' }, 'an endpoint that ignores the ids')
  crm.answer((req) => (req.path === '/persons' ? json(200, { rows: [] }) : pipedriveLike(PEOPLE)(req)))
  t.match(await crmFailure(adapter.searchCustomers({ criteria: [okafor], limit: 3, offset: 0 }, context())), { kind: 'bad-response' }, 'no list where the definition says')
  crm.answer((req) => (req.path === '/persons' ? json(503, {}) : pipedriveLike(PEOPLE)(req)))
  t.match(await crmFailure(adapter.searchCustomers({ criteria: [okafor], limit: 3, offset: 0 }, context())), { kind: 'failed' }, 'the read failing is the search failing')
  crm.answer((req) => (req.path === '/search' ? json(200, { data: { items: [{ item: { name: 'no id' } }] }, additional_data: {} }) : json(500, {})))
  t.match(await crmFailure(adapter.searchCustomers({ criteria: [okafor], limit: 3, offset: 0 }, context())), { kind: 'bad-response' }, 'a hit without its id')

  crm.requests.length = 0
  crm.answer((req) => (req.path === '/search' ? json(200, { data: { items: [{ item: { id: 'x/..' } }, { item: { id: 3 } }] }, additional_data: {} }) : pipedriveLike(PEOPLE)(req)))
  const odd = await adapter.searchCustomers({ criteria: [{ fields: ['name'], operator: 'contains', value: 'kafor' }], limit: 3, offset: 0 }, context())
  t.same(ids(odd), ['3'])
  t.same(crm.requests.find((r) => r.path === '/persons')?.query.get('ids'), '3', 'an id no record can have is not sent')
})

t.test('hits read one by one with get', async (t) => {
  const crm = await startCrm(t, pipedriveLike(PEOPLE))
  const adapter = adapterOver(t, crm.url, definition('get'))
  const page = await adapter.searchCustomers({ criteria: [okafor, { fields: ['emails.0.value'], operator: 'contains', value: 'work1' }], limit: 5, offset: 0 }, context())
  t.same(ids(page), ['10', '1'], 'both criteria applied on the records read')
  const gets = crm.requests.filter((r) => r.path.startsWith('/persons/')).map((r) => r.path)
  t.equal(gets.length, 10, 'one get per hit')
  t.same(new Set(gets).size, 10)
})

t.test('a term too short for the CRM is never sent: another criterion, a list endpoint, or refused', async (t) => {
  const crm = await startCrm(t, pipedriveLike(PEOPLE))
  const short: CrmCriterion = { fields: ['name'], operator: 'prefix', value: 'O' }
  const email: CrmCriterion = { fields: ['emails.value'], operator: 'equals', value: 'work11@example.com' }

  const adapter = adapterOver(t, crm.url, definition())
  const other = await adapter.searchCustomers({ criteria: [short, email], limit: 5, offset: 0 }, context())
  t.same(ids(other), ['11'])
  t.equal(crm.requests[0]?.query.get('term'), 'work11@example.com', 'the one long enough')

  crm.requests.length = 0
  const all = await adapter.searchCustomers({ criteria: [short], limit: 20, offset: 0 }, context())
  t.same(ids(all), ['12', '11', '10', '9', '8', '7', '6', '5', '4', '3', '2', '1'], 'by default: the search without a term, every record read and filtered')
  t.equal(crm.requests[0]?.query.has('term'), false)

  const refusing = definition()
  refusing['operations'].search.criteria.withoutTerm = 'refuse'
  const strict = adapterOver(t, crm.url, refusing)
  crm.requests.length = 0
  const refused = await crmFailure(strict.searchCustomers({ criteria: [short, { ...short, value: ' a ' }], limit: 5, offset: 0 }, context()))
  t.match(refused, { kind: 'unsupported', reason: 'value', field: 'name' }, 'withoutTerm: refuse — the CRM requires a term')
  t.equal(crm.requests.length, 0, 'without a call')

  const listing = definition()
  listing['operations'].search.criteria.withoutTerm = { path: '/persons', answer: 'data' }
  const lister = adapterOver(t, crm.url, listing)
  const found = await lister.searchCustomers({ criteria: [{ fields: ['name'], operator: 'prefix', value: 'o' }], limit: 4, offset: 9 }, context())
  t.same(ids(found), ['10', '11', '12'], 'withoutTerm: a list endpoint of whole records, paged as the search is')
  const listed = crm.requests.filter((r) => r.path === '/persons')
  t.same(listed.map((r) => [r.query.get('cursor'), r.query.get('limit'), r.query.has('ids')]), [[null, '5', false], ['5', '5', false], ['10', '5', false]], 'no hits to read: the records are whole')
  t.equal(crm.requests.filter((r) => r.path === '/search').length, 0, 'the search endpoint is not called')
  t.equal(found.total, 12)
})

t.test('hits of a search the CRM filters itself: the window’s hits read in full, no client-side filtering', async (t) => {
  const crm = await startCrm(t, (req) => {
    if (req.path === '/search') {
      const from = Number(req.query.get('offset'))
      const size = Number(req.query.get('limit'))
      const found = PEOPLE.filter((p) => p.name.startsWith('Okafor'))
      return json(200, { hits: found.slice(from, from + size).map((p) => ({ ref: String(p.id) })), total: found.length })
    }
    return pipedriveLike(PEOPLE)(req)
  })
  const d = definition()
  d['operations'].search = {
    method: 'GET',
    path: '/search',
    answer: { records: 'hits', total: 'total' },
    criteria: { style: 'query', parameter: '{field}', operators: { prefix: '' } },
    hits: { id: 'ref', read: { path: '/persons', ids: 'ids', maxIds: 100, answer: 'data' } },
    paging: { style: 'offset', offset: 'offset', limit: 'limit', maxLimit: 3 }
  }
  const adapter = adapterOver(t, crm.url, d)
  const page = await adapter.searchCustomers({ criteria: [okafor], limit: 4, offset: 2 }, context())
  t.same(ids(page), ['3', '4', '5', '6'])
  t.equal(page.total, 10, 'the CRM’s total')
  t.same(crm.requests.filter((r) => r.path === '/persons').map((r) => r.query.get('ids')), ['3,4,5', '6'], 'each page’s hits read')
})
