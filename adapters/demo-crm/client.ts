/**
 * Transport and authentication for the demo CRM: one method per endpoint of
 * demo-crm/API.md, each returning the raw response whatever its status. Interpreting
 * answers is the adapter's job (index.ts, with wire.ts and errors.ts).
 *
 * Every request passes `signal: ctx.signal`: when the attempt's time is up (or the gateway
 * shuts down), the HTTP request is really cancelled instead of running on in the background
 * (sendRequest's type makes the signal mandatory), and the call fails as a `timeout`.
 */
import type { AxiosResponse } from 'axios'
import type { CallContext, CrmRecord } from '../../src/core/port.js'
import { createHttpClient, sendRequest } from '../shared/http-client.js'
import { pathSegment } from '../shared/path-segment.js'
import type { HttpClient } from '../shared/http-client.js'

export interface DemoCrmClientOptions {
  readonly baseUrl: string
  readonly apiKey: string
  readonly timeoutMs: number
}

const CONTACTS = '/api/v1/contacts'

/** API.md § Endpoints: a contact's path. The id is one encoded segment: it never alters the path (../shared/path-segment.ts). */
const contactPath = (id: string): string => `${CONTACTS}/${pathSegment(id)}`

export class DemoCrmClient {
  private readonly client: HttpClient

  constructor(options: DemoCrmClientOptions) {
    this.client = createHttpClient({
      baseUrl: options.baseUrl,
      timeoutMs: options.timeoutMs,
      // API.md § Authentication: the key travels in X-API-Key on every call.
      headers: { 'X-API-Key': options.apiKey }
    })
  }

  /** API.md: GET /api/v1/contacts/{CONTACT_ID} → 200 contact | 404. */
  getContact(id: string, ctx: CallContext): Promise<AxiosResponse<string>> {
    return sendRequest(
      this.client,
      { method: 'GET', url: contactPath(id), signal: ctx.signal },
      { op: 'getCustomer', log: ctx.log }
    )
  }

  /**
   * API.md: GET /api/v1/contacts?filter=…&page=…&size=… → 200 page. `filter` repeats, so
   * the query is a URLSearchParams (axios would otherwise write `filter[]=`); it is
   * URL-encoded by axios from `params`, never concatenated into the path by hand.
   */
  searchContacts(filters: readonly string[], page: number, size: number, ctx: CallContext): Promise<AxiosResponse<string>> {
    const params = new URLSearchParams(filters.map((f): [string, string] => ['filter', f]))
    params.set('page', String(page))
    params.set('size', String(size))
    return sendRequest(
      this.client,
      { method: 'GET', url: CONTACTS, params, signal: ctx.signal },
      { op: 'searchCustomers', log: ctx.log }
    )
  }

  /** API.md: POST /api/v1/contacts → 201 contact. */
  createContact(record: CrmRecord, ctx: CallContext): Promise<AxiosResponse<string>> {
    return sendRequest(
      this.client,
      { method: 'POST', url: CONTACTS, data: record, headers: { 'Content-Type': 'application/json' }, signal: ctx.signal },
      { op: 'createCustomer', log: ctx.log }
    )
  }

  /**
   * API.md: PATCH /api/v1/contacts/{CONTACT_ID} → 200 contact | 404 (merge semantics);
   * with `ifMatch` (a VERSION), a concurrent change since that version → 412.
   */
  patchContact(id: string, patch: CrmRecord, ctx: CallContext, ifMatch?: string): Promise<AxiosResponse<string>> {
    const headers: Record<string, string> = { 'Content-Type': 'application/json' }
    if (ifMatch !== undefined) headers['If-Match'] = `"${ifMatch}"`
    return sendRequest(
      this.client,
      { method: 'PATCH', url: contactPath(id), data: patch, headers, signal: ctx.signal },
      { op: 'updateCustomer', log: ctx.log }
    )
  }

  /** Releases pooled sockets. */
  close(): void {
    this.client.close()
  }
}
