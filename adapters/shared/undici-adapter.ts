/**
 * The adapters' HTTP transport: an axios adapter (https://axios-http.com/docs/req_config,
 * `adapter`) that sends requests with undici's `Dispatcher.request()` over a keep-alive pool,
 * instead of axios' default adapter over node:http.
 *
 * Why: axios stays the API adapters are written against, but its node:http adapter costs more
 * CPU per call than the rest of a cache-miss GET together (ClientRequest and IncomingMessage
 * streams, follow-redirects wrapping, socket.setKeepAlive on every request, proxy environment
 * lookups per request…; measured in BENCHMARKS.md). undici's pool does the same exchange for a
 * fraction of it.
 *
 * What axios callers rely on is kept, and tested against axios' own adapter
 * (test/adapters/shared/undici-adapter.test.ts):
 * - URL: `baseURL` + `url` (`allowAbsoluteUrls`), `params` (URLSearchParams as is, objects and
 *   custom serializers exactly as axios spells them), dot segments resolved like axios does;
 * - request headers from the merged config (case-insensitive AxiosHeaders), axios' User-Agent
 *   and Accept-Encoding unless set; the body as axios' transformRequest left it (a JSON object
 *   arrives here as a string), `maxBodyLength`;
 * - no redirect is ever followed with `maxRedirects: 0` (undici follows none by itself);
 * - `timeout`: as axios 1.x over node:http, from the start until the answer's head, then
 *   between body chunks; reported as axios reports its own (ECONNABORTED, or ETIMEDOUT with
 *   `transitional.clarifyTimeoutError`);
 * - `signal`: aborts the exchange at any point; the rejection is axios' CanceledError;
 * - the response: status, statusText, AxiosHeaders (case-insensitive), the body as a string
 *   (`text`/`json`, UTF-8 BOM stripped, `responseEncoding`) or a Buffer (`arraybuffer`);
 *   gzip/deflate/br bodies decompressed unless `decompress: false`;
 *   `maxContentLength` on the bytes received and again on the decompressed body, which
 *   decompression stops producing at the limit (a small gzip can inflate a thousandfold);
 *   `validateStatus` settles as axios' settle() does;
 * - failures as AxiosErrors with the codes adapters/shared/http-failure.ts classifies: Node's
 *   own socket codes (ECONNREFUSED, ECONNRESET, ENOTFOUND…) pass through, undici's are mapped
 *   (a socket closed under us or a body cut short → ECONNRESET, timeouts →
 *   ECONNABORTED/ETIMEDOUT, an unreadable answer keeps its HPE_* code, an answer over the
 *   limit → ERR_BAD_RESPONSE), the original error as `cause`. Two are told apart more finely
 *   than axios over node:http would: a connect timeout is Node's ERR_SOCKET_CONNECTION_TIMEOUT
 *   (the request never left: `unreachable`, where ECONNABORTED would say "maybe acted"), and
 *   a body cut short is ECONNRESET (the exchange broke: `interrupted`, not a garbage answer);
 * - proxies from the environment (HTTP_PROXY, HTTPS_PROXY, NO_PROXY), as axios honours them.
 * Requests using what this adapter does not implement (redirects, an explicit `proxy`,
 * `socketPath`, progress callbacks, rate limits, `auth`, FormData or Blob bodies, `stream`
 * responses, HTTP/2…) are
 * handed to axios' own http adapter unchanged, so nothing an axios caller can ask for is lost.
 */
import { STATUS_CODES } from 'node:http'
import { Readable } from 'node:stream'
import { brotliDecompress, inflateRaw, unzip } from 'node:zlib'
import { promisify } from 'node:util'
import axios, { AxiosError, AxiosHeaders, CanceledError, getAdapter } from 'axios'
import type { AxiosAdapter, AxiosResponse, InternalAxiosRequestConfig } from 'axios'
import { Agent, EnvHttpProxyAgent, errors, type Dispatcher } from 'undici'

/** Response headers as undici parses them: lower-case names. */
type IncomingHttpHeaders = Record<string, string | string[] | undefined>

export interface UndiciTransportOptions {
  /** Concurrent connections per origin (the pool's size). */
  readonly connections: number
  /** Bigger answers are refused (ERR_BAD_RESPONSE); -1: no limit. */
  readonly maxResponseBytes: number
  /** Connecting longer than this fails the request as a timeout. */
  readonly connectTimeoutMs: number
  /** An idle keep-alive socket is closed after this (ms), unless the server says less. Default 4000. */
  readonly keepAliveTimeoutMs?: number
  /** Instead of the pool this transport makes (tests); close() does not destroy it. */
  readonly dispatcher?: Dispatcher
}

export interface UndiciTransport {
  /** The axios adapter: `axios.create({ adapter })`. */
  readonly adapter: AxiosAdapter
  readonly dispatcher: Dispatcher
  /** Destroys the pooled sockets; requests still running fail (ECONNRESET: `interrupted`). */
  close(): Promise<void>
}

/** axios' own header (lib/adapters/http.js), so the CRM sees the same client. */
const USER_AGENT = `axios/${axios.VERSION}`
const ACCEPT_ENCODING = 'gzip, compress, deflate, br'

const unzipAsync = promisify(unzip)
const inflateRawAsync = promisify(inflateRaw)
const brotliAsync = promisify(brotliDecompress)

/** Which configs go to axios' http adapter instead (what this adapter does not implement). */
function needsHttpAdapter(config: InternalAxiosRequestConfig): boolean {
  const c = config as InternalAxiosRequestConfig & Record<string, unknown>
  const redirects = config.maxRedirects
  return (
    (redirects !== 0 && redirects !== undefined) ||
    (config.proxy !== undefined && config.proxy !== false) ||
    c['socketPath'] != null ||
    c['transport'] != null ||
    c['lookup'] != null ||
    c['family'] != null ||
    c['httpVersion'] != null ||
    c['insecureHTTPParser'] === true ||
    config.auth != null ||
    config.cancelToken != null ||
    config.onUploadProgress != null ||
    config.onDownloadProgress != null ||
    config.maxRate != null ||
    !isSendable(config.data) ||
    (config.responseType !== undefined && !['text', 'json', 'arraybuffer'].includes(config.responseType))
  )
}

/** Body values sent as they are (what axios' transformRequest leaves of a JSON object, etc.). */
function isSendable(data: unknown): boolean {
  return (
    data == null ||
    typeof data === 'string' ||
    Buffer.isBuffer(data) ||
    data instanceof ArrayBuffer ||
    ArrayBuffer.isView(data) ||
    data instanceof URLSearchParams ||
    data instanceof Readable
  )
}

const ABSOLUTE = /^([a-z][a-z\d+\-.]*:)?\/\//i
const HTTP_BASE = /^https?:\/\//i

/**
 * The request URL as axios builds it (buildFullPath, then buildURL with the params). The
 * common case — a relative path on an http(s) base URL, URLSearchParams or no params — is
 * built here; anything else by axios itself (getUri), so its spelling is axios' own.
 */
function requestUrl(config: InternalAxiosRequestConfig): string {
  const { baseURL, url } = config
  const params: unknown = config.params
  const serializer = config.paramsSerializer as { serialize?: unknown; encode?: unknown } | undefined
  const simpleParams = params == null || (params instanceof URLSearchParams && serializer?.serialize == null && serializer?.encode == null)
  if (typeof baseURL !== 'string' || !HTTP_BASE.test(baseURL) || typeof url !== 'string' || ABSOLUTE.test(url) || /^https?:/i.test(url) || !simpleParams) {
    return axios.getUri(config)
  }
  let full = baseURL
  if (url !== '') {
    let end = baseURL.length
    while (end > 0 && baseURL.charCodeAt(end - 1) === 47) end--
    full = `${baseURL.slice(0, end)}/${url.replace(/^\/+/, '')}`
  }
  const query = params instanceof URLSearchParams ? params.toString() : ''
  if (query === '') return full
  const hash = full.indexOf('#')
  if (hash !== -1) full = full.slice(0, hash)
  return `${full}${full.includes('?') ? '&' : '?'}${query}`
}

function requestBody(data: unknown): string | Buffer | Uint8Array | Readable | undefined {
  if (data == null) return undefined
  if (typeof data === 'string' || Buffer.isBuffer(data) || data instanceof Readable) return data
  if (data instanceof URLSearchParams) return data.toString()
  if (data instanceof ArrayBuffer) return Buffer.from(new Uint8Array(data))
  const view = data as ArrayBufferView
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength)
}

function bodyLength(body: string | Buffer | Uint8Array | Readable | undefined): number | undefined {
  if (body === undefined) return 0
  if (typeof body === 'string') return Buffer.byteLength(body)
  return body instanceof Readable ? undefined : body.byteLength
}

/** AxiosHeaders values are strings, numbers or booleans (`set('Content-Length', 12)`). */
function headerText(value: unknown): string {
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : typeof value === 'string' ? value : ''
}

/** The request headers for undici: one plain object, every value a string. */
function plainHeaders(headers: AxiosHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  for (const [name, value] of Object.entries(headers.toJSON() as Record<string, unknown>)) {
    if (value == null || value === false) continue
    out[name] = Array.isArray(value) ? value.map(headerText) : headerText(value)
  }
  return out
}

function timeoutError(config: InternalAxiosRequestConfig, cause: unknown): AxiosError {
  const message = config.timeoutErrorMessage ?? (config.timeout ? `timeout of ${config.timeout}ms exceeded` : 'timeout exceeded')
  const code = config.transitional?.clarifyTimeoutError ? AxiosError.ETIMEDOUT : AxiosError.ECONNABORTED
  return withCause(new AxiosError(message, code, config), cause)
}

function withCause(error: AxiosError, cause: unknown): AxiosError {
  error.cause = cause as Error
  return error
}

/**
 * An undici (or socket) failure as axios would have reported the same failure over node:http,
 * so that http-failure.ts classifies both alike.
 */
export function toAxiosError(err: unknown, config: InternalAxiosRequestConfig): AxiosError {
  if (err instanceof AxiosError) return err
  const signal = config.signal as AbortSignal | undefined
  if (signal?.aborted) return withCause(new CanceledError(undefined, config), err)
  const code = (err as { code?: unknown } | null)?.code
  const message = err instanceof Error ? err.message : String(err)
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
      // No connection within connectTimeoutMs: nothing was sent. Node's own code for a connect
      // attempt that timed out, so http-failure.ts reports it as `unreachable`.
      return withCause(new AxiosError(message, 'ERR_SOCKET_CONNECTION_TIMEOUT', config), err)
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return timeoutError(config, err)
    case 'UND_ERR_ABORTED':
    case 'UND_ERR_ABORT':
      return withCause(new CanceledError(undefined, config), err)
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
    case 'UND_ERR_DESTROYED':
      // The connection went away under the request (node:http says "socket hang up").
      return withCause(new AxiosError(message, 'ECONNRESET', config), err)
    case 'UND_ERR_RES_EXCEEDED_MAX_SIZE':
      return withCause(new AxiosError(`maxContentLength size of ${config.maxContentLength} exceeded`, AxiosError.ERR_BAD_RESPONSE, config), err)
    case 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH':
      // The connection closed before the declared Content-Length arrived (undici checks it when
      // the socket ends): the exchange broke mid-answer, as a reset does.
      return withCause(new AxiosError(`response body cut short: ${message}`, 'ECONNRESET', config), err)
    case 'UND_ERR_HEADERS_OVERFLOW':
    case 'UND_ERR_INFO':
      return withCause(new AxiosError(message, AxiosError.ERR_BAD_RESPONSE, config), err)
    case 'UND_ERR_INVALID_ARG':
    case 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH':
    case 'UND_ERR_NOT_SUPPORTED':
      return withCause(new AxiosError(message, AxiosError.ERR_BAD_REQUEST, config), err)
    default:
      // An answer llhttp could not read: its HPE_* code when it has one (kept below), else
      // still an unreadable answer (node:http would have said HPE_INVALID_CONSTANT).
      if (err instanceof errors.HTTPParserError && typeof code !== 'string') {
        return withCause(new AxiosError(message, AxiosError.ERR_BAD_RESPONSE, config), err)
      }
      // Node's socket errors (ECONNREFUSED, ENOTFOUND, EPIPE…), TLS errors and llhttp's HPE_*
      // keep their code, as axios keeps them (AxiosError.from).
      return withCause(new AxiosError(message, typeof code === 'string' ? code : undefined, config), err)
  }
}

/** axios' settle(): resolves unless validateStatus says no. */
function settle(response: AxiosResponse): AxiosResponse {
  const validate = response.config.validateStatus
  if (!response.status || !validate || validate(response.status)) return response
  const code = response.status >= 400 && response.status < 500 ? AxiosError.ERR_BAD_REQUEST : AxiosError.ERR_BAD_RESPONSE
  throw new AxiosError(`Request failed with status code ${response.status}`, code, response.config, undefined, response)
}

/**
 * The body decompressed, or undefined for an encoding this does not decode. `maxBytes` (-1: no
 * limit) bounds the output: zlib's `maxOutputLength` (https://nodejs.org/api/zlib.html#class-options)
 * makes the decompression stream count what it produces and stop with ERR_BUFFER_TOO_LARGE
 * once past it — a gzip bomb costs at most the limit, not what it would inflate to.
 */
async function decompress(body: Buffer, encoding: string, maxBytes: number): Promise<Buffer | undefined> {
  const options = maxBytes > -1 ? { maxOutputLength: Math.max(1, maxBytes) } : {}
  switch (encoding) {
    case 'gzip':
    case 'x-gzip':
    case 'compress':
    case 'x-compress':
    case 'deflate':
      if (body.length === 0) return body
      // unzip reads gzip and zlib-wrapped deflate; some servers send raw deflate. A body over
      // the limit is over it whatever its framing: not tried again as raw deflate.
      return unzipAsync(body, options).catch((err: unknown) => {
        if (isTooLarge(err)) throw err
        return inflateRawAsync(body, options)
      })
    case 'br':
      return body.length === 0 ? body : brotliAsync(body, options)
    default:
      return undefined
  }
}

/** zlib's error for an output past `maxOutputLength`. */
function isTooLarge(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'ERR_BUFFER_TOO_LARGE'
}

function decodeText(body: Buffer, encoding: string | undefined): string {
  const text = body.toString((encoding ?? 'utf8') as BufferEncoding)
  return (encoding === undefined || encoding === 'utf8') && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
}

/**
 * One request/response exchange as an undici dispatch handler: the answer is collected into
 * Buffers as it arrives (no stream objects), and the exchange ends — at once, whatever undici
 * is doing — on the caller's abort or the timeout, which also abort the request in undici.
 */
class Exchange implements Dispatcher.DispatchHandler {
  statusCode = 0
  statusText = ''
  headers: IncomingHttpHeaders = {}
  readonly #chunks: Buffer[] = []
  #length = 0
  #controller: Dispatcher.DispatchController | undefined
  #settled = false
  /** Why the exchange ended early, for an undici request that has not started yet. */
  #abortedWith: Error | undefined
  #timer: NodeJS.Timeout | undefined
  readonly #config: InternalAxiosRequestConfig
  readonly #signal: AbortSignal | undefined
  readonly #maxContent: number
  readonly #resolve: (exchange: Exchange) => void
  readonly #reject: (err: AxiosError) => void

  constructor(config: InternalAxiosRequestConfig, resolve: (exchange: Exchange) => void, reject: (err: AxiosError) => void) {
    this.#config = config
    this.#signal = config.signal as AbortSignal | undefined
    this.#maxContent = config.maxContentLength ?? -1
    this.#resolve = resolve
    this.#reject = reject
  }

  /** Arms the timeout and the caller's signal; false when the signal has fired already. */
  start(): boolean {
    const signal = this.#signal
    if (signal) {
      if (signal.aborted) {
        this.#fail(new CanceledError(undefined, this.#config))
        return false
      }
      signal.addEventListener('abort', this.#onAbort)
    }
    const timeout = this.#config.timeout ?? 0
    if (timeout > 0) this.#timer = setTimeout(this.#onTimeout, timeout)
    return true
  }

  body(): Buffer {
    return this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks, this.#length)
  }

  readonly #onAbort = (): void => this.#fail(new CanceledError(undefined, this.#config))
  readonly #onTimeout = (): void => this.#fail(timeoutError(this.#config, undefined))

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller
    if (this.#abortedWith) controller.abort(this.#abortedWith)
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders, statusMessage?: string): void {
    // As axios over node:http: `timeout` runs from the start to the answer's head, then
    // between body chunks (its socket inactivity timeout).
    this.#timer?.refresh()
    if (statusCode < 200) return // 1xx: the final answer follows
    this.statusCode = statusCode
    this.statusText = statusMessage ?? ''
    this.headers = headers
    const declared = Number(headers['content-length'])
    if (this.#maxContent > -1 && declared > this.#maxContent) this.#tooLarge()
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#settled) return
    this.#timer?.refresh()
    this.#length += chunk.length
    if (this.#maxContent > -1 && this.#length > this.#maxContent) return this.#tooLarge()
    this.#chunks.push(chunk)
  }

  onResponseEnd(): void {
    if (this.#settled) return
    this.#settled = true
    this.#cleanup()
    this.#resolve(this)
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, error: Error): void {
    this.#fail(toAxiosError(error, this.#config))
  }

  #tooLarge(): void {
    this.#fail(new AxiosError(`maxContentLength size of ${this.#maxContent} exceeded`, AxiosError.ERR_BAD_RESPONSE, this.#config))
  }

  #fail(err: AxiosError): void {
    if (this.#settled) return
    this.#settled = true
    this.#cleanup()
    this.#abortedWith = err
    this.#controller?.abort(err)
    this.#reject(err)
  }

  #cleanup(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#signal?.removeEventListener('abort', this.#onAbort)
  }
}

export function createUndiciTransport(options: UndiciTransportOptions): UndiciTransport {
  const poolOptions: Agent.Options = {
    connections: options.connections,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 4000,
    maxResponseSize: options.maxResponseBytes,
    connect: { timeout: options.connectTimeoutMs }
  }
  // axios honours HTTP(S)_PROXY/NO_PROXY (proxy-from-env); so does undici's EnvHttpProxyAgent,
  // which costs a URL parse per request: only used when a proxy is configured.
  const proxied = ['http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY'].some((name) => Boolean(process.env[name]))
  const dispatcher = options.dispatcher ?? (proxied ? new EnvHttpProxyAgent(poolOptions) : new Agent(poolOptions))
  const httpAdapter = getAdapter('http')

  const send = async (config: InternalAxiosRequestConfig): Promise<AxiosResponse> => {
    const url = new URL(requestUrl(config))
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new AxiosError(`Unsupported protocol ${url.protocol}`, AxiosError.ERR_BAD_REQUEST, config)
    }
    if (url.username !== '' || url.password !== '') return httpAdapter(config)
    const headers = AxiosHeaders.from(config.headers).normalize(false)
    headers.set('User-Agent', USER_AGENT, false)
    headers.set('Accept-Encoding', ACCEPT_ENCODING, false)
    const body = requestBody(config.data)
    const maxBody = config.maxBodyLength ?? -1
    if (maxBody > -1 && (bodyLength(body) ?? 0) > maxBody) {
      throw new AxiosError('Request body larger than maxBodyLength limit', AxiosError.ERR_BAD_REQUEST, config)
    }
    const method = (config.method ?? 'get').toUpperCase()
    const answer = await new Promise<Exchange>((resolve, reject) => {
      const exchange = new Exchange(config, resolve, reject)
      if (!exchange.start()) return
      try {
        dispatcher.dispatch(
          { origin: url.origin, path: `${url.pathname}${url.search}`, method, headers: plainHeaders(headers), body },
          exchange
        )
      } catch (err) {
        exchange.onResponseError(undefined, err as Error)
      }
    })
    const responseHeaders = AxiosHeaders.from(answer.headers as Record<string, string | string[]>)
    const response: AxiosResponse = {
      data: undefined,
      status: answer.statusCode,
      statusText: answer.statusText || (STATUS_CODES[answer.statusCode] ?? ''),
      headers: responseHeaders,
      config,
      request: { method, host: url.host }
    }
    let raw = answer.body()
    const contentEncoding = String(responseHeaders.get('content-encoding') ?? '').toLowerCase()
    if (config.decompress !== false && contentEncoding !== '' && method !== 'HEAD' && answer.statusCode !== 204) {
      const maxContent = config.maxContentLength ?? -1
      try {
        const unpacked = await decompress(raw, contentEncoding, maxContent)
        if (unpacked !== undefined) {
          raw = unpacked
          responseHeaders.delete('content-encoding')
        }
      } catch (err) {
        // Over the limit once decompressed: the same failure as an answer too large as sent.
        const message = isTooLarge(err) ? `maxContentLength size of ${maxContent} exceeded` : (err as Error).message
        throw withCause(new AxiosError(message, AxiosError.ERR_BAD_RESPONSE, config, undefined, response), err)
      }
    }
    response.data = config.responseType === 'arraybuffer' ? raw : decodeText(raw, config.responseEncoding)
    return settle(response)
  }

  const adapter: AxiosAdapter = (config) => (needsHttpAdapter(config) ? httpAdapter(config) : send(config))
  return {
    adapter,
    dispatcher,
    close: async () => {
      if (options.dispatcher) return
      await dispatcher.destroy()
    }
  }
}
