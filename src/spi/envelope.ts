/**
 * Reading and writing the SPI envelope (CONTRACT §2) and the request clean-up every body gets
 * before validation: the legacy loyalty name, `null` (means "ignore"), forbidden keys.
 */
import type { Customer } from './customer-schema.js'
import { isPlainObject } from '../core/plain-object.js'
import { GatewayError } from './error-catalogue.js'
import { tooDeepAt } from './json-depth.js'

export type Envelope = 'wrapped' | 'bare'

const CUSTOMER_KEYS = new Set([
  'profile', 'consents', 'loyaltyProfile', 'customerLoyaltyProfile', 'storeAttribution',
  'addressList', 'orderCount', 'orderList', 'cardList', 'products'
])

/** Keys that could reach Object.prototype through a merge; never kept at any depth (CONTRACT §3). */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype'])

/**
 * Accepts `{customer:{…}}` or the bare object. A body is taken as wrapped when `customer` is an
 * object and no top-level key is a customer field (a bare customer may carry a custom `customer`).
 */
export function unwrapCustomer(body: unknown): unknown {
  if (!isPlainObject(body)) return body
  const inner = body['customer']
  if (isPlainObject(inner) && !Object.keys(body).some((k) => CUSTOMER_KEYS.has(k))) return inner
  return body
}

/**
 * Drops `null` values and forbidden keys at every depth and renames the legacy
 * `customerLoyaltyProfile` to `loyaltyProfile` (the current name wins when both are sent).
 * A body nested deeper than MAX_JSON_DEPTH is refused first (400 INVALID_REQUEST naming where,
 * reason tooDeep): everything after this, dropNulls included, recurses once per level.
 */
export function cleanCustomerInput(value: unknown): unknown {
  const deep = tooDeepAt(value)
  if (deep !== undefined) throw new GatewayError('INVALID_REQUEST', { params: { field: deep, reason: 'tooDeep' } })
  const cleaned = dropNulls(value)
  if (!isPlainObject(cleaned) || !Object.hasOwn(cleaned, 'customerLoyaltyProfile')) return cleaned
  const { customerLoyaltyProfile, ...rest } = cleaned
  if (rest['loyaltyProfile'] === undefined) rest['loyaltyProfile'] = customerLoyaltyProfile
  return rest
}

function dropNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((v) => v !== null).map(dropNulls)
  if (!isPlainObject(value)) return value
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) {
    if (v === null || FORBIDDEN_KEYS.has(k)) continue
    out[k] = dropNulls(v)
  }
  return out
}

export function wrapCustomer(customer: Customer, envelope: Envelope): unknown {
  return envelope === 'wrapped' ? { customer } : customer
}

const WRAP_OPEN = Buffer.from('{"customer":')
const WRAP_CLOSE = Buffer.from('}')

/** wrapCustomer for a customer already serialized: bytes (from the read cache) or text. */
export function wrapCustomerJson(json: Buffer | string, envelope: Envelope): Buffer | string {
  if (envelope !== 'wrapped') return json
  return typeof json === 'string' ? `{"customer":${json}}` : Buffer.concat([WRAP_OPEN, json, WRAP_CLOSE])
}

export function wrapCustomers(customers: readonly Customer[], envelope: Envelope): unknown {
  return envelope === 'wrapped' ? { customers } : customers
}
