/**
 * The mapping engine: a validated table (./model.ts, built by ./validate.ts) becomes, once at
 * load, one small function per row and direction; `runWrite` and `runRead` call them in table
 * order. A row reads its source path, converts the value (transforms, value map), and writes
 * its target path — paths are walked by ./paths.ts. So a field is traced from its YAML row to
 * the CRM record through ./validate.ts, this file and ./paths.ts (plus the transform it names).
 *
 * The absent / clear rules (src/core/mapper.ts), for every row alike:
 * - write: `undefined`/`null` → nothing (or the row's default); `""` → `""` (clears);
 * - read: `undefined`/`null`/`""` → nothing (or the default); empty results are dropped.
 * A write failure throws MappingValueError naming the SPI field (with list indexes); a read
 * failure drops that value and reports it to the issue sink, never failing the customer.
 *
 * A write may be given the stored record (an update; `{}` for a create). Then:
 * - a row writing a keyed list item (`phones[label=mobile].value`) starts the list from the
 *   stored one, so the items the table does not touch are kept, and `""` removes the item;
 * - a join row (`[firstName, lastName] → name`) sent in part takes the other parts from the
 *   stored record as the table reads it.
 * Without one (`toCrm(customer)` alone), lists start empty and a partial join is refused.
 *
 * Why plain functions and no generated code: measured with bench/mapping.ts and the cache-miss
 * GET of `npm run bench` (BENCHMARKS.md, change 12), the generated accessors and row groups
 * this replaced saved about 1% of a cache-miss GET's CPU, under the 5% an optimisation that
 * costs readability must earn.
 */
import { MappingValueError } from './errors.js'
import type { FieldRowModel, RowModel, TableModel, ValueMapModel } from './model.js'
import { isReadBack, reads, writes } from './model.js'
import { getAt, keyedItem, removeItems, setAt, type Path, type Segment } from './paths.js'
import { childScope, report, type ReadScope } from './read-scope.js'
import { cloneForRead, cloneForWrite, isEmptyValue } from './safe-value.js'
import { TransformError, type JoinTransform, type ValueTransform } from './transforms/index.js'
import { isPlainObject } from '../core/plain-object.js'

export type Obj = Record<string | number, unknown>

const isObject: (value: unknown) => value is Obj = isPlainObject

/** What a write completes partial values from: the stored record, both ways it is seen. */
export interface Stored {
  /** The CRM record as stored (at this row's level, for a sub-table). */
  readonly record: Obj
  /** The same record as the table reads it: the customer as stored (computed once, if asked). */
  readonly customer: () => Obj
}

/** Returns whether it wrote into `dst`; throws MappingValueError naming the SPI field. */
type WriteRow = (src: unknown, dst: Obj, stored: Stored | undefined) => boolean
/** Returns whether it wrote into `dst`; `scope` says where issues go (undefined: nobody listens). */
type ReadRow = (src: unknown, dst: Obj, scope: ReadScope | undefined) => boolean

export interface CompiledTable {
  readonly write: readonly WriteRow[]
  readonly read: readonly ReadRow[]
}

/** Maps `src` into `dst` with the table's write rows; false when nothing was written. */
export function runWrite(table: CompiledTable, src: unknown, dst: Obj, stored?: Stored): boolean {
  let wrote = false
  for (const row of table.write) if (row(src, dst, stored)) wrote = true
  return wrote
}

/** Maps `src` into `dst` with the table's read rows; false when nothing was written. */
export function runRead(table: CompiledTable, src: unknown, dst: Obj, scope: ReadScope | undefined): boolean {
  let wrote = false
  for (const row of table.read) if (row(src, dst, scope)) wrote = true
  return wrote
}

// ---------------------------------------------------------------------------------------------
// One value's conversion: transforms then value map on write, the reverse on read.

export interface Conversion {
  readonly transforms: readonly ValueTransform[]
  readonly values: ValueMapModel | undefined
}

function lookupKey(value: unknown): string | undefined {
  return typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined
}

function mapToCrm(map: ValueMapModel, value: unknown): unknown {
  const key = lookupKey(value)
  if (key !== undefined) {
    const exact = map.toCrm.get(key) ?? map.toCrmFolded.get(key.toLowerCase())
    if (exact !== undefined) return exact
  }
  if (map.unmapped === 'pass') return value
  throw new TransformError(`not one of ${map.spiValues.join(', ')}`)
}

function mapFromCrm(map: ValueMapModel, value: unknown): unknown {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    const exact = map.fromCrm.get(value) ?? (typeof value === 'string' ? map.fromCrmFolded.get(value.toLowerCase()) : undefined)
    if (exact !== undefined) return exact
  }
  if (map.unmapped === 'pass') return value
  throw new TransformError('a CRM value missing from the value map')
}

/**
 * SPI → CRM for a present, non-`""` value; `undefined` when a transform declines it (a policy
 * such as `birthday:…|drop`: the CRM field is left as it is). Throws TransformError.
 */
export function toCrmValue(c: Conversion, value: unknown): unknown {
  if (c.transforms.length === 0 && c.values === undefined) return cloneForWrite(value)
  let out = value
  for (const t of c.transforms) {
    out = t.write(out)
    if (out === undefined) return undefined
  }
  return c.values === undefined ? out : mapToCrm(c.values, out)
}

/** CRM → SPI for a present value; `undefined` when nothing is left (`""`, `{}`…). Throws TransformError. */
export function toSpiValue(c: Conversion, value: unknown): unknown {
  if (c.transforms.length === 0 && c.values === undefined) return cloneForRead(value)
  let out = c.values === undefined ? value : mapFromCrm(c.values, value)
  for (let i = c.transforms.length - 1; i >= 0; i--) {
    if (isEmptyValue(out)) return undefined
    out = (c.transforms[i] as ValueTransform).read(out)
  }
  return isEmptyValue(out) ? undefined : out
}

/** `toCrmValue` of one row's conversion, as a function of the value (defaults are tried with it). */
export function makeWriter(transforms: readonly ValueTransform[], values: ValueMapModel | undefined): (value: unknown) => unknown {
  return (value) => toCrmValue({ transforms, values }, value)
}

// ---------------------------------------------------------------------------------------------
// Writing into the CRM record

function valueError(field: string, err: unknown): unknown {
  return err instanceof TransformError ? new MappingValueError(field, err.reason) : err
}

/** Re-anchors an error thrown inside a sub-table under the field that holds it. */
function nested(prefix: string, err: unknown): unknown {
  return err instanceof MappingValueError ? new MappingValueError(`${prefix}.${err.field}`, err.reason) : err
}

/**
 * Writes `value` at the row's CRM path. Under a keyed list item, the list first becomes a copy
 * of the stored one (once per call: a later row finds it in `dst`), and `""` removes the item.
 */
function put(dst: Obj, crm: Target, value: unknown, stored: Stored | undefined): void {
  const { item, list } = crm
  if (item !== undefined && list !== undefined) {
    if (getAt(dst, list) === undefined) {
      const kept = stored === undefined ? undefined : getAt(stored.record, list)
      setAt(dst, list, Array.isArray(kept) ? cloneForWrite(kept) : [])
    }
    if (value === '') {
      removeItems(dst, item)
      return
    }
  }
  setAt(dst, crm.segments, value)
}

/** A CRM path a row writes, with its keyed item and that item's list worked out once. */
interface Target extends Path {
  readonly item: readonly Segment[] | undefined
  readonly list: readonly Segment[] | undefined
}

function target(crm: Path): Target {
  const item = keyedItem(crm.segments)
  return { ...crm, item, list: item?.slice(0, -1) }
}

/** The stored record under an object row, both ways, for its sub-table. */
function storedUnder(stored: Stored | undefined, crm: Path, spi: Path): Stored | undefined {
  if (stored === undefined) return undefined
  const record = getAt(stored.record, crm.segments)
  return {
    record: isObject(record) ? record : {},
    customer: () => {
      const customer = getAt(stored.customer(), spi.segments)
      return isObject(customer) ? customer : {}
    }
  }
}

/** Nothing stored: what a create, or an item of a list sent whole, completes from. */
const NOTHING_STORED: Stored = { record: {}, customer: () => ({}) }

function valueWriter(row: FieldRowModel, spi: Path): WriteRow {
  const crm = target(row.crm)
  const conversion: Conversion = { transforms: row.transforms, values: row.values }
  // Validation proved the default converts: converted once, copied per call (never shared).
  const fallback = row.default === undefined ? undefined : { value: toCrmValue(conversion, row.default.value) }
  return (src, dst, stored) => {
    const v = getAt(src, spi.segments)
    let out: unknown = ''
    if (v === undefined || v === null) {
      if (fallback === undefined) return false
      out = cloneForWrite(fallback.value)
    } else if (v !== '') {
      try {
        out = toCrmValue(conversion, v)
      } catch (err) {
        throw valueError(spi.text, err)
      }
      if (out === undefined) return false
    }
    put(dst, crm, out, stored)
    return true
  }
}

const ABSENT = Symbol('absent')
const CLEARED = Symbol('cleared')

/**
 * A structured row's source value, once the absent / clear rules are applied: ABSENT (nothing
 * written), CLEARED (`""`, written as `""` at `crm`), else the value to map.
 */
function structured(src: unknown, spi: Path, dst: Obj, crm: Target, stored: Stored | undefined): unknown {
  const v = getAt(src, spi.segments)
  if (v === undefined || v === null) return ABSENT
  if (v !== '') return v
  put(dst, crm, '', stored)
  return CLEARED
}

function objectWriter(sub: CompiledTable, spi: Path, crm: Target): WriteRow {
  return (src, dst, stored) => {
    const v = structured(src, spi, dst, crm, stored)
    if (v === ABSENT || v === CLEARED) return v === CLEARED
    if (!isObject(v)) throw new MappingValueError(spi.text, 'expected an object')
    const out: Obj = {}
    try {
      // An object holding nothing the table maps must not replace the CRM's object with {}.
      if (!runWrite(sub, v, out, storedUnder(stored, crm, spi))) return false
    } catch (err) {
      throw nested(spi.text, err)
    }
    put(dst, crm, out, stored)
    return true
  }
}

function listWriter(sub: CompiledTable, spi: Path, crm: Target): WriteRow {
  return (src, dst, stored) => {
    const v = structured(src, spi, dst, crm, stored)
    if (v === ABSENT || v === CLEARED) return v === CLEARED
    if (!Array.isArray(v)) throw new MappingValueError(spi.text, 'expected a list')
    const list: Obj[] = []
    v.forEach((item: unknown, i) => {
      if (!isObject(item)) throw new MappingValueError(`${spi.text}[${i}]`, 'expected an object')
      const out: Obj = {}
      try {
        // A list is sent whole: its items complete from nothing stored.
        if (runWrite(sub, item, out, stored === undefined ? undefined : NOTHING_STORED)) list.push(out)
      } catch (err) {
        throw nested(`${spi.text}[${i}]`, err)
      }
    })
    // Even an empty list is sent: it is present in the customer.
    put(dst, crm, list, stored)
    return true
  }
}

/** `readBack[i]`: the table reads part i, so the stored customer can supply it. */
function joinWriter(join: JoinTransform, parts: readonly Path[], crm: Target, readBack: readonly boolean[]): WriteRow {
  return (src, dst, stored) => {
    const values = parts.map((p) => getAt(src, p.segments))
    const isMissing = (v: unknown): boolean => v === undefined || v === null
    const missing = values.findIndex(isMissing)
    if (missing >= 0) {
      const present = values.findIndex((v) => !isMissing(v))
      if (present < 0) return false
      // Writing a partial join would erase the other parts in the CRM's single field: they
      // come from the stored record, or the write is refused when there is none to ask (or
      // the table does not read that part back: `mapping check` warns of it).
      if (stored === undefined || values.some((v, i) => isMissing(v) && readBack[i] !== true)) {
        throw new MappingValueError(parts[missing]?.text ?? '', `must be sent together with ${parts[present]?.text ?? ''} (both are kept in one CRM field)`)
      }
      const current = stored.customer()
      values.forEach((v, i) => {
        if (v === undefined || v === null) values[i] = getAt(current, (parts[i] as Path).segments) ?? ''
      })
    }
    let out: unknown = ''
    if (values.some((v) => v !== '')) {
      try {
        out = join.write(values)
      } catch (err) {
        throw valueError(parts[0]?.text ?? '', err)
      }
    }
    put(dst, crm, out, stored)
    return true
  }
}

// ---------------------------------------------------------------------------------------------
// Reading the CRM record

function valueReader(row: FieldRowModel, spi: Path): ReadRow {
  const conversion: Conversion = { transforms: row.transforms, values: row.values }
  const fallback = row.default
  return (src, dst, scope) => {
    const v = getAt(src, row.crm.segments)
    let out: unknown
    if (!isEmptyValue(v)) {
      try {
        out = toSpiValue(conversion, v)
      } catch (err) {
        if (!(err instanceof TransformError)) throw err
        if (scope !== undefined) report(scope, spi.text, row.crm.text, err.reason)
      }
    }
    if (out === undefined) {
      if (fallback === undefined) return false
      out = cloneForRead(fallback.value)
      if (out === undefined) return false
    }
    setAt(dst, spi.segments, out)
    return true
  }
}

function objectReader(sub: CompiledTable, spi: Path, crm: Path): ReadRow {
  return (src, dst, scope) => {
    const v = getAt(src, crm.segments)
    if (isEmptyValue(v)) return false
    if (!isObject(v)) {
      if (scope !== undefined) report(scope, spi.text, crm.text, 'expected an object')
      return false
    }
    const out: Obj = {}
    if (!runRead(sub, v, out, scope === undefined ? undefined : childScope(scope, spi.text, crm.text, -1))) return false
    setAt(dst, spi.segments, out)
    return true
  }
}

function listReader(sub: CompiledTable, spi: Path, crm: Path): ReadRow {
  return (src, dst, scope) => {
    const v = getAt(src, crm.segments)
    if (isEmptyValue(v)) return false
    if (!Array.isArray(v)) {
      if (scope !== undefined) report(scope, spi.text, crm.text, 'expected a list')
      return false
    }
    const list: Obj[] = []
    v.forEach((item: unknown, i) => {
      if (isEmptyValue(item)) return
      if (!isObject(item)) {
        if (scope !== undefined) report(scope, `${spi.text}[${i}]`, `${crm.text}[${i}]`, 'expected an object')
        return
      }
      const out: Obj = {}
      if (runRead(sub, item, out, scope === undefined ? undefined : childScope(scope, spi.text, crm.text, i))) list.push(out)
    })
    if (list.length === 0) return false
    setAt(dst, spi.segments, list)
    return true
  }
}

function joinReader(join: JoinTransform, crm: Path, parts: readonly Path[]): ReadRow {
  return (src, dst, scope) => {
    const v = getAt(src, crm.segments)
    if (isEmptyValue(v)) return false
    let words: readonly (string | undefined)[]
    try {
      words = join.read(v)
    } catch (err) {
      if (!(err instanceof TransformError)) throw err
      if (scope !== undefined) report(scope, parts[0]?.text ?? '', crm.text, err.reason)
      return false
    }
    let wrote = false
    words.forEach((word, i) => {
      const part = parts[i]
      if (word === undefined || word === '' || part === undefined) return
      setAt(dst, part.segments, word)
      wrote = true
    })
    return wrote
  }
}

// ---------------------------------------------------------------------------------------------
// Compiling a table

type Cache = Map<TableModel, CompiledTable>

/** The one SPI path of a row that is not a join (validation guarantees it). */
function onlySpi(row: FieldRowModel): Path {
  return row.spi[0] ?? { text: '', segments: [] as Segment[] }
}

function writer(row: RowModel, table: TableModel, cache: Cache): WriteRow {
  if (row.kind === 'array') return listWriter(compileTable(row.table, cache), row.spi, target(row.crm))
  if (row.join !== undefined) return joinWriter(row.join, row.spi, target(row.crm), row.spi.map((p) => isReadBack(table, p)))
  if (row.table !== undefined) return objectWriter(compileTable(row.table, cache), onlySpi(row), target(row.crm))
  return valueWriter(row, onlySpi(row))
}

function reader(row: RowModel, cache: Cache): ReadRow {
  if (row.kind === 'array') return listReader(compileTable(row.table, cache), row.spi, row.crm)
  if (row.join !== undefined) return joinReader(row.join, row.crm, row.spi)
  if (row.table !== undefined) return objectReader(compileTable(row.table, cache), onlySpi(row), row.crm)
  return valueReader(row, onlySpi(row))
}

/** Compiles a table; a sub-table used by several rows (an address) is compiled once. */
export function compileTable(table: TableModel, cache: Cache = new Map()): CompiledTable {
  const done = cache.get(table)
  if (done !== undefined) return done
  const compiled: CompiledTable = {
    write: table.rows.filter((row) => writes(row.direction)).map((row) => writer(row, table, cache)),
    read: table.rows.filter((row) => reads(row.direction)).map((row) => reader(row, cache))
  }
  cache.set(table, compiled)
  return compiled
}
