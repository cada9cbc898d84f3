/**
 * Structured logs without customer data or secrets (CONTRACT §7): bodies are never logged, a
 * request is logged by method, route pattern and id — never its URL: the query string carries
 * search values and an `api_key`, and a path can carry whatever a caller put in the id slot
 * (an e-mail, say) — and credentials headers are redacted wherever they appear.
 */
import { LogController, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify'

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * Answered with a refusal (src/spi/error-catalogue.ts `refusalError`: an open circuit, a
     * throttle, a rate limit, a bad credential), set by sendError: its line is at debug.
     */
    refused: boolean
  }
}

interface RequestLike {
  method?: string
  url?: string
  id?: string
  routeOptions?: { url?: string }
}

export function pathOnly(url: string | undefined): string | undefined {
  if (url === undefined) return undefined
  const q = url.indexOf('?')
  return q === -1 ? url : url.slice(0, q)
}

/** Keys whose value is a credential wherever they appear in a logged object. */
const SECRET_KEYS = ['apiKey', 'api_key', 'password', 'secret', 'secrets', 'client_secret', 'access_token', 'token', 'signingKeys']
const CENSOR = '[redacted]'
/** Keys whose serializer (below) keeps only fields that cannot hold a credential. */
const SERIALIZED_KEYS: ReadonlySet<string> = new Set(['req', 'res', 'err'])

/**
 * Redaction one level down in a log line (what `*.apiKey` and `*.headers.authorization` mean
 * as pino paths): a value's secret keys, and the credential headers of its `headers`. Runs on
 * every line before serialization, so it is a plain walk of the line's own keys that copies
 * only what it censors: the logged objects themselves are never changed.
 */
export function redactNested(credentialHeaders: readonly string[]): (line: Record<string, unknown>) => Record<string, unknown> {
  const headerNames = [...credentialHeaders]
  const censorHeaders = (value: object): object => {
    let out: Record<string, unknown> | undefined
    for (const h of headerNames) {
      if (Object.hasOwn(value, h)) (out ??= { ...value })[h] = CENSOR
    }
    return out ?? value
  }
  const censor = (value: object): object => {
    let out: Record<string, unknown> | undefined
    for (const k of SECRET_KEYS) {
      if (Object.hasOwn(value, k)) (out ??= { ...value })[k] = CENSOR
    }
    const inner = (value as { headers?: unknown }).headers
    if (typeof inner === 'object' && inner !== null) {
      const censored = censorHeaders(inner)
      if (censored !== inner) (out ??= { ...value })['headers'] = censored
    }
    return out ?? value
  }
  return (line) => {
    let out: Record<string, unknown> | undefined
    for (const key in line) {
      const value = line[key]
      if (typeof value !== 'object' || value === null || SERIALIZED_KEYS.has(key) || !Object.hasOwn(line, key)) continue
      const censored = censor(value)
      if (censored !== value) (out ??= { ...line })[key] = censored
    }
    return out ?? line
  }
}

/**
 * @param credentialHeaders lower-case names of headers carrying credentials beyond the usual
 * ones (a client's custom secret or token header), redacted like `authorization`.
 */
/** Pino options (not `true`/`false`), so a caller may add e.g. a destination stream. */
export type LoggerOptions = Exclude<FastifyServerOptions['logger'], boolean | undefined>

export function loggerOptions(level: string, credentialHeaders: readonly string[] = []): LoggerOptions {
  const headers = [...new Set(['authorization', 'x-api-key', 'cookie', 'set-cookie', 'proxy-authorization', ...credentialHeaders])]
  // Top-level paths stay with pino's redaction (it only runs for lines that have those keys);
  // the one-level-deep ones (`*.apiKey`, `*.headers.authorization`) are done by redactNested:
  // pino would run a wildcard redactor over every key of every line (most of a line's cost).
  const nested = redactNested(headers)
  return {
    level,
    redact: {
      paths: [...headers.flatMap((h) => [`req.headers[${JSON.stringify(h)}]`, `headers[${JSON.stringify(h)}]`]), ...SECRET_KEYS],
      censor: CENSOR
    },
    formatters: { log: nested, bindings: nested },
    serializers: {
      req(req: RequestLike) {
        return { method: req.method, route: req.routeOptions?.url, id: req.id }
      },
      res(res: { statusCode?: number }) {
        return { statusCode: res.statusCode }
      },
      err: (err: Error) => serializeError(err)
    }
  }
}

/**
 * An error as type, message, code and stack, its causes likewise — and nothing else: pino's
 * default would add every enumerable property, and an HTTP client's error carries the request
 * config (the CRM's credentials headers, the search values in its params).
 */
export function serializeError(err: unknown, depth = 0): SerializedError {
  if (!(err instanceof Error)) return { type: typeof err, message: '', stack: '' }
  const e = err as Error & { code?: unknown; statusCode?: unknown; status?: unknown }
  const out: SerializedError = { type: e.name, message: e.message, stack: e.stack ?? '' }
  if (typeof e.code === 'string') out['code'] = e.code
  const status = typeof e.statusCode === 'number' ? e.statusCode : e.status
  if (typeof status === 'number') out['statusCode'] = status
  if (e.cause !== undefined && depth < 3) out['cause'] = serializeError(e.cause, depth + 1)
  return out
}

interface SerializedError {
  type: string
  message: string
  stack: string
  [key: string]: unknown
}

/**
 * Fastify's per-request lines log the URL; these log the route pattern, the status, the time
 * taken and the authenticated client instead. The request id is in every line's bindings.
 * A refusal's line is at debug: when refusals come, they come by the thousand (an outage, a
 * till with a stale secret), each counted by the metrics already (answers by status, and the
 * refusal's own counter); a line each at info would cost the refusal path a fifth of its CPU
 * (BENCHMARKS.md, change 15) and bury every other line.
 */
export class GatewayLogController extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    request.log.debug({ method: request.method, route: request.routeOptions.url }, 'incoming request')
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = {
      method: request.method,
      route: request.routeOptions.url,
      statusCode: reply.statusCode,
      responseTimeMs: Math.round(reply.elapsedTime * 10) / 10,
      clientId: request.clientId
    }
    // Fastify passes an error here only when writing the answer failed (the response stream's
    // 'error'): the connection's trouble, which any caller can cause, not a fault of ours —
    // a warning, so that an error-level line always means a 5xx (SECURITY.md § Logs).
    if (error) request.log.warn({ ...line, err: error }, 'request errored')
    else if (request.refused) request.log.debug(line, 'request completed')
    else request.log.info(line, 'request completed')
  }

  override routeNotFound(request: FastifyRequest): void {
    request.log.info({ method: request.method }, 'route not found')
  }
}
