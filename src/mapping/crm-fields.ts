/**
 * The CRM fields a table uses, and how (src/core/port.ts `CrmFieldUse`): what a typed CRM
 * (HubSpot properties) must have before the table can work, so the gateway can check them at
 * start and `crm provision` can create them. One entry per top-level CRM field, in table order.
 */
import type { CrmFieldUse, CrmValueKind } from '../core/port.js'
import { markerRow } from './marker.js'
import { reads, writes, type MappingModel, type RowModel } from './model.js'
import { rootKey } from './paths.js'

/**
 * What a row writes: the last transform that says so (`trim` after `e164` keeps it a phone);
 * a value map writes the CRM's own words (text); a nested path or list, a structure.
 */
function kindOf(row: RowModel): CrmValueKind {
  if (row.kind === 'array' || row.table !== undefined || row.crm.segments.length > 1) return 'long-text'
  if (row.values !== undefined || row.join !== undefined) return 'text'
  let kind: CrmValueKind = 'text'
  for (const t of row.transforms) kind = t.crmKind ?? kind
  return kind
}

interface Use {
  kind: CrmValueKind
  read: boolean
  write: boolean
  search: boolean
  unique: boolean
  spi: string[]
}

export function crmFieldsOf(model: MappingModel): readonly CrmFieldUse[] {
  const uses = new Map<string, Use>()
  const use = (name: string, kind: CrmValueKind): Use => {
    let found = uses.get(name)
    if (found === undefined) {
      found = { kind, read: false, write: false, search: false, unique: false, spi: [] }
      uses.set(name, found)
    }
    return found
  }
  const marker = markerRow(model.root)
  for (const row of model.root.rows) {
    const name = rootKey(row.crm)
    const u = use(name, kindOf(row))
    // Two rows on one field (a read-only mirror of a written one): the writer's kind wins.
    if (writes(row.direction)) u.kind = kindOf(row)
    u.read ||= reads(row.direction)
    u.write ||= writes(row.direction)
    u.unique ||= row === marker
    const spi = row.kind === 'array' ? [row.spi.text] : row.spi.map((p) => p.text)
    u.spi.push(...spi.filter((p) => !u.spi.includes(p)))
  }
  for (const row of model.search) {
    for (const name of row.fields) {
      const u = use(name, 'text')
      u.search = true
      if (!u.spi.includes(`search ${row.param}`) && u.spi.length === 0) u.spi.push(`search ${row.param}`)
    }
  }
  return [...uses].map(([name, u]) => Object.freeze({ name, kind: u.kind, read: u.read, write: u.write, search: u.search, unique: u.unique, spi: u.spi.join(', ') }))
}
