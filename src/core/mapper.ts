/**
 * The seam between the SPI side (customer service) and the CRM side (adapters): a compiled
 * mapping table. The mapping engine (src/mapping/) builds one from mappings/<crm>.yaml.
 */
import type { CrmCriterion, CrmFieldUse, CrmRecord } from './port.js'
import type { Customer, SearchParam } from '../spi/customer-schema.js'

/** What the gateway itself adds to a customer for the table to write (never read, never answered). */
export interface GatewayContext {
  readonly meta?: { readonly createRequestId?: string }
}

export interface CustomerMapper {
  /**
   * SPI → CRM (write direction). Emits only the CRM fields whose SPI source is present in
   * `customer`, so a partial customer yields a partial patch; `""` stays `""` (clears).
   * Read-only rows (direction `read`) are skipped.
   *
   * `stored` is the record being updated (`{}` for a create): a keyed list item written
   * (`phones[label=mobile].value`) keeps the stored list's other items, and a composed field
   * sent in part (`name` from firstName + lastName) takes the other parts from it. Without
   * it, lists start empty and a composed field sent in part is refused.
   */
  toCrm(customer: Customer & GatewayContext, stored?: CrmRecord): CrmRecord
  /**
   * CRM → SPI (read direction). Omits absent values: no `null`, no `""`, no empty object
   * or list. Write-only rows (direction `write`) are skipped.
   */
  fromCrm(record: CrmRecord): Customer
  /**
   * The CRM criterion for one SPI search parameter, or `undefined` when the table has no
   * search row for it (the CRM cannot filter on it). A `phone` row's criterion carries the
   * number's national significant number (src/core/phone-number.ts).
   */
  criterion(param: SearchParam, value: string): CrmCriterion | undefined
  /**
   * The criterion that finds the record a create stored `marker` in (the table's
   * `meta.createRequestId` row: `toCrm({ meta: { createRequestId: marker } })` writes it), or
   * `undefined` when the table stores no creation marker. Lets the service find what a create
   * whose answer was lost made (CONTRACT §4, CREATE_CUSTOMER).
   */
  markerCriterion(marker: string): CrmCriterion | undefined
  /**
   * Every top-level CRM field the table reads, writes or searches, and how: what a CRM with
   * declared fields must have (checked at start and by readiness, created by `crm provision`).
   */
  crmFields(): readonly CrmFieldUse[]
}
