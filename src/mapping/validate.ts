/**
 * Semantic validation: what the schema cannot say. Builds the in-memory model (./model.ts)
 * from a schema-valid table, and reports, each at its line: bad paths and refused segments,
 * unknown transforms or bad transform parameters, unknown or self-including tables, colliding
 * targets in one direction, ambiguous value maps, defaults that cannot be written, duplicate
 * search rows, `meta` paths other than the creation marker row (./marker.ts), and refused keys
 * anywhere (samples included).
 */
import type { TableIssue } from './errors.js'
import { checkMetaPaths } from './marker.js'
import type { ArrayRowModel, Direction, FieldRowModel, MappingModel, RowModel, SearchRowModel, TableModel, ValueMapModel, CrmScalar } from './model.js'
import { isReadBack, reads, writes } from './model.js'
import { displayNodePath, type NodePath, type ParsedYaml } from './parse-yaml.js'
import { displayPath, isSelector, parsePath, REFUSED_SEGMENTS, type Path } from './paths.js'
import type { ArrayRowSource, FieldRowSource, MappingTableSource } from './table-schema.js'
import { TargetTrie } from './target-check.js'
import { parseTransformSpec, TransformError, TransformParamError, type JoinTransform, type ValueTransform } from './transforms/index.js'
import { makeWriter } from './engine.js'

export interface ValidationResult {
  /** Undefined when there are issues. */
  readonly model: MappingModel | undefined
  readonly issues: readonly TableIssue[]
}

/**
 * Rows that write a list item by position (`PHONES.1.NUMBER`): when the customer lacks the
 * values of the items before it, the CRM gets a list with a hole — and a list is sent whole,
 * replacing the CRM's own items. Valid, but worth a warning naming the row.
 */
function positionalListWarnings(rows: readonly RowModel[], warn: (at: NodePath, message: string) => void): void {
  const warned = new Set<string>()
  for (const row of rows) {
    if (!writes(row.direction)) continue
    const segments = row.crm.segments
    const at = segments.findIndex((s, i) => i > 0 && typeof s === 'number' && s > 0)
    const position = segments[at]
    if (typeof position !== 'number') continue
    const list = displayPath(segments.slice(0, at))
    if (warned.has(list)) continue
    warned.add(list)
    warn([...row.at, 'crm'], `writes item ${position} of the list "${list}" by position: a customer without the values of the items before it writes a list with a hole, and the list is sent whole, replacing the CRM's other items`)
  }
}

/**
 * A composed field (a join row that writes) sent in part takes its other parts from the stored
 * record as the table reads it; a part no read row fills cannot be taken, so such an update is
 * refused. Valid, but worth saying where the table is written.
 */
function joinWarnings(table: TableModel, warn: (at: NodePath, message: string) => void): void {
  for (const row of table.rows) {
    if (row.kind !== 'field' || row.join === undefined || !writes(row.direction)) continue
    row.spi.forEach((part, i) => {
      if (isReadBack(table, part)) return
      warn([...row.at, 'spi', i], `no row reads ${part.text} back, so an update that sends the other parts of this composed field without it is refused (add a read row for it, or make this row direction: both)`)
    })
  }
}

const listOf = <T>(value: T | readonly T[]): readonly T[] => (Array.isArray(value) ? value : [value as T])
/** The node path of item `i` of a key that holds one value or a list. */
const itemAt = (at: NodePath, key: string, isList: boolean, i: number): NodePath => (isList ? [...at, key, i] : [...at, key])

export function buildModel(src: MappingTableSource, file: string, parsed: ParsedYaml): ValidationResult {
  const issues: TableIssue[] = []
  const issue = (at: NodePath, message: string, key = false): void => {
    issues.push({ file, ...parsed.locate(at, { key }), path: displayNodePath(at), message })
  }
  const label = (at: NodePath): string => `${displayNodePath(at)} (line ${parsed.locate(at).line})`

  const path = (text: string, at: NodePath): Path | undefined => {
    const result = parsePath(text)
    if (result.ok) return result.path
    issue(at, result.reason)
    return undefined
  }
  /** An SPI path: the customer's own fields, which hold no keyed items. */
  const spiPath = (text: string, at: NodePath): Path | undefined => {
    const p = path(text, at)
    if (p?.segments.some(isSelector) !== true) return p
    issue(at, `"${text}": a keyed item [member=value] selects an item of a CRM list; an SPI path names the customer's own fields (addressList is mapped with an array row)`)
    return undefined
  }
  /** A CRM path a row writes or reads: a keyed item is followed by the member it maps. */
  const crmPath = (text: string, at: NodePath): Path | undefined => {
    const p = path(text, at)
    const last = p?.segments[p.segments.length - 1]
    if (last === undefined || !isSelector(last)) return p
    issue(at, `"${text}" ends with a keyed item: name the member the row maps after it, e.g. ${text}.value`)
    return undefined
  }

  const transformsOf = (spec: string | readonly string[] | undefined, at: NodePath, parts: number): { transforms: ValueTransform[]; join: JoinTransform | undefined; ok: boolean } => {
    const transforms: ValueTransform[] = []
    let join: JoinTransform | undefined
    let ok = true
    if (spec === undefined) return { transforms, join, ok }
    const specs = listOf(spec)
    specs.forEach((one, i) => {
      const tAt = itemAt(at, 'transform', Array.isArray(spec), i)
      try {
        const { definition, param } = parseTransformSpec(one)
        if (definition.kind === 'value') transforms.push(definition.create(param))
        else if (specs.length > 1) throw new TransformParamError(`"${definition.name}" joins several SPI fields and cannot be chained with other transforms`)
        else if (parts < 2) throw new TransformParamError(`"${definition.name}" needs a list of SPI paths, e.g. spi: [profile.firstName, profile.lastName]`)
        else join = definition.create(param, parts)
      } catch (err) {
        if (!(err instanceof TransformParamError)) throw err
        issue(tAt, err.message)
        ok = false
      }
    })
    return { transforms, join, ok }
  }

  // ---- named tables, built on first use so that references and cycles are checked once
  const sources = src.tables ?? {}
  const built = new Map<string, TableModel>()
  const building: string[] = []

  const tableByName = (name: string, at: NodePath): TableModel | undefined => {
    const done = built.get(name)
    if (done !== undefined) return done
    if (building.includes(name)) {
      issue(at, `table "${name}" includes itself (${[...building, name].join(' → ')})`)
      return undefined
    }
    const rows = Object.hasOwn(sources, name) ? sources[name] : undefined
    if (rows === undefined) {
      const known = Object.keys(sources)
      issue(at, `unknown table "${name}" (${known.length > 0 ? `tables: ${known.join(', ')}` : 'this file has no tables'})`)
      return undefined
    }
    building.push(name)
    const table: TableModel = { name, rows: fieldRows(rows, ['tables', name]) }
    building.pop()
    checkTargets(table)
    built.set(name, table)
    return table
  }

  /** Resolves the `table` key of the row at `rowAt`: one name or a list of names. */
  const tableRef = (ref: string | readonly string[], rowAt: NodePath): TableModel | undefined => {
    const names = listOf(ref)
    const tables = names.map((name, i) => tableByName(name, itemAt(rowAt, 'table', Array.isArray(ref), i)))
    if (tables.some((t) => t === undefined)) return undefined
    if (tables.length === 1) return tables[0]
    const combined: TableModel = { name: names.join('+'), rows: tables.flatMap((t) => t?.rows ?? []) }
    checkTargets(combined)
    return combined
  }

  const valueMap = (r: FieldRowSource, at: NodePath, direction: Direction): ValueMapModel | undefined => {
    if (r.values === undefined) {
      if (r.unmapped !== undefined) issue([...at, 'unmapped'], '"unmapped" only applies to a "values" map')
      return undefined
    }
    const entries = Object.entries(r.values)
    if (entries.length === 0) issue([...at, 'values'], 'empty value map')
    const toCrm = new Map<string, CrmScalar>()
    const toCrmFolded = new Map<string, CrmScalar>()
    const fromCrm = new Map<CrmScalar, string | boolean>()
    const fromCrmFolded = new Map<string, string | boolean>()
    // A map keyed only true/false maps a flag (to a CRM's option ids, say "101"/"102"): it
    // reads back booleans, not the words "true"/"false" (YAML keys are always text).
    const flag = entries.every(([spi]) => spi === 'true' || spi === 'false')
    const spiValue = (spi: string): string | boolean => (flag ? spi === 'true' : spi)
    for (const [spi, crm] of entries) {
      toCrm.set(spi, crm)
      if (!toCrmFolded.has(spi.toLowerCase())) toCrmFolded.set(spi.toLowerCase(), crm)
      const previous = fromCrm.get(crm)
      if (previous !== undefined && reads(direction)) {
        issue([...at, 'values', spi], `CRM value ${JSON.stringify(crm)} is also the value of "${previous}", so reading it back is ambiguous (a many-to-one map needs direction: write)`, true)
      }
      if (previous === undefined) fromCrm.set(crm, spiValue(spi))
      if (typeof crm === 'string' && !fromCrmFolded.has(crm.toLowerCase())) fromCrmFolded.set(crm.toLowerCase(), spiValue(spi))
    }
    return { toCrm, toCrmFolded, fromCrm, fromCrmFolded, spiValues: entries.map(([spi]) => spi), unmapped: r.unmapped ?? 'reject' }
  }

  const fieldRow = (r: FieldRowSource, at: NodePath): FieldRowModel | undefined => {
    const spiTexts = listOf(r.spi)
    const spi = spiTexts.map((text, i) => spiPath(text, itemAt(at, 'spi', Array.isArray(r.spi), i)))
    const crm = crmPath(r.crm, [...at, 'crm'])
    const direction = r.direction ?? 'both'
    const { transforms, join, ok } = transformsOf(r.transform, at, spiTexts.length)
    const values = valueMap(r, at, direction)
    const hasDefault = Object.hasOwn(r, 'default')
    if (spiTexts.length > 1 && join === undefined && ok) issue([...at, 'spi'], 'a list of SPI paths needs a join transform such as full-name')
    if (join !== undefined && (values !== undefined || hasDefault)) issue([...at, 'transform'], 'a join row cannot have values or a default')
    let table: TableModel | undefined
    if (r.table !== undefined) {
      if (r.transform !== undefined || values !== undefined || hasDefault) {
        issue([...at, 'table'], 'a row with a table maps a whole object: it cannot also have transform, values or default')
      }
      if (spiTexts.length > 1) issue([...at, 'spi'], 'a row with a table maps one SPI object: spi must be one path')
      table = tableRef(r.table, at)
    }
    if (hasDefault && (r.default === null || r.default === '')) issue([...at, 'default'], 'a default must be a value (not null or "")')
    else if (hasDefault && writes(direction) && ok) {
      try {
        makeWriter(transforms, values)(r.default)
      } catch (err) {
        if (!(err instanceof TransformError)) throw err
        issue([...at, 'default'], `the default cannot be written to the CRM: ${err.reason}`)
      }
    }
    if (crm === undefined || spi.some((p) => p === undefined) || !ok) return undefined
    if (r.table !== undefined && table === undefined) return undefined
    return {
      kind: 'field', at, spi: spi as Path[], crm, direction, transforms, join, values,
      default: hasDefault ? { value: r.default } : undefined, table
    }
  }

  const arrayRow = (r: ArrayRowSource, at: NodePath): ArrayRowModel | undefined => {
    const spi = spiPath(r.spi, [...at, 'spi'])
    const crm = crmPath(r.crm, [...at, 'crm'])
    const table = tableRef(r.table, at)
    if (spi === undefined || crm === undefined || table === undefined) return undefined
    return { kind: 'array', at, spi, crm, direction: r.direction ?? 'both', table }
  }

  function fieldRows(rows: readonly FieldRowSource[], base: NodePath): RowModel[] {
    return rows.flatMap((r, i) => fieldRow(r, [...base, i]) ?? [])
  }

  function checkTargets(table: TableModel): void {
    const written = new TargetTrie()
    const read = new TargetTrie()
    for (const row of table.rows) {
      const owner = label(row.at)
      if (writes(row.direction)) {
        const why = written.claim(row.crm.segments, row.crm.text, owner, 'CRM field')
        if (why !== undefined) issue([...row.at, 'crm'], why)
      }
      if (!reads(row.direction)) continue
      const spiPaths = row.kind === 'array' ? [row.spi] : row.spi
      spiPaths.forEach((p, i) => {
        const why = read.claim(p.segments, p.text, owner, 'SPI field')
        if (why !== undefined) issue(itemAt(row.at, 'spi', spiPaths.length > 1, i), why)
      })
    }
  }

  refusedKeys(src, [], issue)
  checkMetaPaths(src, issue, label)
  const root: TableModel = {
    name: '(root)',
    rows: [...fieldRows(src.fields, ['fields']), ...(src.arrays ?? []).flatMap((r, i) => arrayRow(r, ['arrays', i]) ?? [])]
  }
  checkTargets(root)
  const search = searchRows(src, issue, label, path)
  const samples = (src.samples ?? []).map((s, i) => ({ at: ['samples', i], name: s.name, spi: s.spi, crm: s.crm }))
  if (issues.length > 0) return { model: undefined, issues }
  const warnings: TableIssue[] = []
  const warn = (at: NodePath, message: string): void => {
    warnings.push({ file, ...parsed.locate(at), path: displayNodePath(at), message })
  }
  positionalListWarnings(root.rows, warn)
  for (const table of [root, ...built.values()]) joinWarnings(table, warn)
  return { model: { crm: src.crm, description: src.description, root, search, samples, warnings }, issues }
}

function searchRows(
  src: MappingTableSource,
  issue: (at: NodePath, message: string) => void,
  label: (at: NodePath) => string,
  path: (text: string, at: NodePath) => Path | undefined
): SearchRowModel[] {
  const seen = new Map<string, NodePath>()
  return (src.search ?? []).flatMap((s, i): SearchRowModel[] => {
    const at: NodePath = ['search', i]
    const previous = seen.get(s.param)
    if (previous !== undefined) issue([...at, 'param'], `duplicate search row for "${s.param}": also ${label(previous)}`)
    seen.set(s.param, at)
    const fields = listOf(s.crm).map((text, j) => {
      const fieldAt = itemAt(at, 'crm', Array.isArray(s.crm), j)
      const p = path(text, fieldAt)
      if (p?.segments.some(isSelector) !== true) return p?.text
      issue(fieldAt, `"${text}": a search field is a field the CRM searches by its name; a keyed item [member=value] is not one (search the list's field as the CRM names it)`)
      return undefined
    })
    const transforms: ValueTransform[] = []
    listOf(s.transform ?? []).forEach((spec, j) => {
      try {
        const { definition, param } = parseTransformSpec(spec)
        if (definition.kind !== 'value') throw new TransformParamError(`"${definition.name}" joins several fields: not usable on a search value`)
        transforms.push(definition.create(param))
      } catch (err) {
        if (!(err instanceof TransformParamError)) throw err
        issue(itemAt(at, 'transform', Array.isArray(s.transform), j), err.message)
      }
    })
    if (fields.some((f) => f === undefined)) return []
    return [{ at, param: s.param, fields: fields as string[], operator: s.operator ?? 'equals', transforms }]
  })
}

/** CONTRACT §3: keys that could reach a prototype are never kept, at any depth — not even in samples. */
function refusedKeys(value: unknown, at: NodePath, issue: (at: NodePath, message: string, key?: boolean) => void): void {
  if (typeof value !== 'object' || value === null) return
  if (Array.isArray(value)) {
    value.forEach((v, i) => refusedKeys(v, [...at, i], issue))
    return
  }
  for (const key of Object.keys(value)) {
    if (REFUSED_SEGMENTS.has(key)) issue([...at, key], `key "${key}" is refused`, true)
    else refusedKeys((value as Record<string, unknown>)[key], [...at, key], issue)
  }
}
