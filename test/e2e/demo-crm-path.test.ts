/**
 * The whole real path over HTTP: POS request → contract → customer service → mapping table
 * (mappings/demo-crm.yaml) → demo-crm adapter → HTTP → the embedded demo CRM → back.
 * Nothing is doubled: both servers listen on loopback, the CRM persists to a temp file.
 */
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { buildDemoCrm } from '../../demo-crm/app.js'
import { TEST_API_KEY, tempDir } from '../demo-crm/fixtures/harness.js'
import { posCall as call } from '../helpers/pos-call.js'
import { expectScenario3Addresses, firstNamesFound, putScenario } from '../helpers/vendor-scenarios.js'
import { SPI, startGateway as buildGateway } from '../helpers/gateway-over-demo-crm.js'
import { example } from '../helpers/spi-examples.js'
import { expectSearchByEveryParameter } from '../helpers/spi-search-checks.js'

const API_KEY = TEST_API_KEY

let dataFile = ''

async function startCrm(port = 0): Promise<{ crm: FastifyInstance; url: string }> {
  const crm = await buildDemoCrm({ apiKey: API_KEY, dataFile })
  const url = await crm.listen({ host: '127.0.0.1', port })
  return { crm, url }
}

/** The gateway listening on loopback: the POS side is real HTTP too. */
async function startGateway(crmUrl: string): Promise<{ gateway: FastifyInstance; base: string }> {
  const { app } = await buildGateway(t, crmUrl)
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  return { gateway: app, base: `${url}${SPI}` }
}


t.test('the three vendor scenarios, search, and a CRM restart — over real HTTP', async (t) => {
  dataFile = `${await tempDir(t)}/crm.json`
  const started = await startCrm()
  const crmUrl = started.url
  let crm = started.crm
  const { base } = await startGateway(crmUrl)
  t.teardown(() => crm.close())

  // Scenario 1: create with loyalty sign-up.
  const created = await call('POST', base, example('1-create-with-loyalty.request'))
  t.equal(created.status, 200)
  const c1 = created.json.customer
  const want1 = example('1-create-with-loyalty.response').customer
  t.match(c1.profile.customerId, /^C\d{8}$/, 'the demo CRM assigned its id')
  t.match(c1.loyaltyProfile.accountNumber, /^LY\d{10}$/, 'and a loyalty account number')
  const { loyaltyId, ...profile } = c1.profile
  t.same({ ...profile, customerId: want1.profile.customerId }, want1.profile, 'profile as the example')
  t.equal(loyaltyId, c1.loyaltyProfile.accountNumber, 'the demo table mirrors the account number as profile.loyaltyId')
  t.same(c1.consents, want1.consents)
  t.same(c1.addressList.map(({ addressId: _id, ...a }: Record<string, unknown>) => a), want1.addressList, 'the address is saved')
  t.same(c1.loyaltyProfile.address, want1.loyaltyProfile.address, 'and is the loyalty address')
  t.equal(c1.loyaltyProfile.firstName, 'Amelia')
  t.notOk('storeAttribution' in c1)
  const id = c1.profile.customerId as string

  const stored = await fetch(`${crmUrl}/api/v1/contacts/${id}`, { headers: { 'x-api-key': API_KEY } }).then((r) => r.json() as Promise<Record<string, any>>)
  t.equal(stored.BIRTH_DATE, '04/17/1990', 'the CRM holds its own date format')
  t.equal(stored.LOYALTY_OPT_IN, 'Y', 'and its own flags')
  t.equal(stored.HOME_STORE, 'SF-UNION-SQ', 'store attribution reached the CRM')

  // Scenario 2: save a shipping address to the profile.
  const u2 = await putScenario(t, base, id, '2-update-save-shipping-address')
  const lines2 = u2.json.customer.addressList.map((a: { addressLine1: string }) => a.addressLine1)
  t.same(lines2, ['500 Howard St', '1 Ferry Building'], 'scenario 2: appended, first kept')
  t.equal(u2.json.customer.addressList[1].phone, '+14155550142')

  // Scenario 3: edit the profile address.
  const u3 = await putScenario(t, base, id, '3-update-profile-address')
  expectScenario3Addresses(t, u3)
  t.equal(u3.json.customer.loyaltyProfile.accountNumber, c1.loyaltyProfile.accountNumber)
  t.same(
    u3.json.customer.addressList.map((a: { addressLine1: string }) => a.addressLine1),
    ['500 Howard St', '1 Ferry Building', '2200 Mission St'],
    'scenario 3: appended'
  )

  // A second customer, so that searches have something to tell apart.
  const other = await call('POST', base, { customer: { profile: { firstName: 'Amos', lastName: 'Okoye', email: 'amos@example.com', phoneHome: '+1 415 555 0199' } } })
  t.equal(other.status, 200)

  const search = firstNamesFound(t, base)
  await expectSearchByEveryParameter(t, search, { customerId: id, loyaltyId: c1.loyaltyProfile.accountNumber })
  t.same(await search('phone=4155550199'), ['Amos'], 'phone across the CRM phone fields')

  const missing = await call('GET', `${base}/C99999999`)
  t.equal(missing.status, 404)
  t.equal(missing.json.errorCode, 'CUSTOMER_NOT_FOUND')

  const duplicate = await call('POST', base, { profile: { firstName: 'Dup', email: 'amos@example.com' } })
  t.equal(duplicate.status, 409, "the CRM's duplicate e-mail is a 409")
  t.equal(duplicate.json.errorCode, 'DUPLICATE_CUSTOMER')

  // Restart the CRM on the same port and file: what was written is still there.
  const port = Number(new URL(crmUrl).port)
  await crm.close()
  const down = await call('GET', `${base}/C00000099`)
  t.equal(down.status, 503, 'with the CRM down the gateway says so, never "not found"')
  ;({ crm } = await startCrm(port))
  const after = await call('GET', `${base}/${id}`)
  t.equal(after.status, 200, 'the customer created before the restart is still there')
  t.same(after.json.customer, u3.json.customer, 'unchanged')
})
