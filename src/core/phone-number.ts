/**
 * Phone numbers as the SPI searches them (CONTRACT §4: "comparing digits only, formatting
 * ignored"): by their national significant number, so a number typed or stored in national
 * form (`(415) 555-0177`, `020 7946 0958`), in international form (`+1 415 555 0177`) or as bare
 * digits (`14155550177`) is the same number. One definition for every search path: the mapping
 * engine builds the CRM criterion from `phoneQuery`, and the customer service checks records
 * with `phoneMatches` (the customerId path, and CRM answers to a phone search).
 * libphonenumber-js: https://gitlab.com/catamphetamine/libphonenumber-js
 */
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js'

export interface PhoneQuery {
  /** Digits of the national significant number: no country code, no trunk prefix. */
  readonly nationalNumber: string
  /** The country calling code (`1`, `44`…), when the number could be read with one. */
  readonly countryCallingCode?: string
  /** The number in E.164, when it could be read as one. */
  readonly international?: string
}

const digitsOf = (text: string): string => text.replace(/\D/g, '')

/**
 * The searched number. `region` (ISO 3166, e.g. `US`) is how a number typed without a country
 * code is read; without it, or when the text is no phone number libphonenumber knows, the
 * digits are used as typed, leading zeros (trunk prefixes) dropped. Undefined: no digit at all.
 */
export function phoneQuery(text: string, region?: CountryCode): PhoneQuery | undefined {
  const parsed = parsePhoneNumberFromString(text, region)
  if (parsed !== undefined && parsed.isPossible()) {
    return { nationalNumber: parsed.nationalNumber, countryCallingCode: parsed.countryCallingCode, international: parsed.number }
  }
  const digits = digitsOf(text).replace(/^0+/, '')
  return digits === '' ? undefined : { nationalNumber: digits }
}

/**
 * Whether a stored number is the searched one. A stored number libphonenumber can read matches
 * on its national significant number — and on its country code too when the query has one; a
 * query read without a country (bare digits, no region) may also spell the country code
 * (`14155550177`). A stored text libphonenumber cannot read matches when its digits end with
 * the national number (the port's `phone` operator).
 */
export function phoneMatches(stored: unknown, query: PhoneQuery, region?: CountryCode): boolean {
  if (typeof stored !== 'string' || query.nationalNumber === '') return false
  const parsed = parsePhoneNumberFromString(stored, region)
  if (parsed === undefined || !parsed.isPossible()) return digitsOf(stored).endsWith(query.nationalNumber)
  if (query.countryCallingCode !== undefined) {
    return parsed.nationalNumber === query.nationalNumber && parsed.countryCallingCode === query.countryCallingCode
  }
  return parsed.nationalNumber === query.nationalNumber || `${parsed.countryCallingCode}${parsed.nationalNumber}` === query.nationalNumber
}
