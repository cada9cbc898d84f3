/**
 * The Microsoft Dynamics 365 adapter: the gateway's port (src/core/port.ts) over the Dataverse
 * Web API (OData v4), entity set `contacts`
 * (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/overview). See README.md.
 *
 *   index.ts     the four operations, paging, versions
 *   settings.ts  `crm.options`: tenant, app registration, scope, API version
 *   token.ts     Microsoft Entra ID client credentials: the token, cached, refreshed single-flight
 *   client.ts    HTTP: OData headers, bearer token (a 401 retried once with a new one), one method per request
 *   filter.ts    `$filter` built safely (literals, LIKE wildcards, URL encoding), `$select`
 *   wire.ts      Dataverse's answer shapes (checked at run time), records ⇄ bodies
 *   errors.ts    Dataverse's error answers → the port's failure kinds (429 Retry-After clamped)
 *   columns.ts   the table's columns checked against the contact table's metadata (readiness)
 *
 * Records are contacts as Dataverse answers them: columns by logical name at the top level,
 * the id as `contactid`, the version as `@odata.etag` (`versionOf`). The mapping table
 * (mappings/dynamics365.yaml) names columns; the adapter reads exactly the ones it reads.
 */
import type { AdapterFactory, CallContext, CrmAdapter, CrmPage, CrmRecord, CrmSearchQuery, UpdateOptions } from '../../src/core/port.js'
import { CrmFailure } from '../../src/core/port.js'
import { checkBaseUrl } from '../shared/http-client.js'
import { badResponse } from '../shared/http-failure.js'
import { DataverseClient } from './client.js'
import { columnSchema } from './columns.js'
import { dataverseFailure } from './errors.js'
import { MAX_URL_CHARACTERS, queryString, selectList, toFilter } from './filter.js'
import { readDynamics365Settings } from './settings.js'
import { EntraTokenSource } from './token.js'
import { ETAG, GUID, ID_COLUMN, readContact, readPage, toBody, toRecord } from './wire.js'

export const DYNAMICS365_ADAPTER = 'dynamics365'

/**
 * Paging. Dataverse has no `$skip` (page-results doc): pages come from `Prefer:
 * odata.maxpagesize` and `@odata.nextLink`. An SPI window (offset, limit) is read from the
 * first page onwards in pages of `offset + limit` rows, at most MAX_PAGE_SIZE, following
 * nextLinks: one call for a window within the first hundred, a few beyond. Windows past
 * MAX_REACH are refused before any call (`unsupported`, reason `paging`): nobody at a till
 * scrolls that far, and each page is a request of the user's service-protection allowance.
 */
export const PAGING = { maxPageSize: 100, maxReach: 500 } as const

/**
 * The one ordering of every search (order-rows doc, `$orderby`): by name, as an associate
 * reads a list of customers, then by id, so that a window is the same rows between two calls.
 */
const ORDER_BY = `lastname asc,firstname asc,${ID_COLUMN} asc`

export const createDynamics365Adapter: AdapterFactory = (options) => {
  checkBaseUrl(options.baseUrl, DYNAMICS365_ADAPTER)
  const settings = readDynamics365Settings(options.settings, options.baseUrl)
  const readFields = options.readFields
  if (readFields === undefined) {
    // Without the table's columns a read would return every column of the contact (hundreds).
    throw new Error(`${DYNAMICS365_ADAPTER} adapter: readFields (the mapping table's columns) is required`)
  }
  const tokens = new EntraTokenSource({ ...settings, timeoutMs: options.requestTimeoutMs })
  const client = new DataverseClient({ baseUrl: options.baseUrl, apiVersion: settings.apiVersion, timeoutMs: options.requestTimeoutMs, tokens })
  const baseLength = options.baseUrl.replace(/\/+$/, '').length

  /** `$select` of every read: the table's columns and the id (retrieve doc: "always use $select"). */
  const select = (): string => queryString([['$select', selectList(readFields())]])

  const fetchContact = async (id: string, ctx: CallContext, op: 'getCustomer' | 'updateCustomer'): Promise<CrmRecord | null> => {
    const response = await client.getContact(id, select(), ctx)
    if (response.status === 200) return toRecord(readContact(response, op))
    if (response.status === 404) return null
    throw dataverseFailure(response, op)
  }

  /**
   * A nextLink as a request on OUR base URL: its path and query only, and only under the Web
   * API's root. Dataverse answers it absolute; following its origin would send the bearer
   * token wherever a (broken or hostile) answer points.
   */
  const nextPath = (link: string): string => {
    let url: URL
    try {
      url = new URL(link)
    } catch {
      return badResponse('searchCustomers', '@odata.nextLink is not a URL')
    }
    if (!url.pathname.startsWith(`${client.root}/`)) return badResponse('searchCustomers', '@odata.nextLink leaves the Web API')
    return `${url.pathname}${url.search}`
  }

  const adapter: CrmAdapter = {
    name: DYNAMICS365_ADAPTER,

    async getCustomer(id, ctx) {
      if (!GUID.test(id)) return null
      return fetchContact(id, ctx, 'getCustomer')
    },

    async searchCustomers(query: CrmSearchQuery, ctx: CallContext): Promise<CrmPage> {
      const end = query.offset + query.limit
      if (end > PAGING.maxReach) {
        throw new CrmFailure('unsupported', {
          reason: 'paging',
          field: 'offset',
          detail: `dynamics365 searchCustomers: the gateway reaches the first ${PAGING.maxReach} results of a search (offset + limit)`
        })
      }
      const filter = toFilter(query.criteria)
      if (filter === undefined) return { records: [], total: 0 } // e.g. a contact id that is no GUID
      const pageSize = Math.min(end, PAGING.maxPageSize)
      // $count=true: the total, up to 5,000 (page-results doc, "Count number of rows").
      let path = `${client.root}/contacts?${queryString([
        ['$select', selectList(readFields())],
        ['$filter', filter],
        ['$orderby', ORDER_BY],
        ['$count', 'true']
      ])}`
      if (baseLength + path.length > MAX_URL_CHARACTERS) {
        throw new CrmFailure('unsupported', { reason: 'criteria', detail: `dynamics365 searchCustomers: the query would be longer than ${MAX_URL_CHARACTERS} characters` })
      }
      const rows: CrmRecord[] = []
      let total: number | undefined
      for (;;) {
        const response = await client.queryContacts(path, pageSize, ctx)
        if (response.status !== 200) throw dataverseFailure(response, 'searchCustomers')
        const page = readPage(response, 'searchCustomers')
        total ??= page.count
        rows.push(...page.value.map(toRecord))
        // An empty page that still links on would loop: the answer is not what paging promises.
        if (page.value.length === 0 && page.nextLink !== undefined) return badResponse('searchCustomers', 'an empty page with an @odata.nextLink')
        if (rows.length >= end || page.nextLink === undefined) break
        path = nextPath(page.nextLink)
      }
      const records = rows.slice(query.offset, end)
      return total === undefined ? { records } : { records, total }
    },

    async createCustomer(record: CrmRecord, ctx: CallContext): Promise<CrmRecord> {
      // One request, never repeated here: a create is not idempotent.
      const body = toBody(record, 'createCustomer')
      const response = await client.createContact(body, select(), ctx)
      if (response.status !== 201) throw dataverseFailure(response, 'createCustomer', Object.keys(body))
      return toRecord(readContact(response, 'createCustomer'))
    },

    async updateCustomer(id: string, patch: CrmRecord, ctx: CallContext, update?: UpdateOptions): Promise<CrmRecord | null> {
      if (!GUID.test(id)) return null
      const body = toBody(patch, 'updateCustomer')
      if (Object.keys(body).length === 0) return fetchContact(id, ctx, 'updateCustomer')
      // Never without If-Match (client.ts): `*` at least, or the version the caller read.
      const response = await client.updateContact(id, body, select(), update?.ifMatch ?? '*', ctx)
      if (response.status === 200) return toRecord(readContact(response, 'updateCustomer'))
      if (response.status === 404) return null
      throw dataverseFailure(response, 'updateCustomer', Object.keys(body))
    },

    /** The row's `@odata.etag` (weak ETag, `W/"123"`): sent back as If-Match; a stale one answers 412 → `conflict`. */
    versionOf(record: CrmRecord): string | undefined {
      const etag = record[ETAG]
      return typeof etag === 'string' && etag !== '' ? etag : undefined
    },

    fieldSchema: columnSchema(client),

    close(): Promise<void> {
      client.close()
      tokens.close()
      return Promise.resolve()
    }
  }
  return adapter
}
