/**
 * The HubSpot adapter: the gateway's port (src/core/port.ts) over HubSpot's CRM v3 contacts
 * API (https://developers.hubspot.com/docs/api/crm/contacts). See ../README.md.
 *
 *   index.ts       the four operations, exact lookups, which answers mean what
 *   settings.ts    `crm.options`: the access token, the search rate, the property group
 *   client.ts      HTTP + bearer token, one method per HubSpot endpoint
 *   wire.ts        HubSpot's answer shapes (checked at run time), filterGroups, paging, limits
 *   errors.ts      HubSpot's error answers → the port's failure kinds
 *   properties.ts  the table's properties checked (readiness) and created (`crm provision`)
 *
 * Records are HubSpot contacts flattened for the mapping table (mappings/hubspot.yaml): the
 * contact's properties at the top level, its id as `hs_object_id`. Not-found is `null`; every
 * failure is a CrmFailure of the port's kinds (never anything from the SPI layer).
 *
 * Not offered: optimistic concurrency. HubSpot's v3 object endpoints document no version or
 * If-Match for contacts, so `versionOf` is absent; the customer service still serializes the
 * updates of one customer inside an instance (its read-modify-write of the address list).
 */
import type { AdapterFactory, CallContext, CrmAdapter, CrmPage, CrmRecord, CrmSearchQuery } from '../../src/core/port.js'
import { checkBaseUrl } from '../shared/http-client.js'
import { HubSpotClient } from './client.js'
import { hubspotFailure } from './errors.js'
import { propertySchema } from './properties.js'
import { readHubSpotSettings } from './settings.js'
import { ID_PROPERTY, readContact, readSearchPage, searchBody, searchWindow, toFilterGroups, toProperties, toRecord } from './wire.js'

export const HUBSPOT_ADAPTER = 'hubspot'

/**
 * Properties whose values HubSpot keeps unique, so a contact can be read by one
 * (`idProperty`): `email` always (contacts guide: the e-mail is a contact's unique identifier);
 * custom properties created with `hasUniqueValue` (the table's creation marker, as `crm
 * provision` creates it) once the property definitions have been read.
 */
const ALWAYS_UNIQUE = ['email']

/**
 * HubSpot record ids are numeric (`hs_object_id`). Any other id cannot name a contact: it is
 * "not found" without a call (HubSpot would answer 400 or 404 depending on the shape).
 */
const CONTACT_ID = /^\d{1,20}$/

export const createHubSpotAdapter: AdapterFactory = (options) => {
  const settings = readHubSpotSettings(options.settings)
  checkBaseUrl(options.baseUrl, HUBSPOT_ADAPTER)
  const readFields = options.readFields
  if (readFields === undefined) {
    // Without the table's property list a read would return only HubSpot's few defaults.
    throw new Error(`${HUBSPOT_ADAPTER} adapter: readFields (the mapping table's properties) is required`)
  }
  const client = new HubSpotClient({ baseUrl: options.baseUrl, accessToken: settings.accessToken, timeoutMs: options.requestTimeoutMs })

  /** The explicit property list of every read: the table's, plus the id. Never "all". */
  const properties = (): string[] => [...new Set([ID_PROPERTY, ...readFields()])]

  let uniqueProperties: ReadonlySet<string> = new Set(ALWAYS_UNIQUE)

  const fetch = async (id: string, ctx: CallContext, op: 'getCustomer' | 'updateCustomer', idProperty?: string): Promise<CrmRecord | null> => {
    const response = await client.getContact(id, properties(), ctx, idProperty)
    // Contacts guide, "Retrieve contacts": 200 with the contact; 404 for an unknown id.
    if (response.status === 200) return toRecord(readContact(response, op))
    if (response.status === 404) return null
    throw hubspotFailure(response, op)
  }

  const adapter: CrmAdapter = {
    name: HUBSPOT_ADAPTER,

    async getCustomer(id: string, ctx: CallContext): Promise<CrmRecord | null> {
      if (!CONTACT_ID.test(id)) return null
      return fetch(id, ctx, 'getCustomer')
    },

    async searchCustomers(query: CrmSearchQuery, ctx: CallContext): Promise<CrmPage> {
      // All checked before the call: a query HubSpot would refuse is never sent (`unsupported`).
      const limit = searchWindow(query.offset, query.limit)
      const body = searchBody(toFilterGroups(query.criteria), properties(), limit)
      const response = await client.searchContacts(body, ctx)
      if (response.status !== 200) throw hubspotFailure(response, 'searchCustomers')
      const page = readSearchPage(response, 'searchCustomers')
      const records = page.results.slice(query.offset, query.offset + query.limit).map((contact) => toRecord(contact))
      return { records, total: page.total }
    },

    async createCustomer(record: CrmRecord, ctx: CallContext): Promise<CrmRecord> {
      // One request, never repeated here: a create is not idempotent. Contacts guide, "Create
      // contacts": 201 with the contact, whose properties are those set plus a few defaults.
      const sent = toProperties(record, 'createCustomer')
      const response = await client.createContact(sent, ctx)
      if (response.status !== 201) throw hubspotFailure(response, 'createCustomer')
      // The answer's values win (HubSpot's stored form); what was sent fills any property the
      // answer leaves out, so a create never needs a second call that could fail after it.
      return toRecord(readContact(response, 'createCustomer'), sent)
    },

    async updateCustomer(id: string, patch: CrmRecord, ctx: CallContext): Promise<CrmRecord | null> {
      if (!CONTACT_ID.test(id)) return null
      // Contacts guide, "Update contacts": PATCH carries only the properties to change (the
      // patch holds only those: "absent = unchanged"); "" clears a property.
      const changes = toProperties(patch, 'updateCustomer')
      if (Object.keys(changes).length > 0) {
        const response = await client.updateContact(id, changes, ctx)
        if (response.status === 404) return null
        if (response.status !== 200) throw hubspotFailure(response, 'updateCustomer')
        readContact(response, 'updateCustomer') // a 200 that is not a contact is still garbage
      }
      // The PATCH answer is not documented to hold every property the table reads: the full
      // record after the update is read back with the table's explicit property list.
      return fetch(id, ctx, 'updateCustomer')
    },

    /**
     * Contacts guide, "Retrieve contacts": GET …/contacts/{value}?idProperty=<property> reads a
     * contact by a unique property's value — at once, where a search may not yet see a contact
     * created or changed a moment ago (search guide: "it may take a few moments"), and without
     * spending the account's search rate.
     */
    uniqueLookup: {
      fields: () => uniqueProperties,
      find: (field, value, ctx) => fetch(value, ctx, 'getCustomer', field)
    },

    // Search guide, "Limitations": five search requests per second per account.
    callRates: { searchCustomers: { calls: settings.searchRequestsPerSecond, perMs: 1000 } },

    fieldSchema: propertySchema({
      client,
      group: settings.propertyGroup,
      onDefinitions: (list) => {
        uniqueProperties = new Set([...ALWAYS_UNIQUE, ...list.filter((p) => p.hasUniqueValue === true).map((p) => p.name)])
      }
    }),

    close(): Promise<void> {
      client.close()
      return Promise.resolve()
    }
  }
  return adapter
}
