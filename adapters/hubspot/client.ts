/**
 * Transport and authentication for HubSpot's CRM v3 contacts API: one method per endpoint,
 * each returning the raw response whatever its status. Interpreting answers is the adapter's
 * job (index.ts, with wire.ts and errors.ts).
 *
 * Authentication: a private app's access token as `Authorization: Bearer <token>` on every
 * call (https://developers.hubspot.com/docs/api/private-apps, "Make API calls with your app's
 * access token"). Scopes needed: crm.objects.contacts.read and crm.objects.contacts.write;
 * `crm provision` also needs crm.schemas.contacts.write (the readiness check reads property
 * definitions with crm.schemas.contacts.read).
 *
 * Every request passes `signal: ctx.signal` (sendRequest requires it): when the attempt's time
 * is up, the HTTP call is really cancelled (and fails as a `timeout`).
 */
import type { AxiosResponse } from 'axios'
import type { CallContext } from '../../src/core/port.js'
import { createHttpClient, sendRequest } from '../shared/http-client.js'
import { pathSegment } from '../shared/path-segment.js'
import type { HttpClient } from '../shared/http-client.js'
import type { SearchBody } from './wire.js'

export interface HubSpotClientOptions {
  /** https://api.hubapi.com in production; from config only. */
  readonly baseUrl: string
  readonly accessToken: string
  readonly timeoutMs: number
}

/** https://developers.hubspot.com/docs/api/crm/contacts : the contacts object's endpoints. */
const CONTACTS = '/crm/v3/objects/contacts'

/** A contact's path. The id is one encoded segment: it never alters the path (../shared/path-segment.ts). */
const contactPath = (id: string): string => `${CONTACTS}/${pathSegment(id)}`

const JSON_BODY = { 'Content-Type': 'application/json' }

/** https://developers.hubspot.com/docs/api/crm/properties : contact property definitions and groups. */
const PROPERTIES = '/crm/v3/properties/contacts'

/** A property to create (the properties guide; the description's `PropertyCreate`). */
export interface PropertyCreate {
  readonly name: string
  readonly label: string
  readonly type: string
  readonly fieldType: string
  readonly groupName: string
  readonly description: string
  readonly hasUniqueValue?: boolean
  readonly formField: boolean
  readonly options?: readonly { readonly label: string; readonly value: string; readonly hidden: boolean; readonly displayOrder: number }[]
}

export class HubSpotClient {
  private readonly client: HttpClient

  constructor(options: HubSpotClientOptions) {
    this.client = createHttpClient({
      baseUrl: options.baseUrl,
      timeoutMs: options.timeoutMs,
      headers: { Authorization: `Bearer ${options.accessToken}` }
    })
  }

  /**
   * GET /crm/v3/objects/contacts/{contactId}?properties=a,b&archived=false → 200 contact | 404.
   * `properties` is "a comma separated list of the properties to be returned"; without it only
   * a few defaults come back, and asking for all would fetch hundreds in a real account. With
   * `idProperty` (contacts guide, "Retrieve contacts"), the path names the contact by the value
   * of that property instead of its id — `email`, or a property whose values are unique.
   */
  getContact(id: string, properties: readonly string[], ctx: CallContext, idProperty?: string): Promise<AxiosResponse<string>> {
    const params = new URLSearchParams({ properties: properties.join(','), archived: 'false', ...(idProperty === undefined ? {} : { idProperty }) })
    return sendRequest(this.client, { method: 'GET', url: contactPath(id), params, signal: ctx.signal }, { op: 'getCustomer', log: ctx.log })
  }

  /**
   * POST /crm/v3/objects/contacts `{properties, associations: []}` → 201 contact (409 when the
   * e-mail exists). The guide omits `associations`; HubSpot's published description of the
   * endpoint (`SimplePublicObjectInputForCreate`) requires it, so it is sent, empty.
   */
  createContact(properties: Readonly<Record<string, string>>, ctx: CallContext): Promise<AxiosResponse<string>> {
    return sendRequest(
      this.client,
      { method: 'POST', url: CONTACTS, data: { properties, associations: [] }, headers: JSON_BODY, signal: ctx.signal },
      { op: 'createCustomer', log: ctx.log }
    )
  }

  /**
   * PATCH /crm/v3/objects/contacts/{contactId} `{properties}` → 200 | 404. Only the properties
   * sent change ("Update contacts": an empty string clears a property's value).
   */
  updateContact(id: string, properties: Readonly<Record<string, string>>, ctx: CallContext): Promise<AxiosResponse<string>> {
    return sendRequest(
      this.client,
      { method: 'PATCH', url: contactPath(id), data: { properties }, headers: JSON_BODY, signal: ctx.signal },
      { op: 'updateCustomer', log: ctx.log }
    )
  }

  /**
   * POST /crm/v3/objects/contacts/search (wire.ts `searchBody`) → 200 `{total, results, paging}`
   * (https://developers.hubspot.com/docs/api/crm/search). The body is serialized by axios from
   * structures: no filter is ever assembled as text.
   */
  searchContacts(body: SearchBody, ctx: CallContext): Promise<AxiosResponse<string>> {
    return sendRequest(
      this.client,
      { method: 'POST', url: `${CONTACTS}/search`, data: body, headers: JSON_BODY, signal: ctx.signal },
      { op: 'searchCustomers', log: ctx.log }
    )
  }

  /** GET /crm/v3/properties/contacts → 200 `{results: [Property]}`: every contact property. */
  listProperties(ctx: CallContext): Promise<AxiosResponse<string>> {
    return sendRequest(this.client, { method: 'GET', url: PROPERTIES, params: { archived: 'false' }, signal: ctx.signal }, { op: 'fieldSchema', log: ctx.log })
  }

  /** POST /crm/v3/properties/contacts `PropertyCreate` → 201 Property | 409 (the name exists). */
  createProperty(property: PropertyCreate, ctx: CallContext): Promise<AxiosResponse<string>> {
    return sendRequest(
      this.client,
      { method: 'POST', url: PROPERTIES, data: property, headers: JSON_BODY, signal: ctx.signal },
      { op: 'fieldSchema', log: ctx.log }
    )
  }

  /** GET /crm/v3/properties/contacts/groups → 200 `{results: [PropertyGroup]}`. */
  listPropertyGroups(ctx: CallContext): Promise<AxiosResponse<string>> {
    return sendRequest(this.client, { method: 'GET', url: `${PROPERTIES}/groups`, signal: ctx.signal }, { op: 'fieldSchema', log: ctx.log })
  }

  /** POST /crm/v3/properties/contacts/groups `{name, label, displayOrder}` → 201 | 409 (exists). */
  createPropertyGroup(name: string, label: string, ctx: CallContext): Promise<AxiosResponse<string>> {
    return sendRequest(
      this.client,
      { method: 'POST', url: `${PROPERTIES}/groups`, data: { name, label, displayOrder: -1 }, headers: JSON_BODY, signal: ctx.signal },
      { op: 'fieldSchema', log: ctx.log }
    )
  }

  /** Releases pooled sockets. */
  close(): void {
    this.client.close()
  }
}
