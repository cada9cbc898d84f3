/**
 * UPDATE_CUSTOMER's rules (CONTRACT §4), as a pure function: from the current customer and the
 * request, the SPI-level patch to send. Absent = unchanged and "" = clear come for free, since
 * the mapper turns a partial customer into a partial CRM patch; what needs thought is addresses
 * and the loyalty profile.
 */
import type { Address, Customer, LoyaltyProfile } from '../spi/customer-schema.js'
import { appendAddresses, hasAddress, replacementAddress, sameAddress, withoutClears } from './address-rules.js'
import { READ_ONLY_KEYS } from './customer-fields.js'

export function planUpdate(current: Customer, request: Customer): Customer {
  const patch: Customer = {}
  for (const [key, value] of Object.entries(request)) {
    if (READ_ONLY_KEYS.has(key) || key === 'addressList') continue
    ;(patch as Record<string, unknown>)[key] = value
  }
  if (request.profile) {
    // The id selects the customer; it is never a field to write.
    const { customerId: _id, ...profile } = request.profile
    patch.profile = profile
  }

  const newProfileAddress = request.profile?.address
  const addressChanged =
    hasAddress(newProfileAddress) && !(current.profile?.address && sameAddressExactly(current.profile.address, newProfileAddress))
  if (patch.profile && newProfileAddress !== undefined) {
    if (addressChanged) patch.profile.address = replacementAddress(current.profile?.address, newProfileAddress)
    else delete patch.profile.address
  }

  if (patch.profile && Object.keys(patch.profile).length === 0) delete patch.profile

  const loyalty = planLoyalty(current, request, addressChanged ? newProfileAddress : undefined)
  if (loyalty) patch.loyaltyProfile = loyalty
  else delete patch.loyaltyProfile

  // Every address the request carries is added to the list, the profile's new one included.
  const candidates: Address[] = [...(request.addressList ?? [])]
  if (addressChanged && newProfileAddress) candidates.push(newProfileAddress)
  const list = appendAddresses(current.addressList ?? [], candidates.map(withoutClears))
  if (list) patch.addressList = list

  return patch
}

function planLoyalty(current: Customer, request: Customer, newAddress: Address | undefined): LoyaltyProfile | undefined {
  const hasLoyalty = isNonEmpty(current.loyaltyProfile)
  const signsUp = request.consents?.loyaltySignUp === true && !hasLoyalty
  // CONTRACT §4: an update never creates a loyalty profile unless the customer signs up; loyalty
  // fields sent for a customer without one are ignored, like the read-only summaries.
  if (!hasLoyalty && !signsUp) return undefined
  let loyalty: LoyaltyProfile | undefined = request.loyaltyProfile ? { ...request.loyaltyProfile } : undefined

  if (loyalty?.address && hasAddress(loyalty.address)) {
    loyalty.address = replacementAddress(current.loyaltyProfile?.address, loyalty.address)
  }
  if (signsUp) {
    // Joining the programme creates the loyalty profile from the customer's own details.
    const profile = { ...current.profile, ...request.profile }
    loyalty = {
      ...(profile.firstName ? { firstName: profile.firstName } : {}),
      ...(profile.lastName ? { lastName: profile.lastName } : {}),
      ...(hasAddress(profile.address) ? { address: withoutClears(profile.address) } : {}),
      ...loyalty
    }
  }
  // A new profile address also becomes the loyalty address, when there is a loyalty profile
  // (scenario 3); an explicit loyalty address in the same request wins.
  if (newAddress && (hasLoyalty || signsUp) && !request.loyaltyProfile?.address) {
    loyalty = { ...loyalty, address: replacementAddress(current.loyaltyProfile?.address, newAddress) }
  }
  return loyalty && Object.keys(loyalty).length > 0 ? loyalty : undefined
}

/** Same place and same details: re-sending the current address is not a change. */
function sameAddressExactly(a: Address, b: Address): boolean {
  return sameAddress(a, b) && JSON.stringify(withoutClears(a)) === JSON.stringify(withoutClears(b))
}

function isNonEmpty(v: object | undefined): boolean {
  return v !== undefined && Object.keys(v).length > 0
}

