/**
 * The contact record's rules (API.md § Contact record): which fields exist and what values
 * they take, how a POST or PATCH body is checked, and how a PATCH merges into the stored
 * contact. Pure functions: the store supplies ids, the app supplies "today".
 *
 * Security note: every key of every object is checked against FIELD_NAME before it is used,
 * so `__proto__`, `constructor` and `prototype` are refused (422) and never reach an
 * assignment. Rule tables are Maps, so a key can never resolve to something inherited.
 */
import { badRequest, validationFailed } from './errors.js'

/** A stored contact: a plain JSON object in the CRM's field names. */
export type Contact = Record<string, unknown>

/** Field names, at every level (API.md: anything else → 422). */
export const FIELD_NAME = /^[A-Z][A-Z0-9_]*$/

/** Maintained by the CRM; sent in a POST or PATCH they are ignored (API.md § Endpoints). */
const READ_ONLY = new Set(['CONTACT_ID', 'ORDER_COUNT', 'CREATED_ON', 'MODIFIED_ON', 'VERSION'])

/** The outcome of checking a POST or PATCH body. */
export interface CheckedInput {
  /** Fields to store, cleaned (nested `""` dropped, read-only fields left out). */
  readonly set: Readonly<Record<string, unknown>>
  /** Fields sent as `""`: removed by a PATCH, simply absent in a POST. */
  readonly remove: readonly string[]
}

/** Where fresh ids come from (the store's persisted counters). */
export interface IdSource {
  nextLoyaltyNo(): string
  nextAddressId(): string
}

// ---------------------------------------------------------------------------------------------
// Value checks. Each returns the cleaned value, or undefined after recording the bad path.

class Checker {
  readonly bad: string[] = []

  fail(path: string): undefined {
    if (!this.bad.includes(path)) this.bad.push(path)
    return undefined
  }
}

type Rule = (c: Checker, value: unknown, path: string) => unknown

export const isPlainObject = (v: unknown): v is Record<string, unknown> => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false
  const proto: unknown = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}

const str: Rule = (c, v, path) => (typeof v === 'string' ? v : c.fail(path))

const flag: Rule = (c, v, path) => (v === 'Y' || v === 'N' ? v : c.fail(path))

const num: Rule = (c, v, path) => (typeof v === 'number' && Number.isFinite(v) ? v : c.fail(path))

const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/
const email: Rule = (c, v, path) => (typeof v === 'string' && v.length <= 254 && EMAIL.test(v) ? v : c.fail(path))

const GENDERS = new Set(['M', 'F', 'X', 'U'])
const gender: Rule = (c, v, path) => (typeof v === 'string' && GENDERS.has(v) ? v : c.fail(path))

const isLeap = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0
const DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const

/** `MM/DD/YYYY`, or `MM/DD` when `allowNoYear` (a birthday whose year is unknown). */
export function isCrmDate(v: string, allowNoYear: boolean): boolean {
  const m = /^(\d{2})\/(\d{2})(?:\/(\d{4}))?$/.exec(v)
  if (!m) return false
  const month = Number(m[1])
  const day = Number(m[2])
  const year = m[3] === undefined ? undefined : Number(m[3])
  if (year === undefined && !allowNoYear) return false
  const maxDay = DAYS[month - 1]
  if (maxDay === undefined || day < 1 || day > maxDay) return false
  // Feb 29 needs a leap year when the year is known.
  return !(month === 2 && day === 29 && year !== undefined && !isLeap(year))
}

const date: Rule = (c, v, path) => (typeof v === 'string' && isCrmDate(v, false) ? v : c.fail(path))
const birthDate: Rule = (c, v, path) => (typeof v === 'string' && isCrmDate(v, true) ? v : c.fail(path))

/**
 * A custom value (a field the CRM does not know): any JSON value but null, with valid field
 * names in every nested object. Stored as sent, except that `""` inside an object means absent.
 */
const custom: Rule = (c, v, path) => {
  if (v === null || v === undefined) return c.fail(path)
  if (Array.isArray(v)) {
    const items = v.map((item, i) => custom(c, item, `${path}.${i}`))
    return items.includes(undefined) ? undefined : items
  }
  if (typeof v === 'object') return object(new Map())(c, v, path)
  return v
}

/** An object whose known keys follow `rules`; other valid names are custom values. */
function object(rules: ReadonlyMap<string, Rule>): Rule {
  return (c, v, path) => {
    if (!isPlainObject(v)) return c.fail(path)
    const out: Record<string, unknown> = {}
    let ok = true
    for (const [key, value] of Object.entries(v)) {
      const at = path === '' ? key : `${path}.${key}`
      if (!FIELD_NAME.test(key)) {
        c.fail(at)
        ok = false
        continue
      }
      // "" inside an object: in a PATCH it removes that key (mergeValue), in a POST it is absent.
      if (value === '') {
        out[key] = ''
        continue
      }
      const checked = (rules.get(key) ?? custom)(c, value, at)
      if (checked === undefined) ok = false
      else out[key] = checked
    }
    return ok ? out : undefined
  }
}

function list(item: Rule): Rule {
  return (c, v, path) => {
    if (!Array.isArray(v)) return c.fail(path)
    const items = v.map((x, i) => item(c, x, `${path}.${i}`))
    return items.includes(undefined) ? undefined : items
  }
}

const ADDRESS_FIELDS = ['LINE1', 'LINE2', 'CITY', 'STATE_PROV', 'POSTCODE', 'COUNTRY_CD'] as const
const address = object(new Map(ADDRESS_FIELDS.map((f) => [f, str])))

const addressItem = object(
  new Map<string, Rule>([
    ...ADDRESS_FIELDS.map((f): [string, Rule] => [f, str]),
    ['ADDR_ID', str],
    ['FNAME', str],
    ['LNAME', str],
    ['PHONE', str],
    ['IS_DEFAULT', flag]
  ])
)

/** `ACCT_NO` is left out: it is assigned by the CRM and read-only (see finalizeContact). */
const loyaltyObject = object(
  new Map<string, Rule>([
    ['FNAME', str],
    ['LNAME', str],
    ['POINTS', num],
    ['CASH_REWARDS', num],
    ['STORE_CREDIT', num],
    ['TIER_CODE', str],
    ['TIER_LABEL', str],
    ['TIER_SUBLABEL', str],
    ['TIER_SINCE', date],
    ['TIER_UNTIL', date],
    ['MAIL_ADDR', address],
    ['ATTRS', object(new Map())]
  ])
)
const loyalty: Rule = (c, v, path) => {
  if (!isPlainObject(v)) return c.fail(path)
  // Object.fromEntries defines properties (never invokes a `__proto__` setter).
  return loyaltyObject(c, Object.fromEntries(Object.entries(v).filter(([key]) => key !== 'ACCT_NO')), path)
}

const STRING_FIELDS = [
  'TITLE', 'FNAME', 'LNAME', 'MOBILE_PHONE', 'HOME_PHONE', 'WORK_PHONE', 'LANG', 'COUNTRY', 'ZIP',
  'SEGMENT', 'ALT_ID', 'TAX_ID', 'HOME_STORE', 'ENROLLED_BY', 'NOTES'
] as const
const FLAG_FIELDS = [
  'SMS_OK', 'OPT_TC', 'OPT_DIRECT_MAIL', 'OPT_ERECEIPT', 'OPT_NEWSLETTER', 'OPT_PHONE', 'OPT_SMS',
  'LOYALTY_OPT_IN'
] as const

const TOP_LEVEL = new Map<string, Rule>([
  ...STRING_FIELDS.map((f): [string, Rule] => [f, str]),
  ...FLAG_FIELDS.map((f): [string, Rule] => [f, flag]),
  ['EMAIL', email],
  ['GENDER', gender],
  ['BIRTH_DATE', birthDate],
  ['PRIMARY_ADDR', address],
  ['ADDRESSES', list(addressItem)],
  ['LOYALTY', loyalty]
])

/**
 * Checks a POST or PATCH body. Throws 400 when the body is not a JSON object and 422 naming
 * every bad field (dotted paths, e.g. `LOYALTY.POINTS`, `ADDRESSES.0.IS_DEFAULT`).
 */
export function checkContactInput(body: unknown): CheckedInput {
  if (!isPlainObject(body)) throw badRequest('the body must be a JSON object')
  const c = new Checker()
  const set: Record<string, unknown> = {}
  const remove: string[] = []
  for (const [key, value] of Object.entries(body)) {
    if (!FIELD_NAME.test(key)) {
      c.fail(key)
      continue
    }
    if (READ_ONLY.has(key)) continue
    if (value === '') {
      remove.push(key)
      continue
    }
    const checked = (TOP_LEVEL.get(key) ?? custom)(c, value, key)
    if (checked !== undefined) set[key] = checked
  }
  if (c.bad.length > 0) throw validationFailed(c.bad)
  return { set, remove }
}

// ---------------------------------------------------------------------------------------------
// Merge and CRM-maintained fields.

/**
 * PATCH semantics (API.md § Endpoints), those of a JSON merge patch (RFC 7396) with `""` where
 * RFC 7396 has `null`: a field sent as `""` is removed, an absent field is unchanged, an object
 * is merged key by key into the stored object (so `LOYALTY: {MAIL_ADDR: …}` keeps the points),
 * and an array or scalar replaces the stored value whole (so `ADDRESSES` is sent whole).
 * Returns a new object; `stored` is not modified.
 */
export function mergeContact(stored: Contact, input: CheckedInput): Contact {
  const next: Contact = {}
  for (const [key, value] of Object.entries(stored)) {
    if (!input.remove.includes(key)) next[key] = value
  }
  for (const [key, value] of Object.entries(input.set)) next[key] = mergeValue(stored[key], value)
  return next
}

function mergeValue(stored: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch) || !isPlainObject(stored)) return withoutEmpty(patch)
  const out: Record<string, unknown> = { ...stored }
  for (const [key, value] of Object.entries(patch)) {
    if (value === '') delete out[key]
    else out[key] = mergeValue(out[key], value)
  }
  return out
}

/** A value as stored: `""` inside objects means absent (API.md § Contact record). */
export function withoutEmpty(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutEmpty)
  if (!isPlainObject(value)) return value
  const out: Record<string, unknown> = {}
  for (const [key, v] of Object.entries(value)) if (v !== '') out[key] = withoutEmpty(v)
  return out
}

/**
 * Applies the fields the CRM maintains on every write: `ADDR_ID` for address items without
 * one, the loyalty account number, `MODIFIED_ON` and `VERSION`. `previous` is the stored
 * contact for a PATCH, undefined for a create.
 */
export function finalizeContact(next: Contact, previous: Contact | undefined, ids: IdSource, today: string): Contact {
  if (Array.isArray(next.ADDRESSES)) {
    next.ADDRESSES = next.ADDRESSES.map((item: unknown) =>
      isPlainObject(item) && item.ADDR_ID === undefined ? { ADDR_ID: ids.nextAddressId(), ...item } : item
    )
  }

  // ACCT_NO is read-only once assigned: whatever a PATCH sends as LOYALTY (even ""), the
  // contact keeps its account number. A contact opted in without one gets one.
  const previousAcct = isPlainObject(previous?.LOYALTY) ? previous.LOYALTY.ACCT_NO : undefined
  const acct = typeof previousAcct === 'string' ? previousAcct : next.LOYALTY_OPT_IN === 'Y' ? ids.nextLoyaltyNo() : undefined
  if (acct !== undefined) {
    const loyaltyNow = isPlainObject(next.LOYALTY) ? next.LOYALTY : {}
    next.LOYALTY = { ACCT_NO: acct, ...loyaltyNow }
  }

  next.MODIFIED_ON = today
  next.VERSION = typeof previous?.VERSION === 'number' ? previous.VERSION + 1 : 1
  return next
}

/** A new contact from a checked POST body. */
export function createContact(input: CheckedInput, id: string, ids: IdSource, today: string): Contact {
  const next: Contact = { CONTACT_ID: id, ...(withoutEmpty(input.set) as Contact), CREATED_ON: today }
  return finalizeContact(next, undefined, ids, today)
}

/** `MM/DD/YYYY` in UTC. */
export function formatCrmDate(d: Date): string {
  const mm = String(d.getUTCMonth() + 1).padStart(2, '0')
  const dd = String(d.getUTCDate()).padStart(2, '0')
  return `${mm}/${dd}/${String(d.getUTCFullYear()).padStart(4, '0')}`
}

/**
 * `If-Match` (API.md § Endpoints, PATCH): `"<VERSION>"`, also accepted weak (`W/"3"`),
 * unquoted or `*`. Returns true when it names `version` (or any version, for `*`).
 */
export function ifMatchAccepts(header: string, version: number): boolean {
  return header.split(',').some((part) => {
    const tag = part.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1')
    return tag === '*' || (/^\d+$/.test(tag) && Number(tag) === version)
  })
}
