/**
 * The seam between the SPI side (customer service) and the CRM side (adapters): a compiled
 * mapping table. The mapping engine (src/mapping/) builds one from mappings/<crm>.yaml.
 */
import type { CrmCriterion, CrmRecord } from './port.js'
import type { Customer, SearchParam } from '../spi/customer-schema.js'

export interface CustomerMapper {
  /**
   * SPI → CRM (write direction). Emits only the CRM fields whose SPI source is present in
   * `customer`, so a partial customer yields a partial patch; `""` stays `""` (clears).
   * Read-only rows (direction `read`) are skipped.
   */
  toCrm(customer: Customer): CrmRecord
  /**
   * CRM → SPI (read direction). Omits absent values: no `null`, no `""`, no empty object
   * or list. Write-only rows (direction `write`) are skipped.
   */
  fromCrm(record: CrmRecord): Customer
  /**
   * The CRM criterion for one SPI search parameter, or `undefined` when the table has no
   * search row for it (the CRM cannot filter on it).
   */
  criterion(param: SearchParam, value: string): CrmCriterion | undefined
}
