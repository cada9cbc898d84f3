/**
 * The steps of the vendor guide's scenarios that every end-to-end path (demo CRM, HubSpot,
 * Pipedrive, SAP C4C, Dynamics 365) takes the same way, as the POS sends them over HTTP; each
 * test adds what its CRM stores and was sent.
 */
import { posCall, type PosAnswer } from './pos-call.js'
import { example } from './spi-examples.js'

interface Assert {
  equal(found: unknown, wanted: unknown, message: string): unknown
  same(found: unknown, wanted: unknown, message: string): unknown
}

/** Scenario 2 (save a shipping address) or 3 (edit the profile address) for customer `id`: the answer, asserted 200. */
export async function putScenario(t: Assert, base: string, id: string, scenario: '2-update-save-shipping-address' | '3-update-profile-address'): Promise<PosAnswer> {
  const request = example(`${scenario}.request`)
  request['customer'].profile.customerId = id
  const answer = await posCall('PUT', base, request)
  t.equal(answer.status, 200, `scenario ${scenario.charAt(0)} answered`)
  return answer
}

/** Scenario 3's answer: the profile address replaced whole, the loyalty address following it. */
export function expectScenario3Addresses(t: Assert, answer: PosAnswer): void {
  const want = example('3-update-profile-address.response')['customer']
  t.same(answer.json.customer.profile.address, want.profile.address, 'scenario 3: replaced whole')
  t.same(answer.json.customer.loyaltyProfile.address, want.loyaltyProfile.address, 'and the loyalty address follows')
}

/** A search as the POS makes it: the first names it answers, asserted 200. `before` runs ahead of each (a clock to move). */
export function firstNamesFound(t: Assert, base: string, before?: () => void): (qs: string) => Promise<string[]> {
  return async (qs) => {
    before?.()
    const answer = await posCall('GET', `${base}?${qs}`)
    t.equal(answer.status, 200, qs)
    return answer.json.customers.map((c: { profile: { firstName: string } }) => c.profile.firstName)
  }
}

/**
 * Scenario 1's answer, for a CRM that keeps every field of it: the example's profile (the id
 * is the CRM's), consents and address list; its loyalty profile without the account number,
 * which the loyalty system assigns; no store attribution (written, never read back).
 */
export function expectScenario1AsExample(t: Assert & { notOk(value: unknown, message: string): unknown }, customer: Record<string, any>): void {
  const want = example('1-create-with-loyalty.response')['customer']
  t.same({ ...customer['profile'], customerId: want.profile.customerId }, want.profile, 'profile as the example')
  t.same(customer['consents'], want.consents, 'consents as the example')
  t.same(customer['addressList'], want.addressList, 'the address is saved to the list')
  const { accountNumber: _assignedElsewhere, ...loyalty } = want.loyaltyProfile
  t.same(customer['loyaltyProfile'], loyalty, 'the loyalty profile, its account number left to the loyalty system')
  t.notOk('storeAttribution' in customer, 'no store attribution in the answer')
}
