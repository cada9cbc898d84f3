/**
 * Search criteria checked in SPI terms, for the one criterion the service answers itself
 * (customerId: a GET, then the other criteria checked here) — same semantics as CONTRACT §4.
 */
import type { Customer, SearchParam } from '../spi/customer-schema.js'

const digits = (s: string): string => s.replace(/\D/g, '')
const lower = (s: unknown): string => (typeof s === 'string' ? s.toLowerCase() : '')

export function matchesCriterion(c: Customer, param: SearchParam, value: string): boolean {
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
      const wanted = digits(value)
      return wanted !== '' && [p.phoneMobile, p.phone, p.phoneHome].some((x) => typeof x === 'string' && digits(x) === wanted)
    }
    case 'customerId':
      return p.customerId === value
    case 'loyaltyId':
      return p.loyaltyId === value || c.loyaltyProfile?.accountNumber === value
  }
}
