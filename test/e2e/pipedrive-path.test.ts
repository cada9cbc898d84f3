/**
 * The whole path over Pipedrive, configured only: POS request → contract → customer service →
 * mappings/pipedrive.yaml → the declarative REST adapter (from the registry: adapter `rest`,
 * mappings/pipedrive.rest.yaml) → HTTP → the Pipedrive double (API v2) → back. Both servers
 * listen on loopback. Each test ends with the double's `violations` empty: every request the
 * gateway made is one Pipedrive's reference allows. The double's clock is the test's (no sleeps).
 */
import t from 'tap'
import { CONSENT_OPTION_IDS, PERSON_FIELD_KEYS as K } from '../fakes/pipedrive-double.js'
import { posCall as call } from '../helpers/pos-call.js'
import { expectScenario1AsExample, expectScenario3Addresses, firstNamesFound, putScenario } from '../helpers/vendor-scenarios.js'
import { PIPEDRIVE_TOKEN, SPI, startGatewayOverPipedrive, startPipedrive } from '../helpers/gateway-over-pipedrive.js'
import { example } from '../helpers/spi-examples.js'
import { expectSearchByEveryParameter } from '../helpers/spi-search-checks.js'


t.test('the three vendor scenarios and every search over Pipedrive — real HTTP, no Pipedrive code', async (t) => {
  const clock = Date.parse('2026-03-05T12:00:00Z')
  const pipedrive = await startPipedrive(t, { now: () => clock, firstId: 101 })
  const { app } = await startGatewayOverPipedrive(t, pipedrive.url)
  const base = `${await app.listen({ host: '127.0.0.1', port: 0 })}${SPI}`
  const stored = (id: string) => pipedrive.persons.get(Number(id))
  const custom = (id: string, key: string): unknown => stored(id)?.custom_fields.get(key)
  const patches = () => pipedrive.requests.filter((r) => r.method === 'PATCH').map((r) => r.body as Record<string, any>)

  // Scenario 1: create with loyalty sign-up.
  const created = await call('POST', base, example('1-create-with-loyalty.request'))
  t.equal(created.status, 200)
  const c1 = created.json.customer
  const want1 = example('1-create-with-loyalty.response').customer
  t.equal(c1.profile.customerId, '101', 'Pipedrive assigned its (numeric) id, answered as text')
  expectScenario1AsExample(t, c1)
  const id = c1.profile.customerId as string

  const person = stored(id)
  t.match(person, { name: 'Amelia Okafor', first_name: 'Amelia', last_name: 'Okafor' }, 'the name written whole; Pipedrive split it')
  t.same(person?.emails, [{ value: 'amelia.okafor@example.com', label: 'work', primary: true }], 'the e-mail as the primary item')
  t.same(person?.phones, [{ value: '+14155550142', label: 'mobile', primary: true }], 'the mobile as the item labelled mobile')
  t.same(
    [K.consentTerms, K.consentLoyalty, K.consentEReceipt, K.consentNewsletter, K.consentSms].map((k) => custom(id, k)),
    [CONSENT_OPTION_IDS.consentTerms.yes, CONSENT_OPTION_IDS.consentLoyalty.yes, CONSENT_OPTION_IDS.consentEReceipt.yes, CONSENT_OPTION_IDS.consentNewsletter.no, CONSENT_OPTION_IDS.consentSms.no],
    'consents as the Yes/No options’ ids'
  )
  t.same([custom(id, K.birthday), custom(id, K.preferredLanguage), custom(id, K.salutation), custom(id, K.homeStore)], ['1990-04-17', 31, 'Ms', 'SF-UNION-SQ'])
  t.match(custom(id, K.postalAddress), { value: '500 Howard St', subpremise: 'Apt 12', locality: 'San Francisco', admin_area_level_1: 'CA', postal_code: '94105', country: 'US' }, 'the address in an address field')
  t.same(JSON.parse(String(custom(id, K.addressList))), want1.addressList, 'the address list as JSON in a long-text field')
  t.match(custom(id, K.createRequestId), /\S/, 'the creation marker is stored')

  // Scenario 2: save a shipping address to the profile.
  const u2 = await putScenario(t, base, id, '2-update-save-shipping-address')
  t.same(u2.json.customer.addressList, example('2-update-save-shipping-address.response').customer.addressList, 'scenario 2: appended, first kept')
  t.same(patches().at(-1), { custom_fields: { [K.addressList]: custom(id, K.addressList) } }, 'the PATCH carried only the changed custom field')

  // Scenario 3: edit the profile address.
  const u3 = await putScenario(t, base, id, '3-update-profile-address')
  const want3 = example('3-update-profile-address.response').customer
  expectScenario3Addresses(t, u3)
  t.same(u3.json.customer.addressList, want3.addressList, 'scenario 3: appended')
  t.notOk(custom(id, K.postalAddress) !== undefined && (custom(id, K.postalAddress) as Record<string, unknown>)['subpremise'], 'the old addressLine2 is cleared in Pipedrive')
  t.equal(patches().at(-1)?.['custom_fields']?.[K.postalAddress]?.subpremise, '', 'sent as an empty string')

  // A partial update of one name: the whole name is written, its other half from the stored person.
  const renamed = await call('PUT', base, { customer: { profile: { customerId: id, lastName: 'Okafor-Smith' } } })
  t.same([renamed.json.customer.profile.firstName, renamed.json.customer.profile.lastName], ['Amelia', 'Okafor-Smith'])
  t.same(patches().at(-1), { name: 'Amelia Okafor-Smith' }, 'Pipedrive’s name, completed from the stored first name')
  const back = await call('PUT', base, { customer: { profile: { customerId: id, lastName: 'Okafor', phoneHome: '(415) 555-0100' } } })
  t.same(stored(id)?.phones.map((p) => [p.label, p.value]), [['mobile', '+14155550142'], ['home', '+14155550100']], 'a second phone: the list sent whole, the mobile kept')
  t.equal(back.json.customer.profile.phoneHome, '+14155550100')

  // The loyalty system writes the account number; searches are not cached, so they show it.
  pipedrive.setFieldValue(Number(id), K.loyaltyAccountNumber, 'LY0000000042')
  const amos = await call('POST', base, { customer: { profile: { firstName: 'Amos', lastName: 'Okoye', email: 'amos@example.com', phoneHome: '+1 415 555 0199' } } })
  t.equal(amos.status, 200)

  const search = firstNamesFound(t, base)
  await expectSearchByEveryParameter(t, search, { customerId: id, loyaltyId: 'LY0000000042' })
  t.same(await search('phoneNumber=4155550199'), ['Amos'], 'a phone whatever its label')
  t.same(await search('firstName=A'), ['Amelia', 'Amos'], 'one letter, too short for Pipedrive’s term: every person read from the list and compared here')
  const withLoyalty = await call('GET', `${base}?loyaltyId=LY0000000042`)
  t.same([withLoyalty.json.customers[0].profile.loyaltyId, withLoyalty.json.customers[0].loyaltyProfile.accountNumber], ['LY0000000042', 'LY0000000042'])

  const missing = await call('GET', `${base}/999999999`)
  t.same([missing.status, missing.json.errorCode], [404, 'CUSTOMER_NOT_FOUND'])
  const before = pipedrive.requests.length
  t.equal((await call('GET', `${base}/C00000001`)).status, 404, 'an id Pipedrive cannot have: not found')
  t.equal(pipedrive.requests.length, before, 'without a call')

  const yearless = await call('PUT', base, { customer: { profile: { customerId: id, birthday: '--04-17', salutation: 'Dr' } } })
  t.equal(yearless.status, 200, 'a birthday without a year is not refused')
  t.same([yearless.json.customer.profile.birthday, yearless.json.customer.profile.salutation], ['1990-04-17', 'Dr'], 'it is not written (a Pipedrive date needs a year): the stored one stays, the rest is saved')
  t.notOk(K.birthday in (patches().at(-1)?.['custom_fields'] ?? {}), 'no birthday in the PATCH')

  const twin = await call('POST', base, { profile: { firstName: 'Amos', lastName: 'Twin', email: 'amos@example.com' } })
  t.equal(twin.status, 200, 'Pipedrive has no unique e-mail: a second person with it is made')
  t.same(await search('email=amos%40example.com'), ['Amos', 'Amos'], 'and a search by the e-mail finds both')
  t.same(pipedrive.violations, [], 'every request of the run is one Pipedrive’s reference allows')
})

t.test("Pipedrive's answers as the POS sees them: deleted persons, its throttling, its refusals — through app.inject", async (t) => {
  const pipedrive = await startPipedrive(t, { now: () => Date.parse('2026-03-05T12:00:00Z') })
  const gateway = await startGatewayOverPipedrive(t, pipedrive.url)

  const created = await gateway.inject({ method: 'POST', url: SPI, payload: { customer: { profile: { firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.com' } } } })
  t.equal(created.statusCode, 200)
  // Another Pipedrive user adds a person, then deletes it: Pipedrive still answers it, marked.
  const added = await fetch(`${pipedrive.url}/api/v2/persons`, {
    method: 'POST',
    headers: { 'x-api-token': PIPEDRIVE_TOKEN, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Bo Gone' })
  })
  const goneId = String(((await added.json()) as { data: { id: number } }).data.id)
  pipedrive.deletePerson(Number(goneId))
  const gone = await gateway.inject({ method: 'GET', url: `${SPI}/${goneId}` })
  t.same([gone.statusCode, gone.json().errorCode], [404, 'CUSTOMER_NOT_FOUND'], 'a deleted person is not a customer (is_deleted: true)')
  t.ok(pipedrive.requests.some((r) => r.method === 'GET' && r.url === `/api/v2/persons/${goneId}`), 'though Pipedrive answered it')
  const read = await gateway.inject({ method: 'PUT', url: `${SPI}/${goneId}`, payload: { customer: { profile: { firstName: 'Back' } } } })
  t.same([read.statusCode, read.json().errorCode], [404, 'CUSTOMER_NOT_FOUND'], 'nor can it be updated')
  const byName = await gateway.inject({ method: 'GET', url: `${SPI}?lastName=Gone` })
  t.same(byName.json().customers, [], 'nor found')

  pipedrive.setSearchRateLimit({ max: 0, windowMs: 2000 })
  const throttled = await gateway.inject({ method: 'GET', url: `${SPI}?lastName=Lovelace` })
  t.same([throttled.statusCode, throttled.json().errorCode, throttled.headers['retry-after']], [429, 'CRM_RATE_LIMITED', '2'], 'its search window: the wait from x-ratelimit-reset')

  const refused = await gateway.inject({ method: 'PUT', url: SPI, payload: { customer: { profile: { customerId: created.json().customer.profile.customerId, preferredLanguage: 'pt-BR' } } } })
  t.same([refused.statusCode, refused.json().errorCode], [400, 'INVALID_REQUEST'], 'a language the account has no option for: refused by the table')
  t.notOk(pipedrive.requests.some((r) => r.method === 'PATCH'), 'nothing was written')
  t.same(pipedrive.violations, [])
})
