/**
 * `instance.request(config)`, for the request configs adapters send — `method`, `url`,
 * `params`, `data`, `headers` and `signal`, nothing else — made without axios' per-call
 * pipeline: the same config reaches the same adapter (./undici-adapter.ts), the same response
 * or error comes back.
 *
 * Why: axios' request() merges the instance defaults into every call key by key, checks and
 * flattens the result, and copies headers through several AxiosHeaders: ~30 µs and ~22 KB of
 * garbage per CRM call here, about a tenth of a cache-miss GET's CPU (BENCHMARKS.md, issue 19).
 * These configs need none of it: their headers go over the defaults' as axios orders them
 * (common, the method's, the instance's, the request's), the body through the instance's own
 * transformRequest, the answer through its transformResponse.
 *
 * Anything else — another config key, a body or params of another kind, an interceptor on
 * the instance — goes through `instance.request()` itself, so nothing axios offers is lost.
 * test/adapters/shared/direct-request.test.ts sends each shape both ways and compares what the
 * CRM receives and what the caller gets.
 */
import { AxiosHeaders, CanceledError, isCancel } from 'axios'
import type { AxiosAdapter, AxiosInstance, AxiosResponse, AxiosResponseTransformer, AxiosRequestTransformer, InternalAxiosRequestConfig, RawAxiosHeaders } from 'axios'
import type { SignalledRequest } from './http-client.js'

const SHAPE_KEYS: ReadonlySet<string> = new Set(['method', 'url', 'params', 'data', 'headers', 'signal'])
/** Header buckets of axios' defaults (`headers.common`, `headers.get`…), not headers. */
const BUCKETS: ReadonlySet<string> = new Set(['common', 'delete', 'get', 'head', 'options', 'post', 'put', 'patch', 'purge', 'link', 'unlink', 'query'])
const WITH_BODY: ReadonlySet<string> = new Set(['post', 'put', 'patch'])

/** Made by `{}` or `Object.create(null)`: not a URLSearchParams, an AxiosHeaders or another class's instance. */
function isLiteralObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false
  const proto: unknown = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/** A config adapters send, whose every part this path handles as axios would. */
function isPlainShape(request: SignalledRequest): boolean {
  for (const key of Object.keys(request)) if (!SHAPE_KEYS.has(key)) return false
  const { data, params, headers } = request as { data?: unknown; params?: unknown; headers?: unknown }
  return (
    (params === undefined || params instanceof URLSearchParams || isLiteralObject(params)) &&
    (data === undefined || typeof data === 'string' || data instanceof URLSearchParams || isLiteralObject(data) || Array.isArray(data)) &&
    (headers === undefined || isLiteralObject(headers))
  )
}

function hasInterceptors(instance: AxiosInstance): boolean {
  const used = (handlers: readonly unknown[] | undefined): boolean => handlers?.some((h) => h !== null) ?? false
  return used(instance.interceptors.request.handlers) || used(instance.interceptors.response.handlers)
}

function asList<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value]
}

/**
 * Returns `request(config)`: the response of `instance.request(config)` for the same config.
 * `adapter` is the instance's own (its defaults' `adapter`).
 */
export function directRequest(instance: AxiosInstance, adapter: AxiosAdapter): (request: SignalledRequest) => Promise<AxiosResponse<string>> {
  const defaults = instance.defaults
  return async (request) => {
    // A params serializer in the defaults is normalized by axios per call: its path, not this one.
    if (!isPlainShape(request) || hasInterceptors(instance) || defaults.paramsSerializer != null) return instance.request<string>(request)
    const method = (request.method ?? defaults.method ?? 'get').toLowerCase()
    // axios' order (Axios#_request): common, then the method's bucket, then the instance's
    // own headers, then the request's; later names override earlier ones case-insensitively.
    const defaultHeaders = defaults.headers as unknown as Record<string, unknown>
    const instanceHeaders: Record<string, unknown> = {}
    for (const [name, value] of Object.entries(defaultHeaders)) if (!BUCKETS.has(name)) instanceHeaders[name] = value
    const headers = AxiosHeaders.concat(
      defaultHeaders['common'] as RawAxiosHeaders | undefined,
      defaultHeaders[method] as RawAxiosHeaders | undefined,
      instanceHeaders as RawAxiosHeaders,
      request.headers as RawAxiosHeaders | undefined
    )
    const config = { ...defaults, ...request, method, headers } as InternalAxiosRequestConfig
    // dispatchRequest: the body through transformRequest, then a default content type.
    let data: unknown = request.data
    for (const transform of asList<AxiosRequestTransformer>(defaults.transformRequest)) data = transform.call(config, data, headers)
    config.data = data
    if (WITH_BODY.has(method)) headers.setContentType('application/x-www-form-urlencoded', false)
    if (request.signal.aborted) throw new CanceledError(undefined, config)
    const started = performance.now()
    const answered = (response: AxiosResponse): void => {
      ;(response as { duration?: number }).duration = Math.max(0, Math.round(performance.now() - started))
      let body: unknown = response.data
      for (const transform of asList<AxiosResponseTransformer>(defaults.transformResponse)) body = transform.call(config, body, response.headers as AxiosHeaders, response.status)
      response.data = body
      response.headers = AxiosHeaders.from(response.headers as AxiosHeaders)
    }
    let response: AxiosResponse<string>
    try {
      response = (await adapter(config)) as AxiosResponse<string>
    } catch (err) {
      // As dispatchRequest: a failure after the caller cancelled is the cancellation, and an
      // error carrying a response has that response transformed like any other.
      if (isCancel(err)) throw err
      if (request.signal.aborted) throw new CanceledError(undefined, config)
      const failed = (err as { response?: AxiosResponse } | null)?.response
      if (failed) answered(failed)
      throw err
    }
    if (request.signal.aborted) throw new CanceledError(undefined, config)
    answered(response)
    return response
  }
}
