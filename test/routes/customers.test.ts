/**
 * The four SPI operations through app.inject against the in-memory CRM double: the vendor
 * guide's three scenarios, partial-update rules, search, and the contract's 4xx answers.
 */
import t from 'tap'
import { buildTestApp } from '../helpers/build-test-app.js'
import { example } from '../helpers/spi-examples.js'

const BASE = '/endpoint/sa/customers'
type Json = Record<string, any>

/** The example answers abridge unchanged fields with a `_note`; compare what they do show. */
function withoutNotes(v: Json): Json {
  const { _note: _n, ...rest } = v
  return rest
}

t.test('the vendor guide scenarios 1–3, in order, as the examples show', async (t) => {
  const { app, inject } = await buildTestApp()
  t.teardown(() => app.close())

  const created = await inject({ method: 'POST', url: BASE, payload: example('1-create-with-loyalty.request') })
  t.equal(created.statusCode, 200)
  const c1 = created.json().customer as Json
  const want1 = example('1-create-with-loyalty.response').customer as Json
  t.type(c1.profile.customerId, 'string', 'the CRM assigned an id')
  t.ok(c1.profile.customerId.length > 0)
  t.match(c1.loyaltyProfile.accountNumber, /\S+/, 'loyalty account number assigned')
  t.same(c1.addressList, want1.addressList, 'scenario 1: the profile address is the first saved address')
  t.same(c1.loyaltyProfile.address, want1.loyaltyProfile.address, 'scenario 1: and the loyalty address')
  t.equal(c1.loyaltyProfile.firstName, 'Amelia')
  t.same(c1.consents, want1.consents)
  t.same({ ...c1.profile, customerId: '<assigned by the CRM>' }, want1.profile)
  t.notOk('storeAttribution' in c1, 'storeAttribution is write-only')
  const id = c1.profile.customerId as string

  const req2 = example('2-update-save-shipping-address.request')
  req2.customer.profile.customerId = id
  const updated2 = await inject({ method: 'PUT', url: BASE, payload: req2 })
  t.equal(updated2.statusCode, 200)
  const c2 = updated2.json().customer as Json
  const want2 = withoutNotes(example('2-update-save-shipping-address.response').customer as Json)
  t.same(c2.addressList, want2.addressList, 'scenario 2: the shipping address is appended, the first kept')
  t.same(c2.profile.address, want2.profile.address, 'scenario 2: the profile address is unchanged')
  t.same(c2.loyaltyProfile, c1.loyaltyProfile, 'scenario 2: the loyalty profile is unchanged')
  t.equal(c2.profile.email, 'amelia.okafor@example.com', 'the answer is the full customer, not an echo')

  const req3 = example('3-update-profile-address.request')
  req3.customer.profile.customerId = id
  const updated3 = await inject({ method: 'PUT', url: BASE, payload: req3 })
  t.equal(updated3.statusCode, 200)
  const c3 = updated3.json().customer as Json
  const want3 = withoutNotes(example('3-update-profile-address.response').customer as Json)
  t.same(c3.profile.address, want3.profile.address, 'scenario 3: the new address replaces the old whole (no addressLine2)')
  t.same(c3.loyaltyProfile.address, want3.loyaltyProfile.address, 'scenario 3: the loyalty address follows')
  t.equal(c3.loyaltyProfile.accountNumber, c1.loyaltyProfile.accountNumber, 'scenario 3: account number unchanged')
  t.same(c3.addressList, want3.addressList, 'scenario 3: the new address is appended to the list')

  const again = await inject({ method: 'PUT', url: BASE, payload: req3 })
  t.equal(again.json().customer.addressList.length, 3, 'the same address is never listed twice')

  const got = await inject({ method: 'GET', url: `${BASE}/${id}` })
  t.equal(got.statusCode, 200)
  t.same(got.json().customer, c3, 'GET answers what the last update answered')
})

t.test('CREATE: envelopes, legacy loyalty name, nulls, pass-through, read-only fields, birthday', async (t) => {
  const { app, crm, inject } = await buildTestApp()
  t.teardown(() => app.close())

  const bare = await inject({
    method: 'POST',
    url: BASE,
    payload: {
      profile: { firstName: 'Bo', lastName: null, favouriteColour: 'teal', birthday: '03-09' },
      customerLoyaltyProfile: { customLoyaltyAttributes: { tierHint: 'gold' } },
      merchantExtra: { a: 1 },
      orderCount: 99,
      storeAttribution: { storeId: 'S1', associateId: 'A1' }
    }
  })
  t.equal(bare.statusCode, 200, 'a bare customer object is accepted')
  const c = bare.json().customer as Json
  t.equal(c.profile.favouriteColour, 'teal', 'unknown profile fields pass through')
  t.same(c.merchantExtra, { a: 1 }, 'unknown top-level fields pass through')
  t.notOk('lastName' in c.profile, 'null is ignored, never emitted')
  t.same(c.loyaltyProfile, { customLoyaltyAttributes: { tierHint: 'gold' } }, 'customerLoyaltyProfile is read as loyaltyProfile')
  t.notOk('customerLoyaltyProfile' in c, 'the legacy name is never emitted')
  t.notOk('orderCount' in c, 'read-only summaries sent in a request are ignored')
  t.equal(c.profile.birthday, '--03-09', 'a birthday without a year is answered as --MM-DD')
  const stored = crm.records.get(c.profile.customerId as string) as Json
  t.same(stored.storeAttribution, { storeId: 'S1', associateId: 'A1' }, 'storeAttribution reaches the CRM')
  t.notOk(JSON.stringify(bare.json()).includes('null'), 'no null anywhere in the answer')

  const epoch = await inject({ method: 'POST', url: BASE, payload: { customer: { profile: { birthday: Date.UTC(1985, 11, 31) } } } })
  t.equal(epoch.json().customer.profile.birthday, '1985-12-31', 'epoch ms birthdays are read as UTC dates')

  const noLoyalty = await inject({
    method: 'POST',
    url: BASE,
    payload: { customer: { profile: { firstName: 'Cy', address: { addressLine1: '1 A St', city: 'X', postalCode: '1', countryCode: 'US' } }, consents: { loyaltySignUp: false } } }
  })
  const n = noLoyalty.json().customer as Json
  t.notOk('loyaltyProfile' in n, 'without loyalty sign-up there is no loyalty profile')
  t.equal(n.addressList.length, 1, 'the profile address is still saved')

  const twice = await inject({
    method: 'POST',
    url: BASE,
    payload: { profile: { address: { addressLine1: '1 A St', city: 'X', postalCode: '1', countryCode: 'US' } }, addressList: [{ addressLine1: ' 1 a st ', city: 'x', postalCode: '1', countryCode: 'us' }, { addressLine1: '2 B St', city: 'Y', postalCode: '2', countryCode: 'US' }] }
  })
  t.equal(twice.json().customer.addressList.length, 2, 'an address equal after normalization is listed once')
})

t.test('UPDATE: partial semantics and the id rules', async (t) => {
  const { app, inject } = await buildTestApp()
  t.teardown(() => app.close())
  const create = await inject({
    method: 'POST',
    url: BASE,
    payload: { profile: { firstName: 'Dee', lastName: 'Ng', email: 'dee@example.com', phoneHome: '555' }, consents: { smsSignUp: true } }
  })
  const id = create.json().customer.profile.customerId as string

  const r = await inject({ method: 'PUT', url: BASE, payload: { customer: { profile: { customerId: id, lastName: 'Ngo', email: null, phoneHome: '' }, consents: { eReceipt: true } } } })
  t.equal(r.statusCode, 200)
  const p = r.json().customer.profile as Json
  t.equal(p.firstName, 'Dee', 'absent = unchanged')
  t.equal(p.lastName, 'Ngo', 'sent = changed')
  t.equal(p.email, 'dee@example.com', 'null = ignored')
  t.notOk('phoneHome' in p, '"" clears the field, and a cleared field is absent')
  t.same(r.json().customer.consents, { smsSignUp: true, eReceipt: true }, 'consents merge field by field')

  const byPath = await inject({ method: 'PUT', url: `${BASE}/${id}`, payload: { profile: { firstName: 'Dana' } } })
  t.equal(byPath.statusCode, 200, 'PUT …/customers/:id works without the id in the body')
  t.equal(byPath.json().customer.profile.firstName, 'Dana')

  const noId = await inject({ method: 'PUT', url: BASE, payload: { profile: { firstName: 'X' } } })
  t.equal(noId.statusCode, 400)
  t.equal(noId.json().errorCode, 'CUSTOMER_ID_REQUIRED')
  t.match(noId.json().errorMessage, /profile\.customerId/)

  const mismatch = await inject({ method: 'PUT', url: `${BASE}/${id}`, payload: { profile: { customerId: 'OTHER' } } })
  t.equal(mismatch.statusCode, 400)
  t.equal(mismatch.json().errorCode, 'CUSTOMER_ID_MISMATCH')

  const unknown = await inject({ method: 'PUT', url: BASE, payload: { profile: { customerId: 'M9999', firstName: 'X' } } })
  t.equal(unknown.statusCode, 404)
  t.equal(unknown.json().errorCode, 'CUSTOMER_NOT_FOUND')

  const badId = await inject({ method: 'PUT', url: BASE, payload: { profile: { customerId: '../../admin', firstName: 'X' } } })
  t.equal(badId.statusCode, 400)
  t.equal(badId.json().errorCode, 'INVALID_CUSTOMER_ID')

  const badBirthday = await inject({ method: 'PUT', url: BASE, payload: { profile: { customerId: id, birthday: '1990-02-30' } } })
  t.equal(badBirthday.statusCode, 400)
  t.match(badBirthday.json().errorMessage, /profile\.birthday/)
})

t.test('UPDATE: loyalty profile rules', async (t) => {
  const { app, inject } = await buildTestApp()
  t.teardown(() => app.close())
  const addr = (line: string): Json => ({ addressLine1: line, city: 'Lyon', postalCode: '69001', countryCode: 'FR' })
  const create = await inject({ method: 'POST', url: BASE, payload: { profile: { firstName: 'Eva', lastName: 'Roy', address: addr('1 rue A') } } })
  const id = create.json().customer.profile.customerId as string

  const moved = await inject({ method: 'PUT', url: BASE, payload: { profile: { customerId: id, address: addr('2 rue B') } } })
  t.notOk('loyaltyProfile' in moved.json().customer, 'an address change never creates a loyalty profile')
  t.equal(moved.json().customer.addressList.length, 2)

  const joins = await inject({ method: 'PUT', url: BASE, payload: { profile: { customerId: id }, consents: { loyaltySignUp: true } } })
  const l = joins.json().customer.loyaltyProfile as Json
  t.ok(l, 'signing up by update creates the loyalty profile')
  t.same(l.address, addr('2 rue B'), 'with the current profile address')
  t.equal(l.firstName, 'Eva')
  t.ok(l.accountNumber)

  const loyaltyOnly = await inject({ method: 'PUT', url: BASE, payload: { profile: { customerId: id }, loyaltyProfile: { address: addr('3 rue C') } } })
  const c = loyaltyOnly.json().customer as Json
  t.same(c.loyaltyProfile.address, addr('3 rue C'), 'the loyalty address can change alone')
  t.same(c.profile.address, addr('2 rue B'), 'and then the profile address stays')
  t.equal(c.loyaltyProfile.accountNumber, l.accountNumber)
})

t.test('UPDATE: concurrent updates of one customer lose nothing', async (t) => {
  const { app, crm, inject } = await buildTestApp()
  t.teardown(() => app.close())
  const create = await inject({ method: 'POST', url: BASE, payload: { profile: { firstName: 'Fay' } } })
  const id = create.json().customer.profile.customerId as string
  crm.delayMs = 2
  const answers = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      inject({ method: 'PUT', url: BASE, payload: { profile: { customerId: id }, addressList: [{ addressLine1: `${i} Main St`, city: 'Oslo', postalCode: '0150', countryCode: 'NO' }] } })
    )
  )
  t.ok(answers.every((a) => a.statusCode === 200))
  const final = await inject({ method: 'GET', url: `${BASE}/${id}` })
  const lines = (final.json().customer.addressList as Json[]).map((a) => a.addressLine1 as string).sort()
  t.equal(lines.length, 20, 'every concurrent update’s address is kept')
})

t.test('GET_CUSTOMER', async (t) => {
  const { app, inject } = await buildTestApp()
  t.teardown(() => app.close())
  const nf = await inject({ method: 'GET', url: `${BASE}/M0404` })
  t.equal(nf.statusCode, 404)
  t.same(Object.keys(nf.json()).sort(), ['errorCode', 'errorMessage'])
  const bad = await inject({ method: 'GET', url: `${BASE}/${encodeURIComponent('a b')}` })
  t.equal(bad.statusCode, 400)
  t.equal(bad.json().errorCode, 'INVALID_CUSTOMER_ID')
})

t.test('SEARCH_CUSTOMERS', async (t) => {
  const { app, crm, inject } = await buildTestApp()
  t.teardown(() => app.close())
  const people = [
    { firstName: 'Amelia', lastName: 'Okafor', email: 'Amelia.Okafor@example.com', phoneMobile: '+1 (415) 555-0142' },
    { firstName: 'Amos', lastName: 'Okafor', email: 'amos@example.com', phone: '415.555.0199' },
    { firstName: 'Bea', lastName: 'Oliveira', email: 'bea@example.com', phoneHome: '+14155550100' }
  ]
  const ids: string[] = []
  for (const profile of people) {
    const r = await inject({ method: 'POST', url: BASE, payload: { profile, consents: { loyaltySignUp: true } } })
    ids.push(r.json().customer.profile.customerId as string)
  }
  const names = async (qs: string): Promise<string[]> => {
    const r = await inject({ method: 'GET', url: `${BASE}?${qs}` })
    t.equal(r.statusCode, 200, qs)
    return (r.json().customers as Json[]).map((c) => c.profile.firstName as string)
  }
  t.same(await names('firstName=am'), ['Amelia', 'Amos'], 'firstName: case-insensitive prefix')
  t.same(await names('lastName=OKA'), ['Amelia', 'Amos'], 'lastName: case-insensitive prefix')
  t.same(await names('email=amelia.okafor@EXAMPLE.com'), ['Amelia'], 'email: case-insensitive exact')
  t.same(await names('email=amelia'), [], 'email is not a prefix match')
  t.same(await names('phone=14155550142'), ['Amelia'], 'phone: digits only, mobile')
  t.same(await names('phone=(415)%20555-0199'), ['Amos'], 'phone: formatting ignored, phone')
  t.same(await names('phoneMobile=1%20415%20555%200100'), ['Bea'], 'phoneMobile is an alias of phone (home phone matched)')
  t.same(await names('phoneNumber=14155550100'), ['Bea'], 'phoneNumber is an alias too')
  t.same(await names(`customerId=${ids[1]}`), ['Amos'], 'customerId')
  t.same(await names(`customerId=${ids[1]}&firstName=Bea`), [], 'customerId ANDed with other criteria')
  t.same(await names('customerId=M0999'), [], 'an unknown customerId is an empty list')
  t.same(await names(`loyaltyId=L${ids[2]}`), ['Bea'], 'loyaltyId')
  t.same(await names('lastName=oka&firstName=amo'), ['Amos'], 'criteria combine with AND')
  t.same(await names('lastName=zz'), [], 'no match → 200 and an empty list')
  t.same(await names('lastName=o&limit=2'), ['Amelia', 'Amos'], 'limit')
  t.same(await names('lastName=o&limit=2&offset=2'), ['Bea'], 'offset')
  t.same(await names('lastName=o&shoeSize=44'), ['Amelia', 'Amos', 'Bea'], 'unknown parameters are ignored')
  t.equal(crm.lastQuery.at(-1)?.limit, 20, 'limit defaults to 20')

  for (const [qs, code] of [
    ['', 'SEARCH_CRITERIA_REQUIRED'],
    ['limit=5&offset=0', 'SEARCH_CRITERIA_REQUIRED'],
    ['firstName=%20%20', 'SEARCH_CRITERIA_REQUIRED'],
    ['firstName=a&limit=101', 'PAGING_OUT_OF_RANGE'],
    ['firstName=a&limit=0', 'PAGING_OUT_OF_RANGE'],
    ['firstName=a&limit=ten', 'PAGING_OUT_OF_RANGE'],
    ['firstName=a&offset=-1', 'PAGING_OUT_OF_RANGE']
  ] as const) {
    const r = await inject({ method: 'GET', url: `${BASE}?${qs}` })
    t.equal(r.statusCode, 400, `?${qs} → 400`)
    t.equal(r.json().errorCode, code, `?${qs} → ${code}`)
  }
  const limitMsg = await inject({ method: 'GET', url: `${BASE}?firstName=a&limit=101` })
  t.match(limitMsg.json().errorMessage, /limit.*1 to 100/, 'the message names the parameter and the range')
})

t.test('bad input: each answered with its 4xx and a message naming the problem', async (t) => {
  const { app, crm, inject } = await buildTestApp({ server: { bodyLimitBytes: 2048 } })
  t.teardown(() => app.close())
  const post = (payload: string, contentType = 'application/json') =>
    inject({ method: 'POST', url: BASE, payload, headers: { 'content-type': contentType } })

  const malformed = await post('{"customer": {')
  t.equal(malformed.statusCode, 400)
  t.equal(malformed.json().errorCode, 'MALFORMED_JSON')

  const empty = await post('')
  t.equal(empty.statusCode, 400)
  t.equal(empty.json().errorCode, 'MALFORMED_JSON')

  const cases: Array<[unknown, string]> = [
    [{ customer: { profile: { firstName: 42 } } }, 'profile.firstName'],
    [{ consents: { smsSignUp: 'yes' } }, 'consents.smsSignUp'],
    [{ addressList: { addressLine1: 'x' } }, 'addressList'],
    [{ addressList: [{ city: 5 }] }, 'addressList.0.city'],
    [{ loyaltyProfile: { currentPoints: '12' } }, 'loyaltyProfile.currentPoints'],
    [[1, 2], 'body']
  ]
  for (const [body, field] of cases) {
    const r = await post(JSON.stringify(body))
    t.equal(r.statusCode, 400, `${field}: 400`)
    t.equal(r.json().errorCode, 'INVALID_REQUEST')
    t.ok((r.json().errorMessage as string).includes(field), `message names ${field}: ${r.json().errorMessage}`)
  }

  const big = await post(JSON.stringify({ profile: { firstName: 'x'.repeat(4096) } }))
  t.equal(big.statusCode, 413)
  t.equal(big.json().errorCode, 'BODY_TOO_LARGE')

  for (const type of ['text/plain', 'application/xml', 'application/x-www-form-urlencoded']) {
    const r = await post('firstName=x', type)
    t.equal(r.statusCode, 415, `${type} → 415`)
    t.equal(r.json().errorCode, 'UNSUPPORTED_MEDIA_TYPE')
  }

  const polluted = await post('{"profile":{"firstName":"P","__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}},"prototype":{"x":1}}')
  t.equal(polluted.statusCode, 200, 'forbidden keys are dropped, the rest is kept')
  t.equal(({} as Json).polluted, undefined, 'Object.prototype untouched')
  const stored = [...crm.records.values()].at(-1) as Json
  t.notOk(Object.hasOwn(stored.profile as object, '__proto__'))
  t.notOk(Object.hasOwn(stored.profile as object, 'constructor'))
  t.notOk(Object.hasOwn(stored, 'prototype'))

  const route = await inject({ method: 'GET', url: '/endpoint/sa/nothing' })
  t.equal(route.statusCode, 404)
  t.equal(route.json().errorCode, 'ROUTE_NOT_FOUND')
})

t.test('configuration: prefix and bare envelope', async (t) => {
  const { app, inject } = await buildTestApp({ spi: { prefix: '/pos/v2', envelope: 'bare' } })
  t.teardown(() => app.close())
  const r = await inject({ method: 'POST', url: '/pos/v2/customers', payload: { customer: { profile: { firstName: 'Gil' } } } })
  t.equal(r.statusCode, 200)
  t.equal(r.json().profile.firstName, 'Gil', 'bare envelope out')
  const s = await inject({ method: 'GET', url: '/pos/v2/customers?firstName=gi' })
  t.ok(Array.isArray(s.json()), 'search answers a bare array')
  t.equal((await inject({ method: 'GET', url: `${BASE}?firstName=gi` })).statusCode, 404, 'the default prefix is gone')
})

t.test('SEARCH paging: integers read from the query string, checked against their bounds', async (t) => {
  const { app, crm, inject, answers } = await buildTestApp({ spi: { searchDefaultLimit: 7 } })
  t.teardown(() => app.close())
  await inject({ method: 'POST', url: BASE, payload: { profile: { lastName: 'Page' } } })
  const paged = async (qs: string): Promise<{ limit: number; offset: number } | undefined> => {
    const r = await inject({ method: 'GET', url: `${BASE}?lastName=pa${qs}` })
    t.equal(r.statusCode, 200, `?lastName=pa${qs}: 200`)
    const q = crm.lastQuery.at(-1)
    return q && { limit: q.limit, offset: q.offset }
  }
  t.strictSame(await paged(''), { limit: 7, offset: 0 }, 'defaults: the configured limit, offset 0')
  t.strictSame(await paged('&limit=5&offset=3'), { limit: 5, offset: 3 }, 'numbers reach the service as numbers')
  t.strictSame(await paged('&limit=100&offset=0'), { limit: 100, offset: 0 }, 'the bounds themselves')
  t.strictSame(await paged('&limit=&offset='), { limit: 7, offset: 0 }, 'blank: the defaults')
  t.strictSame(await paged('&limit=%2005'), { limit: 5, offset: 0 }, 'spaces and leading zeros')
  t.strictSame(await paged('&limit=2&limit=9'), { limit: 2, offset: 0 }, 'repeated: the first')

  for (const [qs, field] of [
    ['limit=0', 'limit'],
    ['limit=101', 'limit'],
    ['limit=1.5', 'limit'],
    ['limit=-3', 'limit'],
    ['limit=ten', 'limit'],
    ['offset=-1', 'offset'],
    ['offset=1e3', 'offset'],
    ['offset=99999999999999999', 'offset']
  ] as const) {
    const r = await inject({ method: 'GET', url: `${BASE}?lastName=pa&${qs}`, headers: { 'accept-language': 'en' } })
    t.equal(r.statusCode, 400, `${qs}: 400`)
    t.equal(r.json().errorCode, 'PAGING_OUT_OF_RANGE', `${qs}: PAGING_OUT_OF_RANGE`)
    t.match(r.json().errorMessage, new RegExp(`^Invalid value for ${field}: must be a whole number`), `${qs}: the message names ${field}`)
  }
  t.ok(answers.checked() > 10, 'every answer was checked against the document')
})

t.test('over-long text: 400 INVALID_REQUEST naming the field, "is too long"', async (t) => {
  const { app, inject } = await buildTestApp()
  t.teardown(() => app.close())
  const id = (await inject({ method: 'POST', url: BASE, payload: { profile: { firstName: 'Long' } } })).json().customer.profile.customerId as string
  const x = (n: number): string => 'x'.repeat(n)
  const fits = await inject({
    method: 'POST',
    url: BASE,
    payload: { profile: { firstName: x(255), email: `${x(244)}@example.c`, phoneMobile: '1'.repeat(32) }, addressList: [{ city: x(255) }] }
  })
  t.equal(fits.statusCode, 200, 'every text at its maximum is accepted')

  const cases: Array<[string, string, string, Json]> = [
    ['POST', BASE, 'profile.firstName', { profile: { firstName: x(256) } }],
    ['POST', BASE, 'profile.email', { customer: { profile: { email: `${x(245)}@example.c` } } }],
    ['POST', BASE, 'profile.phoneMobile', { profile: { phoneMobile: '1'.repeat(33) } }],
    ['POST', BASE, 'profile.address.addressLine1', { profile: { address: { addressLine1: x(256) } } }],
    ['POST', BASE, 'addressList.0.postalCode', { addressList: [{ postalCode: x(33) }] }],
    ['POST', BASE, 'storeAttribution.storeId', { storeAttribution: { storeId: x(129) } }],
    ['POST', BASE, 'loyaltyProfile.currentTier.name', { loyaltyProfile: { currentTier: { name: x(256) } } }],
    ['POST', BASE, 'profile.birthday', { profile: { birthday: x(33) } }],
    ['PUT', BASE, 'profile.lastName', { profile: { customerId: id, lastName: x(256) } }],
    ['PUT', `${BASE}/${id}`, 'consents', { consents: { smsSignUp: true }, profile: { salutation: x(256) } }]
  ]
  for (const [method, url, field, payload] of cases) {
    const r = await inject({ method: method, url, payload })
    const expected = field === 'consents' ? 'profile.salutation' : field
    t.equal(r.statusCode, 400, `${method} ${expected}: 400`)
    t.equal(r.json().errorCode, 'INVALID_REQUEST')
    t.equal(r.json().errorMessage, `Invalid value for ${expected}: is too long.`, `${method} ${expected}: named, too long`)
  }
  const search = await inject({ method: 'GET', url: `${BASE}?lastName=${x(256)}` })
  t.equal(search.statusCode, 400, 'a search criterion too')
  t.equal(search.json().errorMessage, 'Invalid value for lastName: is too long.')
  const longId = await inject({ method: 'PUT', url: BASE, payload: { profile: { customerId: x(129) } } })
  t.equal(longId.json().errorCode, 'INVALID_CUSTOMER_ID', 'an id over 128 characters is no id')
})

t.test('PUT without an id, and ids that are not ids', async (t) => {
  const { app, crm, inject } = await buildTestApp()
  t.teardown(() => app.close())
  const id = (await inject({ method: 'POST', url: BASE, payload: { profile: { firstName: 'Ida' } } })).json().customer.profile.customerId as string
  const before = crm.calls.update

  for (const payload of [{}, { profile: { firstName: 'X' } }, { customer: { profile: { firstName: 'X' } } }, { profile: { customerId: '' } }, { profile: { customerId: null, firstName: 'X' } }, { profile: null, consents: { eReceipt: true } }]) {
    const r = await inject({ method: 'PUT', url: BASE, payload })
    t.equal(r.statusCode, 400, `PUT /customers ${JSON.stringify(payload)}: 400`)
    t.equal(r.json().errorCode, 'CUSTOMER_ID_REQUIRED')
  }
  const byPath = await inject({ method: 'PUT', url: `${BASE}/${id}`, payload: { customer: { consents: { eReceipt: true } } } })
  t.equal(byPath.statusCode, 200, 'PUT /customers/{id}: the id is in the path, none needed in the body')
  t.equal(byPath.json().customer.consents.eReceipt, true)
  const same = await inject({ method: 'PUT', url: `${BASE}/${id}`, payload: { profile: { customerId: id, lastName: 'Ivy' } } })
  t.equal(same.statusCode, 200, 'or the same one')
  const mismatch = await inject({ method: 'PUT', url: `${BASE}/${id}`, payload: { profile: { customerId: '' } } })
  t.equal(mismatch.json().errorCode, 'CUSTOMER_ID_MISMATCH', 'a different one (empty included) is a mismatch')

  // (`..` in a URL path is resolved away before routing: …/customers/.. is another address.)
  for (const bad of ['...', '.%2E.', 'a%2Fb', 'a%20b']) {
    const get = await inject({ method: 'GET', url: `${BASE}/${bad}` })
    t.equal(get.json().errorCode, 'INVALID_CUSTOMER_ID', `GET …/${bad}: INVALID_CUSTOMER_ID`)
    const put = await inject({ method: 'PUT', url: `${BASE}/${bad}`, payload: { profile: { firstName: 'X' } } })
    t.equal(put.json().errorCode, 'INVALID_CUSTOMER_ID', `PUT …/${bad}: INVALID_CUSTOMER_ID`)
    t.match(put.json().errorMessage, /customerId/)
  }
  for (const bad of ['.', '..', 'a b', 'a/b']) {
    const r = await inject({ method: 'PUT', url: BASE, payload: { profile: { customerId: bad } } })
    t.equal(r.json().errorCode, 'INVALID_CUSTOMER_ID', `PUT body id "${bad}": INVALID_CUSTOMER_ID`)
    t.match(r.json().errorMessage, /profile\.customerId/)
  }
  t.equal(crm.calls.update, before + 2, 'none of the refused updates reached the CRM')
})

t.test('what the contract accepts stays accepted: null anywhere, any e-mail text, a create’s ignored id', async (t) => {
  const { app, inject } = await buildTestApp()
  t.teardown(() => app.close())
  const r = await inject({
    method: 'POST',
    url: BASE,
    payload: {
      profile: { customerId: 'whatever / ignored', firstName: 'Nia', lastName: null, email: 'not an e-mail', birthday: null, address: null, taxInfo: null },
      consents: { smsSignUp: null, eReceipt: true },
      loyaltyProfile: null,
      storeAttribution: { storeId: null },
      addressList: [null, { city: null, addressLine1: '1 A St' }],
      orderList: null
    }
  })
  t.equal(r.statusCode, 200, `accepted: ${r.body.slice(0, 200)}`)
  const c = r.json().customer
  t.equal(c.profile.email, 'not an e-mail', 'an e-mail is text to the contract')
  t.not(c.profile.customerId, 'whatever / ignored', 'the CRM assigns the id')
  t.same(c.addressList, [{ addressLine1: '1 A St' }])
})
