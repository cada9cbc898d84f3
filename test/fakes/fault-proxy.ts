/**
 * A fault-injecting HTTP proxy for tests: it sits on 127.0.0.1 in front of a real upstream (the
 * demo CRM, usually) and forwards every request unchanged until a test tells it to misbehave.
 * The data stays real; only the transport and the answers are made to fail, on demand:
 *
 *   const proxy = await startFaultProxy({ target: crm.baseUrl })
 *   t.teardown(proxy.close)
 *   const adapter = createDemoCrmAdapter({ baseUrl: proxy.url, … })
 *   await proxy.setFault({ kind: 'status', status: 503 }, { times: 5 })   // a burst, then healthy
 *   await proxy.setFault({ kind: 'down' })                                  // ECONNREFUSED
 *   await proxy.setFault({ kind: 'late-answer', delayMs: 2000 })            // applied, answered too late
 *   await proxy.clearFaults()                                               // up again, same port
 *
 * Rules: each setFault adds one rule; a request gets the fault of the NEWEST active rule that
 * matches it (so a later setFault overrides an earlier one where both match), or is forwarded
 * when none does. A rule with `times` retires after that many requests.
 *
 * Counters: `received` counts requests that reached the proxy (a refused or reset-on-connect
 * connection never does); `forwarded` counts requests sent on to the upstream (a `slow` request
 * whose client gave up during the delay never is), and `forwardedRequests()` lists the last
 * 10,000 of them (`keepForwarded`: method, path, traceparent) so a test can assert which calls the CRM saw;
 * `connectionsReset` counts connections a `reset-on-connect` fault reset. `pending` counts
 * requests the proxy holds right now (delayed, hanging or being forwarded, and a `late-answer`
 * exchange until the upstream's answer is in, even when its client left); `whenIdle()` waits
 * for it to reach zero, e.g. to prove that a client's timeout really closed its request, or
 * that the CRM finished a request whose answer nobody waits for any more.
 *
 * Bounded and self-stopping: node:http only, one keep-alive agent to the upstream, request
 * bodies buffered only for `slow` and answers only for `late-answer`/`cut-answer` (each
 * refused or cut over 1 MiB), and close() destroys every socket, timer and upstream request.
 */
import http from 'node:http'
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

/**
 * What the proxy does to a request instead of (or before) forwarding it.
 *
 * - `down`: the proxy stops listening (every open connection is dropped), so clients get
 *   ECONNREFUSED; clearFaults() listens again on the same port. Takes no `times`/`match`:
 *   a refused connection never shows a method or path.
 * - `slow`: waits `delayMs` (plus a random 0..`jitterMs`, default 0), then forwards. When the
 *   client gives up during the wait, the forward is cancelled (not counted in `forwarded`);
 *   during the forward, the upstream request is destroyed. `{ delayMs: 0, jitterMs: 50 }`
 *   stages a healthy CRM adding 0–50 ms of latency.
 * - `hang`: accepts the request and never answers, until the client gives up or close().
 * - `status`: answers `status` (200..599) with `body` (default: a JSON error) and `headers`.
 * - `reset`: reads the request, then resets the connection (the client sees ECONNRESET or
 *   "socket hang up").
 * - `reset-on-connect`: accepts each TCP connection and resets it at once, before reading a
 *   request (a CRM host "accepting then resetting"); a keep-alive connection opened before is
 *   reset at its next request. Like `down`, takes no `times`/`match`; clearFaults() ends it.
 *   Counted in `connectionsReset`, in neither `received` nor `forwarded`.
 * - `late-answer`: forwards at once (the CRM acts) and holds the upstream's complete answer
 *   for `delayMs` before sending it: "the CRM applied the create and answered after the
 *   gateway's deadline". A client that gives up meanwhile does not cancel the upstream
 *   exchange once its request was sent whole (`pending` until the upstream has answered).
 * - `cut-answer`: forwards, sends the upstream's status line, headers (its full
 *   Content-Length) and the first half of the body, then resets the connection: an answer
 *   cut off mid-body after the CRM acted. Counted in `forwarded`.
 * - `garbage`: `status` (default 200) `application/json` whose body is not JSON. Use 201 to
 *   fake a create the CRM "accepted" with an unreadable answer.
 * - `wrong-content-type`: `status` (default 200) `text/html` with an HTML page (a login
 *   page or a proxy's error page).
 * - `throttle-429`: 429 with `Retry-After: <retryAfterSeconds>` (HubSpot, Dataverse).
 * - `salesforce-limit`: Salesforce's answer to an org over its API request limits: 403 with
 *   `[{"message": "…", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]`, the REST API's published
 *   error shape (https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm;
 *   the limits and the REQUEST_LIMIT_EXCEEDED code:
 *   https://developer.salesforce.com/docs/platform/salesforce-app-limits-cheatsheet/guide/salesforce-app-limits-platform-api.html).
 *   Salesforce sends no Retry-After; `retryAfterSeconds` adds one for tests that need it.
 */
export type Fault =
  | { readonly kind: 'down' }
  | { readonly kind: 'slow'; readonly delayMs: number; readonly jitterMs?: number }
  | { readonly kind: 'hang' }
  | {
      readonly kind: 'status'
      readonly status: number
      readonly body?: string
      readonly headers?: Readonly<Record<string, string>>
    }
  | { readonly kind: 'reset' }
  | { readonly kind: 'reset-on-connect' }
  | { readonly kind: 'late-answer'; readonly delayMs: number }
  | { readonly kind: 'cut-answer' }
  | { readonly kind: 'garbage'; readonly status?: number }
  | { readonly kind: 'wrong-content-type'; readonly status?: number }
  | { readonly kind: 'throttle-429'; readonly retryAfterSeconds: number }
  | { readonly kind: 'salesforce-limit'; readonly retryAfterSeconds?: number }

export type FaultKind = Fault['kind']

export interface FaultMatch {
  /** HTTP method, any case. */
  readonly method?: string
  /** Tested against the request's path and query as received, e.g. `/api/v1/contacts?filter=…`. */
  readonly path?: RegExp
}

export interface FaultOptions {
  /** How many matching requests get the fault (a positive integer). Default: all, until cleared. */
  readonly times?: number
  /** Which requests get it. Default: every request. */
  readonly match?: FaultMatch
}

/** A live view of one rule set by setFault. */
export interface FaultRule {
  readonly fault: Fault
  /** Requests this rule's fault was applied to so far. */
  readonly applied: number
  /** Matching requests it will still be applied to: Infinity without `times`, 0 once retired. */
  readonly remaining: number
}

export interface FaultProxy {
  /** `http://127.0.0.1:<port>`; the same for the proxy's whole life, `down` included. */
  readonly url: string
  readonly port: number
  /** Requests that reached the proxy. */
  readonly received: number
  /** Requests sent on to the upstream. */
  readonly forwarded: number
  /** Connections reset by a `reset-on-connect` fault. */
  readonly connectionsReset: number
  /**
   * Requests held right now (delayed, hanging, being forwarded or answered; a `late-answer`
   * exchange until the upstream has answered, even when its client left).
   */
  readonly pending: number
  /** Whether a `down` fault is in effect. */
  readonly isDown: boolean
  /**
   * Adds a fault rule; resolves once it is in effect (for `down`: once the port is closed).
   * Rejects on invalid input, on `down` with options, on any fault while down, after close().
   */
  setFault(fault: Fault, options?: FaultOptions): Promise<FaultRule>
  /** Removes every rule and, when down, listens again on the same port. */
  clearFaults(): Promise<void>
  /**
   * The requests sent on to the upstream, oldest first (the last 10,000, or `keepForwarded`):
   * method, and path with query as received. A snapshot.
   */
  forwardedRequests(): readonly ForwardedRequest[]
  /** Zeroes `received`, `forwarded` and `connectionsReset`, and empties forwardedRequests(). */
  resetCounters(): void
  /** Resolves when no request is pending; rejects after `timeoutMs` (default 2000). */
  whenIdle(timeoutMs?: number): Promise<void>
  /** Destroys every connection, timer and upstream request; idempotent. */
  close(): Promise<void>
}

/** One request sent on to the upstream. */
export interface ForwardedRequest {
  readonly method: string
  /** As received, query included, e.g. `/api/v1/contacts?filter=…` (without the target's prefix). */
  readonly path: string
  /** The W3C trace context the request carried, if any (the gateway's tracing passes it on). */
  readonly traceparent?: string
}

export interface FaultProxyOptions {
  /** The upstream's base URL, `http://host:port[/prefix]`. */
  readonly target: string
  /** How many requests forwardedRequests() keeps, the newest (a positive integer). Default 10,000. */
  readonly keepForwarded?: number
}

// ---------------------------------------------------------------------------------------------

/** Headers that belong to one connection, never forwarded (RFC 9110 §7.6.1). */
const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade'
])

/**
 * A `slow` request's body is buffered during the delay, a `late-answer`/`cut-answer` answer's
 * body until it is sent; more than this is refused (a request) or cut (an answer).
 */
const MAX_BUFFERED_BODY_BYTES = 1024 * 1024

/** forwardedRequests() keeps this many, the newest, unless told otherwise. */
const DEFAULT_KEEP_FORWARDED = 10_000

const JSON_TYPE = 'application/json; charset=utf-8'

/** The default body of a `status` fault. */
const INJECTED_ERROR = JSON.stringify({ error: { code: 'INJECTED_FAULT', message: 'fault injected by the test proxy' } })

/** Declares JSON, is not JSON: starts like a contact and breaks off. */
const GARBAGE_BODY = '{"CONTACT_ID":"C0000\u0000\u00ff<<< not json'

const HTML_BODY = '<!doctype html><html><head><title>Sign in</title></head><body><h1>Please sign in</h1></body></html>'

/** Salesforce's REST error shape (see the Fault type for the source). */
const SALESFORCE_LIMIT_BODY = JSON.stringify([{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }])

/** Request or response headers minus the hop-by-hop ones (and those named in Connection). */
function endToEndHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const named = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter((h) => h !== '')
  )
  const out: OutgoingHttpHeaders = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || named.has(name)) continue
    out[name] = value
  }
  return out
}

function checkFault(fault: Fault, options: FaultOptions | undefined): void {
  const times = options?.times
  if (times !== undefined && (!Number.isInteger(times) || times < 1)) {
    throw new RangeError(`fault proxy: times must be a positive integer, got ${times}`)
  }
  const answerStatus = (status: number | undefined): void => {
    if (status !== undefined && (!Number.isInteger(status) || status < 200 || status > 599)) {
      throw new RangeError(`fault proxy: ${fault.kind} status must be an integer in 200..599, got ${status}`)
    }
  }
  /** A duration in ms; `delayMs` is required, `jitterMs` may be left out. */
  const millis = (name: 'delayMs' | 'jitterMs', value: number | undefined): void => {
    if (value === undefined && name === 'jitterMs') return
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new RangeError(`fault proxy: ${fault.kind} ${name} must be a finite number >= 0, got ${value}`)
    }
  }
  const seconds = (value: number | undefined): void => {
    if (value !== undefined && (!Number.isInteger(value) || value < 0)) {
      throw new RangeError(`fault proxy: ${fault.kind} retryAfterSeconds must be a whole number >= 0, got ${value}`)
    }
  }
  switch (fault.kind) {
    case 'down':
    case 'reset-on-connect':
      if (options?.times !== undefined || options?.match !== undefined) {
        throw new TypeError(`fault proxy: ${fault.kind} takes no times/match (a refused or reset connection shows no request)`)
      }
      return
    case 'slow':
      millis('delayMs', fault.delayMs)
      millis('jitterMs', fault.jitterMs)
      return
    case 'late-answer':
      millis('delayMs', fault.delayMs)
      return
    case 'status':
      answerStatus(fault.status)
      return
    case 'garbage':
    case 'wrong-content-type':
      answerStatus(fault.status)
      return
    case 'throttle-429':
      seconds(fault.retryAfterSeconds)
      return
    case 'salesforce-limit':
      seconds(fault.retryAfterSeconds)
      return
    case 'hang':
    case 'reset':
    case 'cut-answer':
      return
  }
}

/** How forward() passes the upstream's answer on. */
type Delivery =
  | { readonly kind: 'stream' }
  | { readonly kind: 'late'; readonly delayMs: number }
  | { readonly kind: 'cut' }

const STREAM: Delivery = { kind: 'stream' }

interface Rule {
  readonly fault: Exclude<Fault, { kind: 'down' | 'reset-on-connect' }>
  readonly method: string | undefined
  readonly path: RegExp | undefined
  applied: number
  remaining: number
}

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(options.target)
  if (target.protocol !== 'http:') throw new TypeError(`fault proxy: target must be an http:// URL, got ${options.target}`)
  const prefix = target.pathname.replace(/\/+$/, '')
  const keepForwarded = options.keepForwarded ?? DEFAULT_KEEP_FORWARDED
  if (!Number.isInteger(keepForwarded) || keepForwarded < 1) {
    throw new RangeError(`fault proxy: keepForwarded must be a positive integer, got ${keepForwarded}`)
  }

  const agent = new http.Agent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 16 })
  const sockets = new Set<Socket>()
  const timers = new Set<NodeJS.Timeout>()
  const upstreams = new Set<http.ClientRequest>()
  const idleWaiters = new Set<() => void>()
  let rules: Rule[] = []
  let received = 0
  let forwarded = 0
  let connectionsReset = 0
  let forwardLog: ForwardedRequest[] = []
  let pending = 0
  let down = false
  /** The `reset-on-connect` fault in effect (its applications), if any. */
  let resetOnConnect: { applied: number } | undefined
  let closed = false

  const server = http.createServer((req, res) => handle(req, res))
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
    // Before anything is read: the server's parser reads on a later tick.
    if (resetOnConnect !== undefined) resetConnection(socket)
  })
  // A client that sends something unreadable, or resets during a request: drop that socket only.
  server.on('clientError', (_err, socket: Socket) => socket.destroy())

  const listen = (port: number): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(err)
      server.once('error', onError)
      server.listen({ host: '127.0.0.1', port }, () => {
        server.off('error', onError)
        resolve()
      })
    })

  const stopListening = (): Promise<void> =>
    new Promise<void>((resolve) => {
      if (!server.listening) {
        resolve()
        return
      }
      server.close(() => resolve())
      server.closeAllConnections()
      for (const socket of sockets) socket.destroy()
    })

  await listen(0)
  const { port } = server.address() as AddressInfo
  const url = `http://127.0.0.1:${port}`

  /** Resolves true once nothing is pending, false after `timeoutMs`. */
  function idle(timeoutMs: number): Promise<boolean> {
    if (pending === 0) return Promise.resolve(true)
    return new Promise<boolean>((resolve) => {
      const wake = (): void => {
        clearTimeout(timer)
        idleWaiters.delete(wake)
        resolve(true)
      }
      const timer = setTimeout(() => {
        idleWaiters.delete(wake)
        resolve(false)
      }, timeoutMs)
      idleWaiters.add(wake)
    })
  }

  function settle(): void {
    pending--
    if (pending === 0) for (const wake of [...idleWaiters]) wake()
  }

  /** `reset-on-connect`: an RST instead of an answer; no request is counted. */
  function resetConnection(socket: Socket): void {
    if (socket.destroyed || resetOnConnect === undefined) return
    connectionsReset++
    resetOnConnect.applied++
    socket.resetAndDestroy()
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    if (resetOnConnect !== undefined) {
      // A keep-alive connection opened before the fault was set: reset at its next request.
      resetConnection(req.socket)
      return
    }
    received++
    pending++
    res.once('close', settle)
    const rule = takeRule(req)
    if (rule === undefined) {
      forward(req, res)
      return
    }
    apply(rule.fault, req, res)
  }

  /** The newest matching active rule, with one application counted; undefined: forward. */
  function takeRule(req: IncomingMessage): Rule | undefined {
    const method = (req.method ?? '').toUpperCase()
    const path = req.url ?? '/'
    for (let i = rules.length - 1; i >= 0; i--) {
      const rule = rules[i]
      if (rule === undefined || rule.remaining <= 0) continue
      if (rule.method !== undefined && rule.method !== method) continue
      if (rule.path !== undefined) {
        rule.path.lastIndex = 0 // a /g or /y pattern must not remember the previous request
        if (!rule.path.test(path)) continue
      }
      rule.applied++
      rule.remaining--
      if (rule.remaining === 0) rules = rules.filter((r) => r !== rule) // retired
      return rule
    }
    return undefined
  }

  function answer(res: ServerResponse, status: number, headers: OutgoingHttpHeaders, body: string): void {
    if (res.destroyed || res.headersSent) return
    res.writeHead(status, { 'content-length': Buffer.byteLength(body), ...headers })
    res.end(body)
  }

  function apply(fault: Rule['fault'], req: IncomingMessage, res: ServerResponse): void {
    switch (fault.kind) {
      case 'slow':
        delayThenForward(req, res, fault.delayMs + Math.random() * (fault.jitterMs ?? 0))
        return
      case 'late-answer':
        forward(req, res, undefined, { kind: 'late', delayMs: fault.delayMs })
        return
      case 'cut-answer':
        forward(req, res, undefined, { kind: 'cut' })
        return
      case 'hang':
        req.resume() // read the body, answer nothing
        return
      case 'reset':
        req.resume()
        req.once('end', () => req.socket.resetAndDestroy())
        return
      case 'status':
        req.resume()
        answer(res, fault.status, { 'content-type': JSON_TYPE, ...fault.headers }, fault.body ?? INJECTED_ERROR)
        return
      case 'garbage':
        req.resume()
        answer(res, fault.status ?? 200, { 'content-type': JSON_TYPE }, GARBAGE_BODY)
        return
      case 'wrong-content-type':
        req.resume()
        answer(res, fault.status ?? 200, { 'content-type': 'text/html; charset=utf-8' }, HTML_BODY)
        return
      case 'throttle-429':
        req.resume()
        answer(
          res,
          429,
          { 'content-type': JSON_TYPE, 'retry-after': String(fault.retryAfterSeconds) },
          JSON.stringify({ error: { code: 'RATE_LIMITED', message: 'too many requests' } })
        )
        return
      case 'salesforce-limit':
        req.resume()
        answer(
          res,
          403,
          {
            'content-type': 'application/json;charset=UTF-8',
            ...(fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) })
          },
          SALESFORCE_LIMIT_BODY
        )
        return
    }
  }

  /**
   * `slow`: the body is read into memory while waiting (so a client that gives up is noticed
   * at once), then forwarded after `delayMs` unless the client is gone by then.
   */
  function delayThenForward(req: IncomingMessage, res: ServerResponse, delayMs: number): void {
    const chunks: Buffer[] = []
    let size = 0
    let body: Buffer | undefined
    let due = false
    const go = (): void => {
      if (!due || body === undefined || res.destroyed || closed) return
      forward(req, res, body)
    }
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_BUFFERED_BODY_BYTES) {
        answer(res, 413, { 'content-type': JSON_TYPE, connection: 'close' }, INJECTED_ERROR)
        req.socket.destroy()
        return
      }
      chunks.push(chunk)
    })
    req.once('end', () => {
      body = Buffer.concat(chunks)
      go()
    })
    const timer = setTimeout(() => {
      timers.delete(timer)
      due = true
      go()
    }, delayMs)
    timers.add(timer)
    res.once('close', () => {
      clearTimeout(timer)
      timers.delete(timer)
    })
  }

  /**
   * Streams the request to the upstream and its answer back (or, per `delivery`, holds the
   * answer for a while or cuts it off). `body`: already read.
   */
  function forward(req: IncomingMessage, res: ServerResponse, body?: Buffer, delivery: Delivery = STREAM): void {
    if (res.destroyed || closed) return
    const headers = endToEndHeaders(req.headers)
    headers.host = target.host
    if (body !== undefined) headers['content-length'] = body.length
    const upstream = http.request({
      protocol: target.protocol,
      hostname: target.hostname,
      port: target.port,
      method: req.method,
      path: `${prefix}${req.url ?? '/'}`,
      headers,
      agent
    })
    forwarded++
    const traceparent = req.headers['traceparent']
    forwardLog.push({ method: req.method ?? 'GET', path: req.url ?? '/', ...(typeof traceparent === 'string' ? { traceparent } : {}) })
    if (forwardLog.length > keepForwarded) forwardLog.shift()
    upstreams.add(upstream)
    upstream.once('close', () => upstreams.delete(upstream))
    const late = delivery.kind === 'late'
    if (late) {
      // Held until the upstream exchange is over, which may outlive the client's request.
      pending++
      upstream.once('close', settle)
    }
    let answered = false
    // The client gave up (or the proxy went down): nothing may keep running upstream, except
    // a `late-answer` request the upstream got whole (the CRM acts on it, answers unheard).
    res.once('close', () => {
      if (res.writableFinished || answered) return
      if (late && (body !== undefined || req.complete)) return
      upstream.destroy()
    })
    upstream.on('response', (answerIn) => {
      if (delivery.kind !== 'stream') {
        holdAnswer(answerIn, res, delivery, () => (answered = true))
        return
      }
      if (res.destroyed) {
        answerIn.resume()
        return
      }
      res.writeHead(answerIn.statusCode ?? 502, endToEndHeaders(answerIn.headers))
      answerIn.pipe(res)
      // An answer cut short upstream is cut short for the client too, never passed as whole.
      answerIn.once('close', () => {
        if (!answerIn.complete) res.destroy()
      })
    })
    upstream.on('error', () => {
      // The upstream is unreachable or dropped us: a gateway error, or a cut answer.
      if (!res.headersSent) {
        answer(res, 502, { 'content-type': JSON_TYPE }, JSON.stringify({ error: { code: 'PROXY_UPSTREAM_FAILED' } }))
      } else {
        res.destroy()
      }
    })
    if (body !== undefined) upstream.end(body)
    else req.pipe(upstream)
  }

  /**
   * `late-answer` / `cut-answer`: reads the upstream's whole answer (even when the client has
   * left, so the exchange completes), then sends it after `delayMs`, or sends its status,
   * headers and first half and resets the connection. `onComplete`: the answer is all in.
   */
  function holdAnswer(answerIn: IncomingMessage, res: ServerResponse, delivery: Delivery, onComplete: () => void): void {
    const chunks: Buffer[] = []
    let size = 0
    answerIn.on('data', (chunk: Buffer) => {
      if (size > MAX_BUFFERED_BODY_BYTES) return // already cut; read on to the end
      size += chunk.length
      if (size > MAX_BUFFERED_BODY_BYTES) {
        chunks.length = 0
        res.destroy()
        return
      }
      chunks.push(chunk)
    })
    answerIn.once('close', () => {
      if (!answerIn.complete) {
        res.destroy() // cut short upstream: cut short for the client too
        return
      }
      onComplete()
      if (res.destroyed || closed) return
      const status = answerIn.statusCode ?? 502
      const headers = endToEndHeaders(answerIn.headers)
      const whole = Buffer.concat(chunks)
      if (delivery.kind === 'late') {
        headers['content-length'] ??= whole.length
        const timer = setTimeout(() => {
          timers.delete(timer)
          if (res.destroyed) return
          res.writeHead(status, headers)
          res.end(whole)
        }, delivery.delayMs)
        timers.add(timer)
        res.once('close', () => {
          clearTimeout(timer)
          timers.delete(timer)
        })
        return
      }
      // cut: the full length is announced, about half of it arrives (at least one byte of a
      // body of two or more, never all of it; an empty body leaves nothing to cut), then an
      // RST once that has left.
      headers['content-length'] = whole.length
      res.writeHead(status, headers)
      res.flushHeaders()
      const part = whole.subarray(0, Math.min(Math.ceil(whole.length / 2), whole.length - 1))
      res.write(part, () => res.socket?.resetAndDestroy())
    })
  }

  const proxy: FaultProxy = {
    url,
    port,
    get received() {
      return received
    },
    get forwarded() {
      return forwarded
    },
    get connectionsReset() {
      return connectionsReset
    },
    get pending() {
      return pending
    },
    get isDown() {
      return down
    },

    async setFault(fault: Fault, faultOptions?: FaultOptions): Promise<FaultRule> {
      if (closed) throw new Error('fault proxy: closed')
      checkFault(fault, faultOptions)
      if (down) throw new Error('fault proxy: down; clearFaults() brings it back before another fault')
      if (fault.kind === 'down') {
        down = true
        await stopListening()
        return { fault, applied: 0, remaining: Number.POSITIVE_INFINITY }
      }
      if (fault.kind === 'reset-on-connect') {
        const active = (resetOnConnect ??= { applied: 0 })
        return {
          fault,
          get applied() {
            return active.applied
          },
          get remaining() {
            return resetOnConnect === active ? Number.POSITIVE_INFINITY : 0
          }
        }
      }
      const rule: Rule = {
        fault,
        method: faultOptions?.match?.method?.toUpperCase(),
        path: faultOptions?.match?.path,
        applied: 0,
        remaining: faultOptions?.times ?? Number.POSITIVE_INFINITY
      }
      rules.push(rule)
      return {
        fault,
        get applied() {
          return rule.applied
        },
        get remaining() {
          return rules.includes(rule) ? rule.remaining : 0
        }
      }
    },

    async clearFaults(): Promise<void> {
      rules = []
      resetOnConnect = undefined
      if (!down || closed) return
      await listen(port)
      down = false
    },

    forwardedRequests(): readonly ForwardedRequest[] {
      return forwardLog.slice()
    },

    resetCounters(): void {
      received = 0
      forwarded = 0
      connectionsReset = 0
      forwardLog = []
    },

    async whenIdle(timeoutMs = 2000): Promise<void> {
      if (!(await idle(timeoutMs))) {
        throw new Error(`fault proxy: still ${pending} pending request(s) after ${timeoutMs} ms`)
      }
    },

    async close(): Promise<void> {
      if (closed) return
      closed = true
      rules = []
      resetOnConnect = undefined
      for (const timer of timers) clearTimeout(timer)
      timers.clear()
      for (const upstream of upstreams) upstream.destroy()
      agent.destroy()
      await stopListening()
      for (const socket of sockets) socket.destroy()
      // Every response's 'close' follows its socket's within a few ticks: wait for them, so
      // that `pending` is 0 and nothing of ours runs once close() has resolved.
      await idle(1000)
    }
  }
  return proxy
}
