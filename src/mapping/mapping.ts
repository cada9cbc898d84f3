/**
 * The compiled mapping a table becomes: the CustomerMapper the customer service uses, plus
 * what adapters and tools need to know about the table (its file, samples, the CRM fields a
 * read needs, the search parameters it supports).
 */
import type { CustomerMapper } from '../core/mapper.js'
import type { CrmFieldUse, CrmRecord } from '../core/port.js'
import type { Customer, SearchParam } from '../spi/customer-schema.js'
import { compileTable, runRead, runWrite, type CompiledTable, type Obj, type Stored } from './engine.js'
import { crmFieldsOf } from './crm-fields.js'
import { MappingValueError, type ReadIssueHandler, type TableIssue } from './errors.js'
import { markerFunction } from './marker.js'
import { reads, type MappingModel, type TableModel } from './model.js'
import { displayPath, keyedItem, rootKey } from './paths.js'
import { rootScope } from './read-scope.js'
import { searchFunction } from './search.js'
import { isPlainObject } from '../core/plain-object.js'

export interface MappingSample {
  readonly name: string
  readonly spi: Customer
  readonly crm: CrmRecord
}

export interface CompiledMapping extends CustomerMapper {
  /** The table's file, as given to the loader. */
  readonly file: string
  /** The adapter the table declares it is written for (`crm:` key), if any. */
  readonly crm: string | undefined
  readonly samples: readonly MappingSample[]
  /**
   * Top-level CRM field names that read rows use, in table order, e.g. `FNAME`, `PRIMARY_ADDR`,
   * `LOYALTY`: for CRMs whose API wants an explicit property list (HubSpot `properties=`).
   */
  readonly readFields: readonly string[]
  /** The same as full dot paths (`LOYALTY.ACCT_NO`), for CRMs that select nested fields. */
  readonly readPaths: readonly string[]
  /** SPI search parameters the table has a search row for. */
  readonly searchParams: readonly SearchParam[]
  /** Every top-level CRM field the table reads, writes or searches, and how (./crm-fields.ts). */
  readonly fields: readonly CrmFieldUse[]
  /** What the table does that is valid but likely unintended (`mapping check` prints them). */
  readonly warnings: readonly TableIssue[]
  /**
   * CRM → SPI. A value that cannot be read (an unparsable date…) is left out of the customer
   * and reported to `onReadIssue` (this call's, else the one given at load), without the value.
   */
  fromCrm(record: CrmRecord, onReadIssue?: ReadIssueHandler): Customer
}

export interface MappingOptions {
  /** Default read-issue handler, for calls that do not pass their own. */
  readonly onReadIssue?: ReadIssueHandler
}

/** The CRM paths read rows read, up to the list of a keyed item (`phones`, not `phones[label=mobile].value`). */
function readPathsOf(table: TableModel): string[] {
  const paths = table.rows.filter((r) => reads(r.direction)).map((r) => displayPath(keyedItem(r.crm.segments)?.slice(0, -1) ?? r.crm.segments))
  return [...new Set(paths)]
}

const isObject: (value: unknown) => value is Obj = isPlainObject

export function createMapping(model: MappingModel, file: string, options: MappingOptions = {}): CompiledMapping {
  const root = compileTable(model.root)
  const readPaths = readPathsOf(model.root)
  const fields = crmFieldsOf(model)
  const samples = model.samples.map((s) => deepFreeze({ name: s.name, spi: structuredClone<Customer>(s.spi), crm: structuredClone(s.crm) }))
  return {
    file,
    crm: model.crm,
    samples,
    readPaths,
    readFields: [...new Set(model.root.rows.filter((r) => reads(r.direction)).map((r) => rootKey(r.crm)))],
    searchParams: model.search.map((s) => s.param),
    fields,
    crmFields: () => fields,
    warnings: model.warnings,
    toCrm(customer, stored) {
      if (typeof customer !== 'object' || customer === null) throw new MappingValueError('customer', 'expected an object')
      const out: CrmRecord = {}
      runWrite(root, customer, out, stored === undefined ? undefined : storedRecord(root, stored))
      return out
    },
    fromCrm(record, onReadIssue) {
      const out: Customer = {}
      if (typeof record !== 'object' || record === null) return out
      const sink = onReadIssue ?? options.onReadIssue
      runRead(root, record, out, sink === undefined ? undefined : rootScope(sink))
      return out
    },
    criterion: searchFunction(model.search),
    markerCriterion: markerFunction(model.root)
  }
}

/** The stored record and, asked at most once, the customer the table reads from it. */
function storedRecord(root: CompiledTable, record: CrmRecord): Stored {
  let customer: Obj | undefined
  const read = (): Obj => {
    const out: Obj = {}
    if (isObject(record)) runRead(root, record, out, undefined)
    return out
  }
  return { record: isObject(record) ? record : {}, customer: () => (customer ??= read()) }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v)
    Object.freeze(value)
  }
  return value
}
