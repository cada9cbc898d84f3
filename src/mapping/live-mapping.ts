/**
 * A mapping table that can be reloaded without a restart (ops edit the YAML, then send SIGHUP
 * or call reload()). The new table is validated and its samples proven before it replaces the
 * old one; an invalid edit leaves the running table in place and reports every problem.
 */
import type { CustomerMapper, GatewayContext } from '../core/mapper.js'
import type { CrmCriterion, CrmFieldUse, CrmRecord } from '../core/port.js'
import type { Customer, SearchParam } from '../spi/customer-schema.js'
import { loadMappingTable } from './index.js'
import type { CompiledMapping, MappingOptions } from './mapping.js'

export class LiveMapping implements CustomerMapper {
  #current: CompiledMapping
  readonly #options: MappingOptions

  private constructor(current: CompiledMapping, options: MappingOptions) {
    this.#current = current
    this.#options = options
  }

  static async load(file: string, options: MappingOptions = {}): Promise<LiveMapping> {
    return new LiveMapping(await loadMappingTable(file, options), options)
  }

  get current(): CompiledMapping {
    return this.#current
  }

  /** Loads the file again; throws MappingTableError (and keeps the running table) when invalid. */
  async reload(): Promise<CompiledMapping> {
    this.#current = await loadMappingTable(this.#current.file, this.#options)
    return this.#current
  }

  toCrm(customer: Customer & GatewayContext, stored?: CrmRecord): CrmRecord {
    return this.#current.toCrm(customer, stored)
  }

  fromCrm(record: CrmRecord): Customer {
    return this.#current.fromCrm(record)
  }

  criterion(param: SearchParam, value: string): CrmCriterion | undefined {
    return this.#current.criterion(param, value)
  }

  markerCriterion(marker: string): CrmCriterion | undefined {
    return this.#current.markerCriterion(marker)
  }

  crmFields(): readonly CrmFieldUse[] {
    return this.#current.fields
  }
}
