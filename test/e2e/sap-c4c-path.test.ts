/**
 * The whole path over SAP C4C: POS request → contract → customer service → mappings/sap-c4c.yaml
 * → sap-c4c adapter (from the registry, as configured: adapter `sap-c4c`, the tenant URL pointed
 * at the double, a technical user) → HTTP → the C4C double (OData v2) → back. Both listen on
 * loopback.
 */
import t from 'tap'
import { posCall as call } from '../helpers/pos-call.js'
import { expectScenario3Addresses, firstNamesFound, putScenario } from '../helpers/vendor-scenarios.js'
import { SPI, startGatewayOverSapC4c, startSapC4c } from '../helpers/gateway-over-sap-c4c.js'
import { example } from '../helpers/spi-examples.js'
import { expectSearchByEveryParameter } from '../helpers/spi-search-checks.js'
import type { SapC4cDouble } from '../fakes/sap-c4c-double.js'

/**
 * A C4C checkbox has no "not set" (an Edm.Boolean indicator reads false until ticked): what the
 * vendor's examples leave out, C4C answers as false — the consents never asked, `isDefault` of
 * each saved address.
 */
const UNTICKED_CONSENTS = { directMailSignUp: false, phoneSignUp: false }
const withUnticked = (list: Array<Record<string, unknown>>): Array<Record<string, unknown>> => list.map((a) => ({ ...a, isDefault: false }))

const stored = (c4c: SapC4cDouble, id: string): Record<string, unknown> => Object.fromEntries(c4c.customers.get(id)?.properties ?? [])
const addressLines = (c4c: SapC4cDouble, id: string): unknown[] =>
  (c4c.customers.get(id)?.addresses ?? []).map((a) => c4c.addresses.get(a)?.properties.get('Street'))

t.test('the three vendor scenarios, searches and C4C-specific answers — over real HTTP', async (t) => {
  const c4c = await startSapC4c(t)
  const { app } = await startGatewayOverSapC4c(t, c4c.url)
  const base = `${await app.listen({ host: '127.0.0.1', port: 0 })}${SPI}`

  // Scenario 1: create with loyalty sign-up.
  const created = await call('POST', base, example('1-create-with-loyalty.request'))
  t.equal(created.status, 200)
  const c1 = created.json.customer
  const want1 = example('1-create-with-loyalty.response').customer
  t.match(c1.profile.customerId, /^[0-9A-F]{32}$/, "C4C assigned its ObjectID")
  t.same({ ...c1.profile, customerId: want1.profile.customerId }, want1.profile, 'profile as the example')
  t.same(c1.consents, { ...want1.consents, ...UNTICKED_CONSENTS }, 'the consents, and the unticked checkboxes as false')
  t.same(c1.addressList, withUnticked(want1.addressList), 'the address is saved to the list')
  const { accountNumber: _assignedElsewhere, ...loyalty1 } = want1.loyaltyProfile
  t.same(c1.loyaltyProfile, loyalty1, 'the loyalty profile, its account number left to the loyalty system')
  t.notOk('storeAttribution' in c1)
  const id = c1.profile.customerId as string
  t.match(stored(c4c, id), {
    FirstName: 'Amelia', Email: 'amelia.okafor@example.com', Mobile: '+14155550142', NormalisedMobile: '+14155550142',
    BirthDate: '/Date(640310400000)/', TitleCode: '0001', LanguageCode: 'EN', RoleCode: 'CRM000',
    Street: '500 Howard St', AddressLine4: 'Apt 12', StreetPostalCode: '94105', CountryCode: 'US',
    ConsentTerms_KUT: true, ConsentNewsletter_KUT: false, HomeStore_KUT: 'SF-UNION-SQ', EnrolledBy_KUT: 'A-1043'
  }, 'C4C holds standard properties, code lists and extension fields, in its own formats')
  t.same(addressLines(c4c, id), ['500 Howard St'], 'the list as an address entity, inserted with the customer (deep insert)')
  const createPost = c4c.requests.find((r) => r.method === 'POST' && r.url.endsWith('/IndividualCustomerCollection'))
  t.ok(Array.isArray((createPost?.body as Record<string, unknown>)['IndividualCustomerAddress']), 'one POST, the addresses inline')

  // Scenario 2: save a shipping address to the profile.
  const before2 = c4c.requests.length
  const u2 = await putScenario(t, base, id, '2-update-save-shipping-address')
  t.same(u2.json.customer.addressList, withUnticked(example('2-update-save-shipping-address.response').customer.addressList), 'scenario 2: appended, first kept')
  const writes2 = c4c.requests.slice(before2).filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.url.replace(/\?.*$/, '').split('/').at(-1)}`)
  t.same(writes2, ['POST IndividualCustomerAddressCollection'], 'one new address entity; the customer itself untouched')
  t.same(addressLines(c4c, id), ['500 Howard St', '1 Ferry Building'])

  // Scenario 3: edit the profile address.
  const before3 = c4c.requests.length
  const u3 = await putScenario(t, base, id, '3-update-profile-address')
  const want3 = example('3-update-profile-address.response').customer
  expectScenario3Addresses(t, u3)
  t.same(u3.json.customer.addressList, withUnticked(want3.addressList), 'scenario 3: appended')
  t.equal(stored(c4c, id)['AddressLine4'], '', 'the old addressLine2 is cleared in C4C')
  const patch3 = c4c.requests.slice(before3).find((r) => r.method === 'PATCH')
  t.match(patch3?.body, { Street: '2200 Mission St', AddressLine4: '' }, 'a PATCH of the changed properties only')
  t.notOk('FirstName' in ((patch3?.body as Record<string, unknown>) ?? {}), 'nothing unchanged is sent')

  // The loyalty system writes the account number; searches are not cached, so they show it.
  c4c.setProperties(id, { LoyaltyAccountNumber_KUT: 'LY0000000042' })
  await call('POST', base, { customer: { profile: { firstName: 'Amos', lastName: 'Okoye', email: 'amos@example.com', phone: '+1 415 555 0199' } } })
  const search = firstNamesFound(t, base)
  await expectSearchByEveryParameter(t, search, { customerId: id, loyaltyId: 'LY0000000042' })
  t.same(await search('phoneNumber=4155550199'), ['Amos'], 'the phone across the normalised mobile and phone (two queries, merged)')

  const missing = await call('GET', `${base}/00000000000000000000000000000000`)
  t.same([missing.status, missing.json.errorCode], [404, 'CUSTOMER_NOT_FOUND'])
  t.equal((await call('GET', `${base}/C00000001`)).status, 404, 'an id C4C cannot have: not found')

  const invalid = await call('PUT', base, { customer: { profile: { customerId: id, email: 'not-an-email' } } })
  t.same([invalid.status, invalid.json.errorCode], [400, 'CRM_VALIDATION_FAILED'], "C4C's refusal of the e-mail")
  t.match(invalid.json.errorMessage, /email/i, 'naming the field')
  t.same(c4c.violations, [], 'every request of the run was one C4C takes')
})

t.test('hostile search values reach C4C as literals, and find what they spell', async (t) => {
  const c4c = await startSapC4c(t)
  const { app } = await startGatewayOverSapC4c(t, c4c.url)
  const base = `${await app.listen({ host: '127.0.0.1', port: 0 })}${SPI}`
  const names = ["O'Brien", 'Smith & Sons', 'Hash#Tag', '100% Pure', 'A+B', 'Slash/Dot', 'Ünïcødé 名前']
  for (const lastName of names) {
    t.equal((await call('POST', base, { customer: { profile: { firstName: 'Hostile', lastName } } })).status, 200, `created ${lastName}`)
  }
  for (const lastName of names) {
    const r = await call('GET', `${base}?lastName=${encodeURIComponent(lastName)}`)
    t.same(r.json.customers.map((c: { profile: { lastName: string } }) => c.profile.lastName), [lastName], `found by ${lastName}`)
  }
  const injected = await call('GET', `${base}?lastName=${encodeURIComponent("' or 1 eq 1")}`)
  t.same([injected.status, injected.json.customers], [200, []], 'an injection attempt is a name nobody has')
  const wildcard = await call('GET', `${base}?lastName=${encodeURIComponent('O*')}`)
  t.equal(wildcard.status, 400, 'a "*" (C4C\'s wildcard, which has no escape) is refused, not matched as a pattern')
  t.same(c4c.violations, [], 'every filter parsed as C4C parses it')
})

t.test('an expired CSRF session costs one new token, shared by concurrent writes', async (t) => {
  const c4c = await startSapC4c(t)
  const { app } = await startGatewayOverSapC4c(t, c4c.url)
  const base = `${await app.listen({ host: '127.0.0.1', port: 0 })}${SPI}`
  t.equal((await call('POST', base, { customer: { profile: { firstName: 'First', lastName: 'Writer' } } })).status, 200)
  t.equal(c4c.csrfFetches, 1)
  c4c.expireCsrfTokens()
  const writes = await Promise.all(
    Array.from({ length: 5 }, (_, i) => call('POST', base, { customer: { profile: { firstName: `Writer${i}`, lastName: 'Concurrent' } } }))
  )
  t.same(writes.map((w) => w.status), [200, 200, 200, 200, 200], 'every write succeeded')
  t.equal(c4c.csrfFetches, 2, 'one new token for all of them')
  t.equal(c4c.customers.size, 6, 'and each created once')
})

t.test('concurrent address appends through two gateways: the ETag makes the loser re-read, nothing is lost', async (t) => {
  const c4c = await startSapC4c(t)
  const one = await startGatewayOverSapC4c(t, c4c.url)
  const two = await startGatewayOverSapC4c(t, c4c.url)
  const urls = [`${await one.app.listen({ host: '127.0.0.1', port: 0 })}${SPI}`, `${await two.app.listen({ host: '127.0.0.1', port: 0 })}${SPI}`]
  const created = await call('POST', urls[0] ?? '', { customer: { profile: { firstName: 'Many', lastName: 'Addresses' } } })
  const id = created.json.customer.profile.customerId as string
  const answers = await Promise.all(
    Array.from({ length: 6 }, (_, i) =>
      call('PUT', urls[i % 2] ?? '', { customer: { profile: { customerId: id }, addressList: [{ addressLine1: `${i + 1} Market St`, city: 'San Francisco', countryCode: 'US' }] } })
    )
  )
  t.same(answers.map((a) => a.status), [200, 200, 200, 200, 200, 200])
  t.same([...addressLines(c4c, id)].sort(), ['1 Market St', '2 Market St', '3 Market St', '4 Market St', '5 Market St', '6 Market St'], 'all six kept')
})

t.test('readiness names the extension fields a tenant lacks', async (t) => {
  const c4c = await startSapC4c(t, { customerExtensions: [] })
  const gateway = await startGatewayOverSapC4c(t, c4c.url)
  const unready = await gateway.app.inject({ method: 'GET', url: '/readyz' })
  t.equal(unready.statusCode, 503, 'not ready: its creates would fail')
  t.match(unready.json().reason, /ConsentTerms_KUT/)
  t.ok(unready.json().fields.missing.includes('ClientelingCreateRequestID_KUT') && !unready.json().fields.missing.includes('FirstName'), 'extension fields named, none of the standard ones')

  const complete = await startSapC4c(t)
  const ready = await (await startGatewayOverSapC4c(t, complete.url)).app.inject({ method: 'GET', url: '/readyz' })
  t.same([ready.statusCode, ready.json().fields], [200, { status: 'ok' }], 'with every field: ready')
})
