/**
 * Transport and authentication for HubSpot's CRM v3 contacts API: one method per endpoint,
 * each returning the raw response whatever its status. Interpreting answers is the adapter's
 * job (index.ts, with wire.ts and errors.ts).
 *
 * Authentication: a private app's access token as `Authorization: Bearer <token>` on every
 * call (https://developers.hubspot.com/docs/api/private-apps, "Make API calls with your app's
 * access token"). Scopes needed: crm.objects.contacts.read and crm.objects.contacts.write.
 *
 * Every request passes `signal: ctx.signal` (sendRequest requires it): when the attempt's time
 * is up, the HTTP call is really cancelled (and fails as a `timeout`).
 */
import type { AxiosResponse } from 'axios'
import type { CallContext } from '../../src/core/port.js'
import { createHttpClient, sendRequest } from '../shared/http-client.js'
import { pathSegment } from '../shared/path-segment.js'
import type { HttpClient } from '../shared/http-client.js'
import type { HubSpotFilterGroup } from './wire.js'

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

export interface SearchBody {
  readonly filterGroups: readonly HubSpotFilterGroup[]
  readonly properties: readonly string[]
  readonly limit: number
  readonly after?: string
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
   * a few defaults come back, and asking for all would fetch hundreds in a real account.
   */
  getContact(id: string, properties: readonly string[], ctx: CallContext): Promise<AxiosResponse<string>> {
    const params = new URLSearchParams({ properties: properties.join(','), archived: 'false' })
    return sendRequest(this.client, { method: 'GET', url: contactPath(id), params, signal: ctx.signal }, { op: 'getCustomer', log: ctx.log })
  }

  /** POST /crm/v3/objects/contacts `{properties}` → 201 contact (409 when the e-mail exists). */
  createContact(properties: Readonly<Record<string, string>>, ctx: CallContext): Promise<AxiosResponse<string>> {
    return sendRequest(
      this.client,
      { method: 'POST', url: CONTACTS, data: { properties }, headers: JSON_BODY, signal: ctx.signal },
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
   * POST /crm/v3/objects/contacts/search `{filterGroups, properties, limit, after}` → 200
   * `{total, results, paging}` (https://developers.hubspot.com/docs/api/crm/search). The body is
   * serialized by axios from structures: no filter is ever assembled as text.
   */
  searchContacts(body: SearchBody, ctx: CallContext): Promise<AxiosResponse<string>> {
    return sendRequest(
      this.client,
      { method: 'POST', url: `${CONTACTS}/search`, data: body, headers: JSON_BODY, signal: ctx.signal },
      { op: 'searchCustomers', log: ctx.log }
    )
  }

  /** Releases pooled sockets. */
  close(): void {
    this.client.close()
  }
}
