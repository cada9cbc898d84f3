/**
 * The HubSpot test double against HubSpot's published reference, one behaviour per assertion,
 * each test naming the section it comes from:
 *   [contacts] https://developers.hubspot.com/docs/api/crm/contacts
 *   [search]   https://developers.hubspot.com/docs/api/crm/search (+ #limitations)
 *   [errors]   https://developers.hubspot.com/docs/api-reference/error-handling
 *   [usage]    https://developers.hubspot.com/docs/guides/apps/api-usage/usage-details
 *   [private]  https://developers.hubspot.com/docs/api/private-apps
 *   [properties] https://developers.hubspot.com/docs/api/crm/properties
 */
import t from 'tap'
import type { Test } from 'tap'
import { HUBSPOT_TOKEN, MERCHANT_PROPERTIES, startHubSpot } from '../helpers/gateway-over-hubspot.js'
import { loadHubSpotTable } from '../helpers/gateway-over-hubspot.js'
import { CREATE_REQUEST_ID_PROPERTY, STANDARD_CONTACT_PROPERTIES } from './hubspot-double.js'

interface Answer {
  readonly status: number
  readonly headers: Headers
  readonly body: any
}

function client(base: string, token = HUBSPOT_TOKEN) {
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

/** [errors] the error body every failure carries. */
function isHubSpotError(t: Test, answer: Answer, status: number, category: string): void {
  t.equal(answer.status, status, `HTTP ${status}`)
  t.match(answer.body, { status: 'error', message: String, correlationId: String, category }, `[errors] {status, message, correlationId, category: ${category}}`)
  t.match(answer.headers.get('content-type'), /^application\/json/)
}

t.test('the merchant properties of the helper are exactly what mappings/hubspot.yaml uses', async (t) => {
  const mapping = await loadHubSpotTable()
  const standard = new Set([...STANDARD_CONTACT_PROPERTIES.map((p) => p.name), 'hs_object_id'])
  const written = mapping.samples.flatMap((s) => Object.keys(mapping.toCrm(s.spi)))
  // The creation marker's property is in every double account (CREATE_REQUEST_ID_PROPERTY),
  // whether or not the helper lists it, and is written by no sample: left out of both sides.
  const marker = CREATE_REQUEST_ID_PROPERTY.name
  const used = new Set([...mapping.readFields, ...written].filter((p) => !standard.has(p) && p !== marker))
  t.same([...used].sort(), MERCHANT_PROPERTIES.map((p) => p.name).filter((p) => p !== marker).sort())
})

t.test('[properties] the custom text property for the create marker: written, read, found with EQ', async (t) => {
  const double = await startHubSpot(t, { searchRateLimit: { max: 1000, windowMs: 1000 } })
  const call = client(double.url)
  const marker = 'c1b2d3e4-0000-4000-8000-000000000001'
  const created = await call('POST', '/crm/v3/objects/contacts', { properties: { email: 'marked@example.com', [CREATE_REQUEST_ID_PROPERTY.name]: marker } })
  t.equal(created.status, 201, 'a custom property the account has is accepted on create')
  const read = await call('GET', `/crm/v3/objects/contacts/${created.body.id}?properties=${CREATE_REQUEST_ID_PROPERTY.name}`)
  t.equal(read.body.properties[CREATE_REQUEST_ID_PROPERTY.name], marker, 'and read back as written')
  await call('POST', '/crm/v3/objects/contacts', { properties: { email: 'other@example.com' } })
  const found = await call('POST', '/crm/v3/objects/contacts/search', { filterGroups: [{ filters: [{ propertyName: CREATE_REQUEST_ID_PROPERTY.name, operator: 'EQ', value: marker }] }] })
  t.same(found.body.results.map((r: any) => r.id), [created.body.id], '[search] EQ on it finds exactly the marked contact')
})

t.test('[private] bearer access token; [errors] 401 INVALID_AUTHENTICATION', async (t) => {
  const double = await startHubSpot(t)
  isHubSpotError(t, await client(double.url, 'pat-wrong')('GET', '/crm/v3/objects/contacts/1001'), 401, 'INVALID_AUTHENTICATION')
  const none = await fetch(`${double.url}/crm/v3/objects/contacts/1001`)
  t.equal(none.status, 401, 'no Authorization header: 401')
})

t.test('[contacts] create, retrieve with properties=, update with "" clearing; [errors] 404, 409, 400', async (t) => {
  const double = await startHubSpot(t)
  const call = client(double.url)

  const created = await call('POST', '/crm/v3/objects/contacts', { properties: { email: 'amelia@example.com', firstname: 'Amelia', lastname: 'Okafor', consent_terms: 'true' } })
  t.equal(created.status, 201, '"Create contacts": 201')
  t.match(created.body, { id: '1001', properties: { email: 'amelia@example.com', firstname: 'Amelia', hs_object_id: '1001', createdate: String }, createdAt: String, updatedAt: String, archived: false }, 'a SimplePublicObject')

  const some = await call('GET', '/crm/v3/objects/contacts/1001?properties=firstname,city,not_a_property&archived=false')
  t.equal(some.status, 200)
  t.same(Object.keys(some.body.properties).sort(), ['city', 'createdate', 'firstname', 'hs_object_id', 'lastmodifieddate'], '"Retrieve contacts": only the properties asked for (plus defaults); unknown names skipped')
  t.equal(some.body.properties.city, null, 'a requested property without a value is null')
  const defaults = await call('GET', '/crm/v3/objects/contacts/1001')
  t.same(Object.keys(defaults.body.properties).sort(), ['createdate', 'email', 'firstname', 'hs_object_id', 'lastmodifieddate', 'lastname'], 'without properties=: the defaults only')

  const patched = await call('PATCH', '/crm/v3/objects/contacts/1001', { properties: { firstname: '', city: 'San Francisco' } })
  t.equal(patched.status, 200, '"Update contacts": 200')
  const after = await call('GET', '/crm/v3/objects/contacts/1001?properties=firstname,lastname,city')
  t.same([after.body.properties.firstname, after.body.properties.lastname, after.body.properties.city], [null, 'Okafor', 'San Francisco'], '"" cleared firstname; lastname untouched')

  isHubSpotError(t, await call('GET', '/crm/v3/objects/contacts/424242?properties=email'), 404, 'OBJECT_NOT_FOUND')
  isHubSpotError(t, await call('PATCH', '/crm/v3/objects/contacts/424242', { properties: { city: 'x' } }), 404, 'OBJECT_NOT_FOUND')

  const dup = await call('POST', '/crm/v3/objects/contacts', { properties: { email: 'AMELIA@example.com' } })
  isHubSpotError(t, dup, 409, 'CONFLICT')
  t.equal(dup.body.message, 'Contact already exists. Existing ID: 1001', 'the e-mail is unique; the message names the existing id')
  await call('POST', '/crm/v3/objects/contacts', { properties: { email: 'amos@example.com' } })
  isHubSpotError(t, await call('PATCH', '/crm/v3/objects/contacts/1002', { properties: { email: 'amelia@example.com' } }), 409, 'CONFLICT')

  const bad = await call('POST', '/crm/v3/objects/contacts', { properties: { email: 'not-an-email', nope: 'x', hs_object_id: '5', loyalty_points: 'many', consent_sms: 'yes' } })
  isHubSpotError(t, bad, 400, 'VALIDATION_ERROR')
  t.same(
    bad.body.errors.map((e: any) => [e.code, e.context.propertyName[0]]),
    [['INVALID_EMAIL', 'email'], ['PROPERTY_DOESNT_EXIST', 'nope'], ['READ_ONLY_VALUE', 'hs_object_id'], ['INVALID_INTEGER', 'loyalty_points'], ['INVALID_OPTION', 'consent_sms']],
    'every refused property, with code and context.propertyName'
  )
  t.match(bad.body.message, /^Property values were not valid/)
  isHubSpotError(t, await call('POST', '/crm/v3/objects/contacts', '{"properties": {'), 400, 'VALIDATION_ERROR')
  t.equal(double.contacts.size, 2, 'nothing stored by the refused requests')
})

/** Search semantics are checked at a raised rate: the 5-per-second limit has its own test. */
const UNTHROTTLED = { searchRateLimit: { max: 1000, windowMs: 1000 } }

t.test('[search] filterGroups (AND in a group, OR across), operators, properties, paging with after', async (t) => {
  const double = await startHubSpot(t, UNTHROTTLED)
  const call = client(double.url)
  const people = [
    { firstname: 'Amelia', lastname: 'Okafor', email: 'amelia@example.com', mobilephone: '+14155550142' },
    { firstname: 'Amos', lastname: 'Okoye', email: 'amos@hubspot.com', phone: '+14155550199' },
    { firstname: 'Mary Ann', lastname: 'Smith', email: 'mary@hubspot.com' }
  ]
  for (const properties of people) await call('POST', '/crm/v3/objects/contacts', { properties })
  const search = async (body: unknown) => call('POST', '/crm/v3/objects/contacts/search', body)
  const names = (a: Answer): string[] => a.body.results.map((r: any) => r.properties.firstname)
  const one = (propertyName: string, operator: string, value?: string) => ({ filterGroups: [{ filters: [{ propertyName, operator, ...(value === undefined ? {} : { value }) }] }] })

  t.same(names(await search(one('email', 'CONTAINS_TOKEN', '*@hubspot.com'))), ['Amos', 'Mary Ann'], 'CONTAINS_TOKEN with a leading wildcard (the guide\'s own example)')
  t.same(names(await search(one('firstname', 'CONTAINS_TOKEN', 'am*'))), ['Amelia', 'Amos'], 'a trailing wildcard completes a word, any case')
  t.same(names(await search(one('firstname', 'CONTAINS_TOKEN', 'ann'))), ['Mary Ann'], 'a token is a word of the value')
  t.same(names(await search(one('email', 'EQ', 'AMELIA@example.com'))), ['Amelia'], 'EQ')
  t.same(names(await search(one('phone', 'HAS_PROPERTY'))), ['Amos'], 'HAS_PROPERTY')
  t.same(names(await search(one('lastname', 'NEQ', 'okafor'))), ['Amos', 'Mary Ann'], 'NEQ')
  t.same(names(await search({ filterGroups: [{ filters: [{ propertyName: 'lastname', operator: 'IN', values: ['smith', 'okoye'] }] }] })), ['Amos', 'Mary Ann'], 'IN')
  t.same(
    names(await search({ filterGroups: [{ filters: [{ propertyName: 'lastname', operator: 'CONTAINS_TOKEN', value: 'ok*' }, { propertyName: 'firstname', operator: 'EQ', value: 'amos' }] }] })),
    ['Amos'],
    'filters of one group are ANDed'
  )
  t.same(
    names(await search({ filterGroups: [{ filters: [{ propertyName: 'mobilephone', operator: 'EQ', value: '+14155550142' }] }, { filters: [{ propertyName: 'phone', operator: 'EQ', value: '+14155550142' }] }] })),
    ['Amelia'],
    'groups are ORed'
  )

  const all = await search({ limit: 2, properties: ['email'] })
  t.equal(all.body.total, 3, 'total counts every match')
  t.same(Object.keys(all.body.results[0].properties).sort(), ['createdate', 'email', 'hs_object_id', 'lastmodifieddate'], 'a properties array overrides the default properties')
  t.match(all.body.paging, { next: { after: String } }, 'paging.next.after when more results exist')
  const rest = await search({ limit: 2, after: all.body.paging.next.after })
  t.same(names(rest), ['Mary Ann'], 'after continues where the page ended')
  t.notOk('paging' in rest.body, 'no paging on the last page')
  t.same(Object.keys(rest.body.results[0].properties).sort(), ['createdate', 'email', 'firstname', 'hs_object_id', 'lastmodifieddate', 'lastname'], 'default properties of a contacts search')
  t.same(names(await search({ sorts: [{ propertyName: 'firstname', direction: 'DESCENDING' }] })), ['Mary Ann', 'Amos', 'Amelia'], 'one sorting rule')
})

t.test('[search] limitations: filter groups, filters, page size, 10,000 results → 400 VALIDATION_ERROR', async (t) => {
  const double = await startHubSpot(t, UNTHROTTLED)
  const search = (body: unknown) => client(double.url)('POST', '/crm/v3/objects/contacts/search', body)
  const filter = { propertyName: 'email', operator: 'EQ', value: 'x@example.com' }
  const groups = (n: number, per: number) => ({ filterGroups: Array.from({ length: n }, () => ({ filters: Array.from({ length: per }, () => filter) })) })
  t.equal((await search(groups(5, 3))).status, 200, '5 groups, 15 filters: accepted')
  isHubSpotError(t, await search(groups(6, 1)), 400, 'VALIDATION_ERROR')
  isHubSpotError(t, await search(groups(1, 7)), 400, 'VALIDATION_ERROR')
  isHubSpotError(t, await search(groups(4, 5)), 400, 'VALIDATION_ERROR') // 20 filters > 18
  t.equal((await search({ limit: 200 })).status, 200, 'limit 200: accepted')
  isHubSpotError(t, await search({ limit: 201 }), 400, 'VALIDATION_ERROR')
  isHubSpotError(t, await search({ limit: 100, after: '9950' }), 400, 'VALIDATION_ERROR')
  isHubSpotError(t, await search({ filterGroups: [{ filters: [{ propertyName: 'nope', operator: 'EQ', value: 'x' }] }] }), 400, 'VALIDATION_ERROR')
  isHubSpotError(t, await search({ filterGroups: [{ filters: [{ propertyName: 'email', operator: 'LIKE', value: 'x' }] }] }), 400, 'VALIDATION_ERROR')
})

t.test('[search] rate limited per second: 429 RATE_LIMITS; [search] indexing lag', async (t) => {
  let clock = 1_000_000
  const double = await startHubSpot(t, { now: () => clock, searchRateLimit: { max: 2, windowMs: 1000 }, indexLagMs: 500 })
  const call = client(double.url)
  await call('POST', '/crm/v3/objects/contacts', { properties: { email: 'fresh@example.com' } })
  const first = await call('POST', '/crm/v3/objects/contacts/search', {})
  t.equal(first.body.total, 0, '"It may take a few moments for newly created … objects to appear in search results"')
  t.equal((await call('POST', '/crm/v3/objects/contacts/search', {})).status, 200, 'second search in the second: fine')
  const third = await call('POST', '/crm/v3/objects/contacts/search', {})
  isHubSpotError(t, third, 429, 'RATE_LIMITS')
  t.match(third.body, { errorType: 'RATE_LIMIT', policyName: 'SECONDLY' }, '[usage] error responses: errorType and policyName')
  t.equal(third.headers.get('retry-after'), null, 'search answers carry no Retry-After (none documented)')
  t.equal(third.headers.get('x-hubspot-ratelimit-remaining'), null, 'nor the rolling-window headers')
  t.equal((await call('GET', '/crm/v3/objects/contacts/1001')).status, 200, 'other endpoints are not held by the search limit')
  clock += 1000
  const later = await call('POST', '/crm/v3/objects/contacts/search', {})
  t.equal(later.status, 200, 'a second later the window has moved on')
  t.equal(later.body.total, 1, 'and the contact is indexed')
})

t.test('[usage] the daily limit: 429 policyName DAILY on every call until it renews', async (t) => {
  const double = await startHubSpot(t)
  const call = client(double.url)
  double.setDailyLimitReached(true)
  for (const [method, path, body] of [
    ['GET', '/crm/v3/objects/contacts/1001', undefined],
    ['POST', '/crm/v3/objects/contacts', { properties: { email: 'late@example.com' } }],
    ['POST', '/crm/v3/objects/contacts/search', {}]
  ] as const) {
    const answer = await call(method, path, body)
    isHubSpotError(t, answer, 429, 'RATE_LIMITS')
    t.match(answer.body, { message: 'You have reached your daily limit.', errorType: 'RATE_LIMIT', policyName: 'DAILY', requestId: String }, `${method} ${path}: the guide's daily-limit body`)
    t.equal(answer.headers.get('retry-after'), null, 'no Retry-After (none documented)')
  }
  t.equal(double.contacts.size, 0, 'nothing stored while the allowance is spent')
  isHubSpotError(t, await client(double.url, 'pat-wrong')('GET', '/crm/v3/objects/contacts/1001'), 401, 'INVALID_AUTHENTICATION')
  double.setDailyLimitReached(false)
  t.equal((await call('GET', '/crm/v3/objects/contacts/1001')).status, 404, 'renewed at midnight: answered again')
})

t.test('[usage] rate-limit headers and the rolling ten-second limit of the other endpoints', async (t) => {
  const clock = 5_000_000
  const double = await startHubSpot(t, { now: () => clock, burstRateLimit: { max: 2, windowMs: 10_000 } })
  const call = client(double.url)
  const ok = await call('GET', '/crm/v3/objects/contacts/1001')
  t.same(
    ['x-hubspot-ratelimit-max', 'x-hubspot-ratelimit-remaining', 'x-hubspot-ratelimit-interval-milliseconds'].map((h) => ok.headers.get(h)),
    ['2', '1', '10000'],
    'X-HubSpot-RateLimit-Max / -Remaining / -Interval-Milliseconds on every answer'
  )
  await call('GET', '/crm/v3/objects/contacts/1001')
  const over = await call('GET', '/crm/v3/objects/contacts/1001')
  isHubSpotError(t, over, 429, 'RATE_LIMITS')
  t.equal(over.body.policyName, 'TEN_SECONDLY_ROLLING')
  t.equal(over.headers.get('x-hubspot-ratelimit-remaining'), '0', 'the 429 says no request is left in the window')
  double.resetRateWindows()
  t.equal((await call('GET', '/crm/v3/objects/contacts/1001')).status, 404, 'a new window: answered again')
})
