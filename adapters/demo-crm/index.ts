/**
 * The reference adapter: the gateway's port (src/core/port.ts) over the embedded demo CRM
 * (demo-crm/API.md). Copy this folder to add a CRM; see ../README.md.
 *
 *   index.ts   the adapter: settings, the four operations, which answers mean what
 *   client.ts  HTTP transport + authentication, one method per CRM endpoint
 *   wire.ts    the CRM's answer shapes (checked at run time) and query spelling
 *   errors.ts  the CRM's error answers → the port's failure kinds
 *
 * The adapter knows this CRM and nothing of the SPI: it takes and returns contacts in the
 * CRM's own field names; the mapping table (mappings/demo-crm.yaml) does the translation.
 * Not-found is a value (`null`); every failure is a CrmFailure of the port's kinds (it never
 * imports from the SPI layer: what a kind means for the POS is the core's business).
 */
import type { AdapterFactory, CallContext, CrmAdapter, CrmPage, CrmRecord, CrmSearchQuery, UpdateOptions } from '../../src/core/port.js'
import { checkBaseUrl } from '../shared/http-client.js'
import { isAddressableId } from '../shared/path-segment.js'
import { stringSettings } from '../shared/settings.js'
import { DemoCrmClient } from './client.js'
import { demoCrmFailure } from './errors.js'
import { planPages, readContact, readSearchPage, toFilter } from './wire.js'
import type { DemoContact } from './wire.js'

export const DEMO_CRM_ADAPTER = 'demo-crm'

/**
 * `crm.options` in the gateway's config. Unknown keys are refused so a typo (`apikey`)
 * fails at start instead of as 401s in production.
 */
const readSettings = stringSettings(DEMO_CRM_ADAPTER, ['apiKey'])

export const createDemoCrmAdapter: AdapterFactory = (options) => {
  const settings = readSettings(options.settings)
  checkBaseUrl(options.baseUrl, DEMO_CRM_ADAPTER)
  const client = new DemoCrmClient({
    baseUrl: options.baseUrl,
    apiKey: settings.apiKey,
    timeoutMs: options.requestTimeoutMs
  })

  /** Fetches one CRM page (API.md § Search filters) and checks its shape. */
  const fetchPage = async (filters: readonly string[], page: number, size: number, ctx: CallContext) => {
    const response = await client.searchContacts(filters, page, size, ctx)
    if (response.status === 200) return readSearchPage(response, 'searchCustomers')
    throw demoCrmFailure(response, 'searchCustomers')
  }

  const adapter: CrmAdapter = {
    name: DEMO_CRM_ADAPTER,

    async getCustomer(id: string, ctx: CallContext): Promise<CrmRecord | null> {
      // CONTACT_IDs are never empty nor dots: such an id would address the collection, or the
      // API above it (../shared/path-segment.ts). It names no contact.
      if (!isAddressableId(id)) return null
      const response = await client.getContact(id, ctx)
      // API.md § Endpoints: 200 with the contact; § Errors: 404 NOT_FOUND for an unknown id.
      if (response.status === 200) return readContact(response, 'getCustomer')
      if (response.status === 404) return null
      throw demoCrmFailure(response, 'getCustomer')
    },

    async searchCustomers(query: CrmSearchQuery, ctx: CallContext): Promise<CrmPage> {
      // API.md § Search filters: one `filter` per criterion; the CRM ANDs them and matches
      // a filter when any of its `|`-joined fields matches, exactly the port's semantics.
      const filters = query.criteria.map(toFilter)
      // The CRM pages by page/size, the port by offset/limit: fetch the page(s) covering
      // [offset, offset + limit) and cut the window out of them.
      const plan = planPages(query.offset, query.limit)
      const records: DemoContact[] = []
      let total: number | undefined
      for (const { page, size } of plan.pages) {
        const answer = await fetchPage(filters, page, size, ctx)
        total ??= answer.total
        records.push(...answer.data)
        if (answer.data.length < size) break // the last page: nothing after it
      }
      return {
        records: records.slice(plan.skip, plan.skip + query.limit),
        ...(total === undefined ? {} : { total })
      }
    },

    async createCustomer(record: CrmRecord, ctx: CallContext): Promise<CrmRecord> {
      // One request, never repeated here: a create is not idempotent (the core decides what
      // a failure whose outcome is unknown means).
      const response = await client.createContact(record, ctx)
      // API.md § Endpoints: 201 with the full stored contact.
      if (response.status === 201) return readContact(response, 'createCustomer')
      throw demoCrmFailure(response, 'createCustomer')
    },

    async updateCustomer(id: string, patch: CrmRecord, ctx: CallContext, options?: UpdateOptions): Promise<CrmRecord | null> {
      if (!isAddressableId(id)) return null
      // API.md § Endpoints: PATCH has exactly the port's partial-update semantics ("" clears,
      // absent = unchanged, lists sent whole), so the patch goes through unchanged. With the
      // version the service read, a concurrent writer's change makes it 412 (→ `conflict`).
      const response = await client.patchContact(id, patch, ctx, options?.ifMatch)
      if (response.status === 200) return readContact(response, 'updateCustomer')
      if (response.status === 404) return null
      throw demoCrmFailure(response, 'updateCustomer')
    },

    /** API.md § Contact record: VERSION increments on every write (the ETag's value). */
    versionOf(record: CrmRecord): string | undefined {
      return typeof record['VERSION'] === 'number' ? String(record['VERSION']) : undefined
    },

    close(): Promise<void> {
      client.close()
      return Promise.resolve()
    }
  }
  return adapter
}
