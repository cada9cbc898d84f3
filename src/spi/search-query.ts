/**
 * SEARCH_CUSTOMERS' query string (CONTRACT §4): the Customer Search layout's field names,
 * `phone` with its aliases, limit and offset. Unknown parameters are ignored.
 *
 * `limit` and `offset` are integers in the route's schema, but a query string holds text and
 * the app validates without type coercion: the route reads them first (readPagingParams, a
 * preValidation hook), turning each into its number or refusing it with PAGING_OUT_OF_RANGE
 * naming the parameter, so the schema then checks numbers. parseSearchQuery takes either.
 */
import { GatewayError } from './error-catalogue.js'
import type { SearchParam } from './customer-schema.js'

export interface SearchRequest {
  /** At least one; values trimmed and non-empty. */
  readonly criteria: ReadonlyArray<readonly [SearchParam, string]>
  readonly limit: number
  readonly offset: number
}

/** Query parameter → search parameter. */
const PARAM_NAMES: Readonly<Record<string, SearchParam>> = {
  firstName: 'firstName',
  lastName: 'lastName',
  email: 'email',
  phone: 'phone',
  phoneMobile: 'phone',
  phoneNumber: 'phone',
  customerId: 'customerId',
  loyaltyId: 'loyaltyId'
}

export const MAX_LIMIT = 100
/** The largest offset: beyond it a number is no longer exact. */
export const MAX_OFFSET = Number.MAX_SAFE_INTEGER

/**
 * Reads `limit` and `offset` of a parsed query string in place: a number for each given as
 * whole decimal text (the first, when repeated), gone when blank (the schema's default then
 * applies), PAGING_OUT_OF_RANGE naming the parameter for anything else or out of range.
 */
export function readPagingParams(query: Record<string, unknown>): void {
  for (const [field, min, max] of [['limit', 1, MAX_LIMIT], ['offset', 0, MAX_OFFSET]] as const) {
    if (!Object.hasOwn(query, field)) continue
    const n = parseWhole(query[field], undefined, field, min, max)
    if (n === undefined) delete query[field]
    else query[field] = n
  }
}

export function parseSearchQuery(query: Readonly<Record<string, unknown>>, defaultLimit: number): SearchRequest {
  const criteria = new Map<SearchParam, string>()
  for (const [name, param] of Object.entries(PARAM_NAMES)) {
    const value = single(query[name])
    if (value === undefined) continue
    const trimmed = value.trim()
    if (trimmed === '') continue
    // Two aliases of one parameter with different values cannot both hold: keep the first.
    if (!criteria.has(param)) criteria.set(param, trimmed)
  }
  const limit = parseWhole(query['limit'], defaultLimit, 'limit', 1, MAX_LIMIT)
  const offset = parseWhole(query['offset'], 0, 'offset', 0, MAX_OFFSET)
  if (criteria.size === 0) throw new GatewayError('SEARCH_CRITERIA_REQUIRED')
  return { criteria: [...criteria], limit, offset }
}

function single(v: unknown): string | undefined {
  if (Array.isArray(v)) return single(v[0])
  return typeof v === 'string' ? v : undefined
}

function parseWhole<F extends number | undefined>(raw: unknown, fallback: F, field: 'limit' | 'offset', min: number, max: number): number | F {
  const first = Array.isArray(raw) ? (raw[0] as unknown) : raw
  let n: number
  if (typeof first === 'number') n = first
  else {
    const text = single(first)
    if (text === undefined || text.trim() === '') return fallback
    n = /^\d{1,16}$/.test(text.trim()) ? Number(text.trim()) : NaN
  }
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new GatewayError('PAGING_OUT_OF_RANGE', { params: { field, reason: field } })
  }
  return n
}
