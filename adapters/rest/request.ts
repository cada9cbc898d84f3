/**
 * Building and sending one request of the definition: the path template with the id as one
 * encoded segment (../shared/path-segment.ts), the constant and computed query parameters
 * (URL-encoded by URLSearchParams, never concatenated), the constant headers, the credentials
 * (./auth.ts), a JSON body. A 401 is answered once more with fresh credentials when the
 * authentication can renew them (an OAuth2 token); the CRM refused the request, so it did not
 * act on it, and even a create is safe to send again.
 */
import type { AxiosResponse } from 'axios'
import type { CallContext } from '../../src/core/port.js'
import { createHttpClient, sendRequest } from '../shared/http-client.js'
import type { HttpClient } from '../shared/http-client.js'
import { pathSegment } from '../shared/path-segment.js'
import type { Authenticator, Credentials } from './auth.js'

export interface RestRequest {
  /** For logs: getCustomer, searchCustomers… */
  readonly op: string
  readonly method: string
  /** The path, `{id}` already filled in (fillPath). */
  readonly path: string
  readonly params?: readonly (readonly [string, string])[]
  readonly headers?: Readonly<Record<string, string>>
  /** Sent as JSON when present. */
  readonly body?: unknown
}

/** The path template with the id as one encoded path segment. */
export function fillPath(template: string, id?: string): string {
  return id === undefined ? template : template.replace('{id}', pathSegment(id))
}

/** A definition's constant parameters as entries. */
export const entriesOf = (texts: Readonly<Record<string, string>> | undefined): [string, string][] => Object.entries(texts ?? {})

export interface TransportOptions {
  readonly baseUrl: string
  readonly timeoutMs: number
  /** Sent on every request (an API version header). */
  readonly headers?: Readonly<Record<string, string>>
}

export class RestTransport {
  readonly #client: HttpClient
  readonly #auth: Authenticator

  constructor(options: TransportOptions, auth: Authenticator) {
    this.#client = createHttpClient({ baseUrl: options.baseUrl, timeoutMs: options.timeoutMs, ...(options.headers === undefined ? {} : { headers: options.headers }) })
    this.#auth = auth
  }

  async send(request: RestRequest, ctx: CallContext): Promise<AxiosResponse<string>> {
    const used = await this.#auth.credentials(ctx)
    const response = await this.#once(request, used, ctx)
    if (response.status !== 401 || !this.#auth.refused(used)) return response
    return this.#once(request, await this.#auth.credentials(ctx), ctx)
  }

  close(): void {
    this.#client.close()
    this.#auth.close()
  }

  #once(request: RestRequest, credentials: Credentials, ctx: CallContext): Promise<AxiosResponse<string>> {
    const params = new URLSearchParams()
    for (const [name, value] of request.params ?? []) params.append(name, value)
    for (const [name, value] of credentials.params) params.append(name, value)
    const headers: Record<string, string> = { ...request.headers, ...credentials.headers }
    if (request.body !== undefined) headers['Content-Type'] = 'application/json'
    return sendRequest(
      this.#client,
      {
        method: request.method,
        url: request.path,
        params,
        headers,
        ...(request.body === undefined ? {} : { data: JSON.stringify(request.body) }),
        signal: ctx.signal
      },
      { op: request.op, log: ctx.log }
    )
  }
}
