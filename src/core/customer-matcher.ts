/**
 * The SPI's search criteria checked on a customer, in SPI terms (CONTRACT §4): the one matcher
 * the customer service uses wherever it decides a match itself — the customerId path (a GET,
 * then the other criteria checked here) and the re-check of a CRM's answer to a phone search.
 */
import type { Customer, SearchParam } from '../spi/customer-schema.js'
import { phoneMatches, phoneQuery, type PhoneQuery } from './phone-number.js'

const lower = (s: unknown): string => (typeof s === 'string' ? s.toLowerCase() : '')

/**
 * `phone`: the searched number as the mapping table reads it (its region); without it, the
 * typed value is read on its own (international numbers and bare digits).
 */
export function matchesCriterion(c: Customer, param: SearchParam, value: string, phone?: PhoneQuery): boolean {
  const p = c.profile ?? {}
  const v = value.toLowerCase()
  switch (param) {
    case 'firstName':
      return lower(p.firstName).startsWith(v)
    case 'lastName':
      return lower(p.lastName).startsWith(v)
    case 'email':
      return lower(p.email) === v
    case 'phone': {
      const wanted = phone ?? phoneQuery(value)
      return wanted !== undefined && [p.phoneMobile, p.phone, p.phoneHome].some((x) => phoneMatches(x, wanted))
    }
    case 'customerId':
      return p.customerId === value
    case 'loyaltyId':
      return p.loyaltyId === value || c.loyaltyProfile?.accountNumber === value
  }
}
