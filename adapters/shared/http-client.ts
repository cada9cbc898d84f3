/**
 * The HTTP plumbing every HTTP-based adapter shares: an axios instance set up the way the
 * gateway needs it, and one `sendRequest` that times the call, logs it without customer data
 * and turns transport failures into the port's failure kinds (./http-failure.ts).
 *
 * Choices, and why:
 * - the transport is undici (./undici-adapter.ts) behind axios' API: a keep-alive pool, so a
 *   POS lookup does not pay a TCP/TLS handshake per CRM call, at a fraction of the CPU axios'
 *   node:http adapter costs per call (BENCHMARKS.md); node:http agents remain for the rare
 *   request that adapter hands back to axios' own (redirects, explicit proxies…);
 * - `maxRedirects: 0`: a CRM API that redirects is misconfigured, and following redirects
 *   would carry our credentials to wherever the redirect points;
 * - `allowAbsoluteUrls: false`: requests only ever go to the configured base URL;
 * - `validateStatus: () => true`: every status comes back as a response, so each adapter
 *   translates statuses explicitly instead of catching axios' generic errors;
 * - `responseType: 'text'` and no transformResponse: we parse JSON ourselves, so a garbage
 *   answer becomes a `bad-response` instead of silently arriving as a string;
 * - `timeout`: a per-request backstop under the attempt's own timeout (which aborts through
 *   the call's AbortSignal: that signal must be passed on every request).
 */
import http from 'node:http'
import https from 'node:https'
import axios from 'axios'
import { context, propagation } from '@opentelemetry/api'
import type { AxiosInstance, AxiosRequestConfig, AxiosResponse } from 'axios'
import type { Logger } from '../../src/core/logger.js'
import { classifyTransportFailure } from './http-failure.js'
import { createUndiciTransport } from './undici-adapter.js'
import { directRequest } from './direct-request.js'

export interface HttpClientOptions {
  /** From config only, never from a request. */
  readonly baseUrl: string
  readonly timeoutMs: number
  /** Headers sent on every request (e.g. an API key). */
  readonly headers?: Readonly<Record<string, string>>
  /** Concurrent sockets per CRM host. Default 50. */
  readonly maxSockets?: number
  /** Bigger answers are refused (`bad-response`). Default 10 MiB. */
  readonly maxResponseBytes?: number
}

export interface HttpClient {
  /** The axios instance; sendRequest's requests go through `request` below. */
  readonly http: AxiosInstance
  /** `http.request(config)`, without axios' per-call pipeline for the usual shapes (./direct-request.ts). */
  readonly request: (request: SignalledRequest) => Promise<AxiosResponse<string>>
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
  const transport = createUndiciTransport({
    connections: agentOptions.maxSockets,
    maxResponseBytes: maxBytes,
    connectTimeoutMs: options.timeoutMs
  })
  const instance = axios.create({
    adapter: transport.adapter,
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
    request: directRequest(instance, transport.adapter),
    close: () => {
      httpAgent.destroy()
      httpsAgent.destroy()
      // Destroying the pool's sockets is immediate; its promise only reports completion.
      transport.close().catch(() => undefined)
    }
  }
}

/** A request config whose AbortSignal is mandatory: nothing may outlive its caller. */
export type SignalledRequest = AxiosRequestConfig & { readonly signal: AbortSignal }

/**
 * Sends one request. Resolves with the response whatever its status (the adapter translates
 * statuses); rejects with a CrmFailure (timeout, unreachable, interrupted…), or with the error
 * itself when it is no transport failure (a bug of ours). Logs `{op, status, durationMs}` or
 * `{op, failure, durationMs}` at debug level: no URL (ids, search values), no body, no header.
 *
 * With tracing on (the gateway's, src/observability/tracing.ts), the request carries the
 * current CRM attempt's W3C `traceparent` (https://www.w3.org/TR/trace-context/), so a CRM
 * that traces joins the POS's trace. Off, nothing is added.
 */
export async function sendRequest(
  client: HttpClient,
  request: SignalledRequest,
  meta: { readonly op: string; readonly log: Logger }
): Promise<AxiosResponse<string>> {
  const started = performance.now()
  const durationMs = (): number => Math.round(performance.now() - started)
  try {
    const response = await client.request(withTraceContext(request))
    meta.log.debug({ op: meta.op, status: response.status, durationMs: durationMs() }, 'crm call')
    return response
  } catch (err) {
    const failure = classifyTransportFailure(err, request.signal, meta.op)
    meta.log.debug({ op: meta.op, failure: failure?.kind ?? 'not a transport failure', durationMs: durationMs() }, 'crm call failed')
    throw failure ?? err
  }
}

/** The request with the current trace context's headers, or itself when there is none. */
function withTraceContext(request: SignalledRequest): SignalledRequest {
  const carrier: Record<string, string> = {}
  propagation.inject(context.active(), carrier)
  if (carrier['traceparent'] === undefined) return request
  return { ...request, headers: { ...(request.headers as Record<string, string> | undefined), ...carrier } }
}
