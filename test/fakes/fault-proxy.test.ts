/**
 * The fault proxy (./fault-proxy.ts) in front of the REAL demo CRM (in-process, 127.0.0.1, a
 * temp data file), driven through the REAL demo-crm adapter: every fault mode × every adapter
 * operation ends in the catalogue code the gateway relies on, nothing leaks to the CRM while a
 * fault is set, bursts and matches apply where they should, `down` recovers on the same port,
 * and close() leaves nothing running. Real sockets, real time: timeouts are kept short.
 */
import http from 'node:http'
import type { IncomingHttpHeaders } from 'node:http'
import net from 'node:net'
import t from 'tap'
import { createDemoCrmAdapter } from '../../adapters/demo-crm/index.js'
import type { CallContext, CrmAdapter, CrmRecord } from '../../src/core/port.js'

import type { ErrorCode } from '../../src/spi/error-catalogue.js'
import { TEST_API_KEY, call, startDemoCrm } from '../demo-crm/fixtures/harness.js'
import type { RunningCrm } from '../demo-crm/fixtures/harness.js'
import { silentLogger } from '../helpers/silent-logger.js'
import { startFaultProxy } from './fault-proxy.js'
import type { Fault, FaultProxy } from './fault-proxy.js'
import { failure } from '../helpers/expect-failure.js'

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

t.test('every fault × every adapter operation → the catalogue code', async (t) => {
  const { crm, proxy, adapter, ana } = await setup(t)
  const totalBefore = await crmTotal(crm)

  interface Row {
    readonly fault: Fault
    /** A create expects 201: the body faults use it there, so the body is what is wrong. */
    readonly createFault?: Fault
    readonly code: ErrorCode
    readonly retryAfterSeconds?: number
  }
  const rows: Row[] = [
    { fault: { kind: 'down' }, code: 'CRM_UNAVAILABLE' },
    { fault: { kind: 'reset' }, code: 'CRM_UNAVAILABLE' },
    { fault: { kind: 'slow', delayMs: SLOW_MS }, code: 'CRM_TIMEOUT' },
    { fault: { kind: 'hang' }, code: 'CRM_TIMEOUT' },
    { fault: { kind: 'status', status: 500 }, code: 'CRM_ERROR' },
    { fault: { kind: 'status', status: 502, body: '<h1>Bad Gateway</h1>', headers: { 'content-type': 'text/html' } }, code: 'CRM_ERROR' },
    { fault: { kind: 'status', status: 503 }, code: 'CRM_ERROR' },
    { fault: { kind: 'garbage' }, createFault: { kind: 'garbage', status: 201 }, code: 'CRM_BAD_RESPONSE' },
    { fault: { kind: 'wrong-content-type' }, createFault: { kind: 'wrong-content-type', status: 201 }, code: 'CRM_BAD_RESPONSE' },
    { fault: { kind: 'throttle-429', retryAfterSeconds: 7 }, code: 'CRM_RATE_LIMITED', retryAfterSeconds: 7 },
    { fault: { kind: 'salesforce-limit' }, code: 'CRM_RATE_LIMITED' },
    { fault: { kind: 'salesforce-limit', retryAfterSeconds: 20 }, code: 'CRM_RATE_LIMITED', retryAfterSeconds: 20 }
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
    const outcomes = await Promise.all(
      OPS.map(async (op) => {
        const started = Date.now()
        const err = await failure(run(adapter, op, ana.CONTACT_ID))
        return { op, err, tookMs: Date.now() - started }
      })
    )
    for (const { op, err, tookMs } of outcomes) {
      t.same([err.code, err.errorClass], [row.code, 'upstream'], `${label} × ${op} → ${row.code}`)
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
  t.equal(err.code, 'CRM_TIMEOUT', 'an aborted signal → CRM_TIMEOUT')
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
    t.equal((await failure(adapter.getCustomer(ana.CONTACT_ID, context()))).code, 'CRM_ERROR', `call ${i}: 503 → CRM_ERROR`)
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
  t.equal((await failure(run(adapter, 'create', ana.CONTACT_ID, ctx))).code, 'CRM_ERROR', 'POST gets the fault')
  t.same(await adapter.getCustomer(ana.CONTACT_ID, ctx), ana, 'GET does not')
  await proxy.clearFaults()

  await proxy.setFault({ kind: 'throttle-429', retryAfterSeconds: 3 }, { match: { path: /^\/api\/v1\/contacts\?/g } })
  for (let i = 0; i < 2; i++) {
    const err = await failure(run(adapter, 'search', ana.CONTACT_ID, ctx))
    t.same([err.code, err.retryAfterSeconds], ['CRM_RATE_LIMITED', 3], `search (path + query) matched, time ${i + 1} (a /g pattern keeps matching)`)
  }
  t.same(await adapter.getCustomer(ana.CONTACT_ID, ctx), ana, 'a contact path does not match')
  await proxy.setFault({ kind: 'garbage' }, { match: { method: 'GET' } })
  t.equal((await failure(run(adapter, 'search', ana.CONTACT_ID, ctx))).code, 'CRM_BAD_RESPONSE', 'the newer rule wins where both match')
  t.equal((await failure(run(adapter, 'get', ana.CONTACT_ID, ctx))).code, 'CRM_BAD_RESPONSE', 'and applies alone where only it matches')
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
  t.equal((await failure(adapter.getCustomer(ana.CONTACT_ID, context()))).code, 'CRM_UNAVAILABLE', 'the adapter (with a pooled socket from before) → CRM_UNAVAILABLE')
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
  t.equal((await failure(adapter.getCustomer(ana.CONTACT_ID, context()))).code, 'CRM_TIMEOUT', 'no answer → CRM_TIMEOUT')
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
  t.equal((await delayed).code, 'CRM_UNAVAILABLE', 'the delayed call ends when the proxy closes')
  t.match(await hanging, { code: 'ECONNRESET' }, 'so does the hanging one')
  await adapter.close?.()
  t.equal(proxy.pending, 0, 'nothing pending')
  t.ok(await eventually(() => handles() === baseline), `back to the handles from before the proxy (${baseline})`)
  t.equal(await connectOutcome(proxy.port), 'ECONNREFUSED', 'the port is closed')
  await proxy.close()
  t.pass('close() twice is fine')
  await t.rejects(proxy.setFault({ kind: 'hang' }), /closed/, 'no fault after close()')
})
