/**
 * The fault proxy (./fault-proxy.ts) in front of the REAL demo CRM (in-process, 127.0.0.1, a
 * temp data file), driven through the REAL demo-crm adapter: every fault mode × every adapter
 * operation ends in the failure kind (CrmFailure) the gateway relies on, nothing leaks to the
 * CRM while a fault is set, bursts and matches apply where they should, `down` recovers on the
 * same port, and close() leaves nothing running. The faults where the upstream acts
 * (late-answer, cut-answer), reset-on-connect, slow's jitter and forwardedRequests() are also
 * tested against a small plain node:http upstream that records each exchange. Real sockets,
 * real time: timeouts are kept short.
 */
import http from 'node:http'
import type { IncomingHttpHeaders } from 'node:http'
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { createDemoCrmAdapter } from '../../adapters/demo-crm/index.js'
import type { CallContext, CrmAdapter, CrmFailureKind, CrmRecord } from '../../src/core/port.js'
import { TEST_API_KEY, call, startDemoCrm } from '../demo-crm/fixtures/harness.js'
import type { RunningCrm } from '../demo-crm/fixtures/harness.js'
import { silentLogger } from '../helpers/silent-logger.js'
import { startFaultProxy } from './fault-proxy.js'
import type { Fault, FaultProxy } from './fault-proxy.js'
import { crmFailure as failure } from '../helpers/expect-failure.js'

/** The adapter's per-request timeout: long enough that a loaded 2-core CI machine answers a healthy call in time. */
const TIMEOUT_MS = 600
/** A `slow` delay comfortably beyond it. */
const SLOW_MS = 900

interface Teardown {
  teardown(fn: () => unknown): void
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

function context(signal: AbortSignal = new AbortController().signal): CallContext {
  return { signal, log: silentLogger, requestId: 'req-fault' }
}

function adapterFor(t: Teardown, baseUrl: string, requestTimeoutMs = TIMEOUT_MS): CrmAdapter {
  const adapter = createDemoCrmAdapter({ baseUrl, settings: { apiKey: TEST_API_KEY }, requestTimeoutMs, log: silentLogger })
  t.teardown(() => adapter.close?.())
  return adapter
}

/** What a promise settles with, observed at once (so a later rejection is never unhandled). */
function outcome(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => value,
    (err: unknown) => err
  )
}

interface RawAnswer {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly body: string
}

/** One request on a fresh connection (no pool left behind), with no timeout of its own. */
function raw(
  baseUrl: string,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {}
): Promise<RawAnswer> {
  return new Promise<RawAnswer>((resolve, reject) => {
    const req = http.request(`${baseUrl}${path}`, { method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(options.body)
  })
}

/** Resolves with the error code of a TCP connection attempt (undefined: it connected). */
function connectOutcome(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port })
    socket.once('connect', () => {
      socket.destroy()
      resolve(undefined)
    })
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message))
  })
}

/** Polls `check` every 10 ms until it holds or `withinMs` passes; returns whether it held. */
async function eventually(check: () => boolean, withinMs = 1000): Promise<boolean> {
  const until = Date.now() + withinMs
  while (!check()) {
    if (Date.now() > until) return false
    await sleep(10)
  }
  return true
}

const ANA = { FNAME: 'Ana', LNAME: 'Okafor', EMAIL: 'ana@example.com', MOBILE_PHONE: '(415) 555-0142' }

interface Setup {
  readonly crm: RunningCrm
  readonly proxy: FaultProxy
  readonly adapter: CrmAdapter
  /** A contact created through the healthy proxy. */
  readonly ana: CrmRecord & { CONTACT_ID: string }
}

/** The real CRM, the proxy in front of it, the adapter pointed at the proxy, one contact. */
async function setup(t: Teardown): Promise<Setup> {
  const crm = await startDemoCrm(t)
  const proxy = await startFaultProxy({ target: crm.baseUrl })
  t.teardown(() => proxy.close())
  const adapter = adapterFor(t, proxy.url)
  const ana = (await adapter.createCustomer(ANA, context())) as CrmRecord & { CONTACT_ID: string }
  proxy.resetCounters()
  return { crm, proxy, adapter, ana }
}

/** How many contacts the CRM holds, asked directly (not through the proxy). */
async function crmTotal(crm: RunningCrm): Promise<number> {
  const answer = await call(crm, 'GET', '/api/v1/contacts?size=100')
  return (answer.body as { total: number }).total
}

type Op = 'get' | 'search' | 'create' | 'update'
const OPS: readonly Op[] = ['get', 'search', 'create', 'update']

function run(adapter: CrmAdapter, op: Op, id: string, ctx: CallContext = context()): Promise<unknown> {
  switch (op) {
    case 'get':
      return adapter.getCustomer(id, ctx)
    case 'search':
      return adapter.searchCustomers({ criteria: [{ fields: ['EMAIL'], operator: 'equals', value: ANA.EMAIL }], offset: 0, limit: 5 }, ctx)
    case 'create':
      return adapter.createCustomer({ FNAME: 'Ben', LNAME: 'Adeyemi', EMAIL: 'ben@example.com' }, ctx)
    case 'update':
      return adapter.updateCustomer(id, { NOTES: 'changed under a fault' }, ctx)
  }
}

t.test('healthy: requests and answers pass through unchanged, on real data', async (t) => {
  const { crm, proxy, adapter, ana } = await setup(t)
  const ctx = context()
  t.match(ana, { CONTACT_ID: 'C00000001', FNAME: 'Ana', VERSION: 1 }, 'create through the proxy: body and method forwarded')
  t.same(await adapter.getCustomer(ana.CONTACT_ID, ctx), ana, 'get: the stored contact')
  const page = await run(adapter, 'search', ana.CONTACT_ID, ctx)
  t.match(page, { records: [{ CONTACT_ID: ana.CONTACT_ID }], total: 1 }, 'search: the query string is forwarded (filter applied)')
  const updated = await adapter.updateCustomer(ana.CONTACT_ID, { LNAME: 'Okafor-Smith' }, ctx)
  t.match(updated, { LNAME: 'Okafor-Smith', VERSION: 2 }, 'update: PATCH with its body')
  t.equal(await adapter.getCustomer('C00000999', ctx), null, 'a real 404 passes through (not a fault)')
  t.same([proxy.received, proxy.forwarded], [4, 4], 'every request reached the proxy and the CRM')

  const direct = await call(crm, 'GET', `/api/v1/contacts/${ana.CONTACT_ID}`)
  const viaProxy = await raw(proxy.url, `/api/v1/contacts/${ana.CONTACT_ID}`, { headers: { 'x-api-key': TEST_API_KEY } })
  t.same(JSON.parse(viaProxy.body), direct.body, 'the body through the proxy is the CRM’s')
  t.equal(viaProxy.headers.etag, '"2"', 'response headers come back (ETag)')
  t.equal((await raw(proxy.url, `/api/v1/contacts/${ana.CONTACT_ID}`)).status, 401, 'request headers are forwarded as sent: no key → the CRM’s 401')
  const chunked = await raw(proxy.url, '/api/v1/contacts', {
    method: 'POST',
    headers: { 'x-api-key': TEST_API_KEY, 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
    body: JSON.stringify({ FNAME: 'Chunked', EMAIL: 'chunk@example.com' })
  })
  t.match([chunked.status, JSON.parse(chunked.body)], [201, { FNAME: 'Chunked' }], 'a chunked request body is streamed through')
  await proxy.whenIdle()
  t.equal(proxy.pending, 0, 'nothing pending afterwards')
})

t.test('every fault × every adapter operation → the failure kind', async (t) => {
  const { crm, proxy, adapter, ana } = await setup(t)
  const totalBefore = await crmTotal(crm)

  interface Row {
    readonly fault: Fault
    /** A create expects 201: the body faults use it there, so the body is what is wrong. */
    readonly createFault?: Fault
    readonly kind: CrmFailureKind
    readonly retryAfterSeconds?: number
  }
  const rows: Row[] = [
    { fault: { kind: 'down' }, kind: 'unreachable' },
    { fault: { kind: 'reset' }, kind: 'interrupted' },
    { fault: { kind: 'slow', delayMs: SLOW_MS }, kind: 'timeout' },
    { fault: { kind: 'hang' }, kind: 'timeout' },
    { fault: { kind: 'status', status: 500 }, kind: 'failed' },
    { fault: { kind: 'status', status: 502, body: '<h1>Bad Gateway</h1>', headers: { 'content-type': 'text/html' } }, kind: 'failed' },
    { fault: { kind: 'status', status: 503 }, kind: 'failed' },
    { fault: { kind: 'garbage' }, createFault: { kind: 'garbage', status: 201 }, kind: 'bad-response' },
    { fault: { kind: 'wrong-content-type' }, createFault: { kind: 'wrong-content-type', status: 201 }, kind: 'bad-response' },
    { fault: { kind: 'throttle-429', retryAfterSeconds: 7 }, kind: 'throttled', retryAfterSeconds: 7 },
    { fault: { kind: 'salesforce-limit' }, kind: 'quota-exhausted' },
    { fault: { kind: 'salesforce-limit', retryAfterSeconds: 20 }, kind: 'quota-exhausted', retryAfterSeconds: 20 }
  ]

  for (const row of rows) {
    const label = `${row.fault.kind}${row.fault.kind === 'status' ? ` ${row.fault.status}` : ''}${
      'retryAfterSeconds' in row.fault && row.fault.retryAfterSeconds !== undefined ? ` (Retry-After ${row.fault.retryAfterSeconds})` : ''
    }`
    proxy.resetCounters()
    const setAt = Date.now()
    if (row.createFault === undefined) {
      await proxy.setFault(row.fault)
    } else {
      await proxy.setFault(row.fault)
      await proxy.setFault(row.createFault, { match: { method: 'POST' } })
    }
    // down: let the adapter's pooled socket see its connection closed first (a request sent on
    // it in the same instant is `interrupted`, not `unreachable`).
    if (row.fault.kind === 'down') t.equal(await connectOutcome(proxy.port), 'ECONNREFUSED', 'down: refused')
    const outcomes = await Promise.all(
      OPS.map(async (op) => {
        const started = Date.now()
        const err = await failure(run(adapter, op, ana.CONTACT_ID))
        return { op, err, tookMs: Date.now() - started }
      })
    )
    for (const { op, err, tookMs } of outcomes) {
      t.equal(err.kind, row.kind, `${label} × ${op} → ${row.kind}`)
      t.equal(err.retryAfterSeconds, row.retryAfterSeconds, `${label} × ${op}: retryAfterSeconds ${row.retryAfterSeconds ?? 'none'}`)
      t.ok(tookMs < TIMEOUT_MS + 1000, `${label} × ${op}: answered within the deadline (${tookMs} ms)`)
    }
    await proxy.whenIdle()
    if (row.fault.kind === 'slow') {
      // Let the delay run out: a forward not cancelled would reach the CRM now.
      await sleep(Math.max(0, setAt + SLOW_MS + 60 - Date.now()))
    }
    t.equal(proxy.received, row.fault.kind === 'down' ? 0 : OPS.length, `${label}: requests that reached the proxy`)
    t.equal(proxy.forwarded, 0, `${label}: none reached the CRM`)
    await proxy.clearFaults()
  }

  t.equal(await crmTotal(crm), totalBefore, 'no create leaked to the CRM under any fault')
  t.same(await adapter.getCustomer(ana.CONTACT_ID, context()), ana, 'no update leaked either; healthy again after clearFaults')
})

t.test('slow: under the deadline it answers late with the real data; past it, the forward is cancelled', async (t) => {
  const { crm, proxy, adapter, ana } = await setup(t)
  await proxy.setFault({ kind: 'slow', delayMs: 60 })
  const started = Date.now()
  t.same(await adapter.getCustomer(ana.CONTACT_ID, context()), ana, 'a delay under the timeout: the real contact')
  t.ok(Date.now() - started >= 55, 'after the delay')
  t.equal(proxy.forwarded, 1, 'forwarded once the delay passed')
  await proxy.clearFaults()

  // The caller's deadline (ctx.signal, as the breaker's timeout does) rather than the adapter's.
  const patient = adapterFor(t, proxy.url, 5000)
  await proxy.setFault({ kind: 'slow', delayMs: 200 })
  const before = await crmTotal(crm)
  const deadline = AbortSignal.timeout(50)
  const err = await failure(run(patient, 'create', '', context(deadline)))
  t.equal(err.kind, 'timeout', 'an aborted signal → timeout')
  await proxy.whenIdle()
  t.equal(proxy.pending, 0, 'the proxy saw the client give up')
  await sleep(220)
  t.equal(proxy.forwarded, 1, 'the delayed create was never forwarded')
  t.equal(await crmTotal(crm), before, 'and no contact was created')
})

t.test('times: a burst of five 503s, then healthy', async (t) => {
  const { proxy, adapter, ana } = await setup(t)
  const rule = await proxy.setFault({ kind: 'status', status: 503 }, { times: 5 })
  t.equal(rule.remaining, 5, 'five to go')
  for (let i = 1; i <= 5; i++) {
    t.equal((await failure(adapter.getCustomer(ana.CONTACT_ID, context()))).kind, 'failed', `call ${i}: 503 → failed`)
  }
  t.same([rule.applied, rule.remaining], [5, 0], 'the rule is spent')
  t.same(await adapter.getCustomer(ana.CONTACT_ID, context()), ana, 'call 6: healthy, without clearFaults')
  t.same([proxy.received, proxy.forwarded], [6, 1], 'six received, only the healthy one forwarded')

  await t.rejects(proxy.setFault({ kind: 'hang' }, { times: 0 }), RangeError, 'times must be positive')
  await t.rejects(proxy.setFault({ kind: 'status', status: 99 }), RangeError, 'status must be 200..599')
  await t.rejects(proxy.setFault({ kind: 'slow', delayMs: -1 }), RangeError, 'delayMs must be >= 0')
  await t.rejects(proxy.setFault({ kind: 'throttle-429', retryAfterSeconds: 1.5 }), RangeError, 'whole seconds')
})

t.test('match: by method and by path; the newest matching rule wins', async (t) => {
  const { proxy, adapter, ana } = await setup(t)
  const ctx = context()
  await proxy.setFault({ kind: 'status', status: 500 }, { match: { method: 'post' } })
  t.equal((await failure(run(adapter, 'create', ana.CONTACT_ID, ctx))).kind, 'failed', 'POST gets the fault')
  t.same(await adapter.getCustomer(ana.CONTACT_ID, ctx), ana, 'GET does not')
  await proxy.clearFaults()

  await proxy.setFault({ kind: 'throttle-429', retryAfterSeconds: 3 }, { match: { path: /^\/api\/v1\/contacts\?/g } })
  for (let i = 0; i < 2; i++) {
    const err = await failure(run(adapter, 'search', ana.CONTACT_ID, ctx))
    t.same([err.kind, err.retryAfterSeconds], ['throttled', 3], `search (path + query) matched, time ${i + 1} (a /g pattern keeps matching)`)
  }
  t.same(await adapter.getCustomer(ana.CONTACT_ID, ctx), ana, 'a contact path does not match')
  await proxy.setFault({ kind: 'garbage' }, { match: { method: 'GET' } })
  t.equal((await failure(run(adapter, 'search', ana.CONTACT_ID, ctx))).kind, 'bad-response', 'the newer rule wins where both match')
  t.equal((await failure(run(adapter, 'get', ana.CONTACT_ID, ctx))).kind, 'bad-response', 'and applies alone where only it matches')
})

t.test('the answers each fault sends, on the wire', async (t) => {
  const { proxy } = await setup(t)
  const key = { 'x-api-key': TEST_API_KEY }
  await proxy.setFault({ kind: 'salesforce-limit' }, { times: 1 })
  const sf = await raw(proxy.url, '/api/v1/contacts/C00000001', { headers: key })
  t.equal(sf.status, 403)
  t.match(sf.headers['content-type'], /^application\/json/)
  t.same(JSON.parse(sf.body), [{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }], 'Salesforce’s published error shape')
  t.equal(sf.headers['retry-after'], undefined, 'no Retry-After unless asked')

  await proxy.setFault({ kind: 'throttle-429', retryAfterSeconds: 9 }, { times: 1 })
  const throttled = await raw(proxy.url, '/api/v1/contacts/C00000001', { headers: key })
  t.same([throttled.status, throttled.headers['retry-after']], [429, '9'], '429 + Retry-After')

  await proxy.setFault({ kind: 'status', status: 503, body: '{"x":1}', headers: { 'retry-after': '4', 'content-type': 'application/problem+json' } }, { times: 1 })
  const custom = await raw(proxy.url, '/api/v1/contacts/C00000001', { headers: key })
  t.same([custom.status, custom.headers['retry-after'], custom.headers['content-type'], custom.body], [503, '4', 'application/problem+json', '{"x":1}'], 'status with its own body and headers')

  await proxy.setFault({ kind: 'garbage' }, { times: 1 })
  const garbage = await raw(proxy.url, '/api/v1/contacts/C00000001', { headers: key })
  t.match([garbage.status, garbage.headers['content-type']], [200, /^application\/json/], 'garbage: 200 JSON…')
  t.throws(() => JSON.parse(garbage.body) as unknown, SyntaxError, '…whose body is not JSON')

  await proxy.setFault({ kind: 'wrong-content-type' }, { times: 1 })
  const html = await raw(proxy.url, '/api/v1/contacts/C00000001', { headers: key })
  t.match([html.status, html.headers['content-type'], html.body], [200, /^text\/html/, /<html>/], 'wrong content type: 200 text/html')

  await proxy.setFault({ kind: 'reset' }, { times: 1 })
  await t.rejects(raw(proxy.url, '/api/v1/contacts/C00000001', { headers: key }), { code: 'ECONNRESET' }, 'reset: ECONNRESET')
  t.same([proxy.received, proxy.forwarded], [6, 0], 'none of these reached the CRM')
})

t.test('down: connections are refused; clearing listens again on the same port', async (t) => {
  const { proxy, adapter, ana } = await setup(t)
  const { url, port } = proxy
  t.equal(await connectOutcome(port), undefined, 'up: connections are accepted')
  await proxy.setFault({ kind: 'down' })
  t.ok(proxy.isDown, 'down')
  t.equal(await connectOutcome(port), 'ECONNREFUSED', 'down: ECONNREFUSED')
  t.equal((await failure(adapter.getCustomer(ana.CONTACT_ID, context()))).kind, 'unreachable', 'the adapter (with a pooled socket from before) → unreachable')
  t.equal(proxy.received, 0, 'nothing reached the proxy')
  await t.rejects(proxy.setFault({ kind: 'hang' }), /down; clearFaults\(\)/, 'no other fault while down')
  await t.rejects(proxy.setFault({ kind: 'down' }, { times: 1 }), /down takes no times\/match/, 'down takes no options')

  await proxy.clearFaults()
  t.notOk(proxy.isDown, 'up again')
  t.same([proxy.url, proxy.port], [url, port], 'on the same URL and port')
  t.same(await adapter.getCustomer(ana.CONTACT_ID, context()), ana, 'the same adapter recovers by itself')
  t.same([proxy.received, proxy.forwarded], [1, 1], 'and its call reached the CRM')
})

t.test('hang: the client gives up; close() ends what is still hanging', async (t) => {
  const { proxy, adapter, ana } = await setup(t)
  await proxy.setFault({ kind: 'hang' })
  const started = Date.now()
  t.equal((await failure(adapter.getCustomer(ana.CONTACT_ID, context()))).kind, 'timeout', 'no answer → timeout')
  t.ok(Date.now() - started >= TIMEOUT_MS - 10, 'after the adapter timeout')
  await proxy.whenIdle()
  t.equal(proxy.pending, 0, 'the proxy saw the client leave')

  const waiting = outcome(raw(proxy.url, `/api/v1/contacts/${ana.CONTACT_ID}`, { headers: { 'x-api-key': TEST_API_KEY } }))
  t.ok(await eventually(() => proxy.pending === 1), 'a request without a timeout hangs')
  await t.rejects(proxy.whenIdle(30), /still 1 pending request/, 'whenIdle gives up after its timeout')
  const closedAt = Date.now()
  await proxy.close()
  t.match(await waiting, { code: 'ECONNRESET' }, 'close() ends it: the client sees the connection drop')
  t.ok(Date.now() - closedAt < 500, 'at once')
  t.equal(proxy.pending, 0, 'nothing pending after close()')
})

t.test('close() leaves no socket, server or timer behind', async (t) => {
  const crm = await startDemoCrm(t)
  const watched = new Set(['TCPSocketWrap', 'TCPServerWrap', 'Timeout'])
  const handles = (): string =>
    process
      .getActiveResourcesInfo()
      .filter((r) => watched.has(r))
      .sort()
      .join(',')
  const baseline = handles()

  const proxy = await startFaultProxy({ target: crm.baseUrl })
  const adapter = createDemoCrmAdapter({ baseUrl: proxy.url, settings: { apiKey: TEST_API_KEY }, requestTimeoutMs: 5000, log: silentLogger })
  t.equal(await adapter.getCustomer('C00000404', context()), null, 'a forwarded call (keep-alive sockets on both sides)')
  await proxy.setFault({ kind: 'slow', delayMs: 10_000 }, { times: 1 })
  const delayed = failure(adapter.getCustomer('C00000404', context()))
  t.ok(await eventually(() => proxy.pending === 1), 'a delayed request with a 10 s timer')
  await proxy.setFault({ kind: 'hang' }, { times: 1 })
  const hanging = outcome(raw(proxy.url, '/api/v1/contacts/C00000404', { headers: { 'x-api-key': TEST_API_KEY } }))
  t.ok(await eventually(() => proxy.pending === 2), 'and a hanging one')

  await proxy.close()
  t.equal((await delayed).kind, 'interrupted', 'the delayed call ends when the proxy closes')
  t.match(await hanging, { code: 'ECONNRESET' }, 'so does the hanging one')
  await adapter.close?.()
  t.equal(proxy.pending, 0, 'nothing pending')
  t.ok(await eventually(() => handles() === baseline), `back to the handles from before the proxy (${baseline})`)
  t.equal(await connectOutcome(proxy.port), 'ECONNREFUSED', 'the port is closed')
  await proxy.close()
  t.pass('close() twice is fine')
  await t.rejects(proxy.setFault({ kind: 'hang' }), /closed/, 'no fault after close()')
})

// ---------------------------------------------------------------------------------------------
// late-answer, cut-answer, reset-on-connect, slow's jitter, forwardedRequests(): against a small
// plain node:http upstream whose every exchange is recorded, so a test can tell whether the
// upstream finished its answer or was dropped, and against the real CRM through the adapter.

interface UpstreamCall {
  readonly method: string
  readonly path: string
  /** The request body as the upstream read it (whole, or as far as it came). */
  body: string
  /** The upstream's answer was written whole. */
  finished: boolean
  /** The exchange was dropped before the answer was written whole. */
  dropped: boolean
  /** When the answer was written whole (Date.now()). */
  finishedAt: number
}

interface Upstream {
  readonly url: string
  readonly calls: UpstreamCall[]
}

/** What the upstream answers: 200 JSON naming the request, so the whole body is known. */
function upstreamBody(method: string, path: string, body: string): string {
  return JSON.stringify({ method, path, body })
}

/**
 * A plain node:http upstream. It answers after `x-work-ms` (default 0), with
 * upstreamBody(…) and a Content-Length, or in two chunks without one under `/chunked`.
 */
async function startUpstream(t: Teardown): Promise<Upstream> {
  const calls: UpstreamCall[] = []
  const server = http.createServer((req, res) => {
    const call: UpstreamCall = { method: req.method ?? '', path: req.url ?? '', body: '', finished: false, dropped: false, finishedAt: 0 }
    calls.push(call)
    res.once('finish', () => {
      call.finished = true
      call.finishedAt = Date.now()
    })
    res.once('close', () => {
      if (!res.writableFinished) call.dropped = true
    })
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => (call.body += chunk))
    req.once('end', () => {
      const timer = setTimeout(() => {
        if (res.destroyed) return
        const body = upstreamBody(call.method, call.path, call.body)
        if (call.path.startsWith('/chunked')) {
          res.writeHead(200, { 'content-type': 'application/json' })
          res.write(body.slice(0, 10))
          res.end(body.slice(10))
        } else {
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
          res.end(body)
        }
      }, Number(req.headers['x-work-ms'] ?? 0))
      res.once('close', () => clearTimeout(timer))
    })
  })
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve))
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
  )
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}`, calls }
}

/** The proxy in front of a fresh startUpstream(). */
async function proxiedUpstream(t: Teardown): Promise<{ upstream: Upstream; proxy: FaultProxy }> {
  const upstream = await startUpstream(t)
  const proxy = await startFaultProxy({ target: upstream.url })
  t.teardown(() => proxy.close())
  return { upstream, proxy }
}

interface PartialAnswer {
  readonly status: number | undefined
  readonly headers: IncomingHttpHeaders | undefined
  /** The body bytes that arrived. */
  readonly body: string
  /** Whether the answer arrived whole. */
  readonly complete: boolean
  /** The first error the request or its answer reported. */
  readonly error: NodeJS.ErrnoException | undefined
}

/** Like raw(), but settles with whatever arrived when the connection ends, error or not. */
function partial(baseUrl: string, path: string): Promise<PartialAnswer> {
  return new Promise<PartialAnswer>((resolve) => {
    let status: number | undefined
    let headers: IncomingHttpHeaders | undefined
    let complete = false
    let error: NodeJS.ErrnoException | undefined
    const chunks: Buffer[] = []
    const onError = (err: NodeJS.ErrnoException): void => {
      error ??= err
    }
    const req = http.request(`${baseUrl}${path}`, { agent: false }, (res) => {
      status = res.statusCode
      headers = res.headers
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.once('end', () => (complete = res.complete))
      res.on('error', onError)
    })
    req.on('error', onError)
    // 'close' comes last; a tick more lets an answer's own error land first.
    req.once('close', () => setImmediate(() => resolve({ status, headers, body: Buffer.concat(chunks).toString('utf8'), complete, error })))
    req.end()
  })
}

t.test('late-answer: the upstream acts at once, the answer comes delayMs later', async (t) => {
  const { upstream, proxy } = await proxiedUpstream(t)
  await proxy.setFault({ kind: 'late-answer', delayMs: 150 })
  const started = Date.now()
  const answer = await raw(proxy.url, '/things?x=1', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' })
  const answeredAt = Date.now()
  t.same([answer.status, answer.body], [200, upstreamBody('POST', '/things?x=1', 'hello')], 'the upstream’s answer, whole, with the request body forwarded')
  t.equal(answer.headers['content-length'], String(Buffer.byteLength(answer.body)), 'with its length')
  const upstreamAt = upstream.calls[0]?.finishedAt ?? Number.NaN
  t.ok(answeredAt - upstreamAt >= 145, `the upstream answered at once (after ${upstreamAt - started} ms), the client got it delayMs later (${answeredAt - upstreamAt} ms)`)

  const chunked = await raw(proxy.url, '/chunked')
  t.same([chunked.status, chunked.body], [200, upstreamBody('GET', '/chunked', '')], 'a chunked answer is passed on whole…')
  t.equal(chunked.headers['content-length'], String(Buffer.byteLength(chunked.body)), '…with its length')
  t.same([proxy.received, proxy.forwarded], [2, 2], 'counted as forwarded')
  await proxy.whenIdle()
  t.equal(proxy.pending, 0, 'nothing pending afterwards')

  await t.rejects(proxy.setFault({ kind: 'late-answer', delayMs: -1 }), RangeError, 'delayMs must be >= 0')
  await t.rejects(proxy.setFault({ kind: 'late-answer', delayMs: Number.NaN }), RangeError, 'delayMs must be a number')
  await t.rejects(proxy.setFault({ kind: 'late-answer' } as Fault), RangeError, 'delayMs is required')
})

t.test('late-answer: a client that gives up does not stop the upstream exchange', async (t) => {
  const { upstream, proxy } = await proxiedUpstream(t)
  await proxy.setFault({ kind: 'late-answer', delayMs: 10_000 })
  // The client gives up at 50 ms, while the upstream is still at work (it answers at 150 ms).
  const started = Date.now()
  const given = await outcome(
    new Promise((resolve, reject) => {
      const req = http.request(`${proxy.url}/orders`, { method: 'POST', headers: { 'x-work-ms': '150' }, agent: false, signal: AbortSignal.timeout(50) }, resolve)
      req.on('error', reject)
      req.end('{"sku":"A-1"}')
    })
  )
  t.match(given, { name: 'AbortError' }, 'the client gave up')
  t.ok(await eventually(() => upstream.calls.length === 1), 'the upstream got the request')
  t.notOk(upstream.calls[0]?.finished, 'and was still at work when the client left')
  await proxy.whenIdle()
  const tookMs = Date.now() - started
  t.match(upstream.calls[0], { method: 'POST', path: '/orders', body: '{"sku":"A-1"}', finished: true, dropped: false }, 'the upstream finished its answer: the exchange was not destroyed')
  t.ok(tookMs >= 140 && tookMs < 2000, `whenIdle() waited for the upstream’s answer, not for delayMs (${tookMs} ms)`)
  t.same([proxy.received, proxy.forwarded, proxy.pending], [1, 1, 0], 'forwarded, nothing pending')

  // A request the client abandons before sending it whole never completes upstream.
  const cut = await outcome(
    new Promise((resolve, reject) => {
      const req = http.request(`${proxy.url}/orders`, { method: 'POST', headers: { 'content-length': '100' }, agent: false }, resolve)
      req.on('error', reject)
      req.write('{"sku":')
      setTimeout(() => req.destroy(), 30)
    })
  )
  t.match(cut, { code: 'ECONNRESET' }, 'a client that leaves mid-body…')
  await proxy.whenIdle()
  t.ok(await eventually(() => upstream.calls[1]?.dropped === true), '…has its upstream request dropped')
  t.match(upstream.calls[1], { body: '{"sku":', finished: false }, 'never whole, never answered')
})

/** A create of BEN sent through the proxy on a fresh connection, given up after `deadlineMs`. */
function createWithDeadline(proxy: FaultProxy, deadlineMs: number): Promise<RawAnswer> {
  return new Promise<RawAnswer>((resolve, reject) => {
    const headers = { 'x-api-key': TEST_API_KEY, 'content-type': 'application/json' }
    const req = http.request(`${proxy.url}/api/v1/contacts`, { method: 'POST', headers, agent: false, signal: AbortSignal.timeout(deadlineMs) }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(JSON.stringify(BEN))
  })
}

const BEN = { FNAME: 'Ben', LNAME: 'Adeyemi', EMAIL: 'ben@example.com' }

/** Whether the CRM holds a contact with BEN's e-mail, asked directly. */
async function crmHasBen(crm: RunningCrm): Promise<boolean> {
  const answer = await call(crm, 'GET', '/api/v1/contacts?size=100')
  return (answer.body as { data: { EMAIL?: string }[] }).data.some((r) => r.EMAIL === BEN.EMAIL)
}

t.test('late-answer on the real CRM: the create is applied, its answer comes after the deadline', async (t) => {
  const { crm, proxy } = await setup(t)
  await proxy.setFault({ kind: 'late-answer', delayMs: 2000 }, { match: { method: 'POST' } })
  t.match(await outcome(createWithDeadline(proxy, 200)), { name: 'AbortError' }, 'the client’s deadline passed without an answer')
  await proxy.whenIdle()
  t.ok(await crmHasBen(crm), 'yet the CRM created the contact')
  t.same(proxy.forwardedRequests(), [{ method: 'POST', path: '/api/v1/contacts' }], 'the create reached the CRM')
  await proxy.clearFaults()

  await proxy.setFault({ kind: 'late-answer', delayMs: 100 }, { match: { method: 'POST' } })
  const late = await createWithDeadline(proxy, 5000)
  t.match([late.status, JSON.parse(late.body)], [409, { error: { code: 'DUPLICATE_EMAIL' } }], 'a patient client gets the CRM’s own (late) answer')
  await proxy.clearFaults()

  // Through the adapter, with the caller's deadline: a timeout that may have applied.
  const patient = adapterFor(t, proxy.url, 5000)
  const before = await crmTotal(crm)
  await proxy.setFault({ kind: 'late-answer', delayMs: 2000 })
  const err = await failure(patient.createCustomer({ FNAME: 'Cleo', EMAIL: 'cleo@example.com' }, context(AbortSignal.timeout(200))))
  t.equal(err.kind, 'timeout', 'the adapter: timeout')
  await proxy.whenIdle()
  t.equal(await crmTotal(crm), before + 1, 'and the CRM holds the contact')
})

t.test('late-answer: close() ends an answer being held, timer included', async (t) => {
  const { proxy } = await proxiedUpstream(t)
  const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
  const before = timers()
  await proxy.setFault({ kind: 'late-answer', delayMs: 10_000 })
  const waiting = outcome(raw(proxy.url, '/held'))
  t.ok(await eventually(() => proxy.forwarded === 1 && timers() > before), 'forwarded; the answer is held on a timer')
  await proxy.close()
  t.match(await waiting, { code: 'ECONNRESET' }, 'the client sees the connection drop')
  t.equal(proxy.pending, 0, 'nothing pending')
  t.ok(await eventually(() => timers() === before), 'the timer is gone')
})

t.test('cut-answer: status, headers and part of the body, then a reset', async (t) => {
  const { upstream, proxy } = await proxiedUpstream(t)
  await proxy.setFault({ kind: 'cut-answer' })
  for (const path of ['/contacts/C1', '/chunked']) {
    const whole = upstreamBody('GET', path, '')
    const got = await partial(proxy.url, path)
    t.equal(got.status, 200, `${path}: the upstream’s status`)
    t.match(got.headers, { 'content-type': 'application/json', 'content-length': String(whole.length) }, `${path}: its headers, announcing the whole length`)
    t.equal(got.body, whole.slice(0, Math.ceil(whole.length / 2)), `${path}: the first half of the body arrived (${got.body.length} of ${whole.length} bytes)`)
    t.notOk(got.complete, `${path}: the answer is incomplete`)
    t.match(got.error, { code: 'ECONNRESET' }, `${path}: and the client sees the connection reset`)
  }
  t.same(
    upstream.calls.map((c) => [c.path, c.finished]),
    [
      ['/contacts/C1', true],
      ['/chunked', true]
    ],
    'the upstream answered both whole'
  )
  t.same([proxy.received, proxy.forwarded], [2, 2], 'counted as forwarded')
  await t.rejects(raw(proxy.url, '/contacts/C1'), { code: 'ECONNRESET' }, 'raw(): the cut answer is an error')
  await proxy.whenIdle()
  t.equal(proxy.pending, 0, 'nothing pending afterwards')
})

t.test('cut-answer on the real CRM: the create is applied, its answer breaks off', async (t) => {
  const { crm, proxy, adapter } = await setup(t)
  await proxy.setFault({ kind: 'cut-answer' }, { match: { method: 'POST' }, times: 1 })
  t.match(await outcome(createWithDeadline(proxy, 5000)), { code: 'ECONNRESET' }, 'the client sees the connection reset mid-answer')
  t.ok(await crmHasBen(crm), 'yet the CRM created the contact')
  t.equal(proxy.forwarded, 1, 'counted as forwarded')

  const before = await crmTotal(crm)
  await proxy.setFault({ kind: 'cut-answer' }, { match: { method: 'POST' }, times: 1 })
  const err = await failure(adapter.createCustomer({ FNAME: 'Cleo', EMAIL: 'cleo@example.com' }, context()))
  t.equal(err.kind, 'interrupted', 'the adapter: interrupted (the CRM may have acted)')
  t.equal(await crmTotal(crm), before + 1, 'and it did')
})

t.test('reset-on-connect: every connection is reset before a request is read', async (t) => {
  const { upstream, proxy } = await proxiedUpstream(t)
  // A keep-alive connection opened before the fault.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  t.teardown(() => agent.destroy())
  const pooled = (): Promise<number> =>
    new Promise<number>((resolve, reject) => {
      http
        .get(`${proxy.url}/pooled`, { agent }, (res) => {
          res.resume()
          res.once('end', () => resolve(res.statusCode ?? 0))
        })
        .on('error', reject)
    })
  t.equal(await pooled(), 200, 'a pooled connection, before the fault')
  proxy.resetCounters()

  const rule = await proxy.setFault({ kind: 'reset-on-connect' })
  const errors = await Promise.all([1, 2, 3].map(() => outcome(raw(proxy.url, '/fresh'))))
  for (const [i, err] of errors.entries()) {
    t.match(err, { code: /^(ECONNRESET|EPIPE)$/ }, `client ${i + 1}: the connection was reset (${(err as NodeJS.ErrnoException).code})`)
  }
  t.equal(proxy.connectionsReset, 3, 'three connections reset')
  t.equal(rule.applied, 3, 'the rule counts them too')
  t.same([proxy.received, proxy.forwarded, proxy.pending], [0, 0, 0], 'no request reached the proxy or the upstream')

  t.match(await outcome(pooled()), { code: /^(ECONNRESET|EPIPE)$/ }, 'the connection from before is reset at its next request')
  t.equal(proxy.connectionsReset, 4, 'counted')
  t.same([proxy.received, proxy.forwarded], [0, 0], 'still nothing received')
  t.equal(upstream.calls.length, 1, 'the upstream saw only the call from before the fault')

  await t.rejects(proxy.setFault({ kind: 'reset-on-connect' }, { times: 1 }), /reset-on-connect takes no times\/match/, 'no times')
  await t.rejects(proxy.setFault({ kind: 'reset-on-connect' }, { match: { method: 'GET' } }), TypeError, 'no match')
  proxy.resetCounters()
  t.equal(proxy.connectionsReset, 0, 'resetCounters() zeroes connectionsReset')

  t.equal(rule.remaining, Number.POSITIVE_INFINITY, 'in effect until cleared')
  await proxy.clearFaults()
  t.equal(rule.remaining, 0, 'cleared')
  t.equal(await pooled(), 200, 'healthy again: the same agent gets through')
  t.equal((await raw(proxy.url, '/fresh')).status, 200, 'and so does a fresh connection')
  t.same([proxy.received, proxy.forwarded, proxy.connectionsReset], [2, 2, 0], 'both reached the upstream, no reset')
})

t.test('slow with jitterMs: delayMs plus 0..jitterMs', async (t) => {
  const { proxy } = await proxiedUpstream(t)
  const timed = async (): Promise<number> => {
    const started = Date.now()
    t.equal((await raw(proxy.url, '/jitter')).status, 200)
    return Date.now() - started
  }
  await proxy.setFault({ kind: 'slow', delayMs: 20, jitterMs: 40 })
  const random = Math.random
  t.teardown(() => (Math.random = random))
  Math.random = () => 0.999
  t.ok((await timed()) >= 59, 'the top of the range: delayMs + jitterMs')
  Math.random = () => 0
  const bottom = await timed()
  t.ok(bottom >= 19, `the bottom of the range: delayMs (${bottom} ms)`)
  Math.random = random

  const took = await Promise.all(Array.from({ length: 10 }, timed))
  t.ok(
    took.every((ms) => ms >= 19 && ms < 60 + 500),
    `each within delayMs..delayMs + jitterMs, plus scheduling (${took.join(', ')} ms)`
  )
  t.ok(Math.max(...took) - Math.min(...took) > 2, 'and they vary')

  await proxy.clearFaults()
  await proxy.setFault({ kind: 'slow', delayMs: 0, jitterMs: 50 })
  const healthy = await Promise.all(Array.from({ length: 5 }, timed))
  t.ok(
    healthy.every((ms) => ms < 50 + 500),
    `a healthy upstream adding 0–50 ms (${healthy.join(', ')} ms)`
  )
  t.equal(proxy.forwarded, 17, 'all forwarded')

  await t.rejects(proxy.setFault({ kind: 'slow', delayMs: 0, jitterMs: -1 }), /jitterMs must be a finite number >= 0/, 'jitterMs >= 0')
  await t.rejects(proxy.setFault({ kind: 'slow', delayMs: 0, jitterMs: Number.POSITIVE_INFINITY }), RangeError, 'jitterMs finite')
  await t.rejects(proxy.setFault({ kind: 'slow', delayMs: 0, jitterMs: '5' as unknown as number }), RangeError, 'jitterMs a number')
})

t.test('forwardedRequests(): what reached the upstream, in order; cleared by resetCounters()', async (t) => {
  const { upstream, proxy } = await proxiedUpstream(t)
  t.same(proxy.forwardedRequests(), [], 'none yet')
  await raw(proxy.url, '/a?b=1&c=%20')
  await raw(proxy.url, '/contacts', { method: 'POST', body: '{}' })
  await proxy.setFault({ kind: 'status', status: 503 }, { times: 1 })
  await raw(proxy.url, '/refused')
  await proxy.setFault({ kind: 'late-answer', delayMs: 1 }, { times: 1 })
  await raw(proxy.url, '/late', { method: 'PATCH', body: '{}' })
  await proxy.setFault({ kind: 'cut-answer' }, { times: 1 })
  await partial(proxy.url, '/cut')
  const seen = proxy.forwardedRequests()
  t.same(
    seen,
    [
      { method: 'GET', path: '/a?b=1&c=%20' },
      { method: 'POST', path: '/contacts' },
      { method: 'PATCH', path: '/late' },
      { method: 'GET', path: '/cut' }
    ],
    'method and path (query included) of each forwarded request, not the faulted one'
  )
  t.same(
    seen.map((r) => `${r.method} ${r.path}`),
    upstream.calls.map((c) => `${c.method} ${c.path}`),
    'exactly what the upstream saw'
  )
  await raw(proxy.url, '/after')
  t.equal(seen.length, 4, 'a snapshot: later requests do not change it')
  proxy.resetCounters()
  t.same([proxy.forwardedRequests(), proxy.forwarded, proxy.received], [[], 0, 0], 'resetCounters() empties it')

  // Bounded: only the newest are kept (10,000 by default; 3 here).
  const small = await startFaultProxy({ target: upstream.url, keepForwarded: 3 })
  t.teardown(() => small.close())
  for (let i = 0; i < 5; i++) await raw(small.url, `/n/${i}`)
  t.equal(small.forwarded, 5, 'five forwarded')
  t.same(
    small.forwardedRequests().map((r) => r.path),
    ['/n/2', '/n/3', '/n/4'],
    'the newest three kept, the oldest dropped'
  )
  for (const keepForwarded of [0, -1, 1.5, Number.NaN]) {
    await t.rejects(startFaultProxy({ target: upstream.url, keepForwarded }), RangeError, `keepForwarded ${keepForwarded} refused`)
  }
})
