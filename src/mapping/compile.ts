/**
 * Model → plans, once at load (./plan.ts; run by ./run.ts). Per call there is no parsing and
 * no schema walking, and everything a row needs that does not depend on the value — its
 * paths, its conversion, its default converted for the CRM — is fixed here.
 */
import { reads, writes, type FieldRowModel, type RowModel, type TableModel } from './model.js'
import { compilePath } from './path-access.js'
import type { Path, Segment } from './paths.js'
import { planList, stepPlan, valuePlan, type CompiledTable, type ReadStep, type Unit, type WriteStep } from './plan.js'
import { arrayReadStep, arrayWriteStep, joinReadStep, joinWriteStep, objectReadStep, objectWriteStep } from './row-steps.js'
import { makePipeline, toCrmValue } from './value-pipeline.js'

export type { CompiledTable } from './plan.js'
export { runRead, runWrite } from './run.js'

type Cache = Map<TableModel, CompiledTable>

/** The one SPI path of a row that is not a join (validation guarantees it). */
function onlySpi(row: FieldRowModel): Path {
  return row.spi[0] ?? { text: '', segments: [] }
}

/** A path given by its segments only: rows keep their texts apart for messages. */
const at = (segments: readonly Segment[]) => compilePath({ text: '', segments })

/** The write (SPI → CRM) side of a row. */
function writeUnit(row: RowModel, cache: Cache): Unit<WriteStep> {
  const crmText = row.crm.text
  if (row.kind === 'array') {
    const sub = compileTable(row.table, cache)
    const spiText = row.spi.text
    return { from: row.spi.segments, to: row.crm.segments, groupable: true, build: (from, to) => stepPlan(arrayWriteStep(sub, at(from), at(to), spiText), to) }
  }
  if (row.join !== undefined) {
    const join = row.join
    const parts = row.spi.map(compilePath)
    return { from: [], to: row.crm.segments, groupable: false, build: (_from, to) => stepPlan(joinWriteStep(join, parts, at(to)), to) }
  }
  const spi = onlySpi(row)
  if (row.table !== undefined) {
    const sub = compileTable(row.table, cache)
    return { from: spi.segments, to: row.crm.segments, groupable: true, build: (from, to) => stepPlan(objectWriteStep(sub, at(from), at(to), spi.text), to) }
  }
  const pipeline = makePipeline(row.transforms, row.values)
  // Validation proved the default converts; convert once, copy per call (never share objects).
  const fallback = row.default === undefined ? undefined : { value: toCrmValue(pipeline, row.default.value) }
  return {
    from: spi.segments,
    to: row.crm.segments,
    groupable: true,
    build: (from, to) => valuePlan({ from, to, pipeline, fallback, spiText: spi.text, crmText })
  }
}

/** The read (CRM → SPI) side of a row. */
function readUnit(row: RowModel, cache: Cache): Unit<ReadStep> {
  const crmText = row.crm.text
  if (row.kind === 'array') {
    const sub = compileTable(row.table, cache)
    const spiText = row.spi.text
    return { from: row.crm.segments, to: row.spi.segments, groupable: true, build: (from, to) => stepPlan(arrayReadStep(sub, at(from), at(to), spiText, crmText), to) }
  }
  if (row.join !== undefined) {
    const join = row.join
    const parts = row.spi.map(compilePath)
    const crm = compilePath(row.crm)
    return { from: row.crm.segments, to: [], groupable: false, build: () => stepPlan(joinReadStep(join, crm, parts), onlySpi(row).segments) }
  }
  const spi = onlySpi(row)
  if (row.table !== undefined) {
    const sub = compileTable(row.table, cache)
    return { from: row.crm.segments, to: spi.segments, groupable: true, build: (from, to) => stepPlan(objectReadStep(sub, at(from), at(to), spi.text, crmText), to) }
  }
  const pipeline = makePipeline(row.transforms, row.values)
  const fallback = row.default
  return {
    from: row.crm.segments,
    to: spi.segments,
    groupable: true,
    build: (from, to) => valuePlan({ from, to, pipeline, fallback, spiText: spi.text, crmText })
  }
}

/** Compiles a table; a sub-table used by several rows (an address) is compiled once. */
export function compileTable(table: TableModel, cache: Cache = new Map()): CompiledTable {
  const done = cache.get(table)
  if (done !== undefined) return done
  const write: Unit<WriteStep>[] = []
  const read: Unit<ReadStep>[] = []
  for (const row of table.rows) {
    if (writes(row.direction)) write.push(writeUnit(row, cache))
    if (reads(row.direction)) read.push(readUnit(row, cache))
  }
  const compiled = { write: planList(write), read: planList(read) }
  cache.set(table, compiled)
  return compiled
}
