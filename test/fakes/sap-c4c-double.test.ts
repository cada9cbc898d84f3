/**
 * The C4C double (./sap-c4c-double.ts) against the documentation it is written from: each test
 * names the source of the rule it checks ([guide], [odata2], [gateway], [ref]: see the double's
 * header). Raw HTTP, no adapter: what the double takes and answers is checked as such.
 */
import t from 'tap'
import type { Test } from 'tap'
import { SERVICE, startSapC4cDouble } from './sap-c4c-double.js'
import type { SapC4cDouble, SapC4cDoubleOptions } from './sap-c4c-double.js'

const USER = { username: 'TECH_USER', password: 'secret-for-tests' }
const BASIC = `Basic ${Buffer.from(`${USER.username}:${USER.password}`).toString('base64')}`

interface Call {
  status: number
  headers: Headers
  text: string
  json: any
}

async function start(t: Test, options: Partial<SapC4cDoubleOptions> = {}): Promise<SapC4cDouble> {
  const double = await startSapC4cDouble({ ...USER, ...options })
  t.teardown(() => double.close())
  return double
}

async function call(double: SapC4cDouble, method: string, path: string, init: { headers?: Record<string, string>; body?: unknown } = {}): Promise<Call> {
  const res = await fetch(`${double.url}${SERVICE}${path}`, {
    method,
    headers: { authorization: BASIC, accept: 'application/json', ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
    ...(init.body === undefined ? {} : { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) })
  })
  const text = await res.text()
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: res.status, headers: res.headers, text, json }
}

/** [guide "CSRF Token"] a token and the session cookies it belongs to. */
async function session(double: SapC4cDouble): Promise<Record<string, string>> {
  const res = await call(double, 'GET', '/', { headers: { 'x-csrf-token': 'fetch' } })
  const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ')
  return { 'x-csrf-token': res.headers.get('x-csrf-token') ?? '', cookie }
}

const q = (filter: string): string => `/IndividualCustomerCollection?$filter=${encodeURIComponent(filter)}&$format=json`

async function create(double: SapC4cDouble, body: Record<string, unknown>, headers?: Record<string, string>): Promise<Call> {
  return call(double, 'POST', '/IndividualCustomerCollection', { headers: headers ?? (await session(double)), body })
}

t.test('[guide "Authentication"] Basic credentials, or a Bearer token when configured', async (t) => {
  const double = await start(t, { accessToken: 'oauth-token' })
  t.equal((await call(double, 'GET', '/', { headers: { authorization: 'Basic d3Jvbmc6d3Jvbmc=' } })).status, 401)
  const refused = await call(double, 'GET', '/', { headers: { authorization: '' } })
  t.match(refused.headers.get('www-authenticate'), /^Basic /)
  t.equal((await call(double, 'GET', '/', { headers: { authorization: 'Bearer oauth-token' } })).status, 200)
  t.equal((await call(double, 'GET', '/')).status, 200)
})

t.test('[guide "CSRF Token", gateway] writes need the fetched token with its session cookies; anything else is 403 Required', async (t) => {
  let clock = Date.parse('2024-03-05T12:00:00Z')
  const double = await start(t, { now: () => clock, csrfTtlMs: 60_000 })
  const fetched = await call(double, 'GET', '/', { headers: { 'x-csrf-token': 'fetch' } })
  t.same(fetched.json, { d: { EntitySets: ['IndividualCustomerCollection', 'IndividualCustomerAddressCollection'] } }, 'the service document')
  t.ok((fetched.headers.get('x-csrf-token') ?? '').length > 8, 'a token in the x-csrf-token header')
  t.match(fetched.headers.getSetCookie().join('\n'), /SAP_SESSIONID_C4C_100=/, 'and a session cookie')
  const headers = await session(double)
  const body = { FirstName: 'Ada', LastName: 'Lovelace' }
  const noToken = await create(double, body, {})
  t.same([noToken.status, noToken.headers.get('x-csrf-token'), noToken.text], [403, 'Required', 'CSRF token validation failed'])
  t.equal((await create(double, body, { 'x-csrf-token': headers['x-csrf-token'] ?? '' })).status, 403, 'the token without its session cookie')
  t.equal((await create(double, body, { ...headers, 'x-csrf-token': 'forged' })).status, 403, 'a token of no session')
  t.equal((await create(double, body, headers)).status, 201, 'the token with its cookies')
  clock += 61_000
  t.equal((await create(double, body, headers)).status, 403, 'the session timed out (the double\'s clock)')
  const fresh = await session(double)
  t.equal((await create(double, body, fresh)).status, 201)
  double.expireCsrfTokens()
  t.equal((await create(double, body, fresh)).status, 403, 'expireCsrfTokens ends every session')
  t.equal(double.csrfFetches, 3)
})

t.test('[guide "Deep Insert", "ETag Support", odata2 JSON] create answers 201, the entry with its ETag, /Date() values and inline addresses', async (t) => {
  const double = await start(t, { now: () => Date.parse('2024-03-05T12:00:00Z') })
  const res = await create(double, {
    FirstName: 'Amelia', LastName: 'Okafor', BirthDate: '/Date(640310400000)/', Mobile: '+1 415 555 0142', ConsentTerms_KUT: true,
    IndividualCustomerAddress: [{ Street: '1 Ferry Building', City: 'San Francisco', CountryCode: 'US' }]
  })
  t.equal(res.status, 201)
  const d = res.json.d
  t.match(d.ObjectID, /^[0-9A-F]{32}$/)
  t.equal(d.CustomerID, '1000100', 'CustomerID assigned in sequence')
  t.equal(d.RoleCode, 'CRM000', 'a customer unless said otherwise')
  t.equal(d.BirthDate, '/Date(640310400000)/')
  t.equal(d.NormalisedMobile, '+14155550142', 'the normalised number: + and the digits')
  t.equal(d.ConsentTerms_KUT, true)
  t.equal(d.ConsentSMS_KUT, false, 'an unticked checkbox reads false')
  t.match(d.__metadata.etag, /^W\/"datetimeoffset'2024-03-05T12%3A00%3A00\.\d{7}Z'"$/, 'a weak datetimeoffset ETag')
  t.equal(res.headers.get('etag'), d.__metadata.etag)
  t.match(res.headers.get('location'), /IndividualCustomerCollection\('[0-9A-F]{32}'\)$/)
  t.same(d.IndividualCustomerAddress.results.map((a: { Street: string; ParentObjectID: string }) => [a.Street, a.ParentObjectID]), [['1 Ferry Building', d.ObjectID]])
})

t.test('[ref, gateway] refused values: an OData error naming the property', async (t) => {
  const double = await start(t)
  const headers = await session(double)
  const cases: Array<[Record<string, unknown>, string, boolean]> = [
    [{ Email: 'not-an-email' }, 'Email', false],
    [{ GenderCode: '7' }, 'GenderCode', false],
    [{ FirstName: 'x'.repeat(41) }, 'FirstName', false],
    [{ Unknown_KUT: 'x' }, 'Unknown_KUT', true],
    [{ ObjectID: 'mine' }, 'ObjectID', true],
    [{ BirthDate: '1990-04-17' }, 'BirthDate', true],
    [{ ConsentTerms_KUT: 'true' }, 'ConsentTerms_KUT', true]
  ]
  for (const [body, property, malformed] of cases) {
    const before = double.violations.length
    const res = await create(double, body, headers)
    t.equal(res.status, 400, property)
    t.match(res.json, { error: { code: String, message: { lang: 'en', value: String }, innererror: { errordetails: [{ propertyref: property }] } } })
    t.equal(double.violations.length - before, malformed ? 1 : 0, malformed ? 'a malformed request is a violation' : 'a refused value is not')
  }
  t.equal(double.customers.size, 0, 'nothing stored')
})

t.test('[guide "Optimistic Concurrency Control with ETag"] PATCH: 204, If-Match checked (412), every change moves the ETag', async (t) => {
  const double = await start(t)
  const headers = await session(double)
  const created = (await create(double, { FirstName: 'Ada', LastName: 'Lovelace' }, headers)).json.d
  const path = `/IndividualCustomerCollection('${created.ObjectID}')`
  const read = await call(double, 'GET', `${path}?$format=json`)
  const etag = read.headers.get('etag') ?? ''
  t.equal(etag, read.json.d.__metadata.etag, 'a single read answers the ETag as a header too')
  const patched = await call(double, 'PATCH', path, { headers: { ...headers, 'if-match': etag }, body: { FirstName: 'Augusta' } })
  t.same([patched.status, patched.text], [204, ''])
  const stale = await call(double, 'PATCH', path, { headers: { ...headers, 'if-match': etag }, body: { FirstName: 'Stale' } })
  t.equal(stale.status, 412)
  t.equal(double.customers.get(created.ObjectID)?.properties.get('FirstName'), 'Augusta', 'the stale write stored nothing')
  t.equal((await call(double, 'PATCH', path, { headers, body: { LastName: 'King' } })).status, 204, 'no If-Match: accepted (the guide documents no 428)')
  const afterAddress = await call(double, 'POST', '/IndividualCustomerAddressCollection', { headers, body: { ParentObjectID: created.ObjectID, Street: '1 Main St' } })
  t.equal(afterAddress.status, 201)
  const now = (await call(double, 'GET', `${path}?$format=json`)).headers.get('etag')
  t.not(now, etag, "an address's change moves the customer's ETag")
  const deleted = await call(double, 'DELETE', `/IndividualCustomerAddressCollection('${afterAddress.json.d.ObjectID}')`, { headers })
  t.equal(deleted.status, 204)
  t.equal((await call(double, 'GET', `${path}?$format=json`)).headers.get('etag') === now, false, 'and so does its deletion')
  t.equal((await call(double, 'PATCH', "/IndividualCustomerCollection('00000000000000000000000000000000')", { headers, body: { FirstName: 'X' } })).status, 404)
})

t.test('[guide "$filter", "Known Limitations"; odata2 literals] the filter subset, parsed', async (t) => {
  const double = await start(t)
  const headers = await session(double)
  for (const [FirstName, LastName] of [['Amelia', "O'Brien"], ['Amos', 'Okoye'], ['Bea', 'Smith & Sons']]) await create(double, { FirstName, LastName, Mobile: '+14155550142' }, headers)
  const names = async (filter: string): Promise<unknown> => {
    const res = await call(double, 'GET', q(filter))
    return res.status === 200 ? res.json.d.results.map((r: { FirstName: string }) => r.FirstName).sort() : res.status
  }
  t.same(await names("LastName eq 'O''Brien'"), ['Amelia'], 'a doubled quote is a quote')
  t.same(await names("startswith(LastName,'o')"), ['Amelia', 'Amos'], 'startswith, case-insensitive')
  t.same(await names("endswith(NormalisedMobile,'4155550142')"), ['Amelia', 'Amos', 'Bea'])
  t.same(await names("LastName eq '*Sons*'"), ['Bea'], '* is a wildcard in eq')
  t.same(await names("LastName eq 'Smith & Sons'"), ['Bea'], 'an encoded & is part of the value')
  t.same(await names("LastName eq 'Okoye' or LastName eq 'Smith & Sons'"), ['Amos', 'Bea'], 'or over one property')
  t.same(await names("startswith(LastName,'o') and FirstName eq 'amos'"), ['Amos'], 'and')
  const before = double.violations.length
  t.equal(await names("LastName eq 'O'Brien'"), 400, 'an undoubled quote breaks the filter')
  t.equal(await names("substringof('Bri',LastName)"), 400, 'substringof is not supported')
  t.equal(await names("LastName eq 'Okoye' or FirstName eq 'Bea'"), 400, 'or over two properties is not supported')
  t.equal(await names("startswith('o',LastName)"), 400, 'the property comes first')
  t.equal(await names("Nope eq 'x'"), 400, 'an unknown property')
  t.equal(double.violations.length - before, 5, 'each listed as a violation')
  const raw = await call(double, 'GET', `/IndividualCustomerCollection?$filter=LastName eq 'Smith & Sons'&$format=json`)
  t.equal(raw.status, 400, 'an unencoded & cuts the query: the filter no longer parses')
  await create(double, { FirstName: 'Plus', LastName: 'A+B' }, headers)
  const rawPlus = await call(double, 'GET', `/IndividualCustomerCollection?$filter=LastName%20eq%20'A+B'&$format=json`)
  t.same(rawPlus.json.d.results, [], 'an unencoded + reads as a space: the value no longer matches')
  t.same(await names("LastName eq 'A+B'"), ['Plus'], 'encoded, it does')
  const badPercent = await call(double, 'GET', `/IndividualCustomerCollection?$filter=LastName%20eq%20'100%'&$format=json`)
  t.equal(badPercent.status, 400, 'an unencoded % is malformed')
})

t.test('[guide "$inlinecount", "Server side paging", "$select", "$expand"] query options', async (t) => {
  const double = await start(t)
  const headers = await session(double)
  for (const name of ['A', 'B', 'C']) {
    await create(double, { FirstName: name, LastName: 'Paged', IndividualCustomerAddress: [{ Street: `${name} St` }] }, headers)
  }
  const page = await call(double, 'GET', `/IndividualCustomerCollection?$filter=${encodeURIComponent("LastName eq 'Paged'")}&$orderby=CustomerID%20asc&$skip=1&$top=1&$inlinecount=allpages&$select=ObjectID,FirstName,IndividualCustomerAddress&$expand=IndividualCustomerAddress&$format=json`)
  t.equal(page.json.d.__count, '3', '__count, as a string, counts every match')
  t.same(page.json.d.results.map((r: Record<string, unknown>) => Object.keys(r).sort()), [['FirstName', 'IndividualCustomerAddress', 'ObjectID', '__metadata']], 'only the selected properties')
  t.equal(page.json.d.results[0].FirstName, 'B')
  t.equal(page.json.d.results[0].IndividualCustomerAddress.results[0].Street, 'B St', 'addresses expanded')
  const deferred = await call(double, 'GET', `/IndividualCustomerCollection?$top=1&$format=json`)
  t.match(deferred.json.d.results[0].IndividualCustomerAddress, { __deferred: { uri: /IndividualCustomerAddress$/ } }, 'not expanded: deferred')
  t.equal((await call(double, 'GET', '/IndividualCustomerCollection?$select=Nope&$format=json')).status, 400)
  t.equal((await call(double, 'GET', '/IndividualCustomerCollection?$search=x&$format=json')).status, 400, 'an option the double does not serve')
  t.equal((await call(double, 'GET', '/IndividualCustomerCollection?$top=-1&$format=json')).status, 400)
  const atom = await fetch(`${double.url}${SERVICE}/IndividualCustomerCollection`, { headers: { authorization: BASIC } })
  t.match(atom.headers.get('content-type'), /atom\+xml/, '[guide "Supported Formats"] Atom unless JSON is asked for')
})

t.test('[ref] the main address is the customer\'s own properties; [guide] $metadata describes the entity types', async (t) => {
  const double = await start(t, { customerExtensions: [] })
  const res = await fetch(`${double.url}${SERVICE}/$metadata`, { headers: { authorization: BASIC } })
  const xml = await res.text()
  t.match(res.headers.get('content-type'), /application\/xml/)
  t.match(xml, /<EntityType Name="IndividualCustomer">/)
  t.match(xml, /<Property Name="BirthDate" Type="Edm.DateTime"/)
  t.match(xml, /<Property Name="ObjectID" Type="Edm.String"[^>]*sap:creatable="false" sap:updatable="false"/)
  t.match(xml, /<NavigationProperty Name="IndividualCustomerAddress"/)
  t.notMatch(xml, /ConsentTerms_KUT/, 'extension fields only once the tenant has them')
})

t.test('throttling: a collection query answers 429 with Retry-After while set', async (t) => {
  const double = await start(t)
  double.setThrottle(12)
  const res = await call(double, 'GET', q("LastName eq 'x'"))
  t.same([res.status, res.headers.get('retry-after')], [429, '12'])
  t.match(res.json, { error: { message: { value: String } } })
  double.setThrottle(undefined)
  t.equal((await call(double, 'GET', q("LastName eq 'x'"))).status, 200)
})
