/**
 * Search rows → CRM criteria: the searched value goes through the row's transforms (their
 * write side), and a `phone` row then reduces the number to its national significant number
 * (src/core/phone-number.ts), so a number stored in national, international or punctuated
 * form is found whichever form was typed.
 */
import type { CustomerMapper } from '../core/mapper.js'
import { phoneQuery } from '../core/phone-number.js'
import type { CrmCriterion } from '../core/port.js'
import type { SearchParam } from '../spi/customer-schema.js'
import { MappingValueError } from './errors.js'
import type { SearchRowModel } from './model.js'
import { TransformError } from './transforms/index.js'

function transformed(row: SearchRowModel, param: SearchParam, value: string): string {
  if (value === '') return value
  let out: unknown = value
  try {
    for (const t of row.transforms) out = t.write(out)
  } catch (err) {
    // A refused value (e164's impossible number) is the caller's: 400 naming the parameter.
    if (err instanceof TransformError) throw new MappingValueError(param, err.reason)
    throw err
  }
  return typeof out === 'string' ? out : String(out)
}

function phoneCriterion(fields: readonly string[], param: SearchParam, text: string): CrmCriterion {
  const phone = phoneQuery(text)
  if (phone === undefined) throw new MappingValueError(param, 'not a phone number (no digit)')
  const criterion: CrmCriterion = { fields, operator: 'phone', value: phone.nationalNumber }
  return phone.international === undefined ? criterion : { ...criterion, international: phone.international }
}

export function searchFunction(rows: readonly SearchRowModel[]): CustomerMapper['criterion'] {
  const byParam = new Map(rows.map((row) => [row.param, { row, fields: Object.freeze([...row.fields]) }]))
  return (param, value) => {
    const entry = byParam.get(param)
    if (entry === undefined) return undefined
    const { row, fields } = entry
    const text = transformed(row, param, value)
    if (row.operator === 'phone') return phoneCriterion(fields, param, text)
    return { fields, operator: row.operator, value: text }
  }
}
