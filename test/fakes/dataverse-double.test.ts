/**
 * The Dataverse double against the documentation it is written from: each test names the
 * section (the tags of ./dataverse-double.ts) of the rule it checks, over real HTTP.
 */
import t from 'tap'
import type { Test } from 'tap'
import { startDataverseDouble } from './dataverse-double.js'
import type { DataverseDouble, DataverseDoubleOptions } from './dataverse-double.js'

const TENANT = 'contoso.onmicrosoft.com'
const CLIENT = 'app-client-id'
const SECRET = 'app-secret'
const API = '/api/data/v9.2'
const ODATA = { 'OData-MaxVersion': '4.0', 'OData-Version': '4.0', Accept: 'application/json' }

interface Env {
  readonly double: DataverseDouble
  token(): Promise<string>
  api(method: string, path: string, options?: { headers?: Record<string, string>; body?: unknown; token?: string }): Promise<{ status: number; json: any; headers: Headers }>
}

async function start(t: Test, options: Partial<DataverseDoubleOptions> = {}): Promise<Env> {
  const double = await startDataverseDouble({ tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET, customColumns: [{ name: 'cg_consentterms', type: 'Boolean' }], ...options })
  t.teardown(() => double.close())
  const token = async (): Promise<string> => {
    const form = new URLSearchParams({ client_id: CLIENT, client_secret: SECRET, scope: `${double.url}/.default`, grant_type: 'client_credentials' })
    const r = await fetch(`${double.url}/${TENANT}/oauth2/v2.0/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form })
    return ((await r.json()) as { access_token: string }).access_token
  }
  let cached: string | undefined
  const api: Env['api'] = async (method, path, o = {}) => {
    const bearer = o.token ?? (cached ??= await token())
    const r = await fetch(`${double.url}${path}`, {
      method,
      headers: { ...ODATA, authorization: `Bearer ${bearer}`, ...(o.body === undefined ? {} : { 'content-type': 'application/json' }), ...o.headers },
      ...(o.body === undefined ? {} : { body: JSON.stringify(o.body) })
    })
    const text = await r.text()
    return { status: r.status, json: text === '' ? undefined : JSON.parse(text), headers: r.headers }
  }
  return { double, token, api }
}

const create = async (env: Env, body: Record<string, unknown>): Promise<{ contactid: string; '@odata.etag': string }> =>
  (await env.api('POST', `${API}/contacts`, { body, headers: { Prefer: 'return=representation' } })).json

t.test('[token] client credentials: a bearer token for the right client, secret and scope; OAuth errors otherwise', async (t) => {
  const { double } = await start(t)
  const ask = (fields: Record<string, string>, tenant = TENANT) =>
    fetch(`${double.url}/${tenant}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: CLIENT, client_secret: SECRET, scope: `${double.url}/.default`, grant_type: 'client_credentials', ...fields })
    })
  const ok = await ask({})
  t.equal(ok.status, 200)
  t.match(await ok.json(), { token_type: 'Bearer', expires_in: 3599, access_token: /\S+/ })
  const wrongSecret = await ask({ client_secret: 'nope' })
  t.same([wrongSecret.status, ((await wrongSecret.json()) as { error: string }).error], [401, 'invalid_client'])
  const wrongScope = await ask({ scope: 'https://other.crm.dynamics.com/.default' })
  t.match([wrongScope.status, await wrongScope.json()], [400, { error: 'invalid_scope', error_codes: [500011] }])
  t.equal((await ask({}, 'other-tenant')).status, 400, 'unknown tenant')
  t.equal((await ask({ grant_type: 'password' })).status, 400, 'only client credentials')
  t.equal(double.tokensIssued, 1)
})

t.test('[auth] every Web API request needs a valid, unexpired bearer token: 401 otherwise', async (t) => {
  let clock = Date.parse('2026-01-01T00:00:00Z')
  const env = await start(t, { now: () => clock, tokenLifetimeSeconds: 60 })
  const token = await env.token()
  t.equal((await env.api('GET', `${API}/contacts`, { token: 'forged' })).status, 401)
  t.equal((await env.api('GET', `${API}/contacts`, { token })).status, 200)
  clock += 60_000
  const expired = await env.api('GET', `${API}/contacts`, { token })
  t.equal(expired.status, 401, 'expired at expires_in')
  t.match(expired.headers.get('www-authenticate'), /^Bearer authorization_uri=/)
})

t.test('[create] 204 + OData-EntityId, or 201 and the row with Prefer: return=representation; columns checked', async (t) => {
  const env = await start(t)
  const bare = await env.api('POST', `${API}/contacts`, { body: { firstname: 'Ada' } })
  t.equal(bare.status, 204)
  t.match(bare.headers.get('odata-entityid'), /\/api\/data\/v9\.2\/contacts\([0-9a-f-]{36}\)$/)
  const full = await env.api('POST', `${API}/contacts?$select=firstname,cg_consentterms`, { body: { firstname: 'Bea', cg_consentterms: true }, headers: { Prefer: 'return=representation' } })
  t.equal(full.status, 201)
  t.match(full.json, { '@odata.etag': /^W\/"\d+"$/, firstname: 'Bea', cg_consentterms: true, contactid: /^[0-9a-f-]{36}$/ })
  const unknown = await env.api('POST', `${API}/contacts`, { body: { cg_missing: 'x' } })
  t.match([unknown.status, unknown.json], [400, { error: { code: '0x80060888', message: /The property 'cg_missing' does not exist/ } }], 'an unknown column')
  const long = await env.api('POST', `${API}/contacts`, { body: { firstname: 'x'.repeat(51) } })
  t.match([long.status, long.json.error.message], [400, /length of the 'firstname' attribute/], 'longer than the column')
  t.equal((await env.api('POST', `${API}/contacts`, { body: { cg_consentterms: 'yes' } })).status, 400, 'a Yes/no column takes a boolean')
  t.equal((await env.api('POST', `${API}/contacts`, { body: { birthdate: '17/04/1990' } })).status, 400, 'a Date Only column takes YYYY-MM-DD')
})

t.test('[retrieve] a row by its GUID with $select; 404 with the error body; a key that is no GUID is 400', async (t) => {
  const env = await start(t)
  const { contactid } = await create(env, { firstname: 'Ada', lastname: 'Lovelace' })
  const got = await env.api('GET', `${API}/contacts(${contactid})?$select=firstname,salutation`)
  t.same(Object.keys(got.json).sort(), ['@odata.etag', 'contactid', 'firstname', 'salutation'])
  t.equal(got.json.salutation, null, 'a selected column without a value is null')
  const missing = await env.api('GET', `${API}/contacts(00000000-0000-4000-8000-000000000000)`)
  t.match([missing.status, missing.json], [404, { error: { code: '0x80040217', message: /Does Not Exist/ } }])
  t.equal((await env.api('GET', `${API}/contacts('x')`)).status, 400)
  t.equal((await env.api('GET', `${API}/contacts(${contactid})?$select=nope`)).status, 400, 'an unknown column in $select')
})

t.test('[conditional] If-Match: * prevents the upsert create (404); without it PATCH CREATES the row; a stale ETag is 412', async (t) => {
  const env = await start(t)
  const ghost = '00000000-0000-4000-8000-00000000beef'
  const guarded = await env.api('PATCH', `${API}/contacts(${ghost})`, { body: { firstname: 'Ghost' }, headers: { 'If-Match': '*' } })
  t.equal(guarded.status, 404)
  t.notOk(env.double.contacts.has(ghost), 'nothing created')
  const trap = await env.api('PATCH', `${API}/contacts(${ghost})`, { body: { firstname: 'Ghost' } })
  t.equal(trap.status, 204)
  t.ok(env.double.contacts.has(ghost), 'the upsert trap: a PATCH without If-Match created the contact')
  t.equal(env.double.upsertCreates, 1)
  t.match(env.double.violations, [{ method: 'PATCH', problems: [/upsert/] }], 'and it is listed')

  const { contactid, '@odata.etag': etag } = await create(env, { firstname: 'Ada' })
  const updated = await env.api('PATCH', `${API}/contacts(${contactid})?$select=firstname`, { body: { firstname: 'Ava' }, headers: { 'If-Match': etag, Prefer: 'return=representation' } })
  t.equal(updated.status, 200, 'return=representation on update: 200 and the row')
  t.not(updated.json['@odata.etag'], etag, 'a new version')
  const stale = await env.api('PATCH', `${API}/contacts(${contactid})`, { body: { firstname: 'Stale' }, headers: { 'If-Match': etag } })
  t.match([stale.status, stale.json.error.message], [412, /RowVersion/])
  t.equal(env.double.contacts.get(contactid)?.columns.get('firstname'), 'Ava', 'nothing written')
})

t.test('[update] null clears a column', async (t) => {
  const env = await start(t)
  const { contactid } = await create(env, { firstname: 'Ada', salutation: 'Ms' })
  t.equal((await env.api('PATCH', `${API}/contacts(${contactid})`, { body: { salutation: null }, headers: { 'If-Match': '*' } })).status, 204)
  t.notOk(env.double.contacts.get(contactid)?.columns.has('salutation'))
})

t.test('[filter] the $filter subset is parsed: literals, doubled quotes, functions, case, wildcards, types', async (t) => {
  const env = await start(t)
  await create(env, { firstname: 'Ada', lastname: "O'Brien" })
  await create(env, { firstname: 'Bea', lastname: '100% Cotton' })
  const names = async (filter: string): Promise<string[] | number> => {
    const r = await env.api('GET', `${API}/contacts?$select=firstname&$filter=${encodeURIComponent(filter)}`)
    return r.status === 200 ? r.json.value.map((c: { firstname: string }) => c.firstname) : r.status
  }
  t.same(await names("lastname eq 'o''brien'"), ['Ada'], 'a doubled quote, case-insensitive')
  t.equal(await names("lastname eq 'o'brien'"), 400, 'an undoubled quote breaks the literal')
  t.same(await names("startswith(lastname,'O''B')"), ['Ada'])
  t.same(await names("contains(lastname,'cot')"), ['Bea'])
  t.same(((await names("startswith(lastname,'%')")) as string[]).sort(), ['Ada', 'Bea'], '[wildcards] % matches anything')
  t.same(await names("contains(lastname,'[%]')"), ['Bea'], '[wildcards] a bracketed % is a literal %')
  t.same(await names("lastname eq 'x' or (firstname eq 'bea' and not startswith(lastname,'o'))"), ['Bea'], 'and, or, not, grouping')
  t.equal(await names("contactid eq 'abc'"), 400, 'a GUID column compared with a string: incompatible types')
  t.equal(await names("nope eq 'x'"), 400, 'an unknown column')
  t.equal(await names("lastname eq 'x' ; drop"), 400, 'anything outside the grammar')
  const raw = await env.api('GET', `${API}/contacts?$filter=lastname eq '+1'`)
  t.equal(raw.status, 200, 'an unencoded + …')
  const plus = await env.api('GET', `${API}/contacts?$filter=${encodeURIComponent("firstname eq ' Ada'")}`)
  t.same(raw.json.value, plus.json.value, '… is read as a space, as a server decodes a query string')
  t.equal((await env.api('GET', `${API}/contacts?$skip=1`)).status, 400, '[paging] $skip is not supported')
})

t.test('[paging] odata.maxpagesize, @odata.nextLink with $skiptoken, $count', async (t) => {
  const env = await start(t)
  for (let i = 0; i < 5; i++) await create(env, { firstname: `P${i}`, lastname: 'Page' })
  const first = await env.api('GET', `${API}/contacts?$select=firstname&$filter=${encodeURIComponent("lastname eq 'page'")}&$orderby=firstname asc&$count=true`, { headers: { Prefer: 'odata.maxpagesize=2' } })
  t.equal(first.headers.get('preference-applied'), 'odata.maxpagesize=2')
  t.same(first.json.value.map((c: { firstname: string }) => c.firstname), ['P0', 'P1'])
  t.equal(first.json['@odata.count'], 5)
  const next = new URL(first.json['@odata.nextLink'])
  t.match(next.search, /\$skiptoken=/)
  const second = await env.api('GET', `${next.pathname}${next.search}`, { headers: { Prefer: 'odata.maxpagesize=2' } })
  t.same(second.json.value.map((c: { firstname: string }) => c.firstname), ['P2', 'P3'])
  const last = new URL(second.json['@odata.nextLink'])
  const third = await env.api('GET', `${last.pathname}${last.search}`, { headers: { Prefer: 'odata.maxpagesize=2' } })
  t.same(third.json.value.map((c: { firstname: string }) => c.firstname), ['P4'])
  t.notOk('@odata.nextLink' in third.json, 'the last page has no nextLink')
})

t.test('[duplicates] MSCRM.SuppressDuplicateDetection: false applies the published rule (500, 0x80040333); by default it does not', async (t) => {
  const env = await start(t)
  await create(env, { emailaddress1: 'ada@example.com' })
  const refused = await env.api('POST', `${API}/contacts`, { body: { emailaddress1: 'ADA@example.com' }, headers: { 'MSCRM.SuppressDuplicateDetection': 'false' } })
  t.match([refused.status, refused.json], [500, { error: { code: '0x80040333' } }])
  t.equal((await env.api('POST', `${API}/contacts`, { body: { emailaddress1: 'ada@example.com' } })).status, 204, 'without the header: created')
})

t.test('[limits] service protection: 429, Retry-After and 0x80072322 beyond the requests of the window', async (t) => {
  let clock = Date.parse('2026-01-01T00:00:00Z')
  const env = await start(t, { now: () => clock, serviceProtection: { maxRequests: 2, windowMs: 300_000 } })
  await env.api('GET', `${API}/contacts`)
  clock += 100_000
  await env.api('GET', `${API}/contacts`)
  const throttled = await env.api('GET', `${API}/contacts`)
  t.match([throttled.status, throttled.headers.get('retry-after'), throttled.json], [429, '200', { error: { code: '0x80072322' } }], 'until the oldest request leaves the window')
  clock += 200_000
  t.equal((await env.api('GET', `${API}/contacts`)).status, 200, 'and served again after it')
})

t.test('[compose] requests without the OData version headers are listed; [metadata] column definitions', async (t) => {
  const env = await start(t)
  await env.api('GET', `${API}/contacts`, { headers: { 'OData-MaxVersion': '', 'OData-Version': '' } })
  t.match(env.double.violations, [{ problems: [/OData-MaxVersion/] }])
  const attributes = await env.api('GET', `${API}/EntityDefinitions(LogicalName='contact')/Attributes?$select=LogicalName,AttributeType`)
  const byName = new Map(attributes.json.value.map((a: { LogicalName: string }) => [a.LogicalName, a]))
  t.match(byName.get('cg_consentterms'), { AttributeType: 'Boolean', IsValidForCreate: true, IsValidForUpdate: true })
  t.match(byName.get('fullname'), { AttributeType: 'String', IsValidForUpdate: false })
})
