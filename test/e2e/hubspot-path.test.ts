/**
 * The whole path over HubSpot: POS request → contract → customer service → mappings/hubspot.yaml
 * → hubspot adapter (from the registry, as configured: adapter `hubspot`, base URL pointed at
 * the double) → HTTP → the HubSpot double → back. Both servers listen on loopback.
 *
 * The double keeps HubSpot's search limit (5 per second); its clock is the test's, so the test
 * moves a second on before each search instead of sleeping, and exceeds the limit on purpose.
 */
import t from 'tap'
import { posCall as call } from '../helpers/pos-call.js'
import { expectScenario1AsExample, expectScenario3Addresses, firstNamesFound, putScenario } from '../helpers/vendor-scenarios.js'
import { SPI, hubspotAdapter, startGatewayOverHubSpot, startHubSpot } from '../helpers/gateway-over-hubspot.js'
import { createSilentLogger } from '../helpers/silent-logger.js'
import { example } from '../helpers/spi-examples.js'
import { expectSearchByEveryParameter } from '../helpers/spi-search-checks.js'


t.test('the three vendor scenarios, searches and HubSpot-specific answers — over real HTTP', async (t) => {
  let clock = Date.parse('2024-03-05T12:00:00Z')
  const hubspot = await startHubSpot(t, { now: () => clock })
  const { app } = await startGatewayOverHubSpot(t, hubspot.url)
  const base = `${await app.listen({ host: '127.0.0.1', port: 0 })}${SPI}`
  const stored = (id: string): Record<string, string> => Object.fromEntries(hubspot.contacts.get(id)?.properties ?? [])
  const patches = () => hubspot.requests.filter((r) => r.method === 'PATCH').map((r) => (r.body as { properties: Record<string, string> }).properties)

  // Scenario 1: create with loyalty sign-up.
  const created = await call('POST', base, example('1-create-with-loyalty.request'))
  t.equal(created.status, 200)
  const c1 = created.json.customer
  const want1 = example('1-create-with-loyalty.response').customer
  t.match(c1.profile.customerId, /^\d+$/, 'HubSpot assigned its (numeric) id')
  expectScenario1AsExample(t, c1)
  const id = c1.profile.customerId as string

  const contact = stored(id)
  t.match(contact, {
    firstname: 'Amelia', email: 'amelia.okafor@example.com', mobilephone: '+14155550142', date_of_birth: '1990-04-17',
    address: '500 Howard St', address_line_2: 'Apt 12', city: 'San Francisco', zip: '94105', country: 'US',
    consent_terms: 'true', consent_loyalty: 'true', consent_newsletter: 'false', home_store: 'SF-UNION-SQ', enrolled_by: 'A-1043'
  }, 'HubSpot holds standard and custom properties, in its own formats')
  t.same(JSON.parse(contact['clienteling_addresses'] ?? ''), want1.addressList, 'the address list as JSON in one property')

  // Scenario 2: save a shipping address to the profile.
  const u2 = await putScenario(t, base, id, '2-update-save-shipping-address')
  t.same(u2.json.customer.addressList, example('2-update-save-shipping-address.response').customer.addressList, 'scenario 2: appended, first kept')
  t.same(Object.keys(patches().at(-1) ?? {}), ['clienteling_addresses'], 'the PATCH carried only the changed property')

  // Scenario 3: edit the profile address.
  const u3 = await putScenario(t, base, id, '3-update-profile-address')
  const want3 = example('3-update-profile-address.response').customer
  expectScenario3Addresses(t, u3)
  t.same(u3.json.customer.addressList, want3.addressList, 'scenario 3: appended')
  t.notOk('address_line_2' in stored(id), 'the old addressLine2 is cleared in HubSpot ("" clears)')
  t.equal(patches().at(-1)?.['address_line_2'], '', 'sent as an empty string')

  // The loyalty system writes the account number; searches are not cached, so they show it.
  hubspot.setProperties(id, { loyalty_account_number: 'LY0000000042' })
  await call('POST', base, { customer: { profile: { firstName: 'Amos', lastName: 'Okoye', email: 'amos@example.com', phoneHome: '+1 415 555 0199' } } })

  // Each search in a new second: HubSpot's search window has moved on.
  const search = firstNamesFound(t, base, () => (clock += 1000))
  await expectSearchByEveryParameter(t, search, { customerId: id, loyaltyId: 'LY0000000042' })
  t.same(await search('phoneNumber=4155550199'), ['Amos'], 'phone across the HubSpot phone properties')
  const withLoyalty = await call('GET', `${base}?loyaltyId=LY0000000042`)
  t.same([withLoyalty.json.customers[0].profile.loyaltyId, withLoyalty.json.customers[0].loyaltyProfile.accountNumber], ['LY0000000042', 'LY0000000042'])

  const missing = await call('GET', `${base}/999999999`)
  t.same([missing.status, missing.json.errorCode], [404, 'CUSTOMER_NOT_FOUND'])
  t.equal((await call('GET', `${base}/C00000001`)).status, 404, 'an id HubSpot cannot have: not found')

  const duplicate = await call('POST', base, { profile: { firstName: 'Dup', email: 'amos@example.com' } })
  t.same([duplicate.status, duplicate.json.errorCode], [409, 'DUPLICATE_CUSTOMER'], "HubSpot's 409 on the e-mail")

  const invalid = await call('PUT', base, { customer: { profile: { customerId: id, email: 'not-an-email' } } })
  t.same([invalid.status, invalid.json.errorCode], [400, 'CRM_VALIDATION_FAILED'], "HubSpot's INVALID_EMAIL")
  t.match(invalid.json.errorMessage, /email/, 'naming the property')

  const deep = await call('GET', `${base}?lastName=ok&offset=190&limit=20`)
  t.same([deep.status, deep.json.errorCode], [400, 'PAGING_OUT_OF_RANGE'], 'past the first 200 matches: refused, not walked')
  t.same(hubspot.violations, [], "every request of the run was valid under HubSpot's description")
})

t.test("HubSpot's search rate is kept by the gateway: queued within the deadline, refused beyond it, never a HubSpot 429", async (t) => {
  const hubspot = await startHubSpot(t, { now: () => Date.parse('2024-03-05T12:00:00Z') })
  // A short deadline: a search without a slot within it is refused at once (no real waiting here).
  const { app } = await startGatewayOverHubSpot(t, hubspot.url, { resilience: { requestDeadlineMs: 300 } })
  const base = `${await app.listen({ host: '127.0.0.1', port: 0 })}${SPI}`
  const searches = () => hubspot.requests.filter((r) => r.url.startsWith('/crm/v3/objects/contacts/search')).length
  const answers = await Promise.all(Array.from({ length: 6 }, () => call('GET', `${base}?lastName=ok`)))
  t.same(answers.map((a) => a.status).sort(), [200, 200, 200, 200, 429, 429], 'four per second (the default of the account\'s five); the rest cannot wait for a slot')
  const refused = answers.find((a) => a.status === 429)
  t.same([refused?.json.errorCode, refused?.headers.get('retry-after')], ['CRM_RATE_LIMITED', '1'], 'as CRM_RATE_LIMITED, Retry-After 1')
  t.equal(searches(), 4, 'HubSpot saw four searches: none refused by HubSpot, whose limit is five')
})

t.test('an e-mail search finds a customer created a moment ago: no search index involved', async (t) => {
  const clock = Date.parse('2024-03-05T12:00:00Z')
  const hubspot = await startHubSpot(t, { now: () => clock, indexLagMs: 10_000 })
  const { app } = await startGatewayOverHubSpot(t, hubspot.url)
  const base = `${await app.listen({ host: '127.0.0.1', port: 0 })}${SPI}`
  const created = await call('POST', base, { customer: { profile: { firstName: 'Amelia', lastName: 'Okafor', email: 'Amelia.Okafor@example.com' } } })
  t.equal(created.status, 200)
  const byName = await call('GET', `${base}?lastName=Okafor`)
  t.same(byName.json.customers, [], 'the search index has not seen her yet (HubSpot: "a few moments")')
  const byEmail = await call('GET', `${base}?email=amelia.okafor%40example.com`)
  t.same(byEmail.json.customers.map((c: { profile: { firstName: string } }) => c.profile.firstName), ['Amelia'], 'the e-mail is read exactly: found at once')
  const both = await call('GET', `${base}?email=amelia.okafor%40example.com&lastName=Oka`)
  t.equal(both.json.customers.length, 1, 'other criteria are checked by the gateway on the contact read')
  const wrong = await call('GET', `${base}?email=amelia.okafor%40example.com&lastName=Smith`)
  t.same(wrong.json.customers, [], 'and refuse it when they do not match')
  const next = await call('GET', `${base}?email=amelia.okafor%40example.com&offset=1`)
  t.same(next.json.customers, [], 'an e-mail names one customer: nothing after the first')
  t.equal(hubspot.requests.filter((r) => r.url.startsWith('/crm/v3/objects/contacts/search')).length, 1, 'only the name search used the search endpoint')
  t.same(hubspot.violations, [])
})

t.test('readiness names the properties a portal lacks until they are provisioned', async (t) => {
  const hubspot = await startHubSpot(t, { provisioned: false })
  const before = await startGatewayOverHubSpot(t, hubspot.url)
  const unready = await before.app.inject({ method: 'GET', url: '/readyz' })
  t.equal(unready.statusCode, 503, 'not ready: its creates would fail')
  const body = unready.json()
  t.equal(body.status, 'unready')
  t.match(body.reason, /^the CRM lacks fields the mapping table uses: .*consent_terms.*; run "clienteling-gateway crm provision"/)
  t.ok(body.fields.missing.includes('clienteling_create_request_id') && !body.fields.missing.includes('email'), 'custom properties named, none of HubSpot\'s own')
  const create = await before.inject({ method: 'POST', url: SPI, payload: example('1-create-with-loyalty.request') })
  t.same([create.statusCode, create.json().errorCode], [400, 'CRM_VALIDATION_FAILED'], 'what a create meets meanwhile: HubSpot refuses unknown properties')

  const adapter = hubspotAdapter(t, hubspot.url, before.mapping)
  await adapter.fieldSchema?.provision(before.mapping.fields, { signal: AbortSignal.timeout(5000), log: createSilentLogger(), requestId: 'provision' })
  const after = await startGatewayOverHubSpot(t, hubspot.url)
  const ready = await after.app.inject({ method: 'GET', url: '/readyz' })
  t.same([ready.statusCode, ready.json().fields], [200, { status: 'ok' }], 'provisioned: ready')
  t.equal((await after.inject({ method: 'POST', url: SPI, payload: example('1-create-with-loyalty.request') })).statusCode, 200)
})

t.test("HubSpot's 429s as the POS sees them: the body's policy decides between a short wait and a spent day", async (t) => {
  const hubspot = await startHubSpot(t, { now: () => Date.parse('2024-03-05T12:00:00Z'), searchRateLimit: { max: 1, windowMs: 1000 } })
  const { app } = await startGatewayOverHubSpot(t, hubspot.url)
  const base = `${await app.listen({ host: '127.0.0.1', port: 0 })}${SPI}`
  t.equal((await call('GET', `${base}?lastName=ok`)).status, 200)
  // Another integration of the portal spent the second's search: HubSpot answers SECONDLY.
  const secondly = await call('GET', `${base}?lastName=ok`)
  t.same([secondly.status, secondly.json.errorCode, secondly.headers.get('retry-after')], [429, 'CRM_RATE_LIMITED', '1'], 'per second: retry in a second')
  hubspot.setDailyLimitReached(true)
  const daily = await call('GET', `${base}/424242`) // not cached: the read reaches HubSpot
  t.same([daily.status, daily.json.errorCode, daily.headers.get('retry-after')], [429, 'CRM_QUOTA_EXHAUSTED', '60'], 'DAILY: the allowance is spent; the longest wait the gateway asks for, not ten seconds')
  t.notSame(daily.json.errorMessage, secondly.json.errorMessage, 'and the associate is told which it is')
})
