/**
 * Transport, authentication and the CSRF dance for C4C's OData API: one method per kind of
 * call, each returning the raw response whatever its status; interpreting answers is the
 * adapter's job (index.ts, with wire.ts and errors.ts).
 *
 * - Authentication on every call: `Authorization: Basic …` (a technical user) or `Bearer …`
 *   (an OAuth access token), the two the developer's guide lists ("Authentication",
 *   https://github.com/SAP-archive/C4CODATAAPIDEVGUIDE#authentication-1).
 * - JSON: reads ask `$format=json` (the guide, "Supported Formats": Atom XML is the default)
 *   and send `Accept: application/json`; writes send `Content-Type: application/json`.
 * - Writes carry the CSRF token and its session cookies (./csrf.ts). A write refused as a CSRF
 *   failure (403, `x-csrf-token: Required`) has not been acted on: the token is replaced
 *   (one fetch for every writer) and the write sent once more; a second refusal is an error.
 *
 * Every request passes `signal: ctx.signal`. The shared token fetch runs under the client's own
 * request timeout instead: it belongs to every writer waiting for it, not to one of them.
 */
import type { AxiosResponse, Method } from 'axios'
import type { CallContext } from '../../src/core/port.js'
import { createHttpClient, sendRequest } from '../shared/http-client.js'
import type { HttpClient } from '../shared/http-client.js'
import { waitShared } from '../shared/wait-shared.js'
import { badResponse, headerValue } from '../shared/http-failure.js'
import { CsrfSession, cookieHeader } from './csrf.js'
import type { CsrfCredentials } from './csrf.js'
import { c4cFailure, isCsrfRefusal } from './errors.js'
import type { C4cOp } from './errors.js'
import type { C4cAuth } from './settings.js'
import { queryString } from './odata-values.js'
import type { Logger } from '../../src/core/logger.js'

export interface C4cClientOptions {
  /** The tenant, e.g. https://my000000.crm.ondemand.com; from config only. */
  readonly baseUrl: string
  /** The OData service's path, e.g. /sap/c4c/odata/v1/c4codataapi. */
  readonly servicePath: string
  readonly auth: C4cAuth
  readonly timeoutMs: number
  /** The adapter's logger: the shared token fetch belongs to no one request. */
  readonly log: Logger
}

/** `$metadata` of the whole c4codataapi service is several megabytes: its own, larger limit. */
const METADATA_MAX_BYTES = 64 * 1024 * 1024

export class C4cClient {
  private readonly client: HttpClient
  private readonly metadataClient: HttpClient
  private readonly csrf: CsrfSession
  private readonly timeoutMs: number
  private readonly log: Logger

  constructor(options: C4cClientOptions) {
    const authorization =
      options.auth.kind === 'basic'
        ? `Basic ${Buffer.from(`${options.auth.username}:${options.auth.password}`, 'utf8').toString('base64')}`
        : `Bearer ${options.auth.token}`
    const base = { baseUrl: `${options.baseUrl.replace(/\/+$/, '')}${options.servicePath}`, timeoutMs: options.timeoutMs, headers: { Authorization: authorization } }
    this.client = createHttpClient(base)
    this.metadataClient = createHttpClient({ ...base, headers: { ...base.headers, Accept: 'application/xml' }, maxSockets: 1, maxResponseBytes: METADATA_MAX_BYTES })
    this.timeoutMs = options.timeoutMs
    this.log = options.log
    this.csrf = new CsrfSession(() => this.fetchCsrf())
  }

  /** GET a resource of the service (`/IndividualCustomerCollection…`) with query options. */
  read(path: string, options: ReadonlyArray<readonly [string, string]>, ctx: CallContext, op: C4cOp): Promise<AxiosResponse<string>> {
    const query = queryString([...options, ['$format', 'json']])
    return sendRequest(this.client, { method: 'GET', url: `${path}?${query}`, signal: ctx.signal }, { op, log: ctx.log })
  }

  /** A modifying request (POST, PATCH, DELETE) with the CSRF token; see above for a refusal. */
  async write(
    method: Method,
    path: string,
    body: unknown,
    headers: Readonly<Record<string, string>>,
    ctx: CallContext,
    op: C4cOp
  ): Promise<AxiosResponse<string>> {
    for (let attempt = 1; ; attempt++) {
      const credentials = await waitShared(this.csrf.get(), ctx.signal, `${op}: the attempt's time was up while the CSRF token was fetched`)
      const response = await sendRequest(
        this.client,
        {
          method,
          url: path,
          ...(body === undefined ? {} : { data: body }),
          headers: {
            ...headers,
            ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
            'x-csrf-token': credentials.token,
            ...(credentials.cookie === '' ? {} : { Cookie: credentials.cookie })
          },
          signal: ctx.signal
        },
        { op, log: ctx.log }
      )
      if (attempt === 1 && isCsrfRefusal(response)) {
        ctx.log.debug({ op }, 'crm csrf token refused; fetching a new one')
        this.csrf.invalidate(credentials)
        continue
      }
      return response
    }
  }

  /** GET $metadata: the service's entity types (XML). */
  metadata(ctx: CallContext): Promise<AxiosResponse<string>> {
    return sendRequest(this.metadataClient, { method: 'GET', url: '/$metadata', signal: ctx.signal }, { op: 'fieldSchema', log: ctx.log })
  }

  /** The service document with `x-csrf-token: fetch` (guide, "CSRF Token"); the trailing `/` is required. */
  private async fetchCsrf(): Promise<CsrfCredentials> {
    const response = await sendRequest(
      this.client,
      { method: 'GET', url: `/?${queryString([['$format', 'json']])}`, headers: { 'x-csrf-token': 'fetch' }, signal: AbortSignal.timeout(this.timeoutMs) },
      { op: 'csrfFetch', log: this.log }
    )
    if (response.status !== 200) throw c4cFailure(response, 'csrfFetch')
    const token = headerValue(response, 'x-csrf-token')?.trim() ?? ''
    if (token === '' || /^(required|fetch)$/i.test(token)) return badResponse('csrfFetch', 'no CSRF token in the answer')
    return { token, cookie: cookieHeader((response.headers as Record<string, unknown>)['set-cookie']) }
  }

  close(): void {
    this.client.close()
    this.metadataClient.close()
  }
}
