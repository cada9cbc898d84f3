/**
 * SEARCH_CUSTOMERS' query string (CONTRACT §4): the Customer Search layout's field names,
 * `phone` with its aliases, limit and offset. Unknown parameters are ignored.
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
  const offset = parseWhole(query['offset'], 0, 'offset', 0, Number.MAX_SAFE_INTEGER)
  if (criteria.size === 0) throw new GatewayError('SEARCH_CRITERIA_REQUIRED')
  return { criteria: [...criteria], limit, offset }
}

function single(v: unknown): string | undefined {
  if (Array.isArray(v)) return single(v[0])
  return typeof v === 'string' ? v : undefined
}

function parseWhole(raw: unknown, fallback: number, field: 'limit' | 'offset', min: number, max: number): number {
  const text = single(raw)
  if (text === undefined || text.trim() === '') return fallback
  const n = /^\d{1,16}$/.test(text.trim()) ? Number(text.trim()) : NaN
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new GatewayError('PAGING_OUT_OF_RANGE', { params: { field, reason: field } })
  }
  return n
}
