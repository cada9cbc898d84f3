/**
 * Proof that a table does what its samples say, run at load (a table whose samples do not
 * round-trip is refused like any other invalid table) and by the tests.
 *
 * The rule, per sample:
 * 1. every field of `spi` and of `crm` is mapped by some row (any direction), so a sample
 *    cannot hide an unmapped or misspelt field;
 * 2. write: `toCrm(spi)` deep-equals `crm` restricted to the CRM fields that write rows fill
 *    (read-only fields such as CONTACT_ID, ORDER_COUNT are left out of the comparison; so is
 *    the creation marker's field when `spi` has no `meta.createRequestId`: the gateway adds the
 *    marker to a create, the POS never sends it, yet a stored record may show it);
 * 3. read: `fromCrm(crm)` deep-equals `spi` restricted to the SPI fields that read rows fill
 *    (write-only fields such as storeAttribution are left out), and reports no read issue.
 * So samples use canonical forms: what the gateway would answer, e.g. `1990-04-17`, not epoch ms.
 */
import type { TableIssue } from './errors.js'
import { MappingValueError } from './errors.js'
import type { CompiledMapping } from './mapping.js'
import { markerRow } from './marker.js'
import { reads, writes, type MappingModel, type RowModel, type TableModel } from './model.js'
import { displayNodePath, type NodePath, type ParsedYaml } from './parse-yaml.js'
import { displayPath, getAt, isPrefix, isSelector, setAt, type Path } from './paths.js'
import { isPlainObject } from '../core/plain-object.js'

/** A place in a value: keys and list positions (a sample's own paths hold no keyed items). */
type Key = string | number
type Obj = Record<Key, unknown>
type Side = 'spi' | 'crm'

const isObject: (v: unknown) => v is Obj = isPlainObject
const isEmpty = (v: unknown): boolean => v === undefined || (isObject(v) && Object.keys(v).length === 0) || (Array.isArray(v) && v.length === 0)

function pathsOf(row: RowModel, side: Side): readonly Path[] {
  if (side === 'crm') return [row.crm]
  return row.kind === 'array' ? [row.spi] : row.spi
}

/** The part of `value` that the rows of one direction fill on `side`. */
export function project(value: Obj, table: TableModel, side: Side, direction: 'read' | 'write'): Obj {
  const out: Obj = {}
  for (const row of table.rows) {
    if (direction === 'read' ? !reads(row.direction) : !writes(row.direction)) continue
    for (const p of pathsOf(row, side)) {
      const v = getAt(value, p.segments)
      if (v === undefined || v === null) continue
      let copy: unknown = v
      if (row.kind === 'array' && Array.isArray(v)) {
        copy = (v as unknown[]).map((item) => (isObject(item) ? project(item, row.table, side, direction) : item)).filter((item) => !isEmpty(item))
      } else if (row.kind === 'field' && row.table !== undefined && isObject(v)) {
        copy = project(v, row.table, side, direction)
      }
      if (!isEmpty(copy)) setAt(out, p.segments, copy)
    }
  }
  return out
}

/** True when `segments` is the key member of an item `row` selects (`label` of `phones[label=mobile].value`). */
function isItemKey(row: Path, segments: readonly Key[]): boolean {
  return row.segments.some((seg, i) => isSelector(seg) && segments.length === i + 2 && segments[i + 1] === seg.member && isPrefix(row.segments.slice(0, i + 1), segments))
}

function covered(segments: readonly Key[], table: TableModel, side: Side): boolean {
  return table.rows.some((row) =>
    pathsOf(row, side).some((p) => {
      if (side === 'crm' && isItemKey(p, segments)) return true
      if (!isPrefix(p.segments, segments)) return false
      const rest = segments.slice(p.segments.length)
      if (row.kind === 'array') return rest.length <= 1 || covered(rest.slice(1), row.table, side)
      return row.table === undefined || rest.length === 0 || covered(rest, row.table, side)
    })
  )
}

function leaves(value: unknown, at: Key[] = [], out: Key[][] = []): Key[][] {
  const entries: [Key, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : isObject(value) ? Object.entries(value) : []
  if (entries.length === 0) out.push(at)
  for (const [k, v] of entries) leaves(v, [...at, k], out)
  return out
}

interface Difference {
  readonly path: Key[]
  readonly actual: unknown
  readonly expected: unknown
}

/** Every place where `actual` and `expected` differ (key order aside), down to the leaves. */
function diff(actual: unknown, expected: unknown, path: Key[] = [], out: Difference[] = []): Difference[] {
  const both = (test: (v: unknown) => boolean): boolean =>
    (test(actual) || test(expected)) && (actual === undefined || test(actual)) && (expected === undefined || test(expected))
  if (both(isObject)) {
    const a = (actual ?? {}) as Obj
    const e = (expected ?? {}) as Obj
    for (const key of new Set([...Object.keys(e), ...Object.keys(a)])) diff(a[key], e[key], [...path, key], out)
  } else if (both(Array.isArray)) {
    const a = (actual ?? []) as unknown[]
    const e = (expected ?? []) as unknown[]
    for (let i = 0; i < Math.max(a.length, e.length); i++) diff(a[i], e[i], [...path, i], out)
  } else if (!Object.is(actual, expected)) {
    out.push({ path, actual, expected })
  }
  return out
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing'
  const text = JSON.stringify(value)
  return text.length > 60 ? text.slice(0, 57) + '…' : text
}

/** `addressList[0].isDefault` → ['addressList', 0, 'isDefault']. */
function fieldSegments(field: string): Key[] {
  return field.split(/\.|(?=\[)/).map((s) => (/^\[[0-9]+\]$/.test(s) ? Number(s.slice(1, -1)) : s))
}

export function verifySamples(model: MappingModel, mapping: CompiledMapping, file: string, parsed: ParsedYaml): TableIssue[] {
  const issues: TableIssue[] = []
  const issue = (at: NodePath, message: string): void => {
    issues.push({ file, ...parsed.locate(at), path: displayNodePath(at), message })
  }
  const marker = markerRow(model.root)
  const withoutMarker: TableModel = { ...model.root, rows: model.root.rows.filter((row) => row !== marker) }
  for (const sample of model.samples) {
    const at = sample.at
    const written = marker !== undefined && getAt(sample.spi, marker.spi[0]?.segments ?? []) === undefined ? withoutMarker : model.root
    for (const side of ['spi', 'crm'] as const) {
      for (const leaf of leaves(sample[side])) {
        if (leaf.length > 0 && !covered(leaf, model.root, side)) issue([...at, side, ...leaf], 'no row maps this field (samples may only hold mapped fields)')
      }
    }
    try {
      for (const d of diff(mapping.toCrm(sample.spi), project(sample.crm, written, 'crm', 'write'))) {
        issue([...at, 'crm', ...d.path], `toCrm(spi) gives ${show(d.actual)} for ${displayPath(d.path)}, the sample has ${show(d.expected)}`)
      }
    } catch (err) {
      if (!(err instanceof MappingValueError)) throw err
      issue([...at, 'spi', ...fieldSegments(err.field)], `toCrm(spi) fails: ${err.reason}`)
    }
    const unreadable = new Set<string>()
    const back = mapping.fromCrm(sample.crm, (problem) => {
      unreadable.add(problem.field)
      issue([...at, 'crm', ...fieldSegments(problem.crmField)], `fromCrm(crm) cannot read this value: ${problem.reason}`)
    })
    for (const d of diff(back, project(sample.spi, model.root, 'spi', 'read'))) {
      if (unreadable.has(displayPath(d.path))) continue // already reported on the CRM side
      issue([...at, 'spi', ...d.path], `fromCrm(crm) gives ${show(d.actual)} for ${displayPath(d.path)}, the sample has ${show(d.expected)}`)
    }
  }
  return issues
}
