/**
 * The HTTP plumbing every HTTP-based adapter shares: an axios instance set up the way the
 * gateway needs it, and one `sendRequest` that times the call, logs it without customer data
 * and turns transport failures into catalogue errors (./http-failure.ts).
 *
 * Choices, and why:
 * - keep-alive agents: a POS lookup should not pay a TCP/TLS handshake per CRM call;
 * - `maxRedirects: 0`: a CRM API that redirects is misconfigured, and following redirects
 *   would carry our credentials to wherever the redirect points;
 * - `allowAbsoluteUrls: false`: requests only ever go to the configured base URL;
 * - `validateStatus: () => true`: every status comes back as a response, so each adapter
 *   translates statuses explicitly instead of catching axios' generic errors;
 * - `responseType: 'text'` and no transformResponse: we parse JSON ourselves, so a garbage
 *   answer becomes CRM_BAD_RESPONSE instead of silently arriving as a string;
 * - `timeout`: a per-request backstop under the breaker's deadline (which aborts through
 *   the call's AbortSignal: that signal must be passed on every request).
 */
import http from 'node:http'
import https from 'node:https'
import axios from 'axios'
import type { AxiosInstance, AxiosRequestConfig, AxiosResponse } from 'axios'
import type { Logger } from '../../src/core/logger.js'
import { classifyTransportFailure } from './http-failure.js'

export interface HttpClientOptions {
  /** From config only, never from a request. */
  readonly baseUrl: string
  readonly timeoutMs: number
  /** Headers sent on every request (e.g. an API key). */
  readonly headers?: Readonly<Record<string, string>>
  /** Concurrent sockets per CRM host. Default 50. */
  readonly maxSockets?: number
  /** Bigger answers are refused (CRM_BAD_RESPONSE). Default 10 MiB. */
  readonly maxResponseBytes?: number
}

export interface HttpClient {
  readonly http: AxiosInstance
  /** Destroys the pooled sockets (adapter close()). */
  close(): void
}

/** Throws a clear start-up error unless `baseUrl` is an absolute http(s) URL. */
export function checkBaseUrl(baseUrl: string, adapter: string): void {
  let url: URL
  try {
    url = new URL(baseUrl)
  } catch {
    throw new Error(`${adapter} adapter: baseUrl must be an absolute http(s) URL`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`${adapter} adapter: baseUrl must use http or https, not ${url.protocol}`)
  }
}

export function createHttpClient(options: HttpClientOptions): HttpClient {
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 50 }
  const httpAgent = new http.Agent(agentOptions)
  const httpsAgent = new https.Agent(agentOptions)
  const maxBytes = options.maxResponseBytes ?? 10 * 1024 * 1024
  const instance = axios.create({
    baseURL: options.baseUrl,
    allowAbsoluteUrls: false,
    headers: { Accept: 'application/json', ...options.headers },
    httpAgent,
    httpsAgent,
    maxRedirects: 0,
    timeout: options.timeoutMs,
    validateStatus: () => true,
    responseType: 'text',
    transformResponse: [(data: unknown) => data],
    maxContentLength: maxBytes,
    maxBodyLength: maxBytes
  })
  return {
    http: instance,
    close: () => {
      httpAgent.destroy()
      httpsAgent.destroy()
    }
  }
}

/** A request config whose AbortSignal is mandatory: nothing may outlive its caller. */
export type SignalledRequest = AxiosRequestConfig & { readonly signal: AbortSignal }

/**
 * Sends one request. Resolves with the response whatever its status (the adapter translates
 * statuses); rejects only with a GatewayError (timeout, unreachable, aborted…). Logs
 * `{op, status, durationMs}` at debug level: no URL (ids, search values), no body, no header.
 */
export async function sendRequest(
  client: HttpClient,
  request: SignalledRequest,
  meta: { readonly op: string; readonly log: Logger }
): Promise<AxiosResponse<string>> {
  const started = performance.now()
  const durationMs = (): number => Math.round(performance.now() - started)
  try {
    const response = await client.http.request<string>(request)
    meta.log.debug({ op: meta.op, status: response.status, durationMs: durationMs() }, 'crm call')
    return response
  } catch (err) {
    const failure = classifyTransportFailure(err, request.signal, meta.op)
    meta.log.debug({ op: meta.op, error: failure.code, durationMs: durationMs() }, 'crm call failed')
    throw failure
  }
}
