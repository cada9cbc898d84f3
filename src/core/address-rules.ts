/**
 * The SPI's address rules (CONTRACT §4, scenarios 1–3): an address is listed once, judged by
 * its addressId or by its normalized lines, city, state, postal code and country.
 */
import type { Address } from '../spi/customer-schema.js'

/** The keys that make an address the same place; names and phone do not. */
const PLACE_KEYS = ['addressLine1', 'addressLine2', 'city', 'state', 'postalCode', 'countryCode'] as const

/** Keys of the Address object itself: replacing an address clears the ones the new one lacks. */
export const ADDRESS_KEYS = [
  'addressId', 'firstName', 'lastName', 'addressLine1', 'addressLine2', 'city', 'state',
  'postalCode', 'countryCode', 'phone', 'isDefault'
] as const

function norm(v: unknown): string {
  return typeof v === 'string' ? v.trim().replace(/\s+/g, ' ').toLowerCase() : ''
}

export function placeKey(a: Address): string {
  return PLACE_KEYS.map((k) => norm(a[k])).join('\u0000')
}

export function sameAddress(a: Address, b: Address): boolean {
  if (a.addressId && b.addressId && a.addressId === b.addressId) return true
  return placeKey(a) === placeKey(b)
}

/** True when the address carries anything at all (an empty object is no address). */
export function hasAddress(a: Address | undefined): a is Address {
  return a !== undefined && Object.values(a).some((v) => v !== undefined && v !== '')
}

/**
 * Appends each candidate not already listed (nor listed earlier in `candidates`).
 * Returns the new list, or undefined when nothing was added.
 */
export function appendAddresses(existing: readonly Address[], candidates: readonly Address[]): Address[] | undefined {
  const list = [...existing]
  let added = false
  for (const c of candidates) {
    if (!hasAddress(c) || list.some((a) => sameAddress(a, c))) continue
    list.push(c)
    added = true
  }
  return added ? list : undefined
}

/**
 * An address in a request replaces the previous one whole (scenario 3 drops the old
 * addressLine2): keys the old address had and the new one lacks are sent as "" (clear), so a
 * CRM that stores address parts as separate fields clears them too.
 */
export function replacementAddress(previous: Address | undefined, next: Address): Address {
  const out: Address = { ...next }
  if (!previous) return out
  for (const k of ADDRESS_KEYS) {
    if (previous[k] !== undefined && out[k] === undefined && k !== 'isDefault') out[k] = ''
  }
  return out
}

/** The address without the "" clears that replacementAddress adds (for lists and answers). */
export function withoutClears(a: Address): Address {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(a)) if (v !== '') out[k] = v
  return out
}
