/**
 * Copies of structured values that cross the mapping (a free-form `customLoyaltyAttributes`
 * object, a JSON text field, …). Built from fresh plain objects, skipping the keys that could
 * reach a prototype, with a depth limit so a hostile record cannot blow the stack.
 */
import { isRefusedKey } from './paths.js'
import { TransformError } from './transforms/types.js'

const MAX_DEPTH = 32

/** SPI → CRM copy: every value kept as is (`""` and `null` included: the CRM decides). */
export function cloneForWrite(value: unknown, depth = 0): unknown {
  if (typeof value !== 'object' || value === null) return value
  if (depth >= MAX_DEPTH) throw new TransformError(`nested deeper than ${MAX_DEPTH} levels`)
  if (Array.isArray(value)) return value.map((v) => cloneForWrite(v, depth + 1))
  const out: Record<string, unknown> = {}
  const keys = Object.keys(value)
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string
    if (isRefusedKey(key)) continue
    out[key] = cloneForWrite((value as Record<string, unknown>)[key], depth + 1)
  }
  return out
}

/** True for what the SPI treats as "no value" in an answer. */
export function isEmptyValue(value: unknown): boolean {
  return value === undefined || value === null || value === ''
}

/**
 * CRM → SPI copy, obeying the answer rules (CONTRACT §6): no `null`, no `""`, no empty object
 * or list at any depth. Undefined when nothing is left.
 */
export function cloneForRead(value: unknown, depth = 0): unknown {
  if (isEmptyValue(value)) return undefined
  if (typeof value !== 'object' || value === null) return value
  if (depth >= MAX_DEPTH) throw new TransformError(`nested deeper than ${MAX_DEPTH} levels`)
  if (Array.isArray(value)) {
    const list: unknown[] = []
    for (const item of value) {
      const copy = cloneForRead(item, depth + 1)
      if (copy !== undefined) list.push(copy)
    }
    return list.length === 0 ? undefined : list
  }
  const out: Record<string, unknown> = {}
  let empty = true
  const keys = Object.keys(value)
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string
    if (isRefusedKey(key)) continue
    const copy = cloneForRead((value as Record<string, unknown>)[key], depth + 1)
    if (copy === undefined) continue
    out[key] = copy
    empty = false
  }
  return empty ? undefined : out
}
