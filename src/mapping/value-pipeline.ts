/**
 * The conversion of one field value, built once per row: transforms then value map on write,
 * the reverse on read. Rows with neither copy the value (objects through the safe copy).
 * The absent / `""` rules are the row compiler's; these functions only see real values.
 */
import type { ValueMapModel } from './model.js'
import { cloneForRead, cloneForWrite, isEmptyValue } from './safe-value.js'
import { TransformError, type ValueTransform } from './transforms/index.js'

export type Converter = (value: unknown) => unknown

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

/** SPI → CRM for a present, non-`""` value. Throws TransformError. */
export function makeWriter(transforms: readonly ValueTransform[], values: ValueMapModel | undefined): Converter {
  if (transforms.length === 0 && values === undefined) return cloneForWrite
  const [only] = transforms
  if (transforms.length === 1 && only !== undefined && values === undefined) return (v) => only.write(v)
  return (v) => {
    let out = v
    for (const t of transforms) out = t.write(out)
    return values === undefined ? out : mapToCrm(values, out)
  }
}

/**
 * CRM → SPI for a present value; `undefined` when the result is empty (`""`, an empty object…),
 * which the SPI treats as absent. Throws TransformError.
 */
export function makeReader(transforms: readonly ValueTransform[], values: ValueMapModel | undefined): Converter {
  if (transforms.length === 0 && values === undefined) return (v) => cloneForRead(v)
  const [only] = transforms
  if (transforms.length === 1 && only !== undefined && values === undefined) {
    return (v) => {
      const out = only.read(v)
      return isEmptyValue(out) ? undefined : out
    }
  }
  return (v) => {
    let out = values === undefined ? v : mapFromCrm(values, v)
    for (let i = transforms.length - 1; i >= 0; i--) {
      if (isEmptyValue(out)) return undefined
      out = (transforms[i] as ValueTransform).read(out)
    }
    return isEmptyValue(out) ? undefined : out
  }
}
