/**
 * `json`: a structure (object or list) kept in one CRM text field — stringified on write,
 * parsed on read. Reads also accept a CRM that already answers the structure. Either way the
 * result goes through the safe copy, so keys such as `__proto__` inside the text are dropped.
 */
import { cloneForRead, cloneForWrite } from '../safe-value.js'
import { TransformError, type ValueTransformDefinition } from './types.js'

function expectStructure(v: unknown): object {
  if (typeof v !== 'object' || v === null) throw new TransformError('expected an object or a list')
  return v
}

export const jsonTransform: ValueTransformDefinition = {
  name: 'json',
  kind: 'value',
  param: 'none',
  summary: 'SPI object or list ⇄ CRM text field holding its JSON',
  create: () => ({
    crmKind: 'long-text',
    write: (v) => JSON.stringify(cloneForWrite(expectStructure(v))),
    read(v) {
      let parsed: unknown = v
      if (typeof v === 'string') {
        try {
          parsed = JSON.parse(v)
        } catch {
          throw new TransformError('not valid JSON')
        }
      }
      return cloneForRead(expectStructure(parsed))
    }
  })
}
