/**
 * Numbers. `number`: the CRM holds JSON numbers; `number:string`: the CRM holds numeric text
 * (many legacy CRMs do). Either way reads accept both a number and numeric text, and always
 * answer a JSON number; writes refuse anything that is not a finite number.
 */
import { TransformError, TransformParamError, type ValueTransformDefinition } from './types.js'

const NUMERIC = /^\s*-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/

function expectNumber(v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new TransformError('expected a number')
  return v
}

function readNumber(v: unknown): number {
  if (typeof v === 'number' && Number.isFinite(v)) return v
  if (typeof v === 'string' && NUMERIC.test(v)) return Number(v)
  throw new TransformError('expected a number')
}

export const numberTransform: ValueTransformDefinition = {
  name: 'number',
  kind: 'value',
  param: 'optional',
  summary: 'SPI number ⇄ CRM number; number:string for a CRM that holds numeric text',
  create(param) {
    if (param === undefined) return { write: expectNumber, read: readNumber, crmKind: 'number' }
    if (param !== 'string') throw new TransformParamError(`bad number option "${param}": expected number or number:string`)
    return { write: (v) => String(expectNumber(v)), read: readNumber, crmKind: 'number' }
  }
}
