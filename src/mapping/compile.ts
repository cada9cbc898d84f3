/**
 * Model → plain closures, once at load. Per call there is no parsing and no schema walking:
 * each row is a function over precomputed path segments, and a table is a list of them.
 *
 * The absent / clear rules of src/core/mapper.ts live here, for every row alike:
 * - write: `undefined`/`null` → nothing (or the row's default); `""` → `""` (clears);
 * - read: `undefined`/`null`/`""` → nothing (or the default); empty results are dropped.
 * A write failure throws MappingValueError naming the SPI field (with list indexes); a read
 * failure drops that value and reports it to the issue sink, never failing the customer.
 */
import { MappingValueError, type ReadIssue } from './errors.js'
import { reads, writes, type ArrayRowModel, type FieldRowModel, type RowModel, type TableModel } from './model.js'
import { getAt, setAt, type Segment } from './paths.js'
import { cloneForRead, cloneForWrite, isEmptyValue } from './safe-value.js'
import { TransformError } from './transforms/index.js'
import { makeReader, makeWriter } from './value-pipeline.js'
import { isPlainObject } from '../core/plain-object.js'

type Obj = Record<Segment, unknown>
export type IssueSink = (issue: ReadIssue) => void

/** Throws MappingValueError with a field relative to the table being run. */
type WriteStep = (src: Obj, dst: Obj) => void
/** `spiAt` / `crmAt` prefix the fields of reported issues; only built when `sink` is set. */
type ReadStep = (src: Obj, dst: Obj, sink: IssueSink | undefined, spiAt: string, crmAt: string) => void

export interface CompiledTable {
  readonly write: readonly WriteStep[]
  readonly read: readonly ReadStep[]
}

const isObject: (value: unknown) => value is Obj = isPlainObject

function hasKeys(value: Obj): boolean {
  for (const _ in value) return true
  return false
}

function valueError(field: string, err: unknown): unknown {
  return err instanceof TransformError ? new MappingValueError(field, err.reason) : err
}

/** Re-anchors an error thrown inside a sub-table under the field that holds it. */
function nested(prefix: string, err: unknown): unknown {
  return err instanceof MappingValueError ? new MappingValueError(`${prefix}.${err.field}`, err.reason) : err
}

export function runWrite(table: CompiledTable, src: Obj, dst: Obj): void {
  for (const step of table.write) step(src, dst)
}

export function runRead(table: CompiledTable, src: Obj, dst: Obj, sink: IssueSink | undefined, spiAt: string, crmAt: string): void {
  for (const step of table.read) step(src, dst, sink, spiAt, crmAt)
}

function valueRow(row: FieldRowModel, spi: readonly Segment[], spiText: string): { write: WriteStep; read: ReadStep } {
  const crm = row.crm.segments
  const toCrm = makeWriter(row.transforms, row.values)
  const toSpi = makeReader(row.transforms, row.values)
  const dflt = row.default
  // Validation proved the default converts; convert once, copy per call (never share objects).
  const crmDefault = dflt !== undefined && writes(row.direction) ? toCrm(dflt.value) : undefined
  return {
    write(src, dst) {
      const v = getAt(src, spi)
      if (v === undefined || v === null) {
        if (dflt !== undefined) setAt(dst, crm, cloneForWrite(crmDefault))
        return
      }
      if (v === '') return setAt(dst, crm, '')
      let out: unknown
      try {
        out = toCrm(v)
      } catch (err) {
        throw valueError(spiText, err)
      }
      setAt(dst, crm, out)
    },
    read(src, dst, sink, spiAt, crmAt) {
      const v = getAt(src, crm)
      let out: unknown
      if (!isEmptyValue(v)) {
        try {
          out = toSpi(v)
        } catch (err) {
          if (!(err instanceof TransformError)) throw err
          sink?.({ field: spiAt + spiText, crmField: crmAt + row.crm.text, reason: err.reason })
        }
      }
      if (out === undefined && dflt !== undefined) out = cloneForRead(dflt.value)
      if (out !== undefined) setAt(dst, spi, out)
    }
  }
}

function joinRow(row: FieldRowModel, join: NonNullable<FieldRowModel['join']>): { write: WriteStep; read: ReadStep } {
  const parts = row.spi.map((p) => p.segments)
  const texts = row.spi.map((p) => p.text)
  const crm = row.crm.segments
  return {
    write(src, dst) {
      const values = parts.map((p) => getAt(src, p))
      const missing = values.findIndex((v) => v === undefined || v === null)
      if (missing < 0) {
        if (values.every((v) => v === '')) return setAt(dst, crm, '')
        try {
          return setAt(dst, crm, join.write(values))
        } catch (err) {
          throw valueError(texts[0] ?? '', err)
        }
      }
      const present = values.findIndex((v) => v !== undefined && v !== null)
      if (present < 0) return
      // Writing a partial join would erase the other parts in the CRM's single field.
      throw new MappingValueError(texts[missing] ?? '', `must be sent together with ${texts[present] ?? ''} (both are kept in one CRM field)`)
    },
    read(src, dst, sink, spiAt, crmAt) {
      const v = getAt(src, crm)
      if (isEmptyValue(v)) return
      let words: readonly (string | undefined)[]
      try {
        words = join.read(v)
      } catch (err) {
        if (!(err instanceof TransformError)) throw err
        sink?.({ field: spiAt + (texts[0] ?? ''), crmField: crmAt + row.crm.text, reason: err.reason })
        return
      }
      words.forEach((word, i) => {
        const part = parts[i]
        if (word !== undefined && word !== '' && part !== undefined) setAt(dst, part, word)
      })
    }
  }
}

function objectRow(row: FieldRowModel, sub: CompiledTable, spi: readonly Segment[], spiText: string): { write: WriteStep; read: ReadStep } {
  const crm = row.crm.segments
  return {
    write(src, dst) {
      const v = getAt(src, spi)
      if (v === undefined || v === null) return
      if (v === '') return setAt(dst, crm, '')
      if (!isObject(v)) throw new MappingValueError(spiText, 'expected an object')
      const out: Obj = {}
      try {
        runWrite(sub, v, out)
      } catch (err) {
        throw nested(spiText, err)
      }
      // An object holding nothing the table maps must not replace the CRM's object with {}.
      if (hasKeys(out)) setAt(dst, crm, out)
    },
    read(src, dst, sink, spiAt, crmAt) {
      const v = getAt(src, crm)
      if (isEmptyValue(v)) return
      if (!isObject(v)) {
        sink?.({ field: spiAt + spiText, crmField: crmAt + row.crm.text, reason: 'expected an object' })
        return
      }
      const out: Obj = {}
      runRead(sub, v, out, sink, sink === undefined ? '' : `${spiAt}${spiText}.`, sink === undefined ? '' : `${crmAt}${row.crm.text}.`)
      if (hasKeys(out)) setAt(dst, spi, out)
    }
  }
}

function arrayRow(row: ArrayRowModel, sub: CompiledTable): { write: WriteStep; read: ReadStep } {
  const spi = row.spi.segments
  const crm = row.crm.segments
  const spiText = row.spi.text
  const crmText = row.crm.text
  return {
    write(src, dst) {
      const v = getAt(src, spi)
      if (v === undefined || v === null) return
      if (v === '') return setAt(dst, crm, '')
      if (!Array.isArray(v)) throw new MappingValueError(spiText, 'expected a list')
      const list: Obj[] = []
      for (let i = 0; i < v.length; i++) {
        const item: unknown = v[i]
        if (!isObject(item)) throw new MappingValueError(`${spiText}[${i}]`, 'expected an object')
        const out: Obj = {}
        try {
          runWrite(sub, item, out)
        } catch (err) {
          throw nested(`${spiText}[${i}]`, err)
        }
        if (hasKeys(out)) list.push(out)
      }
      setAt(dst, crm, list)
    },
    read(src, dst, sink, spiAt, crmAt) {
      const v = getAt(src, crm)
      if (isEmptyValue(v)) return
      if (!Array.isArray(v)) {
        sink?.({ field: spiAt + spiText, crmField: crmAt + crmText, reason: 'expected a list' })
        return
      }
      const list: Obj[] = []
      for (let i = 0; i < v.length; i++) {
        const item: unknown = v[i]
        if (isEmptyValue(item)) continue
        if (!isObject(item)) {
          sink?.({ field: `${spiAt}${spiText}[${i}]`, crmField: `${crmAt}${crmText}[${i}]`, reason: 'expected an object' })
          continue
        }
        const out: Obj = {}
        runRead(sub, item, out, sink, sink === undefined ? '' : `${spiAt}${spiText}[${i}].`, sink === undefined ? '' : `${crmAt}${crmText}[${i}].`)
        if (hasKeys(out)) list.push(out)
      }
      if (list.length > 0) setAt(dst, spi, list)
    }
  }
}

function compileRow(row: RowModel, cache: Map<TableModel, CompiledTable>): { write: WriteStep; read: ReadStep } {
  if (row.kind === 'array') return arrayRow(row, compileTable(row.table, cache))
  const [first] = row.spi
  if (row.join !== undefined) return joinRow(row, row.join)
  const spi = first?.segments ?? []
  const spiText = first?.text ?? ''
  if (row.table !== undefined) return objectRow(row, compileTable(row.table, cache), spi, spiText)
  return valueRow(row, spi, spiText)
}

/** Compiles a table; a sub-table used by several rows (an address) is compiled once. */
export function compileTable(table: TableModel, cache = new Map<TableModel, CompiledTable>()): CompiledTable {
  const done = cache.get(table)
  if (done !== undefined) return done
  const write: WriteStep[] = []
  const read: ReadStep[] = []
  for (const row of table.rows) {
    const steps = compileRow(row, cache)
    if (writes(row.direction)) write.push(steps.write)
    if (reads(row.direction)) read.push(steps.read)
  }
  const compiled = { write, read }
  cache.set(table, compiled)
  return compiled
}
