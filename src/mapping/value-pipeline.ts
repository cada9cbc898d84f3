/**
 * The conversion of one field value, built once per row: transforms then value map on write,
 * the reverse on read. Rows with neither copy the value (objects through the safe copy).
 * The absent / `""` rules are the row compiler's; these functions only see real values.
 */
import type { ValueMapModel } from './model.js'
import { cloneForRead, cloneForWrite, isEmptyValue } from './safe-value.js'
import { TransformError, type ValueTransform } from './transforms/index.js'

function lookupKey(value: unknown): string | undefined {
  return typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined
}

export function mapToCrm(map: ValueMapModel, value: unknown): unknown {
  const key = lookupKey(value)
  if (key !== undefined) {
    const exact = map.toCrm.get(key) ?? map.toCrmFolded.get(key.toLowerCase())
    if (exact !== undefined) return exact
  }
  if (map.unmapped === 'pass') return value
  throw new TransformError(`not one of ${map.spiValues.join(', ')}`)
}

export function mapFromCrm(map: ValueMapModel, value: unknown): unknown {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    const exact = map.fromCrm.get(value) ?? (typeof value === 'string' ? map.fromCrmFolded.get(value.toLowerCase()) : undefined)
    if (exact !== undefined) return exact
  }
  if (map.unmapped === 'pass') return value
  throw new TransformError('a CRM value missing from the value map')
}

/**
 * A row's conversion as data, so the two functions below (the same ones for every row) are
 * inlined into the row steps: per value there is then no call but the transforms' own.
 */
export interface Pipeline {
  readonly transforms: readonly ValueTransform[]
  /** The first two transforms, the common cases, without an array access. */
  readonly first: ValueTransform | undefined
  readonly second: ValueTransform | undefined
  readonly count: number
  readonly values: ValueMapModel | undefined
}

export function makePipeline(transforms: readonly ValueTransform[], values: ValueMapModel | undefined): Pipeline {
  const [first, second] = transforms
  return { transforms: [...transforms], first, second, count: transforms.length, values }
}

/** SPI → CRM for a present, non-`""` value. Throws TransformError. */
export function toCrmValue(p: Pipeline, v: unknown): unknown {
  let out = v
  if (p.first !== undefined) {
    out = p.first.write(out)
    if (p.second !== undefined) {
      out = p.second.write(out)
      for (let i = 2; i < p.count; i++) out = (p.transforms[i] as ValueTransform).write(out)
    }
  } else if (p.values === undefined) {
    // No transform, no value map: the value is copied (objects through the safe copy; a
    // primitive is its own copy, without the call).
    return typeof v === 'object' && v !== null ? cloneForWrite(v) : v
  }
  return p.values === undefined ? out : mapToCrm(p.values, out)
}

/**
 * CRM → SPI for a present value; `undefined` when the result is empty (`""`, an empty object…),
 * which the SPI treats as absent. Throws TransformError.
 */
export function toSpiValue(p: Pipeline, v: unknown): unknown {
  if (p.first === undefined && p.values === undefined) {
    // The safe copy; a primitive other than `""` is its own copy, without the call.
    return typeof v === 'object' || v === '' ? cloneForRead(v) : v
  }
  if (p.count === 1 && p.values === undefined && !isEmptyValue(v)) {
    // The common row: one transform, run on the value (the loop below, unrolled).
    const out = (p.first as ValueTransform).read(v)
    return isEmptyValue(out) ? undefined : out
  }
  let out = p.values === undefined ? v : mapFromCrm(p.values, v)
  // Transforms run last to first; an empty value stops the chain (nothing left to convert).
  for (let i = p.count - 1; i >= 0; i--) {
    if (isEmptyValue(out)) return undefined
    out = (i === 0 ? (p.first as ValueTransform) : i === 1 ? (p.second as ValueTransform) : (p.transforms[i] as ValueTransform)).read(out)
  }
  return isEmptyValue(out) ? undefined : out
}

export type Converter = (value: unknown) => unknown

/** `toCrmValue` as a function of the value alone (validation tries defaults with it). */
export function makeWriter(transforms: readonly ValueTransform[], values: ValueMapModel | undefined): Converter {
  const p = makePipeline(transforms, values)
  return (v) => toCrmValue(p, v)
}
