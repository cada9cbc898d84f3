/**
 * The hubspot adapter beyond the conformance kit: what it sends (the explicit property list,
 * partial PATCHes, filterGroups as structures within HubSpot's limits, one bounded page, exact
 * lookups by unique properties, property checks and provisioning), and
 * which failure kind (src/core/port.ts) each HubSpot answer it can get is reported as — against
 * the HubSpot double, and against a raw server for answers the double never gives (garbage,
 * undocumented statuses).
 */
import http from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import t from 'tap'
import { createHubSpotAdapter } from '../../../adapters/hubspot/index.js'
import { HubSpotClient } from '../../../adapters/hubspot/client.js'
import { SEARCH_LIMITS, searchWindow, toFilterGroups } from '../../../adapters/hubspot/wire.js'
import type { CallContext, CrmAdapter, CrmCriterion } from '../../../src/core/port.js'
import { HUBSPOT_TOKEN, hubspotAdapter, loadHubSpotTable, startHubSpot } from '../../helpers/gateway-over-hubspot.js'
import { createSilentLogger } from '../../helpers/silent-logger.js'
import type { SilentLogger } from '../../helpers/silent-logger.js'
import { crmFailure as failure } from '../../helpers/expect-failure.js'
import { listenOnLoopback } from '../../helpers/loopback-server.js'

interface Teardown {
  teardown(fn: () => unknown): void
}

const mapping = await loadHubSpotTable()

function context(log: SilentLogger = createSilentLogger()): CallContext {
  return { signal: new AbortController().signal, log, requestId: 'req-1' }
}

/** A raw HTTP server whose answer each test sets; it records what it received. */
async function rawServer(t: Teardown) {
  let handler: (req: IncomingMessage, body: string, res: ServerResponse) => void = (_req, _body, res) => res.end()
  const seen: { method: string; url: string; body: string }[] = []
  const server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', body })
      handler(req, body, res)
    })
  })
  return { url: await listenOnLoopback(t, server), seen, answer: (fn: typeof handler) => (handler = fn) }
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  (_req: IncomingMessage, _body: string, res: ServerResponse): void => {
    res.writeHead(status, { 'content-type': 'application/json;charset=utf-8', ...headers })
    res.end(JSON.stringify(body))
  }

const crit = (fields: string[], operator: CrmCriterion['operator'], value: string): CrmCriterion => ({ fields, operator, value })

/** HubSpot's own contact properties the table uses (mappings/hubspot.yaml, header). */
const BUILT_IN = new Set([
  'hs_object_id', 'salutation', 'firstname', 'lastname', 'email', 'gender', 'mobilephone', 'phone', 'date_of_birth', 'hs_language',
  'address', 'city', 'state', 'zip', 'country', 'hs_searchable_calculated_mobile_number', 'hs_searchable_calculated_phone_number'
])

t.test('settings and start-up: clear errors naming the key, never the token', async (t) => {
  const make = (settings: Record<string, unknown>, extra: { baseUrl?: string; readFields?: boolean } = {}) => () =>
    createHubSpotAdapter({
      baseUrl: extra.baseUrl ?? 'https://api.hubapi.com',
      settings,
      requestTimeoutMs: 1000,
      log: createSilentLogger(),
      ...(extra.readFields === false ? {} : { readFields: () => ['email'] })
    })
  t.throws(make({}), /hubspot adapter: settings\.accessToken is required/)
  t.throws(make({ accessToken: 'pat-secret-value', acessToken: 'x' }), { message: /settings\.acessToken is not a known setting \(known: accessToken, searchRequestsPerSecond, propertyGroup\)/ })
  t.throws(make({ accessToken: '' }), /settings\.accessToken must be a non-empty string/)
  t.throws(make({ accessToken: 'pat', searchRequestsPerSecond: 9 }), /settings\.searchRequestsPerSecond must be an integer from 1 to 5/, 'HubSpot allows five searches per second')
  t.throws(make({ accessToken: 'pat', propertyGroup: 'Clienteling Group' }), /settings\.propertyGroup must be a string matching/)
  t.same(make({ accessToken: 'pat' })().callRates, { searchCustomers: { calls: 4, perMs: 1000 } }, 'the search rate the core paces to: 4 of the account\'s 5 per second by default')
  t.same(make({ accessToken: 'pat', searchRequestsPerSecond: 2 })().callRates, { searchCustomers: { calls: 2, perMs: 1000 } })
  const error = t.throws(make({ accessToken: 'pat-secret-value', apiKey: 'x' })) as Error
  t.notMatch(error.message, /pat-secret-value/, 'the token never appears in the error')
  t.throws(make({ accessToken: 'pat' }, { baseUrl: 'ftp://api.hubapi.com' }), /baseUrl must use http or https/)
  t.throws(make({ accessToken: 'pat' }, { readFields: false }), /readFields \(the mapping table's properties\) is required/)
  t.equal(make({ accessToken: 'pat' })().name, 'hubspot')
})

t.test('what the adapter sends: explicit properties, strings, partial PATCH, no call for impossible ids', async (t) => {
  const double = await startHubSpot(t)
  const log = createSilentLogger()
  const adapter = hubspotAdapter(t, double.url, mapping)
  const ctx = context(log)

  const created = await adapter.createCustomer({ email: 'amelia@example.com', firstname: 'Amelia', loyalty_points: 1250, consent_terms: true, hs_object_id: '7' }, ctx)
  t.same(double.requests.at(-1)?.body, { properties: { email: 'amelia@example.com', firstname: 'Amelia', loyalty_points: '1250', consent_terms: 'true' }, associations: [] },
    'POST {properties, associations: []}: every value as text; the read-only id is never written; associations as the description requires')
  t.match(created, { hs_object_id: '1001', email: 'amelia@example.com', loyalty_points: '1250' }, 'the created record, id as hs_object_id')

  const got = await adapter.getCustomer('1001', ctx)
  const read = new URL(double.requests.at(-1)?.url ?? '', double.url)
  t.equal(read.pathname, '/crm/v3/objects/contacts/1001')
  t.same(read.searchParams.get('properties')?.split(',').sort(), [...new Set(['hs_object_id', ...mapping.readFields])].sort(), 'GET names exactly the properties the table reads')
  t.equal(read.searchParams.get('archived'), 'false')
  t.equal(got?.['firstname'], 'Amelia')
  t.equal(got?.['city'], null, 'a property without a value reads as null (the table leaves it out)')

  const before = double.requests.length
  const updated = await adapter.updateCustomer('1001', { firstname: 'Amelie', salutation: '' }, ctx)
  const [patch, reread] = double.requests.slice(before)
  t.same([patch?.method, patch?.body], ['PATCH', { properties: { firstname: 'Amelie', salutation: '' } }], 'PATCH carries only the patch; "" clears')
  t.equal(reread?.method, 'GET', 'then the full record is read back with the property list')
  t.match(updated, { firstname: 'Amelie', email: 'amelia@example.com', loyalty_points: '1250' })

  const calls = double.requests.length
  t.equal(await adapter.getCustomer('C00000001', ctx), null, 'a non-numeric id names no HubSpot contact: null')
  t.equal(await adapter.updateCustomer('../1001', { firstname: 'x' }, ctx), null)
  for (const id of ['.', '..', '...', '%2E%2E']) {
    t.equal(await adapter.getCustomer(id, ctx), null, `get "${id}": no contact (GET …/contacts/.. would list the contacts)`)
    t.equal(await adapter.updateCustomer(id, { firstname: 'x' }, ctx), null, `update "${id}"`)
  }
  // Beneath the adapter's check, the client builds no path for such an id.
  const client = new HubSpotClient({ baseUrl: double.url, accessToken: HUBSPOT_TOKEN, timeoutMs: 1000 })
  t.teardown(() => client.close())
  for (const id of ['.', '..']) {
    t.throws(() => client.getContact(id, ['email'], ctx), TypeError, `HubSpotClient.getContact("${id}") refuses to build the URL`)
    t.throws(() => client.updateContact(id, { email: 'x' }, ctx), TypeError, `HubSpotClient.updateContact("${id}")`)
  }
  t.equal(await adapter.getCustomer('424242', ctx), null, 'an unknown numeric id: 404 → null')
  t.equal(await adapter.updateCustomer('424242', { firstname: 'x' }, ctx), null, 'PATCH 404 → null')
  t.equal(double.requests.length, calls + 2, 'the impossible ids made no call')

  const structure = await failure(adapter.updateCustomer('1001', { clienteling_addresses: [{ addressLine1: 'x' }] }, ctx))
  t.equal(structure.kind, 'misconfigured', 'a structure without the json transform is a configuration error')
  t.match(structure.message, /clienteling_addresses.*transform: json/)

  const logged = JSON.stringify(log.records)
  t.notMatch(logged, /amelia|Amelie|1250|1001/i, 'logs carry no customer data and no ids')
  t.notMatch(logged, new RegExp(HUBSPOT_TOKEN), 'nor the token')
  t.match(log.records[0]?.obj, { op: 'createCustomer', status: 201 })
})

t.test('search: filterGroups built as structures, the cross product, limits refused before any call', async (t) => {
  const double = await startHubSpot(t, { searchRateLimit: { max: 1000, windowMs: 1000 } })
  const adapter = hubspotAdapter(t, double.url, mapping)
  const ctx = context()
  for (const properties of [
    { firstname: 'Amelia', lastname: 'Okafor', email: 'amelia@example.com', mobilephone: '+14155550142' },
    { firstname: 'Amos', lastname: 'Okoye', email: 'amos@example.com', home_phone: '+14155550142' },
    { firstname: 'Ada', lastname: 'Lovelace', email: 'ada@example.com', phone: '+14155550100' }
  ]) await adapter.createCustomer(properties, ctx)

  const phone = mapping.criterion('phone', '(415) 555-0142')
  const last = mapping.criterion('lastName', 'ok')
  if (phone === undefined || last === undefined) throw new Error('the table searches phone and lastName')
  const page = await adapter.searchCustomers({ criteria: [phone, last], limit: 10, offset: 0 }, ctx)
  t.same(page.records.map((r) => r['firstname']), ['Amelia', 'Amos'], 'phone across three properties AND lastName prefix')
  t.equal(page.total, 2)
  const body = double.requests.at(-1)?.body as { filterGroups: { filters: { values?: string[] }[] }[]; properties: string[]; limit: number; after: string; sorts: string[] }
  const lastName = { propertyName: 'lastname', operator: 'CONTAINS_TOKEN', value: 'ok*' }
  t.same(body.filterGroups.slice(0, 2), [
    { filters: [{ propertyName: 'hs_searchable_calculated_mobile_number', operator: 'EQ', value: '4155550142' }, lastName] },
    { filters: [{ propertyName: 'hs_searchable_calculated_phone_number', operator: 'EQ', value: '4155550142' }, lastName] }
  ], "one group per phone property, each ANDing every criterion: HubSpot's calculated numbers compared with the digits, no country code")
  t.match(body.filterGroups[2], { filters: [{ propertyName: 'home_phone', operator: 'IN' }, lastName] }, 'the custom home_phone: IN its spellings')
  t.same(body.properties.sort(), [...new Set(['hs_object_id', ...mapping.readFields])].sort(), 'the results carry the table\'s properties')
  t.same([body.limit, body.after, body.sorts], [10, '0', ['hs_object_id']], 'one page from the start, sorted by id: after and sorts sent as the description requires')
  t.same(double.violations, [], 'every request valid under HubSpot\'s description')

  t.same(toFilterGroups([crit(['firstname'], 'prefix', 'mary a*nn')]), [{ filters: [
    { propertyName: 'firstname', operator: 'CONTAINS_TOKEN', value: 'mary*' },
    { propertyName: 'firstname', operator: 'CONTAINS_TOKEN', value: 'a*' },
    { propertyName: 'firstname', operator: 'CONTAINS_TOKEN', value: 'nn*' }
  ] }], 'a typed * is no wildcard of ours: dropped; each word its own token filter')
  t.throws(() => toFilterGroups([]), { name: 'CrmFailure', kind: 'misconfigured' }, 'no criterion would list every contact: never sent')
  t.same(toFilterGroups([crit(['email'], 'contains', 'example')]), [{ filters: [{ propertyName: 'email', operator: 'CONTAINS_TOKEN', value: '*example*' }] }], 'contains: wildcards on both sides')
  t.same(toFilterGroups([crit(['email'], 'equals', 'a"b\\c*')]), [{ filters: [{ propertyName: 'email', operator: 'EQ', value: 'a"b\\c*' }] }], 'EQ takes the value as data, quotes and all')

  const calls = double.requests.length
  const wide = await failure(adapter.searchCustomers({ criteria: [phone, crit(['firstname', 'lastname'], 'equals', 'x')], limit: 5, offset: 0 }, ctx))
  t.same([wide.kind, wide.reason], ['unsupported', 'criteria'], `3 × 2 = 6 filter groups > ${SEARCH_LIMITS.maxFilterGroups}: refused, not truncated`)
  t.equal(wide.field, 'firstname, lastname', 'naming the criterion that broke the limit')
  const long = await failure(adapter.searchCustomers({ criteria: [crit(['firstname'], 'prefix', 'a b c d e f g')], limit: 5, offset: 0 }, ctx))
  t.same([long.kind, long.reason], ['unsupported', 'criteria'], `7 filters in a group > ${SEARCH_LIMITS.maxFiltersPerGroup}`)
  const empty = await failure(adapter.searchCustomers({ criteria: [crit(['firstname'], 'prefix', '**')], limit: 5, offset: 0 }, ctx))
  t.same([empty.kind, empty.reason, empty.field], ['unsupported', 'value', 'firstname'], 'nothing left to search: the value is unsupported')
  t.equal((await failure(adapter.searchCustomers({ criteria: [crit(['First Name'], 'equals', 'x')], limit: 5, offset: 0 }, ctx))).kind, 'misconfigured', 'a bad property name is the table\'s error')
  const deep = await failure(adapter.searchCustomers({ criteria: [last], limit: 20, offset: 190 }, ctx))
  t.same([deep.kind, deep.reason, deep.field], ['unsupported', 'paging', 'offset'], `beyond the first ${SEARCH_LIMITS.maxReachable} results: refused, never walked`)
  const huge = await failure(adapter.searchCustomers({ criteria: [crit(['firstname'], 'equals', 'x'.repeat(3000))], limit: 5, offset: 0 }, ctx))
  t.same([huge.kind, huge.reason], ['unsupported', 'criteria'], 'a body over HubSpot\'s 3,000 characters is never sent')
  t.match(huge.message, /would be \d+ characters; HubSpot takes 3000/)
  t.equal(double.requests.length, calls, 'none of the refused searches reached HubSpot')
})

t.test('paging: one call for the window offset + limit, at most 200 deep', async (t) => {
  t.equal(searchWindow(0, 20), 20, 'first page: the page size')
  t.equal(searchWindow(40, 20), 60, 'a later page: the whole window, cut out here')
  t.equal(searchWindow(100, 100), 200, 'the deepest window')
  t.throws(() => searchWindow(101, 100), { name: 'CrmFailure', kind: 'unsupported', reason: 'paging', field: 'offset' })

  const server = await rawServer(t)
  const contact = (id: number) => ({ id: String(id), properties: { firstname: `P${id}` } })
  server.answer((_req, raw, res) => {
    const body = JSON.parse(raw) as { limit: number }
    const results = Array.from({ length: body.limit }, (_, i) => contact(i))
    json(200, { total: 1000, results, paging: { next: { after: String(body.limit), link: '?after=…' } } })(_req, raw, res)
  })
  const adapter = hubspotAdapter(t, server.url, mapping)
  const page = await adapter.searchCustomers({ criteria: [crit(['lastname'], 'equals', 'x')], limit: 20, offset: 170 }, context())
  t.same(page.records.map((r) => r['hs_object_id']), Array.from({ length: 20 }, (_, i) => String(170 + i)), 'the window at offset 170')
  t.equal(page.total, 1000, "HubSpot's total is passed on")
  t.same(server.seen.map((s) => JSON.parse(s.body) as { limit: number; after: string }).map((b) => [b.limit, b.after]), [[190, '0']], 'one call from the start; the next cursor is never followed')

  server.seen.length = 0
  server.answer(json(200, { total: 3, results: [contact(1), contact(2), contact(3)] }))
  const short = await adapter.searchCustomers({ criteria: [crit(['lastname'], 'equals', 'x')], limit: 5, offset: 20 }, context())
  t.same([short.records, short.total, server.seen.length], [[], 3, 1], 'an offset past the matches: none, in one call')
})

t.test('the phone operator: HubSpot\'s calculated numbers by digits, other properties by spelling', async (t) => {
  const double = await startHubSpot(t, { searchRateLimit: { max: 1000, windowMs: 1000 } })
  const adapter = hubspotAdapter(t, double.url, mapping)
  const ctx = context()
  const typed = ['+14155550142', '(415) 555-0142', '415.555.0142', '1 415 555 0142']
  for (const [i, number] of typed.entries()) await adapter.createCustomer({ firstname: `Mobile${i}`, mobilephone: number }, ctx)
  await adapter.createCustomer({ firstname: 'Desk', phone: '415-555-0142' }, ctx)
  for (const [i, number] of ['+14155550142', '(415) 555-0142', '415.555.0142', '4155550142', '+1 415-555-0142'].entries()) {
    await adapter.createCustomer({ firstname: `Home${i}`, home_phone: number }, ctx)
  }
  await adapter.createCustomer({ firstname: 'Other', mobilephone: '+14155550100', home_phone: '415 555 0100' }, ctx)
  const phones = ['hs_searchable_calculated_mobile_number', 'hs_searchable_calculated_phone_number', 'home_phone']
  const page = await adapter.searchCustomers({ criteria: [{ fields: phones, operator: 'phone', value: '4155550142', international: '+14155550142' }], limit: 20, offset: 0 }, ctx)
  t.same(page.records.map((r) => r['firstname']).sort(), ['Desk', 'Home0', 'Home1', 'Home2', 'Home3', 'Home4', 'Mobile0', 'Mobile1', 'Mobile2', 'Mobile3'],
    'the number however it was typed: HubSpot normalizes phone and mobilephone; home_phone in its common spellings')
  const body = double.requests.at(-1)?.body as { filterGroups: { filters: { values?: string[] }[] }[] }
  t.same(body.filterGroups[2]?.filters[0]?.values, ['+14155550142', '+1 415 555 0142', '(415) 555-0142', '4155550142', '14155550142', '415 555 0142', '415-555-0142', '415.555.0142', '+1 415-555-0142'])
  t.same(toFilterGroups([{ fields: ['home_phone'], operator: 'phone', value: '4155550142' }]), [{ filters: [{ propertyName: 'home_phone', operator: 'IN', values: ['4155550142'] }] }], 'without an E.164 form: the digits as given')
  t.same(double.violations, [])
})

t.test('exact lookups by unique properties: e-mail, and the creation marker once provisioned unique', async (t) => {
  let clock = Date.parse('2024-03-05T12:00:00Z')
  const double = await startHubSpot(t, { now: () => clock, indexLagMs: 5000, searchRateLimit: { max: 1000, windowMs: 1000 } })
  const adapter = hubspotAdapter(t, double.url, mapping)
  const ctx = context()
  const lookup = adapter.uniqueLookup
  if (lookup === undefined) throw new Error('the hubspot adapter offers exact lookups')
  t.same([...lookup.fields()], ['email'], 'before the definitions are read: the e-mail, unique in every portal')
  await adapter.createCustomer({ email: 'amelia@example.com', firstname: 'Amelia', clienteling_create_request_id: 'f'.repeat(32) }, ctx)

  const bySearch = await adapter.searchCustomers({ criteria: [crit(['email'], 'equals', 'amelia@example.com')], limit: 1, offset: 0 }, ctx)
  t.equal(bySearch.records.length, 0, 'the search index has not seen the contact yet (index lag)')
  const found = await lookup.find('email', 'amelia@example.com', ctx)
  t.match(found, { hs_object_id: '1001', firstname: 'Amelia' }, 'the exact read finds it at once')
  const read = new URL(double.requests.at(-1)?.url ?? '', double.url)
  t.same([read.pathname, read.searchParams.get('idProperty')], ['/crm/v3/objects/contacts/amelia%40example.com', 'email'], 'GET …/contacts/{email}?idProperty=email')
  t.equal(await lookup.find('email', 'nobody@example.com', ctx), null, '404 → null')

  const report = await adapter.fieldSchema?.check(mapping.fields, ctx)
  t.same(report, { missing: [], mismatched: [] })
  t.ok(lookup.fields().has('clienteling_create_request_id'), 'the marker property, provisioned with unique values, is now known unique')
  t.match(await lookup.find('clienteling_create_request_id', 'f'.repeat(32), ctx), { hs_object_id: '1001' }, 'a lost create is found by its marker without a search')
  clock += 5000
  t.equal((await adapter.searchCustomers({ criteria: [crit(['email'], 'equals', 'amelia@example.com')], limit: 1, offset: 0 }, ctx)).records.length, 1, 'the index caught up')
  t.same(double.violations, [])
})

t.test('properties: check names what is missing or mistyped; provision creates, idempotently, never alters', async (t) => {
  const double = await startHubSpot(t, {
    provisioned: false,
    // A merchant's own loyalty_points, made as text: the table writes numbers into it.
    customProperties: [{ name: 'loyalty_points', type: 'string', fieldType: 'text', groupName: 'contactinformation' }]
  })
  const adapter = hubspotAdapter(t, double.url, mapping)
  const schema = adapter.fieldSchema
  if (schema === undefined) throw new Error('the hubspot adapter checks and provisions properties')
  const ctx = context()
  const custom = mapping.fields.filter((f) => !BUILT_IN.has(f.name)).map((f) => f.name)

  const before = await schema.check(mapping.fields, ctx)
  t.same([...before.missing].sort(), custom.filter((n) => n !== 'loyalty_points').sort(), "every custom property the table uses, none of HubSpot's own")
  t.same(before.mismatched, [{ name: 'loyalty_points', expected: 'number', actual: 'string' }], 'an existing property of the wrong type')

  const first = await schema.provision(mapping.fields, ctx)
  t.same([...first.created].sort(), [...before.missing].sort(), 'creates exactly the missing ones')
  t.same(first.mismatched, before.mismatched, 'the wrong-type one is reported')
  t.same(first.missing, [])
  t.match(first.notes, [/created the property group "clienteling"/])
  const listed = await fetch(`${double.url}/crm/v3/properties/contacts`, { headers: { authorization: `Bearer ${HUBSPOT_TOKEN}` } })
  const defs = new Map(((await listed.json()) as { results: { name: string; type: string; fieldType: string; groupName: string; hasUniqueValue: boolean }[] }).results.map((p) => [p.name, p]))
  t.match(defs.get('consent_terms'), { type: 'bool', fieldType: 'booleancheckbox', groupName: 'clienteling' }, 'boolean:true/false → a single checkbox')
  t.match(defs.get('order_count'), { type: 'number', fieldType: 'number' })
  t.match(defs.get('loyalty_tier_start_date'), { type: 'date', fieldType: 'date' })
  t.match(defs.get('clienteling_addresses'), { type: 'string', fieldType: 'textarea' }, 'json → multi-line text')
  t.match(defs.get('home_phone'), { type: 'string', fieldType: 'phonenumber' })
  t.match(defs.get('customer_group'), { type: 'string', fieldType: 'text' })
  t.match(defs.get('clienteling_create_request_id'), { type: 'string', hasUniqueValue: true }, 'the creation marker with unique values')
  t.match(defs.get('loyalty_points'), { type: 'string' }, 'the mistyped property left as it was')

  const calls = double.requests.length
  const second = await schema.provision(mapping.fields, ctx)
  t.same([second.created, second.missing, second.notes], [[], [], []], 'a second run creates nothing')
  t.same(second.mismatched, before.mismatched)
  t.equal(double.requests.length, calls + 1, 'and makes one call: the definitions')
  t.same(double.violations, [], 'every Properties API request valid under its description')
})

t.test("HubSpot's answers as failure kinds", async (t) => {
  const server = await rawServer(t)
  const adapter: CrmAdapter = hubspotAdapter(t, server.url, mapping, { requestTimeoutMs: 2000 })
  const ctx = context()
  const error = (status: number, category: string, extra: Record<string, unknown> = {}) => ({ status: 'error', message: 'm', correlationId: 'c033cdaa-2c40-4a64-ae48-b4cec88dad24', category, ...extra })
  const get = () => adapter.getCustomer('1001', ctx)
  const find = () => adapter.searchCustomers({ criteria: [crit(['email'], 'equals', 'a@b.co')], limit: 5, offset: 0 }, ctx)
  const create = () => adapter.createCustomer({ email: 'a@b.co' }, ctx)
  const update = () => adapter.updateCustomer('1001', { email: 'a@b.co' }, ctx)

  server.answer(json(400, error(400, 'VALIDATION_ERROR', { message: 'Property values were not valid: […]', errors: [{ message: 'Email address a@b is invalid', code: 'INVALID_EMAIL', context: { propertyName: ['email'] } }] })))
  const invalid = await failure(create())
  t.same([invalid.kind, invalid.field], ['rejected', 'email'], '400 VALIDATION_ERROR → rejected, naming the property')
  t.match(invalid.message, /VALIDATION_ERROR c033cdaa-2c40-4a64-ae48-b4cec88dad24/, 'the log detail keeps the category and correlation id')
  t.notMatch(invalid.message, /a@b/, 'but not the refused value')
  server.answer(json(400, { status: 'error', message: 'm', category: 'planted@example.com', correlationId: 'Amelia Okafor', policyName: 'x y' }))
  const planted = await failure(create())
  t.equal(planted.message, 'createCustomer: HTTP 400 (unreadable) (unreadable) (unreadable)', 'words of the body that are not shaped like codes are not carried to the log')
  server.answer(json(400, error(400, 'VALIDATION_ERROR')))
  t.equal((await failure(find())).field, undefined, 'without errors[].context, no field')

  server.answer(json(409, error(409, 'CONFLICT', { message: 'Contact already exists. Existing ID: 5151' })))
  const duplicate = await failure(create())
  t.equal(duplicate.kind, 'duplicate', '409 "Contact already exists" → duplicate')
  t.notMatch(duplicate.message, /5151/, "the other customer's id is not passed on")
  t.equal((await failure(update())).kind, 'duplicate', 'also when an update takes a used e-mail')
  server.answer(json(409, error(409, 'CONFLICT', { message: 'Object is locked' })))
  t.equal((await failure(update())).kind, 'failed', 'another conflict is not a duplicate')

  const throttled = async (headers: Record<string, string>, call: () => Promise<unknown>) => {
    server.answer(json(429, error(429, 'RATE_LIMITS', { errorType: 'RATE_LIMIT', policyName: 'TEN_SECONDLY_ROLLING' }), headers))
    const err = await failure(call())
    t.equal(err.kind, 'throttled')
    return err.retryAfterSeconds
  }
  t.equal(await throttled({ 'retry-after': '3' }, get), 3, '429 with Retry-After: that')
  t.equal(await throttled({ 'x-hubspot-ratelimit-interval-milliseconds': '10000', 'x-hubspot-ratelimit-remaining': '0' }, get), 10, 'with the rolling-window headers: the window')
  t.equal(await throttled({}, find), 1, 'a search 429 without headers: its one-second window')
  t.equal(await throttled({}, create), 10, 'another 429 without headers: the ten-second burst window')

  // The usage guide's daily-limit body (https://developers.hubspot.com/docs/guides/apps/api-usage/usage-details).
  const daily = { status: 'error', message: 'You have reached your daily limit.', errorType: 'RATE_LIMIT', correlationId: 'c033cdaa-2c40-4a64-ae48-b4cec88dad24', policyName: 'DAILY', requestId: '3d3e35b7-0dae-4b9f-a6e3-9c230cbcf8dd' }
  server.answer(json(429, daily))
  const spent = await failure(create())
  t.same([spent.kind, spent.retryAfterSeconds], ['quota-exhausted', undefined], '429 policyName DAILY → quota-exhausted, no wait invented')
  t.match(spent.message, /HTTP 429 DAILY/, 'the log detail names the policy')
  server.answer(json(429, daily, { 'retry-after': '3600' }))
  t.same((await failure(find())).retryAfterSeconds, 3600, 'a Retry-After, when sent, is passed on')

  server.answer(json(401, error(401, 'INVALID_AUTHENTICATION')))
  t.equal((await failure(get())).kind, 'failed', '401: our token is refused, not the POS')
  server.answer(json(403, error(403, 'MISSING_SCOPES')))
  t.equal((await failure(find())).kind, 'failed', '403 MISSING_SCOPES → failed')
  server.answer(json(502, error(502, 'BAD_GATEWAY')))
  t.equal((await failure(update())).kind, 'failed', '5xx → failed')

  server.answer(json(200, { id: '1001' }))
  t.equal((await failure(get())).kind, 'bad-response', 'a contact without properties')
  server.answer(json(200, { results: [] }))
  t.equal((await failure(find())).kind, 'bad-response', 'a search page without total')
  server.answer(json(200, { id: '1', properties: {} }))
  t.equal((await failure(create())).kind, 'bad-response', 'a create answered 200, not the documented 201')
  server.answer(json(200, 'not a contact'))
  t.equal((await failure(update())).kind, 'bad-response', 'a PATCH answered with something else than a contact')
  server.answer((_req, _body, res) => { res.writeHead(302, { location: 'https://app.hubspot.com/login' }); res.end() })
  t.equal((await failure(get())).kind, 'bad-response', 'a redirect is never followed')
  server.answer((req) => req.socket.destroy())
  t.equal((await failure(create())).kind, 'interrupted', 'a connection reset once the request arrived → interrupted (the create may have happened)')
})

t.test("the double's own throttling and daily limit through the adapter", async (t) => {
  const clock = 7_000_000
  const double = await startHubSpot(t, { now: () => clock, searchRateLimit: { max: 1, windowMs: 1000 }, burstRateLimit: { max: 1, windowMs: 10_000 } })
  const adapter = hubspotAdapter(t, double.url, mapping)
  const search = () => adapter.searchCustomers({ criteria: [crit(['email'], 'equals', 'a@b.co')], limit: 5, offset: 0 }, context())
  await search()
  const second = await failure(search())
  t.same([second.kind, second.retryAfterSeconds], ['throttled', 1], 'a second search in the second: 429 → wait 1 s')
  t.equal(await adapter.getCustomer('1001', context()), null)
  const burst = await failure(adapter.getCustomer('1001', context()))
  t.same([burst.kind, burst.retryAfterSeconds], ['throttled', 10], 'the ten-second limit: its X-HubSpot-RateLimit-Interval-Milliseconds')
  double.setDailyLimitReached(true)
  const daily = await failure(adapter.createCustomer({ email: 'late@example.com' }, context()))
  t.same([daily.kind, daily.retryAfterSeconds], ['quota-exhausted', undefined], 'the daily limit → quota-exhausted')
})
