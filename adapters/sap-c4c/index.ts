/**
 * The SAP Cloud for Customer adapter: the gateway's port (src/core/port.ts) over C4C's OData v2
 * API, individual customers (`…/sap/c4c/odata/v1/c4codataapi/IndividualCustomerCollection`).
 * See ./README.md and SAP's developer's guide (https://github.com/SAP-archive/C4CODATAAPIDEVGUIDE).
 *
 *   index.ts        the four operations, versions, which answers mean what
 *   settings.ts     `crm.options`: Basic user or OAuth token, service path, role, date properties
 *   client.ts       HTTP, authentication, the CSRF token on writes (csrf.ts)
 *   wire.ts         OData v2 JSON answers (checked at run time) ⇄ records
 *   odata-values.ts literals, `/Date(ms)/`, the query string
 *   filter.ts       criteria → `$filter` (one query per `or` branch over properties)
 *   addresses.ts    the address list → address entities to create and delete
 *   errors.ts       OData errors → the port's failure kinds
 *   metadata.ts     the table's properties checked against `$metadata` (readiness)
 *
 * Ids are the customer's ObjectID (the entity key, 32 hex digits); any other id is "not found"
 * without a call. Updates are optimistic: the ETag C4C gives every entry goes back as If-Match
 * (guide, "ETag Support"); a stale one is a `conflict` (412). The version also names the
 * addresses its record held, so an update never deletes an address its caller did not see.
 */
import type { AdapterFactory, CallContext, CrmAdapter, CrmPage, CrmRecord, CrmSearchQuery, UpdateOptions } from '../../src/core/port.js'
import { CrmFailure } from '../../src/core/port.js'
import { checkBaseUrl } from '../shared/http-client.js'
import { planAddresses } from './addresses.js'
import { C4cClient } from './client.js'
import { c4cFailure } from './errors.js'
import { filterBranches } from './filter.js'
import { metadataSchema } from './metadata.js'
import { keyPredicate } from './odata-values.js'
import { readC4cSettings } from './settings.js'
import { ADDRESSES, ADDRESS_NAV, CUSTOMERS, ETAG_KEY, ID_PROPERTY, NUMBER_PROPERTY, addressItems, etagOf, readCollection, readEntry, toEntry, toRecord } from './wire.js'

export const SAP_C4C_ADAPTER = 'sap-c4c'

/** C4C ObjectIDs are 32 hexadecimal digits (`00163E03A0701ED28A8644CF8D83AE76`). */
const OBJECT_ID = /^[0-9A-Fa-f]{32}$/

/**
 * The deepest a search that needs several queries (an `or` over properties) reaches: each
 * query asks offset + limit entries, and C4C serves at most 1000 per page (guide, "Server side
 * paging"). A single query pages with $skip/$top and has no such bound.
 */
export const MAX_MERGED_WINDOW = 1000

/** A version from versionOf: the ETag, and the addresses its record held (when it held a list). */
function readVersion(version: string): { etag: string; addresses?: ReadonlySet<string> } {
  if (!version.startsWith('{')) return { etag: version }
  try {
    const parsed: unknown = JSON.parse(version)
    if (typeof parsed === 'object' && parsed !== null) {
      const { etag, addresses } = parsed as { etag?: unknown; addresses?: unknown }
      if (typeof etag === 'string' && Array.isArray(addresses) && addresses.every((a) => typeof a === 'string')) return { etag, addresses: new Set(addresses) }
    }
  } catch {
    // not one of ours: used as an ETag as it is
  }
  return { etag: version }
}

const customerPath = (id: string): string => `/${CUSTOMERS}${keyPredicate(id)}`
const addressPath = (id: string): string => `/${ADDRESSES}${keyPredicate(id)}`

export const createSapC4cAdapter: AdapterFactory = (options) => {
  const settings = readC4cSettings(options.settings)
  checkBaseUrl(options.baseUrl, SAP_C4C_ADAPTER)
  const readFields = options.readFields
  if (readFields === undefined) {
    // $select needs the table's properties: a full IndividualCustomer has hundreds.
    throw new Error(`${SAP_C4C_ADAPTER} adapter: readFields (the mapping table's properties) is required`)
  }
  const client = new C4cClient({ baseUrl: options.baseUrl, servicePath: settings.servicePath, auth: settings.auth, timeoutMs: options.requestTimeoutMs, log: options.log })
  const dates = settings.dateProperties

  /** $select (the table's properties, the key and the number) and $expand of the addresses. */
  const readOptions = (): Array<[string, string]> => {
    const fields = readFields()
    const selected = [...new Set([ID_PROPERTY, NUMBER_PROPERTY, ...fields])]
    return [['$select', selected.join(',')], ...(fields.includes(ADDRESS_NAV) ? [['$expand', ADDRESS_NAV] as [string, string]] : [])]
  }

  const fetch = async (id: string, ctx: CallContext, op: 'getCustomer' | 'updateCustomer' | 'createCustomer'): Promise<CrmRecord | null> => {
    const response = await client.read(customerPath(id), readOptions(), ctx, op)
    if (response.status === 200) return toRecord(readEntry(response, op), op, etagOf(response))
    if (response.status === 404) return null
    throw c4cFailure(response, op)
  }

  const query = async (filter: string, skip: number, top: number, withCount: boolean, ctx: CallContext) => {
    const response = await client.read(
      `/${CUSTOMERS}`,
      [
        ['$filter', filter],
        ...readOptions(),
        ['$orderby', `${NUMBER_PROPERTY} asc`],
        ['$skip', String(skip)],
        ['$top', String(top)],
        ...(withCount ? [['$inlinecount', 'allpages'] as [string, string]] : [])
      ],
      ctx,
      'searchCustomers'
    )
    if (response.status !== 200) throw c4cFailure(response, 'searchCustomers')
    return readCollection(response, 'searchCustomers')
  }

  /** The address changes of an update: new ones created, dropped ones the caller saw deleted. */
  const applyAddresses = async (id: string, stored: CrmRecord, wanted: readonly CrmRecord[], seen: ReadonlySet<string> | undefined, ctx: CallContext): Promise<void> => {
    const op = 'updateCustomer'
    const have = Array.isArray(stored[ADDRESS_NAV]) ? (stored[ADDRESS_NAV] as CrmRecord[]) : []
    const plan = planAddresses(have, wanted, seen)
    for (const item of plan.create) {
      // Guide, "$batch" sample: a child entity is created in its own collection, naming its
      // parent by ParentObjectID.
      const response = await client.write('POST', `/${ADDRESSES}`, { ...toEntry(item, dates, op), ParentObjectID: id }, {}, ctx, op)
      if (response.status !== 201) throw c4cFailure(response, op)
    }
    for (const objectId of plan.remove) {
      const response = await client.write('DELETE', addressPath(objectId), undefined, {}, ctx, op)
      // 404: gone already (deleted by someone else): what we wanted.
      if (response.status !== 204 && response.status !== 404) throw c4cFailure(response, op)
    }
  }

  const adapter: CrmAdapter = {
    name: SAP_C4C_ADAPTER,

    async getCustomer(id: string, ctx: CallContext): Promise<CrmRecord | null> {
      if (!OBJECT_ID.test(id)) return null
      return fetch(id, ctx, 'getCustomer')
    },

    async searchCustomers(search: CrmSearchQuery, ctx: CallContext): Promise<CrmPage> {
      // Every check before any call: a query C4C cannot take is never sent.
      const branches = filterBranches(search.criteria)
      const [only] = branches
      if (branches.length === 1 && only !== undefined) {
        const page = await query(only, search.offset, search.limit, true, ctx)
        return { records: page.entries.map((e) => toRecord(e, 'searchCustomers')), ...(page.count === undefined ? {} : { total: page.count }) }
      }
      const window = search.offset + search.limit
      if (window > MAX_MERGED_WINDOW) {
        throw new CrmFailure('unsupported', { reason: 'paging', field: 'offset', detail: `searchCustomers: offset + limit beyond ${MAX_MERGED_WINDOW} for a search of several queries` })
      }
      // One query per branch, each from the start to the window's end; collated by the key,
      // in the order C4C sorts by (CustomerID).
      const found = new Map<string, CrmRecord>()
      for (const filter of branches) {
        const page = await query(filter, 0, window, false, ctx)
        for (const entry of page.entries) {
          const record = toRecord(entry, 'searchCustomers')
          found.set(String(record[ID_PROPERTY]), record)
        }
      }
      const numberOf = (r: CrmRecord): string => {
        const n = r[NUMBER_PROPERTY]
        return typeof n === 'string' ? n : ''
      }
      const ordered = [...found.values()].sort((a, b) => (numberOf(a) < numberOf(b) ? -1 : numberOf(a) > numberOf(b) ? 1 : 0))
      return { records: ordered.slice(search.offset, window) }
    },

    async createCustomer(record: CrmRecord, ctx: CallContext): Promise<CrmRecord> {
      const op = 'createCustomer'
      const addresses = addressItems(record, op) ?? []
      // One request, never repeated here (a create is not idempotent). Deep insert: the
      // addresses go inline with the customer (guide, "Supported HTTP operations": "Deep
      // Insert … complete entity … with a single POST"), created together or not at all.
      const body = {
        RoleCode: settings.roleCode,
        ...toEntry(record, dates, op),
        ...(addresses.length > 0 ? { [ADDRESS_NAV]: addresses.map((a) => toEntry(a, dates, op)) } : {})
      }
      const response = await client.write('POST', `/${CUSTOMERS}`, body, {}, ctx, op)
      if (response.status !== 201) throw c4cFailure(response, op)
      const created = toRecord(readEntry(response, op), op, etagOf(response))
      if (addresses.length === 0 || created[ADDRESS_NAV] !== undefined) return created
      // The answer did not hold the inline addresses: read the customer back; should that
      // read fail, the create still succeeded, and its answer is what was sent.
      try {
        return (await fetch(String(created[ID_PROPERTY]), ctx, op)) ?? { ...created, [ADDRESS_NAV]: addresses }
      } catch {
        return { ...created, [ADDRESS_NAV]: addresses }
      }
    },

    async updateCustomer(id: string, patch: CrmRecord, ctx: CallContext, options?: UpdateOptions): Promise<CrmRecord | null> {
      if (!OBJECT_ID.test(id)) return null
      const op = 'updateCustomer'
      const changes = toEntry(patch, dates, op)
      const wanted = addressItems(patch, op)
      const version = options?.ifMatch === undefined ? undefined : readVersion(options.ifMatch)
      // The addresses C4C holds now: the list is compared with them (addresses.ts).
      const stored = wanted === undefined ? null : await fetch(id, ctx, op)
      if (wanted !== undefined && stored === null) return null
      if (Object.keys(changes).length > 0) {
        // Guide, "Supported HTTP operations": PATCH updates only the properties sent;
        // "Optimistic Concurrency Control with ETag": If-Match, 204 when it matches, 412 when not.
        const ifMatch = version?.etag
        const response = await client.write('PATCH', customerPath(id), changes, ifMatch === undefined ? {} : { 'If-Match': ifMatch }, ctx, op)
        if (response.status === 404) return null
        if (response.status !== 204 && response.status !== 200) throw c4cFailure(response, op)
      }
      if (wanted !== undefined && stored !== null) await applyAddresses(id, stored, wanted, version?.addresses, ctx)
      // 204 answers nothing: the record after the change is read back.
      return fetch(id, ctx, op)
    },

    /**
     * The entry's ETag, and the ObjectIDs of the addresses the record holds: the caller's view
     * of the list. An update deletes only addresses its caller saw (addresses.ts), whatever
     * C4C's ETag says of address changes, so an address another writer added meanwhile is kept.
     */
    versionOf(record: CrmRecord): string | undefined {
      const etag = record[ETAG_KEY]
      if (typeof etag !== 'string') return undefined
      const list = record[ADDRESS_NAV]
      if (!Array.isArray(list)) return etag
      const ids = list.map((a) => (typeof a === 'object' && a !== null ? (a as CrmRecord)[ID_PROPERTY] : undefined)).filter((x): x is string => typeof x === 'string')
      return JSON.stringify({ etag, addresses: ids })
    },

    fieldSchema: metadataSchema(client, dates),

    close(): Promise<void> {
      client.close()
      return Promise.resolve()
    }
  }
  return adapter
}
