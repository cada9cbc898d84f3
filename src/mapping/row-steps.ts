/**
 * The rows that do more than convert one value, as step functions for ./run.ts: a sub-object
 * mapped through its table, a list mapped item by item, several SPI fields joined into one
 * CRM field. Paths are relative to the group the row runs in; texts are the table's, for
 * errors and read issues. Each step returns whether it wrote into `dst`.
 */
import { MappingValueError } from './errors.js'
import type { FieldRowModel } from './model.js'
import { readPath, writePath, type CompiledPath } from './path-access.js'
import type { CompiledTable, Obj, ReadStep, WriteStep } from './plan.js'
import { childScope, report } from './read-scope.js'
import { runRead, runWrite } from './run.js'
import { TransformError } from './transforms/index.js'
import { isPlainObject } from '../core/plain-object.js'

const isObject: (value: unknown) => value is Obj = isPlainObject

type JoinTransform = NonNullable<FieldRowModel['join']>

/** Re-anchors an error thrown inside a sub-table under the field that holds it. */
function nested(prefix: string, err: unknown): unknown {
  return err instanceof MappingValueError ? new MappingValueError(`${prefix}.${err.field}`, err.reason) : err
}

/** Maps `value` into `out` with a sub-table; an error names the field holding it. */
function writeNested(sub: CompiledTable, value: Obj, out: Obj, field: string): boolean {
  try {
    return runWrite(sub, value, out)
  } catch (err) {
    throw nested(field, err)
  }
}

function valueError(field: string, err: unknown): unknown {
  return err instanceof TransformError ? new MappingValueError(field, err.reason) : err
}

export function objectWriteStep(sub: CompiledTable, from: CompiledPath, to: CompiledPath, spiText: string): WriteStep {
  return (src, dst) => {
    const v = readPath(from, src)
    if (v === undefined || v === null) return false
    if (v === '') {
      writePath(to, dst, '')
      return true
    }
    if (!isObject(v)) throw new MappingValueError(spiText, 'expected an object')
    const out: Obj = {}
    // An object holding nothing the table maps must not replace the CRM's object with {}.
    if (!writeNested(sub, v, out, spiText)) return false
    writePath(to, dst, out)
    return true
  }
}

export function objectReadStep(sub: CompiledTable, from: CompiledPath, to: CompiledPath, spiText: string, crmText: string): ReadStep {
  return (src, dst, scope) => {
    const v = readPath(from, src)
    if (v === undefined || v === null || v === '') return false
    if (!isObject(v)) {
      if (scope !== undefined) report(scope, spiText, crmText, 'expected an object')
      return false
    }
    const out: Obj = {}
    if (!runRead(sub, v, out, scope === undefined ? undefined : childScope(scope, spiText, crmText, -1))) return false
    writePath(to, dst, out)
    return true
  }
}

export function arrayWriteStep(sub: CompiledTable, from: CompiledPath, to: CompiledPath, spiText: string): WriteStep {
  return (src, dst) => {
    const v = readPath(from, src)
    if (v === undefined || v === null) return false
    if (v === '') {
      writePath(to, dst, '')
      return true
    }
    if (!Array.isArray(v)) throw new MappingValueError(spiText, 'expected a list')
    const list: Obj[] = []
    for (let i = 0; i < v.length; i++) {
      const item: unknown = v[i]
      if (!isObject(item)) throw new MappingValueError(`${spiText}[${i}]`, 'expected an object')
      const out: Obj = {}
      if (writeNested(sub, item, out, `${spiText}[${i}]`)) list.push(out)
    }
    // Even an empty list is sent: it is present in the customer.
    writePath(to, dst, list)
    return true
  }
}

export function arrayReadStep(sub: CompiledTable, from: CompiledPath, to: CompiledPath, spiText: string, crmText: string): ReadStep {
  return (src, dst, scope) => {
    const v = readPath(from, src)
    if (v === undefined || v === null || v === '') return false
    if (!Array.isArray(v)) {
      if (scope !== undefined) report(scope, spiText, crmText, 'expected a list')
      return false
    }
    const list: Obj[] = []
    for (let i = 0; i < v.length; i++) {
      const item: unknown = v[i]
      if (item === undefined || item === null || item === '') continue
      if (!isObject(item)) {
        if (scope !== undefined) report(scope, `${spiText}[${i}]`, `${crmText}[${i}]`, 'expected an object')
        continue
      }
      const out: Obj = {}
      if (runRead(sub, item, out, scope === undefined ? undefined : childScope(scope, spiText, crmText, i))) list.push(out)
    }
    if (list.length === 0) return false
    writePath(to, dst, list)
    return true
  }
}

export function joinWriteStep(join: JoinTransform, parts: readonly CompiledPath[], to: CompiledPath): WriteStep {
  const first = parts[0]?.text ?? ''
  return (src, dst) => {
    // The transform takes the parts as one list; it is also what the checks below walk.
    const values: unknown[] = new Array<unknown>(parts.length)
    let missing = -1
    let present = -1
    let allEmpty = true
    for (let i = 0; i < parts.length; i++) {
      const v = readPath(parts[i] as CompiledPath, src)
      values[i] = v
      if (v === undefined || v === null) {
        if (missing < 0) missing = i
      } else {
        if (present < 0) present = i
        if (v !== '') allEmpty = false
      }
    }
    if (missing < 0) {
      let out: unknown = ''
      if (!allEmpty) {
        try {
          out = join.write(values)
        } catch (err) {
          throw valueError(first, err)
        }
      }
      writePath(to, dst, out)
      return true
    }
    if (present < 0) return false
    // Writing a partial join would erase the other parts in the CRM's single field.
    throw new MappingValueError(parts[missing]?.text ?? '', `must be sent together with ${parts[present]?.text ?? ''} (both are kept in one CRM field)`)
  }
}

export function joinReadStep(join: JoinTransform, from: CompiledPath, parts: readonly CompiledPath[]): ReadStep {
  const first = parts[0]?.text ?? ''
  return (src, dst, scope) => {
    const v = readPath(from, src)
    if (v === undefined || v === null || v === '') return false
    let words: readonly (string | undefined)[]
    try {
      words = join.read(v)
    } catch (err) {
      if (!(err instanceof TransformError)) throw err
      if (scope !== undefined) report(scope, first, from.text, err.reason)
      return false
    }
    let wrote = false
    for (let i = 0; i < words.length; i++) {
      const word = words[i]
      const part = parts[i]
      if (word !== undefined && word !== '' && part !== undefined) {
        writePath(part, dst, word)
        wrote = true
      }
    }
    return wrote
  }
}
