/**
 * The rest adapter's record operations and error mapping against a CRM on 127.0.0.1: paths and
 * ids, request and answer envelopes, statuses of success and not-found, read-back, versions,
 * and the CRM's error answers mapped to the port's failure kinds by the definition's rules
 * (else as every adapter maps HTTP) — answers checked, no customer data in logs or failures.
 */
import t from 'tap'
import type { CrmCriterion } from '../../../src/core/port.js'
import { crmFailure } from '../../helpers/expect-failure.js'
import { createSilentLogger } from '../../helpers/silent-logger.js'
import { adapterOver, baseDefinition, context, json, startCrm } from './fixtures.js'

t.test('get: the id as one encoded segment; success, not found, envelope', async (t) => {
  const crm = await startCrm(t, (req) => (req.path === '/v2/customers/a%2Fb%3Fc' ? json(200, { data: { id: 'a/b?c', name: 'Ada' } }) : json(410, { gone: true })))
  const d = baseDefinition()
  d['headers'] = { 'Api-Version': '2024-01' }
  d['operations'].get = { method: 'GET', path: '/v2/customers/{id}', query: { view: 'full' }, answer: 'data', notFound: 410 }
  d['record'].idPattern = '^[a-z/?]+$'
  const adapter = adapterOver(t, crm.url, d)
  t.same(await adapter.getCustomer('a/b?c', context()), { id: 'a/b?c', name: 'Ada' })
  t.equal(crm.requests[0]?.query.get('view'), 'full', 'constant query parameters')
  t.equal(crm.requests[0]?.headers['api-version'], '2024-01', 'constant headers')
  t.equal(await adapter.getCustomer('zz', context()), null, 'a not-found status of the definition')
  t.equal(crm.requests.length, 2)
  for (const id of ['', '.', '..', 'C123']) t.equal(await adapter.getCustomer(id, context()), null, `"${id}": not found without a call`)
  t.equal(crm.requests.length, 2)

  crm.answer(() => json(200, { record: {} }))
  t.match(await crmFailure(adapter.getCustomer('abc', context())), { kind: 'bad-response' }, 'no record where the definition says')
  crm.answer(() => json(200, { data: { name: 'no id' } }))
  t.match(await crmFailure(adapter.getCustomer('abc', context())), { kind: 'bad-response' }, 'a record without its id')
  crm.answer(() => ({ status: 200, raw: '<html>login</html>', headers: { 'content-type': 'text/html' } }))
  t.match(await crmFailure(adapter.getCustomer('abc', context())), { kind: 'bad-response' }, 'not JSON')
  crm.answer(() => json(404, {}))
  t.match(await crmFailure(adapter.getCustomer('abc', context())), { kind: 'failed' }, '404 is not a not-found status here')
})

t.test('records inside an envelope, the id beside them (HubSpot-like)', async (t) => {
  const crm = await startCrm(t, (req) => {
    if (req.method === 'POST') return json(201, { id: 901, properties: { ...req.body.properties, createdate: '2024-01-01' } })
    return json(200, { results: [{ id: '17', properties: { firstname: 'Ada' } }], total: 1 })
  })
  const d = baseDefinition()
  d['record'] = { id: 'hs_object_id', fields: 'properties', idFrom: 'id' }
  d['operations'].create.body = 'properties'
  d['operations'].search.answer = { records: 'results', total: 'total' }
  const adapter = adapterOver(t, crm.url, d)
  t.same(await adapter.createCustomer({ firstname: 'Bo' }, context()), { firstname: 'Bo', createdate: '2024-01-01', hs_object_id: '901' })
  t.same(crm.requests[0]?.body, { properties: { firstname: 'Bo' } }, 'the record under its key')
  const page = await adapter.searchCustomers({ criteria: [{ fields: ['firstname'], operator: 'equals', value: 'ada' }], limit: 5, offset: 0 }, context())
  t.same(page, { records: [{ firstname: 'Ada', hs_object_id: '17' }], total: 1 })
})

t.test('create: its success status only; read back when the answer holds only the id', async (t) => {
  const crm = await startCrm(t, (req) => (req.method === 'POST' ? json(200, { id: 'n1' }) : json(200, { id: 'n1', name: 'stored' })))
  const plain = adapterOver(t, crm.url, baseDefinition())
  t.match(await crmFailure(plain.createCustomer({ name: 'x' }, context())), { kind: 'bad-response' }, '200 where the definition says 201')

  const d = baseDefinition()
  d['operations'].create = { method: 'POST', path: '/customers', status: [200, 201], readBack: true }
  const adapter = adapterOver(t, crm.url, d)
  t.same(await adapter.createCustomer({ name: 'x' }, context()), { id: 'n1', name: 'stored' })
  t.same(crm.requests.slice(-2).map((r) => `${r.method} ${r.path}`), ['POST /customers', 'GET /customers/n1'])
  crm.answer((req) => (req.method === 'POST' ? json(201, { id: 'n2' }) : json(404, {})))
  t.match(await crmFailure(adapter.createCustomer({ name: 'x' }, context())), { kind: 'bad-response' }, 'a created record that cannot be read back')
  crm.answer(() => json(201, { nothing: true }))
  t.match(await crmFailure(adapter.createCustomer({ name: 'x' }, context())), { kind: 'bad-response' }, 'no id in the answer')
})

t.test('update: the patch as it is, the version in its header, read back after a 204', async (t) => {
  const crm = await startCrm(t, (req) => {
    if (req.path === '/customers/gone') return json(404, {})
    if (req.method === 'PUT') return { status: 204 }
    return json(200, { id: 'c1', rev: 'r8', name: 'after' })
  })
  const d = baseDefinition()
  d['record'].version = { field: 'rev', header: 'X-If-Revision', format: 'rev={version}' }
  d['operations'].update = { method: 'PUT', path: '/customers/{id}', body: 'changes', status: 204, readBack: true }
  const adapter = adapterOver(t, crm.url, d)
  t.equal(adapter.versionOf?.({ id: 'c1', rev: 'r7' }), 'r7')
  t.same(await adapter.updateCustomer('c1', { name: 'after', note: '' }, context(), { ifMatch: 'r7' }), { id: 'c1', rev: 'r8', name: 'after' })
  const put = crm.requests[0]
  t.same(put?.body, { changes: { name: 'after', note: '' } }, '"" travels as it is: the CRM clears')
  t.equal(put?.headers['x-if-revision'], 'rev=r7')
  t.equal(crm.requests[1]?.method, 'GET', 'read back')
  t.equal(await adapter.updateCustomer('gone', { name: 'x' }, context()), null, 'not found')
  t.equal(crm.requests.at(-1)?.headers['x-if-revision'], undefined, 'no version: no header')
  t.equal(await adapter.updateCustomer('..', { name: 'x' }, context()), null, 'an impossible id: not found without a call')

  const noVersion = adapterOver(t, crm.url, baseDefinition())
  t.notOk('versionOf' in noVersion, 'no version in the definition: no versionOf')
})

t.test("rates: an operation's declared rate is the port's callRates, which the core paces to", async (t) => {
  const crm = await startCrm(t)
  const d = baseDefinition()
  d['operations'].search.rate = { calls: 8, perSeconds: 2 }
  d['operations'].get.rate = { calls: 100, perSeconds: 0.5 }
  t.same(adapterOver(t, crm.url, d).callRates, { getCustomer: { calls: 100, perMs: 500 }, searchCustomers: { calls: 8, perMs: 2000 } })
  t.notOk('callRates' in adapterOver(t, crm.url, baseDefinition()), 'no rate declared: nothing paced')
})

t.test('errors: the definition’s rules, first match wins, else as every adapter', async (t) => {
  const crm = await startCrm(t)
  const d = baseDefinition()
  d['errors'] = {
    code: 'error.code',
    rules: [
      { status: 409, when: { path: 'error.code', equals: ['DUPLICATE_EMAIL', 'DUPLICATE'] }, kind: 'duplicate' },
      { status: 409, when: { path: 'error.version', equals: 3 }, kind: 'conflict' },
      { status: [400, 422], on: ['create', 'update'], kind: 'rejected', field: 'error.fields.0' },
      { status: 429, when: { path: 'policy', equals: 'DAILY' }, kind: 'quota-exhausted' },
      { status: 429, kind: 'throttled', retryAfterSeconds: 10 },
      { status: 503, when: { path: 'error.code', equals: 'MAINTENANCE' }, kind: 'throttled', retryAfterSeconds: 60 }
    ]
  }
  const log = createSilentLogger()
  const adapter = adapterOver(t, crm.url, d, { log })
  const create = () => adapter.createCustomer({ email: 'amelia@example.com' }, context(log))
  const find = () => adapter.searchCustomers({ criteria: [{ fields: ['email'], operator: 'equals', value: 'amelia@example.com' }], limit: 5, offset: 0 }, context(log))
  const cases: [string, ReturnType<typeof json>, () => Promise<unknown>, Record<string, unknown>][] = [
    ['409 DUPLICATE_EMAIL', json(409, { error: { code: 'DUPLICATE_EMAIL', existing_id: 'C42' } }), create, { kind: 'duplicate' }],
    ['409 of another code', json(409, { error: { code: 'LOCKED' } }), create, { kind: 'failed' }],
    ['409 with a version 3 (a number)', json(409, { error: { version: 3 } }), create, { kind: 'conflict' }],
    ['409 with a version "3" (text)', json(409, { error: { version: '3' } }), create, { kind: 'failed' }],
    ['422 naming the field', json(422, { error: { code: 'VALIDATION', fields: ['EMAIL'] } }), create, { kind: 'rejected', field: 'EMAIL' }],
    ['422 naming free text', json(422, { error: { fields: ['amelia@example.com is not valid'] } }), create, { kind: 'rejected', field: undefined }],
    ['400 on a search (not a rule of search)', json(400, { error: { fields: ['EMAIL'] } }), find, { kind: 'failed' }],
    ['429 DAILY', json(429, { policy: 'DAILY' }), find, { kind: 'quota-exhausted', retryAfterSeconds: undefined }],
    ['429 with Retry-After', json(429, {}, { 'retry-after': '7' }), find, { kind: 'throttled', retryAfterSeconds: 7 }],
    ['429 without Retry-After: the rule’s wait', json(429, {}), find, { kind: 'throttled', retryAfterSeconds: 10 }],
    ['503 MAINTENANCE', json(503, { error: { code: 'MAINTENANCE' } }), find, { kind: 'throttled', retryAfterSeconds: 60 }],
    ['503 otherwise', json(503, {}), find, { kind: 'failed' }],
    ['401', json(401, {}), find, { kind: 'failed' }],
    ['302', { status: 302, headers: { location: 'https://elsewhere.example/' } }, find, { kind: 'bad-response' }],
    ['403 REQUEST_LIMIT_EXCEEDED', json(403, [{ errorCode: 'REQUEST_LIMIT_EXCEEDED' }]), find, { kind: 'quota-exhausted' }],
    ['an HTML 422', { status: 422, raw: '<html>no</html>', headers: { 'content-type': 'text/html' } }, create, { kind: 'rejected', field: undefined }]
  ]
  for (const [name, answer, call, expected] of cases) {
    crm.answer(() => answer)
    const failure = await crmFailure(call())
    t.match(failure, expected, name)
    if ('field' in expected && expected['field'] === undefined) t.equal(failure.field, undefined, `${name}: no field`)
    if ('retryAfterSeconds' in expected && expected['retryAfterSeconds'] === undefined) t.equal(failure.retryAfterSeconds, undefined, `${name}: no wait invented`)
    t.notMatch(failure.message, /amelia|C42/, `${name}: no customer data in the failure`)
  }
  crm.answer(() => json(409, { error: { code: 'DUPLICATE_EMAIL' } }))
  t.match((await crmFailure(create())).message, /createCustomer: HTTP 409 DUPLICATE_EMAIL/, 'a code-like word is logged')
  crm.answer(() => json(409, { error: { code: 'amelia@example.com taken' } }))
  t.match((await crmFailure(create())).message, /HTTP 409 \(unreadable\)/, 'anything else is not')
  const logged = JSON.stringify(log.records)
  t.notMatch(logged, /amelia|customers|127\.0\.0\.1|secret-token/, 'no customer data, URL or secret in the logs')
  t.match(logged, /"op":"createCustomer","status":409/, 'the call is logged as op and status')
})

t.test('a rate-limit header of the CRM’s own gives the wait when there is no Retry-After', async (t) => {
  const crm = await startCrm(t)
  const d = baseDefinition()
  d['errors'] = { rules: [{ status: 429, kind: 'throttled', retryAfterHeader: 'X-RateLimit-Reset', retryAfterSeconds: 2 }] }
  const adapter = adapterOver(t, crm.url, d)
  const get = () => adapter.getCustomer('c1', context())
  const cases: [string, Record<string, string>, number][] = [
    ['Retry-After first', { 'retry-after': '7', 'x-ratelimit-reset': '1' }, 7],
    ['then the header the rule names', { 'x-ratelimit-reset': '5' }, 5],
    ['an unreadable one is no wait', { 'x-ratelimit-reset': 'soon' }, 2],
    ['then the rule’s own wait', {}, 2]
  ]
  for (const [name, headers, wait] of cases) {
    crm.answer(() => json(429, { success: false, error: 'Too Many Requests' }, headers))
    t.match(await crmFailure(get()), { kind: 'throttled', retryAfterSeconds: wait }, name)
  }
})

t.test('deletedWhen: a record the CRM keeps readable after its deletion is not found', async (t) => {
  const person = (deleted: boolean) => ({ data: { id: 7, name: 'Ada', is_deleted: deleted } })
  let deleted = false
  const crm = await startCrm(t, (req) => {
    if (req.path === '/search') return json(200, { items: [person(deleted).data, { id: 8, name: 'Adam', is_deleted: false }] })
    return json(200, person(deleted))
  })
  const d = baseDefinition()
  d['record'] = { id: 'id', idFrom: 'id', deletedWhen: { path: 'is_deleted', equals: true } }
  d['operations'].get.answer = 'data'
  d['operations'].update.answer = 'data'
  d['operations'].search = { method: 'GET', path: '/search', answer: { records: 'items' }, criteria: { style: 'term', parameter: 'q' }, paging: { style: 'none' }, clientSideFilter: true }
  const adapter = adapterOver(t, crm.url, d)
  const ada: CrmCriterion = { fields: ['name'], operator: 'prefix', value: 'ada' }
  t.match(await adapter.getCustomer('7', context()), { id: '7', is_deleted: false }, 'a live record')
  deleted = true
  t.equal(await adapter.getCustomer('7', context()), null, 'get: gone')
  t.equal(await adapter.updateCustomer('7', { name: 'x' }, context()), null, 'update: gone')
  const page = await adapter.searchCustomers({ criteria: [ada], limit: 5, offset: 0 }, context())
  t.same(page.records.map((r) => r['id']), ['8'], 'search: left out')
})
