/**
 * Contact search (API.md § Search filters): `filter=FIELDS:OP:VALUE`, repeatable and ANDed;
 * FIELDS joined by `|` match when any of them matches; case-insensitive; dotted fields;
 * page/size paging; results ordered by CONTACT_ID.
 */
import type { Contact } from './contact-rules.js'
import { FIELD_NAME } from './contact-rules.js'
import { badRequest } from './errors.js'

export type FilterOp = 'eq' | 'sw' | 'co' | 'eqd' | 'ewd'

export interface Filter {
  /** Each field as its path segments: `LOYALTY.ACCT_NO` → ['LOYALTY', 'ACCT_NO']. */
  readonly fields: readonly (readonly string[])[]
  readonly op: FilterOp
  /** Normalized for comparison (lower case, or digits only for eqd and ewd). */
  readonly value: string
}

export interface SearchPage {
  readonly data: readonly Contact[]
  readonly page: number
  readonly size: number
  readonly total: number
}

const OPS: ReadonlySet<string> = new Set<FilterOp>(['eq', 'sw', 'co', 'eqd', 'ewd'])
export const MAX_PAGE_SIZE = 100
const DEFAULT_PAGE_SIZE = 20

const fold = (s: string): string => s.normalize('NFC').toLowerCase()
const digits = (s: string): string => s.replace(/\D/g, '')

/** Parses one `FIELDS:OP:VALUE`; VALUE is the rest of the string and may contain `:`. */
export function parseFilter(raw: string): Filter {
  const first = raw.indexOf(':')
  const second = first < 0 ? -1 : raw.indexOf(':', first + 1)
  if (second < 0) throw badRequest('a filter is FIELDS:OP:VALUE')
  const fields = raw.slice(0, first).split('|').map((f) => f.split('.'))
  if (!fields.every((path) => path.every((segment) => FIELD_NAME.test(segment)))) {
    throw badRequest('a filter names fields like NAME or NAME.SUB, joined by |')
  }
  const op = raw.slice(first + 1, second)
  if (!OPS.has(op)) throw badRequest('a filter operator is one of eq, sw, co, eqd, ewd')
  const value = raw.slice(second + 1)
  return { fields, op: op as FilterOp, value: op === 'eqd' || op === 'ewd' ? digits(value) : fold(value) }
}

/** The value at a dotted path, through own properties of plain objects only. */
function valueAt(contact: Contact, path: readonly string[]): unknown {
  let current: unknown = contact
  for (const segment of path) {
    if (typeof current !== 'object' || current === null || Array.isArray(current)) return undefined
    if (!Object.hasOwn(current, segment)) return undefined
    current = (current as Record<string, unknown>)[segment]
  }
  return current
}

function fieldMatches(raw: unknown, op: FilterOp, value: string): boolean {
  if (typeof raw !== 'string' && typeof raw !== 'number') return false
  const text = String(raw)
  switch (op) {
    case 'eq':
      return fold(text) === value
    case 'sw':
      return fold(text).startsWith(value)
    case 'co':
      return fold(text).includes(value)
    case 'eqd':
      // A value without any digit matches nothing (it would otherwise match every
      // digit-less phone field).
      return value !== '' && digits(text) === value
    case 'ewd':
      // Ends with, digits only: a national number finds the same number stored with its
      // country code or trunk prefix (`+1 415…`, `1415…`, `0415…`). Digit-less: nothing.
      return value !== '' && digits(text).endsWith(value)
  }
}

export function matchesAll(contact: Contact, filters: readonly Filter[]): boolean {
  return filters.every((f) => f.fields.some((path) => fieldMatches(valueAt(contact, path), f.op, f.value)))
}

// Ids are fixed-width (`C` + 8 digits), so plain code-unit order is numeric order.
const byId = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

function intParam(query: Record<string, unknown>, name: string, fallback: number, max: number): number {
  const raw = query[name]
  if (raw === undefined) return fallback
  if (typeof raw !== 'string' || !/^\d{1,6}$/.test(raw)) throw badRequest(`${name} must be an integer`)
  const n = Number(raw)
  if (n < 1 || n > max) throw badRequest(`${name} must be between 1 and ${max}`)
  return n
}

/** Runs a search over `contacts` (any order) for a parsed query string. */
export function searchContacts(contacts: Iterable<Contact>, query: Record<string, unknown>): SearchPage {
  const rawFilters = query.filter === undefined ? [] : Array.isArray(query.filter) ? query.filter : [query.filter]
  const filters = rawFilters.map((raw: unknown) => {
    if (typeof raw !== 'string') throw badRequest('a filter is FIELDS:OP:VALUE')
    return parseFilter(raw)
  })
  const page = intParam(query, 'page', 1, Number.MAX_SAFE_INTEGER)
  const size = intParam(query, 'size', DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)

  const matching = [...contacts]
    .filter((c) => matchesAll(c, filters))
    .sort((a, b) => byId(String(a.CONTACT_ID), String(b.CONTACT_ID)))
  const start = (page - 1) * size
  return { data: matching.slice(start, start + size), page, size, total: matching.length }
}
