/**
 * The dynamics365 adapter (adapters/dynamics365/index.ts) against the Dataverse double, over
 * real HTTP: If-Match on every PATCH, versions, paging through nextLinks, hostile search values
 * parsed by the double, a refused token renewed once, settings.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { createDynamics365Adapter } from '../../../adapters/dynamics365/index.js'
import type { CrmAdapter, CrmCriterion } from '../../../src/core/port.js'
import { crmFailure } from '../../helpers/expect-failure.js'
import { dynamicsAdapter, dynamicsSettings, loadDynamicsTable, startDataverse } from '../../helpers/gateway-over-dynamics365.js'
import { silentLogger } from '../../helpers/silent-logger.js'

const mapping = await loadDynamicsTable()
const ctx = { signal: new AbortController().signal, log: silentLogger, requestId: 'adapter-test' }
const MISSING = '00000000-0000-4000-8000-00000000dead'

t.test('get and create: $select of the table, the row as stored, its ETag as the version', async (t) => {
  const double = await startDataverse(t)
  const adapter = dynamicsAdapter(t, double, mapping)
  const created = await adapter.createCustomer({ firstname: 'Ada', lastname: 'Lovelace', cg_consentterms: true, salutation: '' }, ctx)
  t.match(created, { firstname: 'Ada', lastname: 'Lovelace', cg_consentterms: true, salutation: null, contactid: /^[0-9a-f-]{36}$/ })
  const id = String(created['contactid'])
  const post = double.requests.find((r) => r.method === 'POST' && r.url.startsWith('/api/'))
  t.same(post?.body, { firstname: 'Ada', lastname: 'Lovelace', cg_consentterms: true, salutation: null })
  t.match(post?.url, /\$select=contactid%2C/)
  t.same(await adapter.getCustomer(id, ctx), created, 'a get answers what the create did')
  t.match(adapter.versionOf?.(created), /^W\/"\d+"$/)
  t.equal(await adapter.getCustomer(MISSING, ctx), null)
  t.equal(await adapter.getCustomer('C0001', ctx), null, 'an id that is no GUID: null without a call')
  t.equal(await adapter.getCustomer('../contacts', ctx), null)
  t.notOk(double.requests.some((r) => r.url.includes('C0001') || r.url.includes('..')))
})

t.test('update: If-Match on every PATCH, never an upsert; a stale version is a conflict and stores nothing', async (t) => {
  const double = await startDataverse(t)
  const adapter = dynamicsAdapter(t, double, mapping)
  const created = await adapter.createCustomer({ firstname: 'Ada' }, ctx)
  const id = String(created['contactid'])
  const plain = await adapter.updateCustomer(id, { firstname: 'Ava' }, ctx)
  t.equal(plain?.['firstname'], 'Ava')
  t.equal(double.requests.at(-1)?.headers['if-match'], '*', 'without a version: If-Match: *')
  const version = adapter.versionOf?.(plain ?? {})
  const moved = await adapter.updateCustomer(id, { firstname: 'Eva' }, ctx, { ifMatch: version ?? '' })
  t.equal(double.requests.at(-1)?.headers['if-match'], version, 'with one: that ETag')
  t.not(adapter.versionOf?.(moved ?? {}), version)
  t.equal((await crmFailure(adapter.updateCustomer(id, { firstname: 'Stale' }, ctx, { ifMatch: version ?? '' }))).kind, 'conflict')
  t.equal(double.contacts.get(id)?.columns.get('firstname'), 'Eva', 'nothing stored')
  t.equal(await adapter.updateCustomer(MISSING, { firstname: 'Ghost' }, ctx), null, 'an unknown id: null')
  t.notOk(double.contacts.has(MISSING), 'and NOT created (the upsert trap avoided)')
  t.equal(double.upsertCreates, 0)
  t.ok(double.requests.filter((r) => r.method === 'PATCH').every((r) => r.headers['if-match'] !== undefined), 'no PATCH without If-Match')
  t.same(double.violations, [])
})

t.test('search: paging by odata.maxpagesize and @odata.nextLink, the total from $count', async (t) => {
  const double = await startDataverse(t)
  const adapter = dynamicsAdapter(t, double, mapping)
  for (let i = 0; i < 130; i++) await adapter.createCustomer({ firstname: `F${String(i).padStart(3, '0')}`, lastname: 'Pager' }, ctx)
  const criteria: CrmCriterion[] = [{ fields: ['lastname'], operator: 'prefix', value: 'pag' }]
  const before = double.requests.length
  const page = await adapter.searchCustomers({ criteria, offset: 110, limit: 15 }, ctx)
  const queries = double.requests.slice(before)
  t.same(page.records.map((r) => r['firstname']), Array.from({ length: 15 }, (_, i) => `F${String(110 + i).padStart(3, '0')}`), 'rows 110..124, in a stable order')
  t.equal(page.total, 130)
  t.equal(queries.length, 2, 'a page of 100, then its nextLink')
  t.same(queries.map((q) => q.headers['prefer']), ['odata.maxpagesize=100', 'odata.maxpagesize=100'], 'the preference on both')
  t.match(queries[1]?.url, /\$skiptoken=/)
  const first = await adapter.searchCustomers({ criteria, offset: 1, limit: 2 }, ctx)
  t.same(first.records.map((r) => r['firstname']), ['F001', 'F002'])
  t.equal((await crmFailure(adapter.searchCustomers({ criteria, offset: 490, limit: 20 }, ctx))).reason, 'paging', 'past the reach: refused before any call')
  t.same((await adapter.searchCustomers({ criteria: [{ fields: ['contactid'], operator: 'equals', value: 'C0001' }], offset: 0, limit: 5 }, ctx)).records, [], 'an id that is no GUID matches nobody, no call')
})

t.test('search with hostile values: the double parses every filter; each value finds exactly the customer holding it', async (t) => {
  const double = await startDataverse(t)
  const adapter = dynamicsAdapter(t, double, mapping)
  const hostile = ["O'Brien", "' or 1 eq 1", 'A&B', 'Hash#Tag', '100%', 'under_score', 'Plus+Sign', 'Slash/Name', 'Ünïcødé 名前', "x') or contains(lastname,'", '[bracket]', 'Semi;colon=eq?']
  const ids = new Map<string, string>()
  for (const name of hostile) ids.set(name, String((await adapter.createCustomer({ firstname: 'H', lastname: name }, ctx))['contactid']))
  await adapter.createCustomer({ firstname: 'H', lastname: '100 Percent' }, ctx)
  await adapter.createCustomer({ firstname: 'H', lastname: 'underXscore' }, ctx)
  await adapter.createCustomer({ firstname: 'H', lastname: 'Plus Sign' }, ctx)
  const find = async (operator: CrmCriterion['operator'], value: string): Promise<string[]> =>
    (await adapter.searchCustomers({ criteria: [{ fields: ['lastname'], operator, value }], offset: 0, limit: 50 }, ctx)).records.map((r) => String(r['contactid']))
  for (const name of hostile) {
    t.same(await find('equals', name.toLowerCase()), [ids.get(name)], `equals ${JSON.stringify(name)}`)
    t.same(await find('prefix', name), [ids.get(name)], `prefix ${JSON.stringify(name)}`)
    t.same(await find('contains', name.slice(1)), [ids.get(name)], `contains ${JSON.stringify(name.slice(1))}`)
  }
  t.same(await find('equals', "' or 1 eq 1"), [ids.get("' or 1 eq 1")], 'an injection attempt is a name like any other')
  t.same(double.violations, [])
})

t.test('a token Dataverse refuses (revoked) is renewed once; the request is sent again', async (t) => {
  const double = await startDataverse(t)
  const adapter = dynamicsAdapter(t, double, mapping)
  const created = await adapter.createCustomer({ firstname: 'Ada' }, ctx)
  double.revokeTokens()
  t.ok(await adapter.getCustomer(String(created['contactid']), ctx), 'answered with a new token')
  t.equal(double.tokensIssued, 2)
})

t.test('settings: checked at start, the scope from the environment URL by default', async (t) => {
  const make = (settings: Record<string, unknown>, baseUrl = 'https://contoso.crm.dynamics.com'): CrmAdapter =>
    createDynamics365Adapter({ baseUrl, settings, requestTimeoutMs: 1000, log: silentLogger, readFields: () => mapping.readFields })
  t.throws(() => make({ ...dynamicsSettings({ url: 'http://x' }), clientsecret: 'typo' }), /settings.clientsecret is not a known setting/)
  t.throws(() => make({ tenantId: 't', clientId: 'c' }), /settings.clientSecret is required/)
  t.throws(() => make(dynamicsSettings({ url: 'http://x' }), 'ftp://contoso'), /baseUrl must use http or https/)
  const adapter = make({ tenantId: 'contoso.onmicrosoft.com', clientId: 'c', clientSecret: 's' })
  t.equal(adapter.name, 'dynamics365')
  await adapter.close?.()
})

t.test('a nextLink is followed on the configured base URL only, and never outside the Web API', async (t) => {
  const double = await startDataverse(t)
  // A Web API whose pages link elsewhere: the token from the double, the pages from here.
  const seen: string[] = []
  const row = { contactid: '3f2b8c1e-5a4d-4e6f-9b7a-0c1d2e3f4a5b', '@odata.etag': 'W/"1"', firstname: 'Ada' }
  const first = { value: [row], '@odata.nextLink': 'https://evil.example/api/data/v9.2/contacts?$skiptoken=2' }
  const second = { value: [row], '@odata.nextLink': 'https://evil.example/other/path' }
  const server = http.createServer((req, res) => {
    seen.push(`${req.headers.host ?? ''}${req.url ?? ''}`)
    res.setHeader('content-type', 'application/json; odata.metadata=minimal')
    res.end(JSON.stringify(seen.length === 1 ? first : second))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => server.close(resolve)))
  const address = server.address() as AddressInfo
  const adapter = dynamicsAdapter(t, double, mapping, { baseUrl: `http://127.0.0.1:${address.port}` })
  const failure = await crmFailure(adapter.searchCustomers({ criteria: [{ fields: ['lastname'], operator: 'prefix', value: 'x' }], offset: 0, limit: 5 }, ctx))
  t.equal(seen[1], `127.0.0.1:${address.port}/api/data/v9.2/contacts?$skiptoken=2`, "the link's path and query, on our base URL: the token never goes to evil.example")
  t.match(failure, { kind: 'bad-response', message: /leaves the Web API/ }, 'a link outside the Web API is not followed')
  t.equal(seen.length, 2)
})
