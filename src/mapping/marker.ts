/**
 * The creation marker: a fingerprint the gateway computes for each create and writes into the
 * new CRM record through the row `{ spi: meta.createRequestId, crm: <field>, direction: write }`.
 * When a create's answer is lost (a timeout, a reset connection), the POS's retry finds the
 * customer the first attempt made by that field instead of creating a second one
 * (src/core/mapper.ts, `markerCriterion`).
 *
 * `meta` is the gateway's, not the customer's: `meta.createRequestId` is the only `meta` path a
 * table may name, on one top-level field row that writes a single value and never reads it.
 */
import type { CustomerMapper } from '../core/mapper.js'
import { MappingValueError } from './errors.js'
import type { FieldRowModel, TableModel } from './model.js'
import type { NodePath } from './parse-yaml.js'
import type { MappingTableSource } from './table-schema.js'
import { TransformError } from './transforms/index.js'
import { toCrmValue } from './engine.js'

export const MARKER_PATH = 'meta.createRequestId'

const isMeta = (text: string): boolean => text === 'meta' || text.startsWith('meta.')

const notSpi = (text: string): string =>
  `"${text}" is not an SPI field: the only meta path a table may map is ${MARKER_PATH} (the creation marker, see mappings/README.md)`

type Report = (at: NodePath, message: string) => void

/**
 * Reports every top-level row that names a `meta` path other than as the creation marker row
 * allows. Sub-table paths are relative to an object (an address), so `meta` there is not this one.
 */
export function checkMetaPaths(src: MappingTableSource, issue: Report, label: (at: NodePath) => string): void {
  let first: NodePath | undefined
  src.fields.forEach((r, i) => {
    const at: NodePath = ['fields', i]
    if (Array.isArray(r.spi)) {
      r.spi.forEach((text, j) => {
        if (isMeta(text)) issue([...at, 'spi', j], text === MARKER_PATH ? 'the creation marker cannot be part of a join: map it alone, to its own CRM field' : notSpi(text))
      })
      return
    }
    const text = r.spi
    if (!isMeta(text)) return
    if (text !== MARKER_PATH) {
      issue([...at, 'spi'], notSpi(text))
      return
    }
    if (first !== undefined) issue([...at, 'spi'], `a second creation marker row: also ${label(first)}`)
    first ??= at
    if (r.direction !== 'write') {
      // Never read: the marker is the gateway's bookkeeping, not part of the customer the POS sees.
      issue(r.direction === undefined ? at : [...at, 'direction'], 'the creation marker is written, never read into answers: it needs direction: write')
    }
    if (r.table !== undefined) issue([...at, 'table'], 'the creation marker is one text value: it cannot have a table')
    // A value map would refuse markers it does not list; a default would be written by every
    // update without a marker, overwriting the one the create stored.
    if (r.values !== undefined) issue([...at, 'values'], 'the creation marker cannot have a value map: each create has its own marker')
    if (Object.hasOwn(r, 'default')) issue([...at, 'default'], 'the creation marker cannot have a default: every update would overwrite the stored marker with it')
  })
  src.arrays?.forEach((r, i) => {
    if (isMeta(r.spi)) issue(['arrays', i, 'spi'], r.spi === MARKER_PATH ? 'the creation marker is one text value, not a list: map it with a field row (direction: write)' : notSpi(r.spi))
  })
}

/** The table's creation marker row, if it has one (validation allows at most one). */
export function markerRow(root: TableModel): FieldRowModel | undefined {
  for (const row of root.rows) {
    if (row.kind === 'field' && row.spi.length === 1 && row.spi[0]?.text === MARKER_PATH) return row
  }
  return undefined
}

/** `markerCriterion`: the marker, converted as `toCrm` writes it, compared whole. */
export function markerFunction(root: TableModel): CustomerMapper['markerCriterion'] {
  const row = markerRow(root)
  if (row === undefined) return () => undefined
  const fields = Object.freeze([row.crm.text])
  const conversion = { transforms: row.transforms, values: row.values }
  return (marker) => {
    let out: unknown
    try {
      out = toCrmValue(conversion, marker)
    } catch (err) {
      if (err instanceof TransformError) throw new MappingValueError(MARKER_PATH, err.reason)
      throw err
    }
    if (out === undefined) throw new MappingValueError(MARKER_PATH, 'the row writes nothing for this marker')
    return { fields, operator: 'equals', value: typeof out === 'string' ? out : JSON.stringify(out) }
  }
}
