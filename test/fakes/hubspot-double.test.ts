/**
 * The HubSpot test double against HubSpot's published reference, one behaviour per assertion,
 * each test naming the section it comes from:
 *   [contacts] https://developers.hubspot.com/docs/api/crm/contacts
 *   [search]   https://developers.hubspot.com/docs/api/crm/search (+ #limitations)
 *   [errors]   https://developers.hubspot.com/docs/api-reference/error-handling
 *   [usage]    https://developers.hubspot.com/docs/guides/apps/api-usage/usage-details
 *   [private]  https://developers.hubspot.com/docs/api/private-apps
 *   [properties] https://developers.hubspot.com/docs/api/crm/properties
 *   [description] HubSpot's published OpenAPI description of CRM v3 contacts/properties, schema <Name>
 *
 * Every test talks HTTP to a double of its own (no adapter involved): what is checked is the
 * double, so that the gateway's tests against it mean something.
 */
import t from 'tap'
import type { Test } from 'tap'
import { loadHubSpotTable } from '../helpers/gateway-over-hubspot.js'
import { DOUBLE_SEARCH_LIMITS, STANDARD_CONTACT_PROPERTIES, searchableNumber, startHubSpotDouble } from './hubspot-double.js'
import type { HubSpotDouble, HubSpotDoubleOptions, PropertyDefinition } from './hubspot-double.js'

const TOKEN = 'pat-na1-00000000-double-test'

/** Merchant properties most tests use (as a merchant would have created them). */
const CUSTOM: readonly PropertyDefinition[] = [
  { name: 'consent_terms', type: 'bool' },
  { name: 'consent_sms', type: 'bool' },
  { name: 'loyalty_points', type: 'number' },
  { name: 'home_store', type: 'string' },
  { name: 'loyalty_tier_start_date', type: 'date' },
  { name: 'last_visit', type: 'datetime' },
  { name: 'interests', type: 'enumeration', fieldType: 'checkbox', options: ['shoes', 'bags'] },
  { name: 'clienteling_create_request_id', type: 'string', hasUniqueValue: true, groupName: 'clienteling' }
]

/** Search semantics are checked at a raised rate: the 5-per-second limit has its own test. */
const UNTHROTTLED = { searchRateLimit: { max: 1000, windowMs: 1000 } }

async function start(t: Test, options: Partial<HubSpotDoubleOptions> = {}): Promise<HubSpotDouble> {
  const double = await startHubSpotDouble({ accessToken: TOKEN, customProperties: CUSTOM, ...options })
  t.teardown(() => double.close())
  return double
}

interface Answer {
  readonly status: number
  readonly headers: Headers
  readonly body: any
}

function client(base: string, token = TOKEN) {
  return async (method: string, path: string, body?: unknown): Promise<Answer> => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) })
    })
    const text = await res.text()
    return { status: res.status, headers: res.headers, body: text === '' ? undefined : JSON.parse(text) }
  }
}

/** [description] a valid PublicObjectSearchRequest: every required member, overridable. */
const searchBody = (over: Record<string, unknown> = {}) => ({ filterGroups: [], properties: [], limit: 10, after: '0', sorts: [], ...over })
const oneFilter = (propertyName: string, operator: string, value?: string) => searchBody({ filterGroups: [{ filters: [{ propertyName, operator, ...(value === undefined ? {} : { value }) }] }] })
/** [description] a valid SimplePublicObjectInputForCreate. */
const createBody = (properties: Record<string, unknown>) => ({ properties, associations: [] })

/** [errors] the error body every failure carries. */
function isHubSpotError(t: Test, answer: Answer, status: number, category: string): void {
  t.equal(answer.status, status, `HTTP ${status}`)
  t.match(answer.body, { status: 'error', message: String, correlationId: String, category }, `[errors] {status, message, correlationId, category: ${category}}`)
  t.match(answer.headers.get('content-type'), /^application\/json/)
}

/** [description] a refused shape: 400 VALIDATION_ERROR naming the member, and one more violation naming it too. */
async function refusedShape(t: Test, double: HubSpotDouble, send: () => Promise<Answer>, member: RegExp, what: string): Promise<void> {
  const before = double.violations.length
  const answer = await send()
  t.equal(answer.status, 400, `${what}: 400`)
  t.match(answer.body, { status: 'error', category: 'VALIDATION_ERROR', correlationId: String }, `${what}: VALIDATION_ERROR`)
  t.match(answer.body?.message, /^Invalid (input JSON|query parameters)/, `${what}: "Invalid input JSON"`)
  t.match(answer.body?.message, member, `${what}: the message names the member`)
  t.equal(double.violations.length, before + 1, `${what}: recorded as a violation`)
  t.match(double.violations.at(-1), { method: String, url: String, problems: [member] }, `${what}: the violation names the member`)
}

// ---------------------------------------------------------------------------------------------

t.test("[contacts] HubSpot's own properties cover the table's; its samples write cleanly once the rest is created", async (t) => {
  const mapping = await loadHubSpotTable()
  const standard = new Map(STANDARD_CONTACT_PROPERTIES.map((p) => [p.name, p]))
  t.ok(STANDARD_CONTACT_PROPERTIES.every((p) => p.hubspotDefined === true && p.groupName === 'contactinformation'), 'all HubSpot-defined, in contactinformation')
  const custom = mapping.fields.filter((f) => !standard.has(f.name))
  t.same(custom.filter((f) => f.name.startsWith('hs_')).map((f) => f.name), [], "every hs_ property the table names is one of HubSpot's own the double defines")
  const written = mapping.fields.filter((f) => f.write && standard.has(f.name))
  t.same(written.filter((f) => standard.get(f.name)?.calculated === true || standard.get(f.name)?.readOnlyValue === true).map((f) => f.name), [], 'the table writes none of the read-only ones')

  // A portal with nothing of the merchant's: the table's custom properties created through the API.
  const double = await start(t, { customProperties: [] })
  const call = client(double.url)
  t.equal((await call('POST', '/crm/v3/properties/contacts/groups', { name: 'clienteling', label: 'Clienteling' })).status, 201)
  const kinds: Record<string, [string, string]> = { text: ['string', 'text'], 'long-text': ['string', 'textarea'], phone: ['string', 'phonenumber'], number: ['number', 'number'], boolean: ['bool', 'booleancheckbox'], date: ['date', 'date'] }
  for (const f of custom) {
    const [type, fieldType] = kinds[f.kind] ?? ['string', 'text']
    const options = type === 'bool' ? { options: [{ label: 'Yes', value: 'true', hidden: false }, { label: 'No', value: 'false', hidden: false }] } : {}
    const made = await call('POST', '/crm/v3/properties/contacts', { name: f.name, label: f.name, type, fieldType, groupName: 'clienteling', hasUniqueValue: f.unique, ...options })
    t.equal(made.status, 201, `${f.name} created`)
  }
  for (const sample of mapping.samples) {
    const record = mapping.toCrm(sample.spi) as Record<string, unknown>
    const text = (v: unknown): string => (v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v))
    const properties = Object.fromEntries(Object.entries(record).filter(([k]) => k !== 'hs_object_id').map(([k, v]) => [k, text(v)]))
    const created = await call('POST', '/crm/v3/objects/contacts', createBody(properties))
    t.equal(created.status, 201, `sample "${sample.name}": accepted (${JSON.stringify(created.body?.errors ?? '')})`)
  }
  t.same(double.violations, [])
})

t.test('[private] bearer access token; [errors] 401 INVALID_AUTHENTICATION', async (t) => {
  const double = await start(t)
  isHubSpotError(t, await client(double.url, 'pat-wrong')('GET', '/crm/v3/objects/contacts/1001'), 401, 'INVALID_AUTHENTICATION')
  const none = await fetch(`${double.url}/crm/v3/objects/contacts/1001`)
  t.equal(none.status, 401, 'no Authorization header: 401')
})

t.test('[contacts] create, retrieve with properties=, update with "" clearing; [errors] 404, 409, 400', async (t) => {
  const double = await start(t)
  const call = client(double.url)

  const created = await call('POST', '/crm/v3/objects/contacts', createBody({ email: 'amelia@example.com', firstname: 'Amelia', lastname: 'Okafor', consent_terms: 'true' }))
  t.equal(created.status, 201, '"Create contacts": 201')
  t.match(created.body, { id: '1001', properties: { email: 'amelia@example.com', firstname: 'Amelia', hs_object_id: '1001', createdate: String }, createdAt: String, updatedAt: String, archived: false }, 'a SimplePublicObject')

  const some = await call('GET', '/crm/v3/objects/contacts/1001?properties=firstname,city,not_a_property&archived=false')
  t.equal(some.status, 200)
  t.same(Object.keys(some.body.properties).sort(), ['city', 'createdate', 'firstname', 'hs_object_id', 'lastmodifieddate'], '"Retrieve contacts": only the properties asked for (plus defaults); unknown names skipped')
  t.equal(some.body.properties.city, null, 'a requested property without a value is null')
  const repeated = await call('GET', '/crm/v3/objects/contacts/1001?properties=firstname&properties=lastname')
  t.same([repeated.body.properties.firstname, repeated.body.properties.lastname], ['Amelia', 'Okafor'], '[description] properties as repeated parameters too')
  const defaults = await call('GET', '/crm/v3/objects/contacts/1001')
  t.same(Object.keys(defaults.body.properties).sort(), ['createdate', 'email', 'firstname', 'hs_object_id', 'lastmodifieddate', 'lastname'], 'without properties=: the defaults only')

  const patched = await call('PATCH', '/crm/v3/objects/contacts/1001', { properties: { firstname: '', city: 'San Francisco' } })
  t.equal(patched.status, 200, '"Update contacts": 200')
  const after = await call('GET', '/crm/v3/objects/contacts/1001?properties=firstname,lastname,city')
  t.same([after.body.properties.firstname, after.body.properties.lastname, after.body.properties.city], [null, 'Okafor', 'San Francisco'], '"" cleared firstname; lastname untouched')

  isHubSpotError(t, await call('GET', '/crm/v3/objects/contacts/424242?properties=email'), 404, 'OBJECT_NOT_FOUND')
  isHubSpotError(t, await call('PATCH', '/crm/v3/objects/contacts/424242', { properties: { city: 'x' } }), 404, 'OBJECT_NOT_FOUND')
  isHubSpotError(t, await call('GET', '/crm/v3/objects/contacts/1001?archived=true'), 404, 'OBJECT_NOT_FOUND')

  const dup = await call('POST', '/crm/v3/objects/contacts', createBody({ email: 'AMELIA@example.com' }))
  isHubSpotError(t, dup, 409, 'CONFLICT')
  t.equal(dup.body.message, 'Contact already exists. Existing ID: 1001', 'the e-mail is unique; the message names the existing id')
  await call('POST', '/crm/v3/objects/contacts', createBody({ email: 'amos@example.com' }))
  isHubSpotError(t, await call('PATCH', '/crm/v3/objects/contacts/1002', { properties: { email: 'amelia@example.com' } }), 409, 'CONFLICT')

  const bad = await call('POST', '/crm/v3/objects/contacts', createBody({ email: 'not-an-email', nope: 'x', hs_object_id: '5', loyalty_points: 'many', consent_sms: 'yes', hs_language: 'klingon' }))
  isHubSpotError(t, bad, 400, 'VALIDATION_ERROR')
  t.same(
    bad.body.errors.map((e: any) => [e.code, e.context.propertyName[0]]),
    [['INVALID_EMAIL', 'email'], ['PROPERTY_DOESNT_EXIST', 'nope'], ['READ_ONLY_VALUE', 'hs_object_id'], ['INVALID_INTEGER', 'loyalty_points'], ['INVALID_OPTION', 'consent_sms'], ['INVALID_OPTION', 'hs_language']],
    'every refused property, with code and context.propertyName'
  )
  t.match(bad.body.message, /^Property values were not valid/)
  t.equal((await call('POST', '/crm/v3/objects/contacts', createBody({ email: 'ada@example.com', hs_language: 'en-us', gender: 'female', date_of_birth: '1990-04-17' }))).status, 201, 'hs_language takes a lowercase tag of its options')
  t.equal(double.contacts.size, 3, 'nothing stored by the refused requests')

  // [properties] values by type: dates as a day or its midnight in epoch ms, date-times, multiple checkboxes.
  const typed = async (properties: Record<string, string>) => (await call('PATCH', '/crm/v3/objects/contacts/1003', { properties })).status
  t.equal(await typed({ loyalty_tier_start_date: '2024-04-02' }), 200, 'a date as YYYY-MM-DD')
  t.equal(await typed({ loyalty_tier_start_date: String(Date.UTC(2024, 3, 2)) }), 200, 'a date as the epoch ms of its midnight UTC')
  t.equal(await typed({ loyalty_tier_start_date: String(Date.UTC(2024, 3, 2) + 1) }), 400, 'not midnight: refused')
  t.equal(await typed({ loyalty_tier_start_date: '2024-02-30' }), 400, 'not a day: refused')
  t.equal(await typed({ loyalty_tier_start_date: '2024-13-01' }), 400, 'nor a month')
  t.equal(await typed({ last_visit: '2024-04-02T10:00:00Z' }), 200, 'a date-time as ISO 8601')
  t.equal(await typed({ last_visit: 'yesterday' }), 400, 'not a date-time: refused')
  t.equal(await typed({ interests: 'shoes;bags' }), 200, 'a multiple checkbox: options separated by ";"')
  t.equal(await typed({ interests: 'shoes;hats' }), 400, 'one of them not an option: refused')
  t.same(double.violations, [], 'refused values are not shape violations')
})

t.test('[contacts] a portal has only what it was given: no creation marker property unless created', async (t) => {
  const double = await start(t, { customProperties: [] })
  const call = client(double.url)
  const written = await call('POST', '/crm/v3/objects/contacts', createBody({ email: 'marked@example.com', clienteling_create_request_id: 'abc' }))
  isHubSpotError(t, written, 400, 'VALIDATION_ERROR')
  t.same(written.body.errors.map((e: any) => e.code), ['PROPERTY_DOESNT_EXIST'])
  t.notOk(double.definitions.has('clienteling_create_request_id'))
})

// ---------------------------------------------------------------------------------------------
// [description] request shapes

t.test('[description] SimplePublicObjectInputForCreate: properties and associations required, values text', async (t) => {
  const double = await start(t)
  const call = client(double.url)
  const create = (body: unknown) => () => call('POST', '/crm/v3/objects/contacts', body)
  await refusedShape(t, double, create({ properties: { email: 'a@example.com' } }), /associations is required/, 'no associations')
  await refusedShape(t, double, create({ associations: [] }), /properties is required/, 'no properties')
  await refusedShape(t, double, create(createBody({ loyalty_points: 1250 })), /properties\.loyalty_points must be of JSON type string/, 'a number value')
  await refusedShape(t, double, create(createBody({ consent_terms: true })), /properties\.consent_terms must be of JSON type string/, 'a boolean value')
  await refusedShape(t, double, create(createBody({ city: null })), /properties\.city must be/, 'a null value')
  await refusedShape(t, double, create({ properties: {}, associations: [{ to: { id: 5 }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 1 }] }] }), /associations\[0\]\.to\.id must be of JSON type string/, 'an association to a numeric id')
  await refusedShape(t, double, create({ properties: {}, associations: [{ to: { id: '5' }, types: [{ associationCategory: 'SOMEONE', associationTypeId: 1 }] }] }), /associations\[0\]\.types\[0\]\.associationCategory must be one of HUBSPOT_DEFINED/, 'an unknown association category')
  await refusedShape(t, double, create({ properties: {}, associations: [{ to: { id: '5' }, types: [{ associationCategory: 'USER_DEFINED', associationTypeId: 1.5 }] }] }), /associationTypeId must be an integer/, 'a fractional association type id')
  await refusedShape(t, double, create({ properties: {}, associations: [{ to: { id: '5' } }] }), /associations\[0\]\.types is required/, 'an association without types')
  await refusedShape(t, double, () => call('POST', '/crm/v3/objects/contacts'), /a JSON body is required/, 'no body')
  await refusedShape(t, double, create('{"properties": {'), /the body is not JSON/, 'a body that is not JSON')
  t.equal(double.contacts.size, 0, 'nothing stored')
  const before = double.violations.length
  const ok = await call('POST', '/crm/v3/objects/contacts', { properties: { email: 'a@example.com' }, associations: [{ to: { id: '9' }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 279 }] }], extra: 'tolerated' })
  t.equal(ok.status, 201, 'a well-formed association list is accepted (and ignored); unnamed members are tolerated')
  t.equal(double.violations.length, before, 'no violation')
})

t.test('[description] SimplePublicObjectInput and the query of PATCH: properties required, idProperty one text value', async (t) => {
  const double = await start(t)
  const call = client(double.url)
  await call('POST', '/crm/v3/objects/contacts', createBody({ email: 'a@example.com' }))
  await refusedShape(t, double, () => call('PATCH', '/crm/v3/objects/contacts/1001', {}), /properties is required/, 'no properties')
  await refusedShape(t, double, () => call('PATCH', '/crm/v3/objects/contacts/1001', { properties: { loyalty_points: 5 } }), /properties\.loyalty_points must be of JSON type string/, 'a number value')
  await refusedShape(t, double, () => call('PATCH', '/crm/v3/objects/contacts/1001', { properties: ['city'] }), /properties must be of JSON type object/, 'a list for properties')
  await refusedShape(t, double, () => call('PATCH', '/crm/v3/objects/contacts/a%40example.com?idProperty=email&idProperty=email', { properties: { city: 'x' } }), /idProperty must be of JSON type string/, 'idProperty repeated')
  t.equal((await call('PATCH', '/crm/v3/objects/contacts/1001', { properties: { loyalty_points: '5' }, associations: [] })).status, 200, 'text values: accepted')
})

t.test('[description] the query of GET …/contacts/{contactId}: archived true/false, idProperty one value', async (t) => {
  const double = await start(t)
  const call = client(double.url)
  await call('POST', '/crm/v3/objects/contacts', createBody({ email: 'a@example.com' }))
  await refusedShape(t, double, () => call('GET', '/crm/v3/objects/contacts/1001?archived=maybe'), /archived must be one of true, false/, 'archived=maybe')
  await refusedShape(t, double, () => call('GET', '/crm/v3/objects/contacts/1001?archived=false&archived=true'), /archived must be one of/, 'archived repeated')
  await refusedShape(t, double, () => call('GET', '/crm/v3/objects/contacts/1001?idProperty=email&idProperty=firstname'), /idProperty must be of JSON type string/, 'idProperty repeated')
  t.equal((await call('GET', '/crm/v3/objects/contacts/1001?archived=false&properties=email&associations=companies')).status, 200, 'well-formed: 200')
})

t.test('[description] PublicObjectSearchRequest: after, filterGroups, limit, properties, sorts required; Filter typed', async (t) => {
  const double = await start(t, UNTHROTTLED)
  const call = client(double.url)
  const search = (body: unknown) => () => call('POST', '/crm/v3/objects/contacts/search', body)
  const without = (member: string) => Object.fromEntries(Object.entries(searchBody()).filter(([k]) => k !== member))
  for (const member of ['after', 'filterGroups', 'limit', 'properties', 'sorts']) {
    await refusedShape(t, double, search(without(member)), new RegExp(`${member} is required`), `no ${member}`)
  }
  await refusedShape(t, double, search({}), /after is required/, 'an empty body')
  await refusedShape(t, double, search(searchBody({ after: 0 })), /after must be of JSON type string/, 'a numeric after')
  await refusedShape(t, double, search(searchBody({ limit: '10' })), /limit must be an integer/, 'a textual limit')
  await refusedShape(t, double, search(searchBody({ sorts: [{ propertyName: 'firstname', direction: 'DESCENDING' }] })), /sorts\[0\] must be of JSON type string/, 'an object sort')
  await refusedShape(t, double, search(searchBody({ query: 42 })), /query must be of JSON type string/, 'a numeric query')
  await refusedShape(t, double, search(searchBody({ filterGroups: [{}] })), /filterGroups\[0\]\.filters is required/, 'a group without filters')
  await refusedShape(t, double, search(searchBody({ filterGroups: [{ filters: [{ propertyName: 'email', value: 'x' }] }] })), /filters\[0\]\.operator is required/, 'a filter without operator')
  await refusedShape(t, double, search(searchBody({ filterGroups: [{ filters: [{ operator: 'EQ', value: 'x' }] }] })), /filters\[0\]\.propertyName is required/, 'a filter without propertyName')
  await refusedShape(t, double, search(oneFilter('email', 'LIKE', 'x')), /filters\[0\]\.operator must be one of BETWEEN, CONTAINS_TOKEN/, 'an operator outside the enumeration')
  await refusedShape(t, double, search(searchBody({ filterGroups: [{ filters: [{ propertyName: 'loyalty_points', operator: 'GT', value: 5 }] }] })), /filters\[0\]\.value must be of JSON type string/, 'a numeric value')
  await refusedShape(t, double, search(searchBody({ filterGroups: [{ filters: [{ propertyName: 'loyalty_points', operator: 'IN', values: ['1', 2] }] }] })), /filters\[0\]\.values\[1\] must be of JSON type string/, 'a numeric entry of values')
  await refusedShape(t, double, search(searchBody({ filterGroups: [{ filters: [{ propertyName: 'loyalty_points', operator: 'BETWEEN', value: '1', highValue: 9 }] }] })), /highValue must be of JSON type string/, 'a numeric highValue')
  const before = double.violations.length
  t.equal((await call('POST', '/crm/v3/objects/contacts/search', searchBody({ query: 'ame', sorts: ['-firstname'], properties: ['email'] }))).status, 200, 'every required member, sorts as text: 200')
  t.equal(double.violations.length, before)
})

// ---------------------------------------------------------------------------------------------
// Search

t.test('[search] filterGroups (AND in a group, OR across), operators, properties, sorts, paging with after', async (t) => {
  const double = await start(t, UNTHROTTLED)
  const call = client(double.url)
  const people = [
    { firstname: 'Amelia', lastname: 'Okafor', email: 'amelia@example.com', mobilephone: '+14155550142' },
    { firstname: 'Amos', lastname: 'Okoye', email: 'amos@hubspot.com', phone: '+14155550199' },
    { firstname: 'Mary Ann', lastname: 'Smith', email: 'mary@hubspot.com' }
  ]
  for (const properties of people) await call('POST', '/crm/v3/objects/contacts', createBody(properties))
  const search = async (body: unknown) => call('POST', '/crm/v3/objects/contacts/search', body)
  const names = (a: Answer): string[] => a.body.results.map((r: any) => r.properties.firstname)

  t.same(names(await search(oneFilter('email', 'CONTAINS_TOKEN', '*@hubspot.com'))), ['Amos', 'Mary Ann'], 'CONTAINS_TOKEN with a leading wildcard (the guide\'s own example)')
  t.same(names(await search(oneFilter('firstname', 'CONTAINS_TOKEN', 'am*'))), ['Amelia', 'Amos'], 'a trailing wildcard completes a word, any case')
  t.same(names(await search(oneFilter('firstname', 'CONTAINS_TOKEN', 'ann'))), ['Mary Ann'], 'a token is a word of the value')
  t.same(names(await search(oneFilter('email', 'EQ', 'AMELIA@example.com'))), ['Amelia'], 'EQ')
  t.same(names(await search(oneFilter('phone', 'HAS_PROPERTY'))), ['Amos'], 'HAS_PROPERTY')
  t.same(names(await search(oneFilter('lastname', 'NEQ', 'okafor'))), ['Amos', 'Mary Ann'], 'NEQ')
  t.same(names(await search(searchBody({ filterGroups: [{ filters: [{ propertyName: 'lastname', operator: 'IN', values: ['smith', 'okoye'] }] }] }))), ['Amos', 'Mary Ann'], 'IN')
  t.same(
    names(await search(searchBody({ filterGroups: [{ filters: [{ propertyName: 'lastname', operator: 'CONTAINS_TOKEN', value: 'ok*' }, { propertyName: 'firstname', operator: 'EQ', value: 'amos' }] }] }))),
    ['Amos'],
    'filters of one group are ANDed'
  )
  t.same(
    names(await search(searchBody({ filterGroups: [{ filters: [{ propertyName: 'mobilephone', operator: 'EQ', value: '+14155550142' }] }, { filters: [{ propertyName: 'phone', operator: 'EQ', value: '+14155550142' }] }] }))),
    ['Amelia'],
    'groups are ORed'
  )
  t.same(names(await search(searchBody({ query: 'mary' }))), ['Mary Ann'], 'query: a word of a default searchable property')

  const all = await search(searchBody({ limit: 2, properties: ['email'] }))
  t.equal(all.body.total, 3, 'total counts every match')
  t.same(Object.keys(all.body.results[0].properties).sort(), ['createdate', 'email', 'hs_object_id', 'lastmodifieddate'], 'a properties array overrides the default properties')
  t.match(all.body.paging, { next: { after: String } }, 'paging.next.after when more results exist')
  const rest = await search(searchBody({ limit: 2, after: all.body.paging.next.after }))
  t.same(names(rest), ['Mary Ann'], 'after continues where the page ended')
  t.notOk('paging' in rest.body, 'no paging on the last page')
  t.same(Object.keys(rest.body.results[0].properties).sort(), ['createdate', 'email', 'firstname', 'hs_object_id', 'lastmodifieddate', 'lastname'], 'an empty properties list: the default properties of a contacts search')
  t.same(names(await search(searchBody({ sorts: ['-firstname'] }))), ['Mary Ann', 'Amos', 'Amelia'], 'one sorting rule, "-name" descending')
  t.same(names(await search(searchBody({ sorts: ['lastname'] }))), ['Amelia', 'Amos', 'Mary Ann'], '"name" ascending')
  t.same(names(await search(searchBody({ sorts: ['hs_object_id'] }))), ['Amelia', 'Amos', 'Mary Ann'], 'by record id, as numbers')
  t.same(double.violations, [])
})

t.test('[search] limitations → 400 VALIDATION_ERROR; unknown properties in filters and sorts → PROPERTY_DOESNT_EXIST', async (t) => {
  const double = await start(t, UNTHROTTLED)
  const search = (body: unknown) => client(double.url)('POST', '/crm/v3/objects/contacts/search', body)
  const filter = { propertyName: 'email', operator: 'EQ', value: 'x@example.com' }
  const groups = (n: number, per: number) => searchBody({ filterGroups: Array.from({ length: n }, () => ({ filters: Array.from({ length: per }, () => filter) })) })
  t.equal((await search(groups(5, 3))).status, 200, '5 groups, 15 filters: accepted')
  isHubSpotError(t, await search(groups(6, 1)), 400, 'VALIDATION_ERROR')
  isHubSpotError(t, await search(groups(1, 7)), 400, 'VALIDATION_ERROR')
  isHubSpotError(t, await search(groups(4, 5)), 400, 'VALIDATION_ERROR') // 20 filters > 18
  t.equal((await search(searchBody({ limit: 200 }))).status, 200, 'limit 200: accepted')
  isHubSpotError(t, await search(searchBody({ limit: 201 })), 400, 'VALIDATION_ERROR')
  isHubSpotError(t, await search(searchBody({ limit: 0 })), 400, 'VALIDATION_ERROR')
  isHubSpotError(t, await search(searchBody({ limit: 100, after: '9950' })), 400, 'VALIDATION_ERROR')
  isHubSpotError(t, await search(searchBody({ after: 'not-a-cursor' })), 400, 'VALIDATION_ERROR')
  isHubSpotError(t, await search(searchBody({ sorts: ['firstname', 'lastname'] })), 400, 'VALIDATION_ERROR')

  const missing = async (body: unknown, name: string, what: string) => {
    const answer = await search(body)
    isHubSpotError(t, answer, 400, 'VALIDATION_ERROR')
    t.match(answer.body.errors, [{ code: 'PROPERTY_DOESNT_EXIST', context: { propertyName: [name] } }], what)
  }
  await missing(oneFilter('nope', 'EQ', 'x'), 'nope', 'a filter on an unknown property')
  await missing(searchBody({ sorts: ['-nope'] }), 'nope', 'a sort on an unknown property')
  t.same(double.violations, [], 'limits are not shape violations')

  // [search] "the request body … 3,000 characters": measured on the text sent (white space too).
  const padded = (length: number): string => {
    const text = JSON.stringify(searchBody())
    return `${text.slice(0, -1)}${' '.repeat(length - text.length)}}`
  }
  t.equal(padded(3000).length, 3000)
  t.equal((await search(padded(DOUBLE_SEARCH_LIMITS.bodyCharacters))).status, 200, '3,000 characters: accepted')
  const long = await search(padded(DOUBLE_SEARCH_LIMITS.bodyCharacters + 1))
  isHubSpotError(t, long, 400, 'VALIDATION_ERROR')
  t.match(long.body.message, /3001 characters/, '3,001 characters: refused, saying why')
})

t.test('[search] rate limited per second: 429 RATE_LIMITS; [search] a new contact is invisible for indexLagMs', async (t) => {
  let clock = 1_000_000
  const double = await start(t, { now: () => clock, searchRateLimit: { max: 2, windowMs: 1000 }, indexLagMs: 1500 })
  const call = client(double.url)
  await call('POST', '/crm/v3/objects/contacts', createBody({ email: 'fresh@example.com' }))
  const first = await call('POST', '/crm/v3/objects/contacts/search', searchBody())
  t.equal(first.body.total, 0, '"It may take a few moments for newly created … objects to appear in search results"')
  t.equal((await call('GET', '/crm/v3/objects/contacts/1001')).status, 200, 'a read by id is never lagged')
  t.equal((await call('POST', '/crm/v3/objects/contacts/search', searchBody())).status, 200, 'second search in the second: fine')
  const third = await call('POST', '/crm/v3/objects/contacts/search', searchBody())
  isHubSpotError(t, third, 429, 'RATE_LIMITS')
  t.match(third.body, { errorType: 'RATE_LIMIT', policyName: 'SECONDLY' }, '[usage] error responses: errorType and policyName')
  t.equal(third.headers.get('retry-after'), null, 'search answers carry no Retry-After (none documented)')
  t.equal(third.headers.get('x-hubspot-ratelimit-remaining'), null, 'nor the rolling-window headers')
  clock += 1499
  const later = await call('POST', '/crm/v3/objects/contacts/search', searchBody())
  t.equal(later.status, 200, 'a second later the window has moved on')
  t.equal(later.body.total, 0, '1 ms short of the lag: still invisible')
  clock += 1
  t.equal((await call('POST', '/crm/v3/objects/contacts/search', searchBody())).body.total, 1, 'at indexLagMs: indexed')
})

t.test('[search] an updated contact: matched and answered as it was indexLagMs ago; setIndexLag', async (t) => {
  let clock = 2_000_000
  const double = await start(t, { ...UNTHROTTLED, now: () => clock, indexLagMs: 1000 })
  const call = client(double.url)
  const search = (body: unknown) => call('POST', '/crm/v3/objects/contacts/search', body)
  const lastnames = (a: Answer) => a.body.results.map((r: any) => r.properties.lastname)
  await call('POST', '/crm/v3/objects/contacts', createBody({ email: 'amelia@example.com', lastname: 'Okafor' }))
  clock += 5000
  t.same(lastnames(await search(oneFilter('lastname', 'EQ', 'okafor'))), ['Okafor'], 'indexed')

  await call('PATCH', '/crm/v3/objects/contacts/1001', { properties: { lastname: 'Smith' } })
  clock += 400
  double.setProperties('1001', { lastname: 'Jones' }) // a second change, by another system
  clock += 400
  t.same(lastnames(await search(oneFilter('lastname', 'EQ', 'okafor'))), ['Okafor'], 'still matched by its old value, and answered with it')
  t.same(lastnames(await search(oneFilter('lastname', 'EQ', 'smith'))), [], 'not yet by the new one')
  const read = await call('GET', '/crm/v3/objects/contacts/1001?properties=lastname')
  t.equal(read.body.properties.lastname, 'Jones', 'a read by id sees the last write at once')
  clock += 300 // the PATCH is 1,100 ms old, setProperties 700 ms
  t.same(lastnames(await search(oneFilter('lastname', 'EQ', 'smith'))), ['Smith'], 'the first change is indexed, the second not yet')
  clock += 300
  t.same(lastnames(await search(oneFilter('lastname', 'EQ', 'jones'))), ['Jones'], 'then the second')
  t.same(lastnames(await search(oneFilter('lastname', 'EQ', 'okafor'))), [], 'and the first value no longer matches')

  double.setIndexLag(0)
  await call('PATCH', '/crm/v3/objects/contacts/1001', { properties: { lastname: 'Brown' } })
  await call('POST', '/crm/v3/objects/contacts', createBody({ email: 'amos@example.com', lastname: 'Brown' }))
  t.same(lastnames(await search(oneFilter('lastname', 'EQ', 'brown'))), ['Brown', 'Brown'], 'setIndexLag(0): every write searchable at once')
})

// ---------------------------------------------------------------------------------------------
// Calculated searchable phone numbers

t.test('[search] calculated searchable numbers: the digits without country code, read-only, searchable', async (t) => {
  const double = await start(t, UNTHROTTLED)
  const call = client(double.url)
  const typed = ['+1 415 555 0142', '(415) 555-0142', '415.555.0142', '4155550142']
  for (const [i, phone] of typed.entries()) {
    const made = await call('POST', '/crm/v3/objects/contacts', createBody({ email: `p${i}@example.com`, phone, mobilephone: phone }))
    t.equal(made.status, 201)
  }
  await call('POST', '/crm/v3/objects/contacts', createBody({ email: 'uk@example.com', phone: '020 7946 0958', mobilephone: '+44 20 7946 0958' }))
  await call('POST', '/crm/v3/objects/contacts', createBody({ email: 'none@example.com' }))
  const read = async (id: string) =>
    (await call('GET', `/crm/v3/objects/contacts/${id}?properties=hs_searchable_calculated_phone_number,hs_searchable_calculated_mobile_number`)).body.properties
  for (const [i, phone] of typed.entries()) {
    t.match(await read(String(1001 + i)), { hs_searchable_calculated_phone_number: '4155550142', hs_searchable_calculated_mobile_number: '4155550142' }, `"${phone}" → 4155550142`)
  }
  t.match(await read('1005'), { hs_searchable_calculated_phone_number: '2079460958', hs_searchable_calculated_mobile_number: '2079460958' }, 'not a possible US number: its digits, leading zero dropped; an international one: its national number')
  t.match(await read('1006'), { hs_searchable_calculated_phone_number: null }, 'no phone: no calculated number')
  t.equal(searchableNumber('020 7946 0958', 'GB'), '2079460958', 'the account default country decides how a national number is read')

  const ids = (a: Answer) => a.body.results.map((r: any) => r.id)
  t.same(ids(await call('POST', '/crm/v3/objects/contacts/search', oneFilter('hs_searchable_calculated_phone_number', 'EQ', '4155550142'))), ['1001', '1002', '1003', '1004'], 'EQ on the digits finds every spelling')
  t.same(ids(await call('POST', '/crm/v3/objects/contacts/search', searchBody({ filterGroups: [{ filters: [{ propertyName: 'hs_searchable_calculated_mobile_number', operator: 'IN', values: ['2079460958'] }] }] }))), ['1005'], 'IN')
  t.same(ids(await call('POST', '/crm/v3/objects/contacts/search', oneFilter('hs_searchable_calculated_mobile_number', 'CONTAINS_TOKEN', '415*'))), ['1001', '1002', '1003', '1004'], 'CONTAINS_TOKEN')
  const found = await call('POST', '/crm/v3/objects/contacts/search', searchBody({ ...oneFilter('hs_searchable_calculated_phone_number', 'EQ', '2079460958'), properties: ['hs_searchable_calculated_phone_number'] }))
  t.same(found.body.results[0].properties.hs_searchable_calculated_phone_number, '2079460958', 'returned when asked for in properties')

  const written = await call('PATCH', '/crm/v3/objects/contacts/1001', { properties: { hs_searchable_calculated_phone_number: '1' } })
  isHubSpotError(t, written, 400, 'VALIDATION_ERROR')
  t.match(written.body.errors, [{ code: 'READ_ONLY_VALUE', context: { propertyName: ['hs_searchable_calculated_phone_number'] } }], 'writing one: READ_ONLY_VALUE')
  await call('PATCH', '/crm/v3/objects/contacts/1001', { properties: { phone: '+1 212 555 0100' } })
  t.equal((await read('1001')).hs_searchable_calculated_phone_number, '2125550100', 'follows the phone it is computed from')
})

// ---------------------------------------------------------------------------------------------
// idProperty and unique values

t.test('[contacts] idProperty: read and update by e-mail or a unique property; 404; 400 when not unique', async (t) => {
  const double = await start(t)
  const call = client(double.url)
  await call('POST', '/crm/v3/objects/contacts', createBody({ email: 'amelia@example.com', firstname: 'Amelia', clienteling_create_request_id: 'marker-1' }))
  await call('POST', '/crm/v3/objects/contacts', createBody({ email: 'amos@example.com', firstname: 'Amos' }))

  const byEmail = await call('GET', '/crm/v3/objects/contacts/AMELIA%40example.com?idProperty=email&properties=firstname')
  t.same([byEmail.status, byEmail.body.id, byEmail.body.properties.firstname], [200, '1001', 'Amelia'], 'by e-mail, any case')
  const byMarker = await call('GET', '/crm/v3/objects/contacts/marker-1?idProperty=clienteling_create_request_id')
  t.same([byMarker.status, byMarker.body.id], [200, '1001'], 'by a property with unique values')
  t.equal((await call('GET', '/crm/v3/objects/contacts/1002?idProperty=hs_object_id')).body.id, '1002', 'by hs_object_id: the record id')
  isHubSpotError(t, await call('GET', '/crm/v3/objects/contacts/nobody%40example.com?idProperty=email'), 404, 'OBJECT_NOT_FOUND')
  isHubSpotError(t, await call('GET', '/crm/v3/objects/contacts/marker-2?idProperty=clienteling_create_request_id'), 404, 'OBJECT_NOT_FOUND')
  const notUnique = await call('GET', '/crm/v3/objects/contacts/Amelia?idProperty=firstname')
  isHubSpotError(t, notUnique, 400, 'VALIDATION_ERROR')
  t.match(notUnique.body.message, /firstname/, 'a property without unique values cannot identify a contact')
  isHubSpotError(t, await call('GET', '/crm/v3/objects/contacts/x?idProperty=nope'), 400, 'VALIDATION_ERROR')

  const patched = await call('PATCH', '/crm/v3/objects/contacts/amos%40example.com?idProperty=email', { properties: { city: 'Oakland' } })
  t.same([patched.status, patched.body.id], [200, '1002'], 'PATCH by e-mail')
  t.equal(double.contacts.get('1002')?.properties.get('city'), 'Oakland')
  t.equal((await call('PATCH', '/crm/v3/objects/contacts/marker-1?idProperty=clienteling_create_request_id', { properties: { city: 'Berkeley' } })).body.id, '1001', 'PATCH by a unique property')
  isHubSpotError(t, await call('PATCH', '/crm/v3/objects/contacts/Amos?idProperty=firstname', { properties: { city: 'x' } }), 400, 'VALIDATION_ERROR')
  t.same(double.violations, [])
})

t.test('[properties] hasUniqueValue: a value another contact holds is refused (400, propertyName)', async (t) => {
  const double = await start(t)
  const call = client(double.url)
  t.equal((await call('POST', '/crm/v3/objects/contacts', createBody({ email: 'a@example.com', clienteling_create_request_id: 'm-1' }))).status, 201)
  const second = await call('POST', '/crm/v3/objects/contacts', createBody({ email: 'b@example.com', clienteling_create_request_id: 'm-1' }))
  isHubSpotError(t, second, 400, 'VALIDATION_ERROR')
  t.match(second.body.errors, [{ code: 'CONFLICTING_UNIQUE_VALUE', context: { propertyName: ['clienteling_create_request_id'] } }], 'the property named')
  t.equal(double.contacts.size, 1, 'nothing stored')
  t.equal((await call('POST', '/crm/v3/objects/contacts', createBody({ email: 'b@example.com', clienteling_create_request_id: 'm-2' }))).status, 201, 'another value: fine')
  isHubSpotError(t, await call('PATCH', '/crm/v3/objects/contacts/1002', { properties: { clienteling_create_request_id: 'm-1' } }), 400, 'VALIDATION_ERROR')
  t.equal((await call('PATCH', '/crm/v3/objects/contacts/1001', { properties: { clienteling_create_request_id: 'm-1' } })).status, 200, 'a contact rewriting its own value: fine')
  t.equal((await call('PATCH', '/crm/v3/objects/contacts/1001', { properties: { clienteling_create_request_id: '' } })).status, 200, 'clearing: fine')
  t.equal((await call('PATCH', '/crm/v3/objects/contacts/1002', { properties: { clienteling_create_request_id: 'm-1' } })).status, 200, 'a freed value can be taken')
  t.equal((await call('POST', '/crm/v3/objects/contacts', createBody({ email: 'c@example.com', home_store: 'SF-1' }))).status, 201)
  t.equal((await call('POST', '/crm/v3/objects/contacts', createBody({ email: 'd@example.com', home_store: 'SF-1' }))).status, 201, 'properties without unique values may repeat')
})

// ---------------------------------------------------------------------------------------------
// Properties API

t.test('[properties] GET /crm/v3/properties/contacts: every definition, as a Property', async (t) => {
  const double = await start(t)
  const call = client(double.url)
  const listed = await call('GET', '/crm/v3/properties/contacts?archived=false')
  t.equal(listed.status, 200)
  const byName = new Map<string, any>(listed.body.results.map((p: any) => [p.name, p]))
  t.same([...byName.keys()].sort(), [...STANDARD_CONTACT_PROPERTIES, ...CUSTOM].map((p) => p.name).sort(), "HubSpot's and the merchant's, nothing else")
  for (const p of listed.body.results) {
    t.match(p, {
      name: String, label: String, type: String, fieldType: String, groupName: String, description: String, options: Array,
      hasUniqueValue: Boolean, hubspotDefined: Boolean, calculated: Boolean, formField: Boolean, displayOrder: Number,
      modificationMetadata: { archivable: Boolean, readOnlyDefinition: Boolean, readOnlyValue: Boolean }, createdAt: String, updatedAt: String
    }, `${p.name}: the description's Property members`)
  }
  t.match(byName.get('email'), { type: 'string', fieldType: 'text', groupName: 'contactinformation', hubspotDefined: true, options: [], modificationMetadata: { readOnlyDefinition: true, readOnlyValue: false } })
  t.match(byName.get('hs_language'), { type: 'enumeration', label: 'Preferred language', options: [{ value: 'en', label: String, hidden: false }] })
  t.ok(byName.get('hs_language').options.some((o: any) => o.value === 'en-us'), 'hs_language: lowercase tags')
  t.match(byName.get('hs_searchable_calculated_phone_number'), { calculated: true, modificationMetadata: { readOnlyValue: true } })
  t.match(byName.get('hs_object_id'), { calculated: false, modificationMetadata: { readOnlyValue: true } })
  t.match(byName.get('consent_terms'), { type: 'bool', fieldType: 'booleancheckbox', hubspotDefined: false, options: [{ value: 'true' }, { value: 'false' }], modificationMetadata: { archivable: true, readOnlyDefinition: false } })
  t.match(byName.get('clienteling_create_request_id'), { hasUniqueValue: true, groupName: 'clienteling' })
  t.same((await call('GET', '/crm/v3/properties/contacts?archived=true')).body.results, [], 'archived ones: none')
  t.match((await call('GET', '/crm/v3/properties/contacts/email')).body, { name: 'email', type: 'string' }, 'one by name')
  isHubSpotError(t, await call('GET', '/crm/v3/properties/contacts/nope'), 404, 'OBJECT_NOT_FOUND')
  await refusedShape(t, double, () => call('GET', '/crm/v3/properties/contacts?archived=yes'), /archived must be one of true, false/, 'archived=yes')
  await refusedShape(t, double, () => call('GET', '/crm/v3/properties/contacts?dataSensitivity=secret'), /dataSensitivity must be one of/, 'an unknown dataSensitivity')
})

t.test('[properties] POST PropertyCreate: 201, usable at once; 409 when it exists; group, bool and enumeration rules', async (t) => {
  const double = await start(t, { ...UNTHROTTLED, customProperties: [] })
  const call = client(double.url)
  const property = { name: 'loyalty_tier', label: 'Loyalty tier', type: 'enumeration', fieldType: 'select', groupName: 'contactinformation', options: [{ label: 'Gold', value: 'gold', hidden: false }, { label: 'Silver', value: 'silver', hidden: false, displayOrder: 5, description: 'second' }], formField: false, displayOrder: 3, description: 'tier' }
  const made = await call('POST', '/crm/v3/properties/contacts', property)
  t.equal(made.status, 201)
  t.match(made.body, { name: 'loyalty_tier', label: 'Loyalty tier', type: 'enumeration', fieldType: 'select', groupName: 'contactinformation', description: 'tier', hasUniqueValue: false, hubspotDefined: false, calculated: false, formField: false, displayOrder: 3, options: [{ value: 'gold', hidden: false }, { value: 'silver', displayOrder: 5, description: 'second' }] }, 'a Property')
  t.equal(double.definitions.get('loyalty_tier')?.type, 'enumeration')

  const dup = await call('POST', '/crm/v3/properties/contacts', property)
  isHubSpotError(t, dup, 409, 'OBJECT_ALREADY_EXISTS')
  t.equal(dup.body.message, "Property named 'loyalty_tier' already exists.")
  isHubSpotError(t, await call('POST', '/crm/v3/properties/contacts', { ...property, name: 'email' }), 409, 'OBJECT_ALREADY_EXISTS')

  const c = await call('POST', '/crm/v3/objects/contacts', createBody({ email: 'a@example.com', loyalty_tier: 'gold' }))
  t.equal(c.status, 201, 'written at once')
  isHubSpotError(t, await call('POST', '/crm/v3/objects/contacts', createBody({ email: 'b@example.com', loyalty_tier: 'bronze' })), 400, 'VALIDATION_ERROR')
  t.equal((await call('GET', `/crm/v3/objects/contacts/${c.body.id}?properties=loyalty_tier`)).body.properties.loyalty_tier, 'gold', 'read at once')
  t.equal((await call('POST', '/crm/v3/objects/contacts/search', oneFilter('loyalty_tier', 'EQ', 'gold'))).body.total, 1, 'searched at once')
  t.equal((await call('POST', '/crm/v3/objects/contacts/search', searchBody({ sorts: ['loyalty_tier'] }))).status, 200, 'sorted at once')

  const refused = async (body: Record<string, unknown>, what: string) => {
    const answer = await call('POST', '/crm/v3/properties/contacts', { name: 'x_prop', label: 'X', groupName: 'contactinformation', ...body })
    isHubSpotError(t, answer, 400, 'VALIDATION_ERROR')
    t.pass(what)
  }
  const yesNo = [{ label: 'Yes', value: 'true', hidden: false }, { label: 'No', value: 'false', hidden: false }]
  await refused({ type: 'string', fieldType: 'text', groupName: 'nowhere' }, 'a group that does not exist')
  await refused({ type: 'bool', fieldType: 'checkbox', options: yesNo }, 'a bool that is not a booleancheckbox')
  await refused({ type: 'bool', fieldType: 'booleancheckbox' }, 'a bool without options')
  await refused({ type: 'bool', fieldType: 'booleancheckbox', options: [{ label: 'Y', value: 'yes', hidden: false }, { label: 'N', value: 'no', hidden: false }] }, 'a bool whose options are not true/false')
  await refused({ type: 'enumeration', fieldType: 'select' }, 'an enumeration without options')
  await refused({ type: 'enumeration', fieldType: 'text', options: yesNo }, 'an enumeration shown as a text field')
  await refused({ type: 'date', fieldType: 'text' }, 'a date that is not a date picker')
  t.equal((await call('POST', '/crm/v3/properties/contacts', { name: 'x_flag', label: 'X', groupName: 'contactinformation', type: 'bool', fieldType: 'booleancheckbox', options: yesNo })).status, 201, 'a well-formed bool')
  t.equal((await call('POST', '/crm/v3/properties/contacts', { name: 'x_phone', label: 'X', groupName: 'contactinformation', type: 'string', fieldType: 'phonenumber', hasUniqueValue: true })).status, 201, 'a text phone number with unique values')
  t.same(double.violations, [], 'none of those broke the description')

  const create = (body: unknown) => () => call('POST', '/crm/v3/properties/contacts', body)
  const base = { name: 'y_prop', label: 'Y', groupName: 'contactinformation', type: 'string', fieldType: 'text' }
  for (const member of ['name', 'label', 'groupName', 'type', 'fieldType']) {
    await refusedShape(t, double, create(Object.fromEntries(Object.entries(base).filter(([k]) => k !== member))), new RegExp(`(^|: )${member} is required`), `no ${member}`)
  }
  await refusedShape(t, double, create({ ...base, type: 'text' }), /type must be one of bool, date, datetime, enumeration, number, phone_number, string/, 'a type outside the enumeration')
  await refusedShape(t, double, create({ ...base, fieldType: 'dropdown' }), /fieldType must be one of booleancheckbox/, 'a fieldType outside the enumeration')
  await refusedShape(t, double, create({ ...base, hasUniqueValue: 'yes' }), /hasUniqueValue must be of JSON type boolean/, 'a textual hasUniqueValue')
  await refusedShape(t, double, create({ ...base, displayOrder: 1.5 }), /displayOrder must be an integer/, 'a fractional displayOrder')
  await refusedShape(t, double, create({ ...base, formField: 'false' }), /formField must be of JSON type boolean/, 'a textual formField')
  await refusedShape(t, double, create({ ...base, type: 'enumeration', fieldType: 'select', options: [{ label: 'A', value: 'a' }] }), /options\[0\]\.hidden is required/, 'an option without hidden')
  t.notOk(double.definitions.has('y_prop'), 'none created')
})

t.test('[properties] groups: contactinformation from the start; create 201 / 409; read one 200 / 404', async (t) => {
  const double = await start(t, { customProperties: [] })
  const call = client(double.url)
  const list = await call('GET', '/crm/v3/properties/contacts/groups')
  t.match(list.body.results, [{ name: 'contactinformation', label: String, displayOrder: Number, archived: false }], "HubSpot's own group")
  const made = await call('POST', '/crm/v3/properties/contacts/groups', { name: 'clienteling', label: 'Clienteling', displayOrder: -1 })
  t.same([made.status, made.body], [201, { name: 'clienteling', label: 'Clienteling', displayOrder: -1, archived: false }])
  const dup = await call('POST', '/crm/v3/properties/contacts/groups', { name: 'clienteling', label: 'Again' })
  isHubSpotError(t, dup, 409, 'OBJECT_ALREADY_EXISTS')
  t.same((await call('GET', '/crm/v3/properties/contacts/groups/clienteling')).body, made.body, 'read one')
  isHubSpotError(t, await call('GET', '/crm/v3/properties/contacts/groups/nowhere'), 404, 'OBJECT_NOT_FOUND')
  t.same((await call('GET', '/crm/v3/properties/contacts/groups')).body.results.map((g: any) => g.name), ['contactinformation', 'clienteling'])
  t.equal((await call('POST', '/crm/v3/properties/contacts', { name: 'home_store', label: 'Home store', type: 'string', fieldType: 'text', groupName: 'clienteling' })).status, 201, 'a property in the new group')
  t.same(double.violations, [])
  await refusedShape(t, double, () => call('POST', '/crm/v3/properties/contacts/groups', { name: 'x' }), /label is required/, 'a group without label')
  await refusedShape(t, double, () => call('POST', '/crm/v3/properties/contacts/groups', { name: 'x', label: 'X', displayOrder: '1' }), /displayOrder must be an integer/, 'a textual displayOrder')
})

// ---------------------------------------------------------------------------------------------
// Usage limits

t.test('[usage] the daily limit: 429 policyName DAILY on every call until it renews (shape violations still recorded)', async (t) => {
  const double = await start(t)
  const call = client(double.url)
  double.setDailyLimitReached(true)
  for (const [method, path, body] of [
    ['GET', '/crm/v3/objects/contacts/1001', undefined],
    ['POST', '/crm/v3/objects/contacts', createBody({ email: 'late@example.com' })],
    ['POST', '/crm/v3/objects/contacts/search', searchBody()],
    ['GET', '/crm/v3/properties/contacts', undefined]
  ] as const) {
    const answer = await call(method, path, body)
    isHubSpotError(t, answer, 429, 'RATE_LIMITS')
    t.match(answer.body, { message: 'You have reached your daily limit.', errorType: 'RATE_LIMIT', policyName: 'DAILY', requestId: String }, `${method} ${path}: the guide's daily-limit body`)
    t.equal(answer.headers.get('retry-after'), null, 'no Retry-After (none documented)')
  }
  t.same(double.violations, [])
  t.equal((await call('POST', '/crm/v3/objects/contacts/search', {})).status, 429, 'a malformed search while the allowance is spent: 429')
  t.match(double.violations, [{ method: 'POST', url: '/crm/v3/objects/contacts/search', problems: [/after is required/] }], 'but its shape is recorded')
  t.equal(double.contacts.size, 0, 'nothing stored while the allowance is spent')
  isHubSpotError(t, await client(double.url, 'pat-wrong')('GET', '/crm/v3/objects/contacts/1001'), 401, 'INVALID_AUTHENTICATION')
  double.setDailyLimitReached(false)
  t.equal((await call('GET', '/crm/v3/objects/contacts/1001')).status, 404, 'renewed at midnight: answered again')
})

t.test('[usage] rate-limit headers and the rolling ten-second limit of the other endpoints, properties API included', async (t) => {
  const clock = 5_000_000
  const double = await start(t, { now: () => clock, burstRateLimit: { max: 2, windowMs: 10_000 } })
  const call = client(double.url)
  const ok = await call('GET', '/crm/v3/objects/contacts/1001')
  t.same(
    ['x-hubspot-ratelimit-max', 'x-hubspot-ratelimit-remaining', 'x-hubspot-ratelimit-interval-milliseconds'].map((h) => ok.headers.get(h)),
    ['2', '1', '10000'],
    'X-HubSpot-RateLimit-Max / -Remaining / -Interval-Milliseconds on every answer'
  )
  const properties = await call('GET', '/crm/v3/properties/contacts')
  t.equal(properties.headers.get('x-hubspot-ratelimit-remaining'), '0', 'a properties call spends the same window')
  const over = await call('GET', '/crm/v3/properties/contacts/groups')
  isHubSpotError(t, over, 429, 'RATE_LIMITS')
  t.equal(over.body.policyName, 'TEN_SECONDLY_ROLLING')
  t.equal(over.headers.get('x-hubspot-ratelimit-remaining'), '0', 'the 429 says no request is left in the window')
  double.resetRateWindows()
  t.equal((await call('GET', '/crm/v3/objects/contacts/1001')).status, 404, 'a new window: answered again')
})
