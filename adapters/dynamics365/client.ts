/**
 * Transport for the Dataverse Web API (OData v4): one method per request the adapter makes,
 * each returning the raw response whatever its status; index.ts interprets them (with wire.ts
 * and errors.ts).
 *
 * Every request carries (compose-http-requests-handle-errors,
 * https://learn.microsoft.com/power-apps/developer/data-platform/webapi/compose-http-requests-handle-errors):
 * `Authorization: Bearer` (token.ts), `OData-MaxVersion: 4.0`, `OData-Version: 4.0`,
 * `Accept: application/json`, and `If-None-Match: null` on reads, which that page recommends so
 * that no cached answer is served. A 401 (the token expired early or was revoked) drops the
 * token and the request is sent once more with a new one: Dataverse did not act on it.
 *
 * Every request passes `signal: ctx.signal` (sendRequest requires it).
 */
import type { AxiosResponse } from 'axios'
import type { CallContext } from '../../src/core/port.js'
import { createHttpClient, sendRequest } from '../shared/http-client.js'
import type { HttpClient, SignalledRequest } from '../shared/http-client.js'
import type { DataverseOp } from './errors.js'
import type { EntraTokenSource } from './token.js'
import { GUID } from './wire.js'

export interface DataverseClientOptions {
  /** The environment's URL (`https://<org>.crm.dynamics.com`); from config only. */
  readonly baseUrl: string
  readonly apiVersion: string
  readonly timeoutMs: number
  readonly tokens: EntraTokenSource
}

const JSON_BODY = { 'Content-Type': 'application/json; charset=utf-8' }

export class DataverseClient {
  readonly #http: HttpClient
  readonly #tokens: EntraTokenSource
  /** `/api/data/v9.2`: every path starts here. */
  readonly root: string

  constructor(options: DataverseClientOptions) {
    this.root = `/api/data/${options.apiVersion}`
    this.#tokens = options.tokens
    this.#http = createHttpClient({
      baseUrl: options.baseUrl,
      timeoutMs: options.timeoutMs,
      headers: { 'OData-MaxVersion': '4.0', 'OData-Version': '4.0' }
    })
  }

  /** `contacts(<id>)`: the id is checked to be a GUID by the caller; it is a URL token as it stands. */
  contactPath(id: string): string {
    if (!GUID.test(id)) throw new TypeError('contactPath: not a GUID')
    return `${this.root}/contacts(${id})`
  }

  /** GET contacts(<id>)?$select=… → 200 contact | 404 (retrieve doc). */
  getContact(id: string, query: string, ctx: CallContext): Promise<AxiosResponse<string>> {
    return this.#send({ method: 'GET', url: `${this.contactPath(id)}?${query}`, headers: { 'If-None-Match': 'null' } }, 'getCustomer', ctx)
  }

  /**
   * POST contacts?$select=… with `Prefer: return=representation` → 201 and the row as stored
   * (create doc, "Create with data returned"); without the preference Dataverse answers 204 and
   * only the new id. `MSCRM.SuppressDuplicateDetection: false` makes the environment's published
   * duplicate detection rules apply (duplicate detection doc); they do not by default.
   */
  createContact(body: object, query: string, ctx: CallContext): Promise<AxiosResponse<string>> {
    return this.#send(
      {
        method: 'POST',
        url: `${this.root}/contacts?${query}`,
        data: body,
        headers: { ...JSON_BODY, Prefer: 'return=representation', 'MSCRM.SuppressDuplicateDetection': 'false' }
      },
      'createCustomer',
      ctx
    )
  }

  /**
   * PATCH contacts(<id>)?$select=… with `If-Match` and `Prefer: return=representation` → 200
   * and the row after the change | 404 | 412. `If-Match` is ALWAYS sent: a PATCH without it is
   * an upsert and CREATES a contact with that id when none exists (conditional operations doc,
   * "Prevent create in upsert"); `*` means "only if it exists", an ETag "only if still at it".
   */
  updateContact(id: string, body: object, query: string, ifMatch: string, ctx: CallContext): Promise<AxiosResponse<string>> {
    return this.#send(
      {
        method: 'PATCH',
        url: `${this.contactPath(id)}?${query}`,
        data: body,
        headers: { ...JSON_BODY, 'If-Match': ifMatch, Prefer: 'return=representation' }
      },
      'updateCustomer',
      ctx
    )
  }

  /**
   * GET contacts?$filter=…, or a page's `@odata.nextLink` path, with `Prefer:
   * odata.maxpagesize=N` (page-results doc: "use the value of @odata.nextLink … to request the
   * next page", with the same preference).
   */
  queryContacts(pathAndQuery: string, pageSize: number, ctx: CallContext): Promise<AxiosResponse<string>> {
    return this.#send(
      { method: 'GET', url: pathAndQuery, headers: { Prefer: `odata.maxpagesize=${pageSize}`, 'If-None-Match': 'null' } },
      'searchCustomers',
      ctx
    )
  }

  /**
   * GET EntityDefinitions(LogicalName='contact')/Attributes?$select=… → 200 `{value: [column
   * definitions]}` (query metadata doc): every column of the contact table, the custom ones too.
   */
  contactAttributes(ctx: CallContext): Promise<AxiosResponse<string>> {
    const select = encodeURIComponent('LogicalName,AttributeType,IsValidForCreate,IsValidForUpdate')
    return this.#send({ method: 'GET', url: `${this.root}/EntityDefinitions(LogicalName='contact')/Attributes?$select=${select}` }, 'fieldSchema', ctx)
  }

  close(): void {
    this.#http.close()
  }

  async #send(request: Omit<SignalledRequest, 'signal'>, op: DataverseOp, ctx: CallContext): Promise<AxiosResponse<string>> {
    const attempt = async (): Promise<{ token: string; response: AxiosResponse<string> }> => {
      const token = await this.#tokens.token(ctx)
      const headers = { ...(request.headers as Record<string, string> | undefined), Authorization: `Bearer ${token}` }
      const response = await sendRequest(this.#http, { ...request, headers, signal: ctx.signal }, { op, log: ctx.log })
      return { token, response }
    }
    const first = await attempt()
    if (first.response.status !== 401) return first.response
    this.#tokens.invalidate(first.token)
    return (await attempt()).response
  }
}
