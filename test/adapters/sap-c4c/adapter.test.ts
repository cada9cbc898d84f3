/**
 * The sap-c4c adapter (adapters/sap-c4c/index.ts) against the C4C double over real HTTP: the
 * calls it makes for each operation, versions, addresses, search paging and the refusals it
 * makes before any call. The conformance kit (test/conformance/sap-c4c.test.ts) covers the
 * port's contract; this file what is particular to C4C.
 */
import http from 'node:http'
import t from 'tap'
import type { Test } from 'tap'
import type { CallContext, CrmAdapter, CrmRecord } from '../../../src/core/port.js'
import { createSapC4cAdapter } from '../../../adapters/sap-c4c/index.js'
import { startSapC4cDouble, SERVICE } from '../../fakes/sap-c4c-double.js'
import type { SapC4cDouble } from '../../fakes/sap-c4c-double.js'
import { crmFailure } from '../../helpers/expect-failure.js'
import { listenOnLoopback } from '../../helpers/loopback-server.js'
import { createSilentLogger } from '../../helpers/silent-logger.js'
import type { SilentLogger } from '../../helpers/silent-logger.js'

const USER = { username: 'TECH', password: 'pw-for-tests' }
const FIELDS = ['FirstName', 'LastName', 'Email', 'Mobile', 'Phone', 'NormalisedMobile', 'NormalisedPhone', 'BirthDate', 'Street', 'ConsentTerms_KUT', 'IndividualCustomerAddress']

function ctx(log: SilentLogger = createSilentLogger()): CallContext {
  return { signal: new AbortController().signal, log, requestId: 'test' }
}

async function setup(t: Test, settings: Record<string, unknown> = USER, doubleOptions: Record<string, unknown> = {}): Promise<{ c4c: SapC4cDouble; adapter: CrmAdapter }> {
  const c4c = await startSapC4cDouble({ ...USER, ...doubleOptions })
  t.teardown(() => c4c.close())
  const adapter = createSapC4cAdapter({ baseUrl: c4c.url, settings, requestTimeoutMs: 5000, log: createSilentLogger(), readFields: () => FIELDS })
  t.teardown(() => adapter.close?.())
  return { c4c, adapter }
}

const paths = (c4c: SapC4cDouble, from = 0): string[] => c4c.requests.slice(from).map((r) => `${r.method} ${decodeURIComponent(r.url.replace(SERVICE, ''))}`)

t.test('create (deep insert) and get: one POST, the record read back by its key with $select and $expand', async (t) => {
  const { c4c, adapter } = await setup(t)
  const created = await adapter.createCustomer({ FirstName: 'Ada', LastName: 'Lovelace', BirthDate: '1815-12-10', IndividualCustomerAddress: [{ Street: '1 Main St' }] }, ctx())
  t.match(created, { FirstName: 'Ada', BirthDate: '1815-12-10', IndividualCustomerAddress: [{ Street: '1 Main St' }] })
  t.match(created['ObjectID'], /^[0-9A-F]{32}$/)
  t.same(paths(c4c), ['GET /?$format=json', 'POST /IndividualCustomerCollection'], 'the token fetched once, then one POST')
  const post = c4c.requests[1]?.body as Record<string, unknown>
  t.match(post, { RoleCode: 'CRM000', BirthDate: `/Date(${Date.UTC(1815, 11, 10)})/`, IndividualCustomerAddress: [{ Street: '1 Main St' }] })
  const id = String(created['ObjectID'])
  const got = await adapter.getCustomer(id, ctx())
  t.match(created, got ?? {}, 'the read holds what the create answered, for the selected properties')
  t.match(paths(c4c).at(-1), new RegExp(`^GET /IndividualCustomerCollection\\('${id}'\\)\\?\\$select=ObjectID,CustomerID,FirstName,.*,IndividualCustomerAddress&\\$expand=IndividualCustomerAddress&\\$format=json$`))
  t.match(JSON.parse(adapter.versionOf?.(got ?? {}) ?? '{}'), { etag: /^W\/"datetimeoffset'/ }, "versionOf: the entry's ETag (and its addresses)")
  t.match(adapter.versionOf?.({ __etag: 'W/"x"' }), 'W/"x"', 'no list read: the ETag alone')
  const before = c4c.requests.length
  t.equal(await adapter.getCustomer("00' or 1 eq 1", ctx()), null, 'an id C4C cannot have: null')
  t.equal(await adapter.getCustomer('00000000000000000000000000000000', ctx()), null, 'an unknown one: null')
  t.equal(c4c.requests.length - before, 1, 'only the well-formed id was asked for')
})

t.test('update: a PATCH of the changes with If-Match; a stale version is a conflict and stores nothing', async (t) => {
  const { c4c, adapter } = await setup(t)
  const created = await adapter.createCustomer({ FirstName: 'Ada', LastName: 'Lovelace' }, ctx())
  const id = String(created['ObjectID'])
  const version = adapter.versionOf?.(created)
  const updated = await adapter.updateCustomer(id, { FirstName: 'Augusta' }, ctx(), version === undefined ? undefined : { ifMatch: version })
  t.equal(updated?.['FirstName'], 'Augusta')
  t.not(adapter.versionOf?.(updated ?? {}), version, 'the version moved')
  const patch = c4c.requests.find((r) => r.method === 'PATCH')
  t.same(patch?.body, { FirstName: 'Augusta' }, 'only the change')
  t.match(await crmFailure(adapter.updateCustomer(id, { FirstName: 'Stale' }, ctx(), { ifMatch: version ?? '' })), { kind: 'conflict' })
  t.equal(c4c.customers.get(id)?.properties.get('FirstName'), 'Augusta', 'nothing stored')
  t.equal(await adapter.updateCustomer('00000000000000000000000000000000', { FirstName: 'X' }, ctx()), null)
})

t.test('the address list: new addresses created under the customer, dropped ones deleted', async (t) => {
  const { c4c, adapter } = await setup(t)
  const created = await adapter.createCustomer({ FirstName: 'Ada', IndividualCustomerAddress: [{ Street: '1 Main St' }] }, ctx())
  const id = String(created['ObjectID'])
  const from = c4c.requests.length
  const appended = await adapter.updateCustomer(id, { IndividualCustomerAddress: [{ Street: '1 Main St' }, { Street: '2 Side St' }] }, ctx())
  t.same((appended?.['IndividualCustomerAddress'] as CrmRecord[]).map((a) => a['Street']), ['1 Main St', '2 Side St'])
  t.same(paths(c4c, from).filter((p) => !p.startsWith('GET')), ['POST /IndividualCustomerAddressCollection'])
  t.equal((c4c.requests.at(-2)?.body as Record<string, unknown>)['ParentObjectID'], id, 'naming its parent')
  const replaced = await adapter.updateCustomer(id, { IndividualCustomerAddress: [{ Street: '2 Side St' }] }, ctx())
  t.same((replaced?.['IndividualCustomerAddress'] as CrmRecord[]).map((a) => a['Street']), ['2 Side St'])
  t.match(paths(c4c).filter((p) => p.startsWith('DELETE')), [/^DELETE \/IndividualCustomerAddressCollection\('[0-9A-F]{32}'\)$/])
})

t.test('an update never deletes an address its caller did not see (the version names the list it read)', async (t) => {
  const { c4c, adapter } = await setup(t)
  const created = await adapter.createCustomer({ FirstName: 'Ada', IndividualCustomerAddress: [{ Street: '1 Main St' }] }, ctx())
  const id = String(created['ObjectID'])
  const read = await adapter.getCustomer(id, ctx())
  const version = adapter.versionOf?.(read ?? {}) ?? ''
  t.match(JSON.parse(version), { etag: /^W\//, addresses: [/^[0-9A-F]{32}$/] })
  // Another writer appends meanwhile.
  const other = await adapter.getCustomer(id, ctx())
  await adapter.updateCustomer(id, { IndividualCustomerAddress: [{ Street: '1 Main St' }, { Street: '2 Other St' }] }, ctx(), { ifMatch: adapter.versionOf?.(other ?? {}) ?? '' })
  // The first writer, from its older read: its list lacks the other's address.
  const mine = await adapter.updateCustomer(id, { IndividualCustomerAddress: [{ Street: '1 Main St' }, { Street: '3 Mine St' }] }, ctx(), { ifMatch: version })
  t.same((mine?.['IndividualCustomerAddress'] as CrmRecord[]).map((a) => a['Street']), ['1 Main St', '2 Other St', '3 Mine St'], 'both appends kept')
  const cleared = await adapter.updateCustomer(id, { IndividualCustomerAddress: [] }, ctx(), { ifMatch: version })
  t.same((cleared?.['IndividualCustomerAddress'] as CrmRecord[]).map((a) => a['Street']), ['2 Other St', '3 Mine St'], 'a removal takes only what the caller saw')
  t.same(c4c.violations, [])
})

t.test('search: one query pages with $skip/$top and counts; several are merged in CustomerID order', async (t) => {
  const { c4c, adapter } = await setup(t)
  for (const [FirstName, Mobile, Phone] of [['A', '+14155550100', ''], ['B', '', '+14155550100'], ['C', '+14155550100', '']]) {
    await adapter.createCustomer({ FirstName, LastName: 'Shared', Mobile, Phone }, ctx())
  }
  const page = await adapter.searchCustomers({ criteria: [{ fields: ['LastName'], operator: 'prefix', value: 'sha' }], limit: 1, offset: 1 }, ctx())
  t.same([page.records.map((r) => r['FirstName']), page.total], [['B'], 3])
  t.match(paths(c4c).at(-1), /\$filter=startswith\(LastName,'sha'\)&\$select=.*&\$orderby=CustomerID asc&\$skip=1&\$top=1&\$inlinecount=allpages&\$format=json$/)
  const phone = { fields: ['NormalisedMobile', 'NormalisedPhone'], operator: 'phone' as const, value: '4155550100' }
  const merged = await adapter.searchCustomers({ criteria: [phone], limit: 2, offset: 1 }, ctx())
  t.same([merged.records.map((r) => r['FirstName']), merged.total], [['B', 'C'], undefined], 'two queries, merged, no total')
  t.match(await crmFailure(adapter.searchCustomers({ criteria: [phone], limit: 100, offset: 950 }, ctx())), { kind: 'unsupported', reason: 'paging', field: 'offset' })
  const before = c4c.requests.length
  t.match(await crmFailure(adapter.searchCustomers({ criteria: [{ fields: ['LastName'], operator: 'contains', value: 'a*b' }], limit: 5, offset: 0 }, ctx())), { kind: 'unsupported', reason: 'value' })
  t.equal(c4c.requests.length, before, 'refused before any call')
  t.same(c4c.violations, [])
})

t.test('hostile values find exactly what they spell', async (t) => {
  const { c4c, adapter } = await setup(t)
  const names = ["O'Brien", 'Smith & Sons', 'Hash#Tag', '100% Pure', 'A+B', 'Slash/Dot', 'Ünïcødé 名前', "' or 1 eq 1"]
  for (const LastName of names) await adapter.createCustomer({ FirstName: 'H', LastName }, ctx())
  for (const value of names) {
    const page = await adapter.searchCustomers({ criteria: [{ fields: ['LastName'], operator: 'equals', value }], limit: 10, offset: 0 }, ctx())
    t.same(page.records.map((r) => r['LastName']), [value], value)
  }
  const none = await adapter.searchCustomers({ criteria: [{ fields: ['LastName'], operator: 'equals', value: "x' or LastName eq 'Smith & Sons" }], limit: 10, offset: 0 }, ctx())
  t.same(none.records, [], 'an injection is one literal')
  t.same(c4c.violations, [])
})

t.test('CSRF: an expired token is replaced once and the write retried; concurrent writes share the fetch', async (t) => {
  const { c4c, adapter } = await setup(t)
  await adapter.createCustomer({ FirstName: 'One' }, ctx())
  c4c.expireCsrfTokens()
  await Promise.all(['Two', 'Three', 'Four'].map((FirstName) => adapter.createCustomer({ FirstName }, ctx())))
  t.equal(c4c.csrfFetches, 2, 'one new token for the three')
  t.equal(c4c.customers.size, 4, 'each created once')
  const writes = c4c.requests.filter((r) => r.method === 'POST')
  t.equal(writes.length, 7, 'three refused, three retried, one before')
})

t.test('CSRF: a second refusal is a failure, not a loop; a 403 without the CSRF header is our authorization', async (t) => {
  let posts = 0
  const server = http.createServer((req, res) => {
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json', 'x-csrf-token': `T${Date.now()}`, 'set-cookie': 'S=1; path=/' })
      res.end('{"d":{"EntitySets":[]}}')
      return
    }
    posts++
    if (req.url?.includes('Authz')) {
      res.writeHead(403, { 'content-type': 'application/json' })
      res.end('{"error":{"code":"AUTH","message":{"lang":"en","value":"No authorization"}}}')
      return
    }
    res.writeHead(403, { 'x-csrf-token': 'Required', 'content-type': 'text/plain' })
    res.end('CSRF token validation failed')
  })
  const url = await listenOnLoopback(t, server)
  const adapter = createSapC4cAdapter({ baseUrl: url, settings: USER, requestTimeoutMs: 2000, log: createSilentLogger(), readFields: () => FIELDS })
  t.teardown(() => adapter.close?.())
  t.match(await crmFailure(adapter.createCustomer({ FirstName: 'X' }, ctx())), { kind: 'failed' })
  t.equal(posts, 2, 'sent twice, not more')
  const authz = createSapC4cAdapter({ baseUrl: url, settings: { ...USER, servicePath: '/Authz' }, requestTimeoutMs: 2000, log: createSilentLogger(), readFields: () => FIELDS })
  t.teardown(() => authz.close?.())
  t.match(await crmFailure(authz.createCustomer({ FirstName: 'X' }, ctx())), { kind: 'failed' })
  t.equal(posts, 3, 'refused authorization: not retried')
})

t.test('a create whose answer lacks the inline addresses reads the customer back', async (t) => {
  const id = '0123456789ABCDEF0123456789ABCDEF'
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url?.includes('IndividualCustomerCollection')) {
      res.writeHead(200, { 'content-type': 'application/json', etag: 'W/"v2"' })
      res.end(JSON.stringify({ d: { ObjectID: id, FirstName: 'X', IndividualCustomerAddress: { results: [{ ObjectID: 'A', Street: '1 Main St' }] } } }))
      return
    }
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json', 'x-csrf-token': 'T' })
      res.end('{}')
      return
    }
    res.writeHead(201, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ d: { ObjectID: id, FirstName: 'X', IndividualCustomerAddress: { __deferred: { uri: 'x' } } } }))
  })
  const url = await listenOnLoopback(t, server)
  const adapter = createSapC4cAdapter({ baseUrl: url, settings: USER, requestTimeoutMs: 2000, log: createSilentLogger(), readFields: () => FIELDS })
  t.teardown(() => adapter.close?.())
  const created = await adapter.createCustomer({ FirstName: 'X', IndividualCustomerAddress: [{ Street: '1 Main St' }] }, ctx())
  t.same(created, { ObjectID: id, FirstName: 'X', IndividualCustomerAddress: [{ ObjectID: 'A', Street: '1 Main St' }], __etag: 'W/"v2"' })
})

t.test('OAuth: a Bearer access token instead of the technical user', async (t) => {
  const { c4c, adapter } = await setup(t, { accessToken: 'oauth-access-token' }, { accessToken: 'oauth-access-token' })
  const created = await adapter.createCustomer({ FirstName: 'Token' }, ctx())
  t.ok(created['ObjectID'])
  t.equal(c4c.customers.size, 1)
})

t.test('the field check reads $metadata and names what the tenant lacks; provision creates nothing', async (t) => {
  const { adapter } = await setup(t, USER, { customerExtensions: [] })
  const uses = [
    { name: 'FirstName', kind: 'text' as const, read: true, write: true, search: true, unique: false, spi: 'profile.firstName' },
    { name: 'ConsentTerms_KUT', kind: 'boolean' as const, read: true, write: true, search: false, unique: false, spi: 'consents.agreeToTC' },
    { name: 'BirthDate', kind: 'date' as const, read: true, write: true, search: false, unique: false, spi: 'profile.birthday' }
  ]
  t.same(await adapter.fieldSchema?.check(uses, ctx()), { missing: ['ConsentTerms_KUT'], mismatched: [] })
  const report = await adapter.fieldSchema?.provision(uses, ctx())
  t.same([report?.created, report?.missing], [[], ['ConsentTerms_KUT']])
  t.match(report?.notes.join(' '), /key user tools.*OData Service Explorer/)
})

t.test('logs carry the operation and status, never customer data', async (t) => {
  const { adapter } = await setup(t)
  const log = createSilentLogger()
  await adapter.createCustomer({ FirstName: 'Secretname', Email: 'secret@example.com' }, ctx(log))
  await adapter.searchCustomers({ criteria: [{ fields: ['Email'], operator: 'equals', value: 'secret@example.com' }], limit: 5, offset: 0 }, ctx(log))
  const text = JSON.stringify(log.records)
  t.ok(log.records.length > 0)
  t.notMatch(text, /Secretname|secret@|pw-for-tests/)
})

t.test('the field check refuses a $metadata it cannot read', async (t) => {
  const answers: Array<[number, string, string]> = [
    [200, 'application/json', '{"d":{}}'],
    [200, 'application/xml', '<edmx:Edmx><Schema><EntityType Name="Other"></EntityType></Schema></edmx:Edmx>'],
    [401, 'text/html', '<html>logon</html>']
  ]
  const server = http.createServer((_req, res) => {
    const [status, type, body] = answers.shift() ?? [500, 'text/plain', '']
    res.writeHead(status, { 'content-type': type })
    res.end(body)
  })
  const url = await listenOnLoopback(t, server)
  const adapter = createSapC4cAdapter({ baseUrl: url, settings: USER, requestTimeoutMs: 2000, log: createSilentLogger(), readFields: () => FIELDS })
  t.teardown(() => adapter.close?.())
  const check = () => adapter.fieldSchema?.check([], ctx()) ?? Promise.resolve()
  t.match(await crmFailure(check()), { kind: 'bad-response', message: /not XML/ })
  t.match(await crmFailure(check()), { kind: 'bad-response', message: /no IndividualCustomer entity type/ })
  t.match(await crmFailure(check()), { kind: 'failed' })
})

t.test('start-up refuses what cannot work', async (t) => {
  const make = (settings: Record<string, unknown>, baseUrl = 'https://my000000.crm.ondemand.com', readFields: (() => string[]) | null = () => FIELDS) => () =>
    createSapC4cAdapter({ baseUrl, settings, requestTimeoutMs: 1000, log: createSilentLogger(), ...(readFields === null ? {} : { readFields }) })
  t.throws(make(USER, 'ftp://tenant'), /baseUrl must use http or https/)
  t.throws(make(USER, 'https://my000000.crm.ondemand.com', null), /readFields/)
  t.throws(make({}), /sap-c4c adapter: settings.username/)
})
