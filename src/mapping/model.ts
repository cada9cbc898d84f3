/**
 * A validated table in memory: paths parsed, transforms instantiated, sub-tables resolved.
 * ./validate.ts builds it from the YAML data; ./engine.ts and ./samples.ts consume it.
 * Every part remembers where it came from (`at`) so later checks can still point at a line.
 */
import type { NodePath } from './parse-yaml.js'
import type { TableIssue } from './errors.js'
import { isPrefix, type Path } from './paths.js'
import type { JoinTransform, ValueTransform } from './transforms/index.js'
import type { SearchParam } from '../spi/customer-schema.js'
import type { SearchOperator } from '../core/port.js'

export type Direction = 'read' | 'write' | 'both'

export type CrmScalar = string | number | boolean

export interface ValueMapModel {
  /** SPI value → CRM value, exact. */
  readonly toCrm: ReadonlyMap<string, CrmScalar>
  /** Lower-cased SPI value → CRM value, the fallback for text that differs only in case. */
  readonly toCrmFolded: ReadonlyMap<string, CrmScalar>
  /** CRM value → SPI value: text, or a boolean for a map keyed `true`/`false` (a flag as option ids). */
  readonly fromCrm: ReadonlyMap<CrmScalar, string | boolean>
  readonly fromCrmFolded: ReadonlyMap<string, string | boolean>
  /** The SPI values, for the reason of a refused value. */
  readonly spiValues: readonly string[]
  readonly unmapped: 'reject' | 'pass'
}

export interface FieldRowModel {
  readonly kind: 'field'
  readonly at: NodePath
  /** One path, or several for a join transform. */
  readonly spi: readonly Path[]
  readonly crm: Path
  readonly direction: Direction
  /** Applied in order on write, in reverse order on read. */
  readonly transforms: readonly ValueTransform[]
  readonly join: JoinTransform | undefined
  readonly values: ValueMapModel | undefined
  /** `{ value }` when the row has a default (an SPI value), so `default: null` stays expressible. */
  readonly default: { readonly value: unknown } | undefined
  /** Set for a sub-object row: the object is mapped through this table. */
  readonly table: TableModel | undefined
}

export interface ArrayRowModel {
  readonly kind: 'array'
  readonly at: NodePath
  readonly spi: Path
  readonly crm: Path
  readonly direction: Direction
  readonly table: TableModel
}

export type RowModel = FieldRowModel | ArrayRowModel

export interface TableModel {
  /** `(root)` for the top level, else the name(s) from `tables`. */
  readonly name: string
  readonly rows: readonly RowModel[]
}

export interface SearchRowModel {
  readonly at: NodePath
  readonly param: SearchParam
  readonly fields: readonly string[]
  /** `phone`: the value (after `transforms`) becomes a national number (src/core/phone-number.ts). */
  readonly operator: SearchOperator
  readonly transforms: readonly ValueTransform[]
}

export interface SampleModel {
  readonly at: NodePath
  readonly name: string
  readonly spi: Record<string, unknown>
  readonly crm: Record<string, unknown>
}

export interface MappingModel {
  readonly crm: string | undefined
  readonly description: string | undefined
  readonly root: TableModel
  readonly search: readonly SearchRowModel[]
  readonly samples: readonly SampleModel[]
  /** What `mapping check` points out without refusing the table (file:line like issues). */
  readonly warnings: readonly TableIssue[]
}

export function reads(direction: Direction): boolean {
  return direction !== 'write'
}

export function writes(direction: Direction): boolean {
  return direction !== 'read'
}

/**
 * True when a read row of `table` fills `path` (an SPI path): the customer read from a stored
 * record then has it, so a composed field sent in part can take this part from there.
 */
export function isReadBack(table: TableModel, path: Path): boolean {
  return table.rows.some((row) => reads(row.direction) && (row.kind === 'array' ? [row.spi] : row.spi).some((p) => isPrefix(p.segments, path.segments)))
}
