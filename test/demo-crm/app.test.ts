/**
 * The demo CRM against its spec, demo-crm/API.md: every endpoint and every error row, over
 * real HTTP on 127.0.0.1.
 */
import t from 'tap'
import { ifMatchAccepts, isCrmDate } from '../../demo-crm/contact-rules.js'
import { call, startDemoCrm } from './fixtures/harness.js'
import type { RunningCrm } from './fixtures/harness.js'

const TODAY = '03/05/2024'

async function create(crm: RunningCrm, body: Record<string, unknown>): Promise<Record<string, unknown>> {
  const res = await call(crm, 'POST', '/api/v1/contacts', { body })
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${JSON.stringify(res.body)}`)
  return res.body as Record<string, unknown>
}

t.test('health and authentication (API.md § Authentication)', async (t) => {
  const crm = await startDemoCrm(t)
  const health = await call(crm, 'GET', '/health', { key: null })
  t.same([health.status, health.body], [200, { status: 'ok' }], '/health needs no key')

  const authFailed = { error: { code: 'AUTH_FAILED', message: 'invalid API key' } }
  for (const [what, key] of [['missing', null], ['wrong', 'nope'], ['empty', ''], ['longer', 'test-key-5f2c9a!']] as const) {
    const res = await call(crm, 'GET', '/api/v1/contacts', { key })
    t.same([res.status, res.body], [401, authFailed], `${what} key → 401`)
  }
  const unknownNoKey = await call(crm, 'GET', '/api/v1/nothing-here', { key: null })
  t.equal(unknownNoKey.status, 401, 'unknown paths under /api/v1 need the key too')
  const unknownPath = await call(crm, 'GET', '/api/v1/nothing-here')
  t.same([unknownPath.status, unknownPath.body.error.code], [404, 'NOT_FOUND'], 'unknown path → 404 NOT_FOUND')
  const outside = await call(crm, 'DELETE', '/api/v1/contacts/C00000001')
  t.same([outside.status, outside.body.error.code], [404, 'NOT_FOUND'], 'unsupported method → 404 in our shape')
  const post = await call(crm, 'POST', '/api/v1/contacts', { key: 'wrong', body: { FNAME: 'A' } })
  t.equal(post.status, 401, 'a write with a wrong key is refused')
  const list = await call(crm, 'GET', '/api/v1/contacts')
  t.equal(list.body.total, 0, '… and stored nothing')
})

t.test('create, get (API.md § Endpoints, § Contact record)', async (t) => {
  const crm = await startDemoCrm(t)
  const res = await call(crm, 'POST', '/api/v1/contacts', {
    body: {
      CONTACT_ID: 'C99999999', // read-only: ignored
      VERSION: 42, // read-only: ignored
      ORDER_COUNT: 7, // read-only: ignored
      CREATED_ON: '01/01/2000', // read-only: ignored
      FNAME: 'Ana',
      LNAME: 'Okafor',
      EMAIL: 'Ana.Okafor@example.com',
      GENDER: 'F',
      BIRTH_DATE: '02/29',
      TITLE: '', // "" in a create: simply absent
      SMS_OK: 'Y',
      LOYALTY_OPT_IN: 'Y',
      LOYALTY: { ACCT_NO: 'LY9999999999', POINTS: 120, TIER_CODE: 'GOLD', TIER_SINCE: '01/31/2023', ATTRS: { COLOR: 'red' } },
      PRIMARY_ADDR: { LINE1: '1 Main St', CITY: 'Springfield', LINE2: '' },
      ADDRESSES: [{ LINE1: '1 Main St', IS_DEFAULT: 'Y' }, { ADDR_ID: 'A123456', LINE1: '2 Side St' }],
      FAV_COLOR: 'green', // custom field: stored as sent
      PREFS: { CHANNELS: ['SMS', 'EMAIL'], SCORE: 3 }
    }
  })
  t.equal(res.status, 201, 'POST → 201')
  const c = res.body
  t.equal(c.CONTACT_ID, 'C00000001', 'CONTACT_ID assigned: C + 8 digits, sequential')
  t.equal(res.headers.get('etag'), '"1"', 'ETag is the quoted VERSION')
  t.same(
    [c.VERSION, c.CREATED_ON, c.MODIFIED_ON, c.ORDER_COUNT, c.TITLE],
    [1, TODAY, TODAY, undefined, undefined],
    'CRM-maintained fields set, read-only input ignored, "" absent'
  )
  t.equal(c.LOYALTY.ACCT_NO, 'LY0000000001', 'ACCT_NO assigned (LY + 10 digits) on opt-in; the sent one ignored')
  t.same(c.LOYALTY.ATTRS, { COLOR: 'red' }, 'nested loyalty attributes stored')
  t.same(c.PRIMARY_ADDR, { LINE1: '1 Main St', CITY: 'Springfield' }, 'nested "" absent')
  t.same(
    c.ADDRESSES.map((a: { ADDR_ID: string }) => a.ADDR_ID),
    ['A000001', 'A123456'],
    'ADDR_ID assigned (A + 6 digits) to the item without one, kept on the other'
  )
  t.same([c.FAV_COLOR, c.PREFS], ['green', { CHANNELS: ['SMS', 'EMAIL'], SCORE: 3 }], 'custom fields as sent')

  const second = await create(crm, { FNAME: 'Ben' })
  t.equal(second.CONTACT_ID, 'C00000002', 'the next id follows')
  t.equal(second.LOYALTY, undefined, 'no loyalty account without opt-in')
  const empty = await create(crm, {})
  t.equal(empty.CONTACT_ID, 'C00000003', 'an empty contact is allowed')

  const got = await call(crm, 'GET', '/api/v1/contacts/C00000001')
  t.same([got.status, got.body, got.headers.get('etag')], [200, c, '"1"'], 'GET → 200, the stored contact, ETag')
  const missing = await call(crm, 'GET', '/api/v1/contacts/C00000999')
  t.same(missing.body, { error: { code: 'NOT_FOUND', message: 'no such contact' } }, 'unknown id → 404 NOT_FOUND')
  t.equal(missing.status, 404)
  const odd = await call(crm, 'GET', `/api/v1/contacts/${encodeURIComponent('../health')}`)
  t.equal(odd.status, 404, 'an encoded path-like id is just an unknown id')
})

t.test('PATCH merge semantics, If-Match, duplicate e-mail (API.md § Endpoints)', async (t) => {
  const crm = await startDemoCrm(t)
  const a = await create(crm, {
    FNAME: 'Ana',
    LNAME: 'Okafor',
    NOTES: 'vip',
    EMAIL: 'ana@example.com',
    LOYALTY_OPT_IN: 'Y',
    LOYALTY: { POINTS: 10, TIER_CODE: 'SILVER' },
    PRIMARY_ADDR: { LINE1: '1 Main St', LINE2: 'Apt 2', CITY: 'Springfield' },
    ADDRESSES: [
      { LINE1: '1 Main St', IS_DEFAULT: 'Y' },
      { LINE1: '2 Side St', IS_DEFAULT: 'N' }
    ]
  })
  const b = await create(crm, { FNAME: 'Ben', EMAIL: 'ben@example.com' })
  const acct = (a.LOYALTY as { ACCT_NO: string }).ACCT_NO
  const path = `/api/v1/contacts/${String(a.CONTACT_ID)}`

  const res = await call(crm, 'PATCH', path, {
    body: {
      NOTES: '', // removed
      LNAME: 'Okafor-Smith', // changed
      PRIMARY_ADDR: { LINE1: '9 New Rd', LINE2: '', CITY: 'Shelbyville' }, // merged: LINE2 removed by ""
      ADDRESSES: [{ ADDR_ID: 'A000002', LINE1: '2 Side St', IS_DEFAULT: 'Y' }], // replaced whole
      LOYALTY: { ACCT_NO: 'LY5555555555', POINTS: 99 }, // merged, ACCT_NO read-only
      VERSION: 100 // read-only
    }
  })
  t.equal(res.status, 200, 'PATCH → 200')
  const p = res.body
  t.equal(p.NOTES, undefined, '"" removes the field')
  t.same([p.FNAME, p.EMAIL, p.LOYALTY_OPT_IN], ['Ana', 'ana@example.com', 'Y'], 'absent fields unchanged')
  t.equal(p.LNAME, 'Okafor-Smith', 'a sent field replaces')
  t.same(p.PRIMARY_ADDR, { LINE1: '9 New Rd', CITY: 'Shelbyville' }, 'an object merges key by key; "" removes a key inside it')
  t.same(p.ADDRESSES, [{ ADDR_ID: 'A000002', LINE1: '2 Side St', IS_DEFAULT: 'Y' }], 'an array replaces whole')
  t.same(p.LOYALTY, { ACCT_NO: acct, POINTS: 99, TIER_CODE: 'SILVER' }, 'LOYALTY merged: unsent keys kept, ACCT_NO read-only')
  t.same([p.VERSION, res.headers.get('etag'), p.CREATED_ON, p.MODIFIED_ON], [2, '"2"', TODAY, TODAY], 'VERSION + 1, ETag')

  const cleared = await call(crm, 'PATCH', path, { body: { LOYALTY: '', LOYALTY_OPT_IN: 'N' } })
  t.same(cleared.body.LOYALTY, { ACCT_NO: acct }, 'even a LOYALTY removal keeps the account number (read-only)')
  t.equal(cleared.body.VERSION, 3)

  const stale = await call(crm, 'PATCH', path, { body: { FNAME: 'X' }, headers: { 'if-match': '"2"' } })
  t.same(
    [stale.status, stale.body.error.code, stale.body.error.current_version],
    [412, 'VERSION_MISMATCH', 3],
    'a stale If-Match → 412 with current_version'
  )
  const fresh = await call(crm, 'PATCH', path, { body: { FNAME: 'Anna' }, headers: { 'if-match': '"3"' } })
  t.same([fresh.status, fresh.body.FNAME, fresh.body.VERSION], [200, 'Anna', 4], 'the current If-Match → 200')
  const star = await call(crm, 'PATCH', path, { body: {}, headers: { 'if-match': '*' } })
  t.equal(star.status, 200, 'If-Match: * matches any version')

  const dupPatch = await call(crm, 'PATCH', path, { body: { EMAIL: 'BEN@example.com' } })
  t.same(
    [dupPatch.status, dupPatch.body.error.code, dupPatch.body.error.existing_id],
    [409, 'DUPLICATE_EMAIL', b.CONTACT_ID],
    "patching to another contact's e-mail (any case) → 409 naming it"
  )
  const ownEmail = await call(crm, 'PATCH', path, { body: { EMAIL: 'ANA@example.com' } })
  t.same([ownEmail.status, ownEmail.body.EMAIL], [200, 'ANA@example.com'], 'a contact may keep its own e-mail')

  const dupCreate = await call(crm, 'POST', '/api/v1/contacts', { body: { EMAIL: 'Ben@Example.COM' } })
  t.same(
    [dupCreate.status, dupCreate.body.error.code, dupCreate.body.error.existing_id],
    [409, 'DUPLICATE_EMAIL', b.CONTACT_ID],
    'a create with a taken e-mail → 409 DUPLICATE_EMAIL with existing_id'
  )
  const unknown = await call(crm, 'PATCH', '/api/v1/contacts/C00000999', { body: { FNAME: 'X' } })
  t.same([unknown.status, unknown.body.error.code], [404, 'NOT_FOUND'], 'PATCH of an unknown id → 404')

  const optIn = await call(crm, 'PATCH', `/api/v1/contacts/${String(b.CONTACT_ID)}`, { body: { LOYALTY_OPT_IN: 'Y' } })
  t.equal(optIn.body.LOYALTY.ACCT_NO, 'LY0000000002', 'opting in by PATCH assigns the next account number')
})

t.test('validation → 422 naming the fields; bad bodies → 400 (API.md § Errors)', async (t) => {
  const crm = await startDemoCrm(t)
  const res = await call(crm, 'POST', '/api/v1/contacts', {
    body: {
      EMAIL: 'not-an-email',
      BIRTH_DATE: '02/30/2020',
      SMS_OK: 'yes',
      lower_case: 'x',
      FNAME: 5,
      GENDER: 'Q',
      LNAME: null,
      LOYALTY: { POINTS: '10', TIER_UNTIL: '13/01/2024' },
      ADDRESSES: [{ LINE1: 'ok' }, { IS_DEFAULT: 'true' }],
      PRIMARY_ADDR: 'not an object',
      CUSTOM: { 'bad-key': 1 }
    }
  })
  t.equal(res.status, 422, '422')
  t.equal(res.body.error.code, 'VALIDATION')
  t.same(
    [...res.body.error.fields].sort(),
    [
      'ADDRESSES.1.IS_DEFAULT', 'BIRTH_DATE', 'CUSTOM.bad-key', 'EMAIL', 'FNAME', 'GENDER', 'LNAME',
      'LOYALTY.POINTS', 'LOYALTY.TIER_UNTIL', 'PRIMARY_ADDR', 'SMS_OK', 'lower_case'
    ],
    'every bad field named, nested ones by dotted path'
  )
  const patchBad = await create(crm, { FNAME: 'A' })
  const patched = await call(crm, 'PATCH', `/api/v1/contacts/${String(patchBad.CONTACT_ID)}`, { body: { OPT_SMS: 'y' } })
  t.same([patched.status, patched.body.error.fields], [422, ['OPT_SMS']], 'PATCH validates too')
  const after = await call(crm, 'GET', `/api/v1/contacts/${String(patchBad.CONTACT_ID)}`)
  t.same([after.body.VERSION, after.body.OPT_SMS], [1, undefined], 'a refused PATCH changes nothing')

  const bad = (b: unknown, headers?: Record<string, string>): Promise<{ status: number; code: unknown }> =>
    call(crm, 'POST', '/api/v1/contacts', { body: b, headers }).then((r) => ({ status: r.status, code: r.body?.error?.code }))
  t.same(await bad('{"FNAME": "A",'), { status: 400, code: 'BAD_REQUEST' }, 'malformed JSON → 400')
  t.same(await bad('[1,2]'), { status: 400, code: 'BAD_REQUEST' }, 'a JSON array body → 400')
  t.same(await bad('"text"'), { status: 400, code: 'BAD_REQUEST' }, 'a JSON string body → 400')
  t.same(await bad('FNAME=A', { 'content-type': 'text/plain' }), { status: 400, code: 'BAD_REQUEST' }, 'not JSON → 400')
  t.same(await bad('<FNAME>A</FNAME>', { 'content-type': 'application/xml' }), { status: 400, code: 'BAD_REQUEST' }, 'XML → 400')
  t.same(await bad('', { 'content-type': 'application/json' }), { status: 400, code: 'BAD_REQUEST' }, 'empty JSON body → 400')
  t.same(await bad({ NOTES: 'x'.repeat(1_100_000) }), { status: 400, code: 'BAD_REQUEST' }, 'a body over 1 MiB → 400')
  const noBody = await call(crm, 'POST', '/api/v1/contacts')
  t.same([noBody.status, noBody.body.error.code], [400, 'BAD_REQUEST'], 'no body → 400')
  const list = await call(crm, 'GET', '/api/v1/contacts')
  t.equal(list.body.total, 1, 'nothing refused was stored')

  // The rules behind the 422s, unit by unit.
  t.ok(isCrmDate('02/29/2024', false) && isCrmDate('12/31/1999', false) && isCrmDate('02/29', true), 'valid dates')
  t.notOk(isCrmDate('02/29/2023', false) || isCrmDate('04/31/2024', false) || isCrmDate('2024-01-01', false), 'bad dates')
  t.notOk(isCrmDate('02/28', false), 'MM/DD only where the year may be unknown')
  t.ok(ifMatchAccepts('"3"', 3) && ifMatchAccepts('W/"3"', 3) && ifMatchAccepts('3', 3) && ifMatchAccepts('"1", "3"', 3), 'If-Match forms')
  t.notOk(ifMatchAccepts('"2"', 3) || ifMatchAccepts('abc', 3), 'If-Match mismatch')
})

t.test('search filters and paging (API.md § Search filters)', async (t) => {
  const crm = await startDemoCrm(t)
  await create(crm, { FNAME: 'Ana', LNAME: 'Okafor', EMAIL: 'ana@example.com', MOBILE_PHONE: '(415) 555-0142', NOTES: 'likes a:b', COUNTRY: 'US' })
  await create(crm, { FNAME: 'Ben', LNAME: 'Okada', EMAIL: 'ben@example.com', WORK_PHONE: '+1 415 555 0142', COUNTRY: 'US' })
  await create(crm, { FNAME: 'Chloé', LNAME: 'Martin', EMAIL: 'chloe@example.fr', HOME_PHONE: '415-555-9999', COUNTRY: 'FR', LOYALTY_OPT_IN: 'Y' })
  await create(crm, { FNAME: 'Dan', LNAME: 'Brooks', EMAIL: 'dan@example.com', COUNTRY: 'US' })
  await create(crm, { FNAME: 'Eve', LNAME: 'Okafor', COUNTRY: 'GB' })

  const ids = async (...filters: string[]): Promise<string[]> => {
    const qs = new URLSearchParams(filters.map((f): [string, string] => ['filter', f]))
    const res = await call(crm, 'GET', `/api/v1/contacts?${qs.toString()}`)
    if (res.status !== 200) throw new Error(`search failed: ${res.status}`)
    return (res.body.data as { CONTACT_ID: string }[]).map((c) => c.CONTACT_ID)
  }
  t.same(await ids('LNAME:eq:okafor'), ['C00000001', 'C00000005'], 'eq, case-insensitive')
  t.same(await ids('LNAME:sw:OKA'), ['C00000001', 'C00000002', 'C00000005'], 'sw')
  t.same(await ids('EMAIL:co:EXAMPLE.COM'), ['C00000001', 'C00000002', 'C00000004'], 'co')
  t.same(await ids('FNAME:eq:chloé'), ['C00000003'], 'non-ASCII values compare case-insensitively')
  t.same(
    await ids('MOBILE_PHONE|HOME_PHONE|WORK_PHONE:eqd:4155550142'),
    ['C00000001'],
    'eqd compares digits only (the +1 number has more digits)'
  )
  t.same(await ids('MOBILE_PHONE|HOME_PHONE|WORK_PHONE:eqd:14155550142'), ['C00000002'], 'eqd, any-of fields')
  t.same(await ids('MOBILE_PHONE|HOME_PHONE|WORK_PHONE:sw:415'), ['C00000003'], 'sw is on the raw value, not digits')
  t.same(
    await ids('MOBILE_PHONE|HOME_PHONE|WORK_PHONE:co:415'),
    ['C00000001', 'C00000002', 'C00000003'],
    'any-of fields with co'
  )
  t.same(await ids('MOBILE_PHONE:eqd:no digits'), [], 'eqd with a digit-less value matches nothing')
  t.same(
    await ids('MOBILE_PHONE|HOME_PHONE|WORK_PHONE:ewd:4155550142'),
    ['C00000001', 'C00000002'],
    'ewd: a national number finds it stored punctuated and with its country code'
  )
  t.same(await ids('MOBILE_PHONE|HOME_PHONE|WORK_PHONE:ewd:(415) 555-0142'), ['C00000001', 'C00000002'], "ewd compares VALUE's digits only")
  t.same(await ids('MOBILE_PHONE|HOME_PHONE|WORK_PHONE:ewd:+1 415 555 0142'), ['C00000002'], 'ewd with the international number: only numbers stored with it')
  t.same(await ids('MOBILE_PHONE|HOME_PHONE|WORK_PHONE:ewd:5559999'), ['C00000003'], 'ewd: the stored digits end with the value')
  t.same(await ids('MOBILE_PHONE|HOME_PHONE|WORK_PHONE:ewd:415'), [], 'ewd is no "contains": 415 begins these numbers, ends none')
  t.same(await ids('MOBILE_PHONE:ewd:no digits'), [], 'ewd with a digit-less value matches nothing')
  t.same(await ids('FNAME:ewd:1'), [], 'ewd on a field without digits matches nothing')
  t.same(await ids('LNAME:sw:oka', 'COUNTRY:eq:us'), ['C00000001', 'C00000002'], 'filters are ANDed')
  t.same(await ids('NOTES:co:a:b'), ['C00000001'], 'the value may contain ":"')
  t.same(await ids('LOYALTY.ACCT_NO:eq:ly0000000001'), ['C00000003'], 'dotted fields')
  t.same(await ids('CONTACT_ID:eq:C00000004'), ['C00000004'], 'by CONTACT_ID')
  t.same(await ids('NOPE:eq:x'), [], 'an unknown field matches nothing')
  t.same(await ids(), ['C00000001', 'C00000002', 'C00000003', 'C00000004', 'C00000005'], 'no filter lists all, ordered by CONTACT_ID')

  const page2 = await call(crm, 'GET', '/api/v1/contacts?page=2&size=2')
  t.same(
    [page2.body.page, page2.body.size, page2.body.total, page2.body.data.map((c: { CONTACT_ID: string }) => c.CONTACT_ID)],
    [2, 2, 5, ['C00000003', 'C00000004']],
    'page/size paging with total'
  )
  const last = await call(crm, 'GET', '/api/v1/contacts?page=3&size=2&filter=COUNTRY:sw:')
  t.same([last.body.data.length, last.body.total], [1, 5], 'the last, partial page')
  const beyond = await call(crm, 'GET', '/api/v1/contacts?page=9&size=2')
  t.same([beyond.status, beyond.body.data, beyond.body.total], [200, [], 5], 'a page past the end is empty')
  const defaults = await call(crm, 'GET', '/api/v1/contacts')
  t.same([defaults.body.page, defaults.body.size], [1, 20], 'defaults page 1, size 20')
  const max = await call(crm, 'GET', '/api/v1/contacts?size=100')
  t.equal(max.status, 200, 'size 100 allowed')

  for (const qs of [
    'filter=LNAME', 'filter=LNAME:eq', 'filter=LNAME:gt:x', 'filter=lname:eq:x', 'filter=:eq:x', 'filter=A..B:eq:x',
    'filter=__proto__.x:eq:1', 'size=0', 'size=101', 'size=abc', 'page=0', 'page=-1', 'page=1.5', 'page=1&page=2'
  ]) {
    const res = await call(crm, 'GET', `/api/v1/contacts?${qs}`)
    t.same([res.status, res.body.error.code], [400, 'BAD_REQUEST'], `${qs} → 400`)
  }
})

t.test('prototype pollution payloads are refused and pollute nothing', async (t) => {
  const crm = await startDemoCrm(t)
  const target = await create(crm, { FNAME: 'A' })
  const payloads: [string, string][] = [
    ['{"__proto__":{"polluted":"yes"}}', '__proto__'],
    ['{"constructor":{"prototype":{"polluted":"yes"}}}', 'constructor'],
    ['{"prototype":{"polluted":"yes"}}', 'prototype'],
    ['{"PRIMARY_ADDR":{"__proto__":{"polluted":"yes"}}}', 'PRIMARY_ADDR.__proto__'],
    ['{"LOYALTY":{"ATTRS":{"constructor":{"prototype":{"polluted":"yes"}}}}}', 'LOYALTY.ATTRS.constructor'],
    ['{"LOYALTY":{"__proto__":{"polluted":"yes"}}}', 'LOYALTY.__proto__'],
    ['{"ADDRESSES":[{"__proto__":{"polluted":"yes"}}]}', 'ADDRESSES.0.__proto__'],
    ['{"CUSTOM":[{"__proto__":{"polluted":"yes"}}]}', 'CUSTOM.0.__proto__']
  ]
  for (const [body, field] of payloads) {
    const created = await call(crm, 'POST', '/api/v1/contacts', { body })
    t.same([created.status, created.body.error.fields], [422, [field]], `POST ${body} → 422 naming ${field}`)
    const patched = await call(crm, 'PATCH', `/api/v1/contacts/${String(target.CONTACT_ID)}`, { body })
    t.same([patched.status, patched.body.error.fields], [422, [field]], `PATCH ${body} → 422`)
  }
  const probe: Record<string, unknown> = {}
  t.equal(probe.polluted, undefined, 'Object.prototype untouched')
  t.notOk(Object.hasOwn(Object.prototype, 'polluted'), 'no property added to Object.prototype')
  const proto = await call(crm, 'GET', '/api/v1/contacts/__proto__')
  t.equal(proto.status, 404, 'GET /contacts/__proto__ → 404')
  const ctor = await call(crm, 'PATCH', '/api/v1/contacts/constructor', { body: { FNAME: 'x' } })
  t.equal(ctor.status, 404, 'PATCH /contacts/constructor → 404')
  const after = await call(crm, 'GET', `/api/v1/contacts/${String(target.CONTACT_ID)}`)
  t.same(after.body, target, 'the target contact is unchanged')
})
