/**
 * The demo-crm adapter against the real demo CRM (in-process, 127.0.0.1, port 0), and against
 * tiny raw servers that misbehave in each way a CRM can, to prove each failure is reported as
 * the right kind (src/core/port.ts, CrmFailure).
 */
import http from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import fc from 'fast-check'
import t from 'tap'
import { adapterNames, adapterRegistry, resolveAdapterFactory } from '../../../adapters/index.js'
import { createDemoCrmAdapter } from '../../../adapters/demo-crm/index.js'
import { MAX_PAGE_SIZE, planPages, toFilter } from '../../../adapters/demo-crm/wire.js'
import type { CallContext, CrmAdapter, CrmFailureKind, CrmRecord } from '../../../src/core/port.js'
import { createSilentLogger } from '../../helpers/silent-logger.js'
import type { SilentLogger } from '../../helpers/silent-logger.js'
import { TEST_API_KEY, startDemoCrm } from '../../demo-crm/fixtures/harness.js'
import { crmFailure as failure } from '../../helpers/expect-failure.js'
import { isAddressableId, pathSegment } from '../../../adapters/shared/path-segment.js'
import { listenOnLoopback } from '../../helpers/loopback-server.js'

interface Teardown {
  teardown(fn: () => unknown): void
}

function context(log: SilentLogger = createSilentLogger(), signal: AbortSignal = new AbortController().signal): CallContext {
  return { signal, log, requestId: 'req-1' }
}

function adapterFor(t: Teardown, baseUrl: string, options: { apiKey?: string; timeoutMs?: number } = {}): CrmAdapter {
  const adapter = createDemoCrmAdapter({
    baseUrl,
    settings: { apiKey: options.apiKey ?? TEST_API_KEY },
    requestTimeoutMs: options.timeoutMs ?? 5000,
    log: createSilentLogger()
  })
  t.teardown(() => adapter.close?.())
  return adapter
}

/** A raw HTTP server whose behaviour each test sets. */
async function faultServer(t: Teardown): Promise<{ url: string; behave: (fn: (req: IncomingMessage, res: ServerResponse) => void) => void; hits: () => number }> {
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end()
  let hits = 0
  const server = http.createServer((req, res) => {
    hits++
    handler(req, res)
  })
  return { url: await listenOnLoopback(t, server), behave: (fn) => (handler = fn), hits: () => hits }
}

const send = (status: number, type: string | undefined, body: string, headers: Record<string, string> = {}) =>
  (_req: IncomingMessage, res: ServerResponse): void => {
    res.writeHead(status, { ...(type === undefined ? {} : { 'content-type': type }), ...headers })
    res.end(body)
  }

t.test('settings are checked at construction, naming the key and never its value', async (t) => {
  const make = (settings: Record<string, unknown>, baseUrl = 'http://127.0.0.1:1') => () =>
    createDemoCrmAdapter({ baseUrl, settings, requestTimeoutMs: 1000, log: createSilentLogger() })
  t.throws(make({}), /demo-crm adapter: settings\.apiKey is required/, 'missing apiKey')
  t.throws(make({ apiKey: '' }), /settings\.apiKey must be a non-empty string/, 'empty apiKey')
  t.throws(make({ apiKey: 12345 }), /settings\.apiKey must be a non-empty string/, 'apiKey of the wrong type')
  t.throws(make({ apiKey: 'k', apikey: 's3cret-value' }), /settings\.apikey is not a known setting/, 'an unknown (typo) key')
  try {
    make({ apiKey: 98765 })()
    t.fail('should throw')
  } catch (err) {
    t.notMatch((err as Error).message, /98765/, 'the value is not in the message')
  }
  t.throws(make({ apiKey: 'k' }, 'not a url'), /baseUrl must be an absolute http\(s\) URL/, 'bad base URL')
  t.throws(make({ apiKey: 'k' }, 'ftp://example.com'), /baseUrl must use http or https/, 'non-http base URL')
  t.doesNotThrow(make({ apiKey: 'k' }), 'valid settings')
})

t.test('the registry', async (t) => {
  t.equal(resolveAdapterFactory('demo-crm'), createDemoCrmAdapter, 'demo-crm resolves to its factory')
  t.same(adapterNames, Object.keys(adapterRegistry), 'adapterNames lists the registry')
  t.throws(() => resolveAdapterFactory('no-such-crm'), /unknown CRM adapter "no-such-crm"; known adapters: demo-crm/, 'unknown name')
  t.throws(() => resolveAdapterFactory('constructor'), /unknown CRM adapter/, 'inherited names are not adapters')
  t.throws(() => resolveAdapterFactory('__proto__'), /unknown CRM adapter/, '__proto__ is not an adapter')
})

t.test('round trips against the real demo CRM', async (t) => {
  const crm = await startDemoCrm(t)
  const adapter = adapterFor(t, crm.baseUrl)
  const log = createSilentLogger()
  const ctx = context(log)
  t.equal(adapter.name, 'demo-crm')

  const created = await adapter.createCustomer(
    { FNAME: 'Ana', LNAME: 'Okafor', EMAIL: 'ana@example.com', MOBILE_PHONE: '(415) 555-0142', LOYALTY_OPT_IN: 'Y', NOTES: 'vip' },
    ctx
  )
  t.match(created, { CONTACT_ID: 'C00000001', FNAME: 'Ana', VERSION: 1, LOYALTY: { ACCT_NO: 'LY0000000001' } }, 'create → the stored contact')
  const id = created.CONTACT_ID as string

  t.same(await adapter.getCustomer(id, ctx), created, 'get → the same contact')
  t.equal(await adapter.getCustomer('C00000999', ctx), null, 'get of an unknown id → null')
  t.equal(await adapter.getCustomer('', ctx), null, 'get of an empty id → null')
  t.equal(await adapter.getCustomer('../../health', ctx), null, 'a path-like id is encoded: just an unknown id')
  t.equal(await adapter.getCustomer('C00000001?x=1#y', ctx), null, 'query and fragment characters are encoded too')

  const updated = await adapter.updateCustomer(id, { NOTES: '', LNAME: 'Okafor-Smith', ADDRESSES: [{ LINE1: '1 Main St' }] }, ctx)
  t.match(updated, { CONTACT_ID: id, FNAME: 'Ana', LNAME: 'Okafor-Smith', VERSION: 2, ADDRESSES: [{ ADDR_ID: 'A000001', LINE1: '1 Main St' }] })
  t.equal(updated?.NOTES, undefined, 'update: "" clears a field')
  t.equal(await adapter.updateCustomer('C00000999', { FNAME: 'X' }, ctx), null, 'update of an unknown id → null')
  t.equal(await adapter.updateCustomer('', { FNAME: 'X' }, ctx), null, 'update of an empty id → null')

  // Logs: debug only, {op, status, durationMs}; no customer data, no key.
  t.equal(log.records.length, 7, 'each of the 7 HTTP calls logged once (empty ids never reach the CRM)')
  t.ok(log.records.every((r) => r.level === 'debug'), 'at debug level only')
  t.ok(
    log.records.every((r) => Object.keys(r.obj ?? {}).sort().join() === 'durationMs,op,status'),
    'log objects carry op, status and durationMs only'
  )
  const logged = JSON.stringify(log.records)
  for (const secret of [TEST_API_KEY, 'Ana', 'Okafor', 'ana@example.com', '555', id]) {
    t.notOk(logged.includes(secret), `the logs do not contain ${secret === TEST_API_KEY ? 'the API key' : secret}`)
  }
})

t.test('search: each operator, any-of fields, AND, encoding, paging', async (t) => {
  const crm = await startDemoCrm(t)
  const adapter = adapterFor(t, crm.baseUrl)
  const log = createSilentLogger()
  const ctx = context(log)
  const people: CrmRecord[] = [
    { FNAME: 'Ana', LNAME: 'Okafor', EMAIL: 'ana@example.com', MOBILE_PHONE: '(415) 555-0142', COUNTRY: 'US' },
    { FNAME: 'Ben', LNAME: 'Okada', EMAIL: 'ben@example.com', WORK_PHONE: '415.555.0142', COUNTRY: 'US' },
    { FNAME: 'Chloé', LNAME: 'Martin', EMAIL: 'chloe@example.fr', NOTES: 'a&b=c +d:é?#%', COUNTRY: 'FR' }
  ]
  for (const p of people) await adapter.createCustomer(p, ctx)
  for (let i = 0; i < 7; i++) await adapter.createCustomer({ FNAME: `Page${i}`, SEGMENT: 'PAGED' }, ctx)

  const ids = async (criteria: Parameters<CrmAdapter['searchCustomers']>[0]['criteria'], offset = 0, limit = 20) => {
    const page = await adapter.searchCustomers({ criteria, offset, limit }, ctx)
    return { ids: page.records.map((r) => r.CONTACT_ID), total: page.total }
  }
  t.same(await ids([{ fields: ['LNAME'], operator: 'equals', value: 'OKAFOR' }]), { ids: ['C00000001'], total: 1 }, 'equals')
  t.same(await ids([{ fields: ['LNAME'], operator: 'prefix', value: 'oka' }]), { ids: ['C00000001', 'C00000002'], total: 2 }, 'prefix')
  t.same(await ids([{ fields: ['EMAIL'], operator: 'contains', value: 'example.com' }]), { ids: ['C00000001', 'C00000002'], total: 2 }, 'contains')
  t.same(
    await ids([{ fields: ['MOBILE_PHONE', 'HOME_PHONE', 'WORK_PHONE'], operator: 'phone', value: '4155550142', international: '+14155550142' }]),
    { ids: ['C00000001', 'C00000002'], total: 2 },
    'phone (ewd) across any of three fields, whatever the punctuation'
  )
  t.same(
    await ids([
      { fields: ['LNAME'], operator: 'prefix', value: 'oka' },
      { fields: ['FNAME'], operator: 'equals', value: 'ben' }
    ]),
    { ids: ['C00000002'], total: 1 },
    'criteria are ANDed'
  )
  t.same(
    await ids([{ fields: ['NOTES'], operator: 'contains', value: 'a&b=c +d:é?#%' }]),
    { ids: ['C00000003'], total: 1 },
    'a value with &, =, +, space, :, ?, #, % and non-ASCII reaches the CRM intact'
  )
  t.same(await ids([{ fields: ['FNAME'], operator: 'equals', value: 'chloé' }]), { ids: ['C00000003'], total: 1 }, 'unicode equals')
  t.same((await ids([])).total, 10, 'no criteria lists every contact')

  const paged = [{ fields: ['SEGMENT'], operator: 'equals', value: 'PAGED' }] as const
  const all = ['C00000004', 'C00000005', 'C00000006', 'C00000007', 'C00000008', 'C00000009', 'C00000010']
  for (const [offset, limit] of [[0, 3], [3, 3], [6, 3], [1, 3], [2, 3], [5, 3], [4, 2], [1, 5], [6, 1], [3, 100], [9, 3], [1, 1]] as const) {
    const before = log.records.length
    t.same(
      await ids(paged, offset, limit),
      { ids: all.slice(offset, offset + limit), total: 7 },
      `offset ${offset}, limit ${limit}`
    )
    t.ok(log.records.length - before <= 2, `offset ${offset}, limit ${limit}: at most two CRM calls`)
  }
})

t.test('planPages covers exactly the window, in at most two pages of 1..100', async (t) => {
  t.same(planPages(40, 20), { pages: [{ page: 3, size: 20 }], skip: 0 }, 'offset a multiple of limit: page = offset/limit + 1')
  t.same(planPages(0, 1), { pages: [{ page: 1, size: 1 }], skip: 0 })
  t.same(planPages(5, 10), { pages: [{ page: 1, size: 15 }], skip: 5 }, 'one larger page when one fits')
  t.same(
    planPages(99, 100),
    { pages: [{ page: 1, size: 100 }, { page: 2, size: 100 }], skip: 99 },
    'two straddling pages when no single page of at most 100 fits'
  )
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 1, max: MAX_PAGE_SIZE }), (offset, limit) => {
      const plan = planPages(offset, limit)
      const first = plan.pages[0]
      if (first === undefined || plan.pages.length > 2) return false
      const start = (first.page - 1) * first.size
      const contiguous = plan.pages.every((p, i) => p.size === first.size && p.page === first.page + i)
      const fetched = first.size * plan.pages.length
      return (
        contiguous &&
        plan.pages.every((p) => p.page >= 1 && p.size >= 1 && p.size <= MAX_PAGE_SIZE) &&
        start + plan.skip === offset &&
        plan.skip + limit <= fetched &&
        fetched <= 2 * limit
      )
    }),
    { numRuns: 2000 }
  )
  t.pass('property holds for 2000 random windows')
  t.equal(toFilter({ fields: ['A', 'B.C'], operator: 'equals', value: 'x:y' }), 'A|B.C:eq:x:y', 'filter spelling')
  t.equal(toFilter({ fields: ['A'], operator: 'prefix', value: 'v' }), 'A:sw:v')
  t.equal(toFilter({ fields: ['A'], operator: 'contains', value: 'v' }), 'A:co:v')
  t.equal(toFilter({ fields: ['A', 'B'], operator: 'phone', value: '4155550142', international: '+14155550142' }), 'A|B:ewd:4155550142', 'phone: ends with, digits only, on the national number')
  for (const fields of [[], ['lower'], ['A:B'], ['A|B']]) {
    t.throws(() => toFilter({ fields, operator: 'equals', value: 'v' }), { name: 'CrmFailure', kind: 'misconfigured' }, `fields ${JSON.stringify(fields)} refused as misconfigured`)
  }
})

t.test('the phone operator: national, international and punctuated stored numbers', async (t) => {
  const crm = await startDemoCrm(t)
  const adapter = adapterFor(t, crm.baseUrl)
  const ctx = context()
  const stored: [string, string][] = [
    ['MOBILE_PHONE', '(415) 555-0177'],
    ['HOME_PHONE', '+1 415 555 0177'],
    ['WORK_PHONE', '14155550177'],
    ['MOBILE_PHONE', '415.555.0177'],
    ['MOBILE_PHONE', '+44 20 7946 0958'],
    ['MOBILE_PHONE', '020 7946 0958'],
    ['MOBILE_PHONE', '555-0177'],
    ['MOBILE_PHONE', 'no phone']
  ]
  for (const [field, phone] of stored) await adapter.createCustomer({ FNAME: 'P', [field]: phone }, ctx)
  const phones = ['MOBILE_PHONE', 'HOME_PHONE', 'WORK_PHONE']
  const find = async (value: string, international?: string) => {
    const page = await adapter.searchCustomers({ criteria: [{ fields: phones, operator: 'phone', value, ...(international === undefined ? {} : { international }) }], offset: 0, limit: 20 }, ctx)
    return page.records.map((r) => r.CONTACT_ID)
  }
  t.same(await find('4155550177', '+14155550177'), ['C00000001', 'C00000002', 'C00000003', 'C00000004'], 'a US national number finds it stored nationally, internationally, as bare digits and dotted')
  t.same(await find('2079460958', '+442079460958'), ['C00000005', 'C00000006'], 'a UK number stored with +44 or with its trunk 0')
  t.same(await find('5550177'), ['C00000001', 'C00000002', 'C00000003', 'C00000004', 'C00000007'], 'matching more widely than the port asks is allowed (the core re-checks)')
  t.same(await find('9999999999'), [], 'another number finds nothing')
})

t.test("the CRM's refusals as failure kinds", async (t) => {
  const crm = await startDemoCrm(t)
  const adapter = adapterFor(t, crm.baseUrl)
  const ctx = context()
  const ana = await adapter.createCustomer({ FNAME: 'Ana', EMAIL: 'ana@example.com' }, ctx)
  const ben = await adapter.createCustomer({ FNAME: 'Ben', EMAIL: 'ben@example.com' }, ctx)

  const dup = await failure(adapter.createCustomer({ EMAIL: 'ANA@example.com' }, ctx))
  t.equal(dup.kind, 'duplicate', 'create with a taken e-mail → duplicate')
  t.same([dup.field, dup.message.includes(String(ana.CONTACT_ID))], [undefined, false], 'the other contact id is not passed on, not even in the detail')
  const dupPatch = await failure(adapter.updateCustomer(ben.CONTACT_ID as string, { EMAIL: 'ana@example.com' }, ctx))
  t.equal(dupPatch.kind, 'duplicate', 'update to a taken e-mail → duplicate')

  const invalid = await failure(adapter.createCustomer({ EMAIL: 'nope', BIRTH_DATE: '13/13/2020' }, ctx))
  t.same([invalid.kind, invalid.field], ['rejected', 'EMAIL'], '422 → rejected, naming the first field')
  t.notMatch(invalid.message, /nope/, 'the refused value is not in the detail')
  const invalidPatch = await failure(adapter.updateCustomer(ana.CONTACT_ID as string, { SMS_OK: 'maybe' }, ctx))
  t.same([invalidPatch.kind, invalidPatch.field], ['rejected', 'SMS_OK'], 'update 422 → rejected')

  const stale = await failure(adapter.updateCustomer(ana.CONTACT_ID as string, { FNAME: 'Anna' }, ctx, { ifMatch: '0' }))
  t.equal(stale.kind, 'conflict', '412 (a stale VERSION in If-Match) → conflict')

  const misconfigured = await failure(adapter.searchCustomers({ criteria: [{ fields: ['lower_case'], operator: 'equals', value: 'x' }], offset: 0, limit: 5 }, ctx))
  t.equal(misconfigured.kind, 'misconfigured', 'a field name the filter language cannot take: misconfigured, never sent')

  const wrongKey = adapterFor(t, crm.baseUrl, { apiKey: 'not-the-key' })
  for (const [what, call] of [
    ['get', () => wrongKey.getCustomer('C00000001', ctx)],
    ['search', () => wrongKey.searchCustomers({ criteria: [], offset: 0, limit: 5 }, ctx)],
    ['create', () => wrongKey.createCustomer({ FNAME: 'X' }, ctx)],
    ['update', () => wrongKey.updateCustomer('C00000001', { FNAME: 'X' }, ctx)]
  ] as const) {
    const err = await failure(call())
    t.equal(err.kind, 'failed', `${what} with a wrong key → failed (our credentials, not the POS's values)`)
  }

  const wrongPath = adapterFor(t, `${crm.baseUrl}/elsewhere`)
  t.equal((await failure(wrongPath.createCustomer({ FNAME: 'X' }, ctx))).kind, 'failed', 'a 404 on create (wrong base URL) is no "not found"')
})

t.test('transport failures and misbehaving servers', async (t) => {
  const server = await faultServer(t)
  const ctx = context()

  // Each case: what the server does, which call, the expected kind.
  const salesforceLimit = '[{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]'
  const cases: [string, (req: IncomingMessage, res: ServerResponse) => void, (a: CrmAdapter) => Promise<unknown>, CrmFailureKind][] = [
    ['200 HTML', send(200, 'text/html', '<html>login</html>'), (a) => a.getCustomer('C1', ctx), 'bad-response'],
    ['200 JSON content type, garbage body', send(200, 'application/json', 'not json{'), (a) => a.getCustomer('C1', ctx), 'bad-response'],
    ['200 text/plain with a JSON body', send(200, 'text/plain', '{"CONTACT_ID":"C1"}'), (a) => a.getCustomer('C1', ctx), 'bad-response'],
    ['200 without content type', send(200, undefined, '{"CONTACT_ID":"C1"}'), (a) => a.getCustomer('C1', ctx), 'bad-response'],
    ['200 JSON without CONTACT_ID', send(200, 'application/json', '{"FNAME":"A"}'), (a) => a.getCustomer('C1', ctx), 'bad-response'],
    ['200 JSON array', send(200, 'application/json', '[{"CONTACT_ID":"C1"}]'), (a) => a.updateCustomer('C1', {}, ctx), 'bad-response'],
    ['201 empty body', send(201, 'application/json', ''), (a) => a.createCustomer({}, ctx), 'bad-response'],
    ['search without data', send(200, 'application/json', '{"total":1}'), (a) => a.searchCustomers({ criteria: [], offset: 0, limit: 5 }, ctx), 'bad-response'],
    ['search data not contacts', send(200, 'application/json', '{"data":[1,2],"total":2}'), (a) => a.searchCustomers({ criteria: [], offset: 0, limit: 5 }, ctx), 'bad-response'],
    ['302 redirect', send(302, 'text/plain', '', { location: 'http://127.0.0.1:1/steal' }), (a) => a.getCustomer('C1', ctx), 'bad-response'],
    ['500 JSON', send(500, 'application/json', '{"error":{"code":"INTERNAL","message":"x"}}'), (a) => a.getCustomer('C1', ctx), 'failed'],
    ['503 HTML from a proxy', send(503, 'text/html', '<h1>down</h1>'), (a) => a.createCustomer({}, ctx), 'failed'],
    ['403', send(403, 'application/json', '{}'), (a) => a.getCustomer('C1', ctx), 'failed'],
    ['403 REQUEST_LIMIT_EXCEEDED (Salesforce)', send(403, 'application/json;charset=UTF-8', salesforceLimit), (a) => a.searchCustomers({ criteria: [], offset: 0, limit: 5 }, ctx), 'quota-exhausted'],
    ['409 without DUPLICATE_EMAIL', send(409, 'application/json', '{"error":{"code":"OTHER","message":"x"}}'), (a) => a.createCustomer({}, ctx), 'failed'],
    ['412', send(412, 'application/json', '{"error":{"code":"VERSION_MISMATCH","message":"x","current_version":3}}'), (a) => a.updateCustomer('C1', {}, ctx), 'conflict'],
    ['400 HTML', send(400, 'text/html', '<p>bad</p>'), (a) => a.createCustomer({}, ctx), 'rejected'],
    ['connection reset after the request arrived', (req) => req.socket.destroy(), (a) => a.getCustomer('C1', ctx), 'interrupted'],
    ['connection reset on a create', (req) => req.socket.destroy(), (a) => a.createCustomer({ FNAME: 'X' }, ctx), 'interrupted'],
    [
      'a body cut short',
      (_req, res) => {
        res.writeHead(201, { 'content-type': 'application/json', 'content-length': '200', connection: 'close' })
        res.write('{"CONTACT_ID":"C0000')
        setTimeout(() => res.socket?.end(), 10)
      },
      (a) => a.createCustomer({ FNAME: 'X' }, ctx),
      'interrupted'
    ]
  ]
  const adapter = adapterFor(t, server.url)
  for (const [what, behaviour, call, kind] of cases) {
    server.behave(behaviour)
    const err = await failure(call(adapter))
    t.equal(err.kind, kind, `${what} → ${kind}${err.kind === kind ? '' : ` (came: ${err.kind})`}`)
  }
  t.equal(server.hits(), cases.length, 'one request per case: the redirect was not followed')

  server.behave(send(429, 'application/json', '{}', { 'retry-after': '7' }))
  const limited = await failure(adapter.getCustomer('C1', ctx))
  t.same([limited.kind, limited.retryAfterSeconds], ['throttled', 7], '429 + Retry-After → throttled with its seconds')
  server.behave(send(429, 'application/json', '{}', { 'retry-after': new Date(Date.now() + 30_000).toUTCString() }))
  const dated = await failure(adapter.searchCustomers({ criteria: [], offset: 0, limit: 1 }, ctx))
  t.ok(dated.retryAfterSeconds !== undefined && dated.retryAfterSeconds >= 28 && dated.retryAfterSeconds <= 31, 'Retry-After as an HTTP date')

  // A server that never answers.
  server.behave(() => undefined)
  const slow = adapterFor(t, server.url, { timeoutMs: 150 })
  let started = Date.now()
  const timedOut = await failure(slow.getCustomer('C1', ctx))
  t.equal(timedOut.kind, 'timeout', 'no answer within requestTimeoutMs → timeout')
  t.ok(Date.now() - started < 2000, 'promptly after the timeout')

  const patient = adapterFor(t, server.url, { timeoutMs: 30_000 })
  const controller = new AbortController()
  setTimeout(() => controller.abort(new Error('attempt timeout')), 50)
  started = Date.now()
  const aborted = await failure(patient.getCustomer('C1', context(undefined, controller.signal)))
  const tookMs = Date.now() - started
  t.equal(aborted.kind, 'timeout', "the attempt's ctx.signal fired → timeout")
  t.ok(aborted.cause !== undefined, 'with the abort as its cause')
  t.ok(tookMs < 1000, `aborted promptly (${tookMs} ms), not after the 30 s timeout`)
  const preAborted = await failure(patient.createCustomer({}, context(undefined, AbortSignal.abort())))
  t.equal(preAborted.kind, 'timeout', 'an already aborted signal never sends')
})

t.test('a CRM that is down → unreachable (the request never left)', async (t) => {
  // Find a free port, then close it: connecting is refused.
  const probe = net.createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address() as AddressInfo
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  const adapter = adapterFor(t, `http://127.0.0.1:${port}`)
  const ctx = context()
  for (const [what, call] of [
    ['get', () => adapter.getCustomer('C1', ctx)],
    ['search', () => adapter.searchCustomers({ criteria: [], offset: 0, limit: 5 }, ctx)],
    ['create', () => adapter.createCustomer({ FNAME: 'X' }, ctx)]
  ] as const) {
    const err = await failure(call())
    t.equal(err.kind, 'unreachable', `${what}: connection refused → unreachable`)
  }
})

t.test('a server answering bytes that are not HTTP → bad-response', async (t) => {
  const sockets = new Set<net.Socket>()
  const garbage = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('data', () => socket.end('SSH-2.0-OpenSSH_9.6\r\n\r\n'))
  })
  await new Promise<void>((resolve) => garbage.listen(0, '127.0.0.1', resolve))
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        garbage.close(() => resolve())
      })
  )
  const { port } = garbage.address() as AddressInfo
  const adapter = adapterFor(t, `http://127.0.0.1:${port}`)
  const err = await failure(adapter.getCustomer('C1', context()))
  t.equal(err.kind, 'bad-response', 'unparsable HTTP → bad-response')
})

t.test('ids made of dots are never a path: not found, without a call', async (t) => {
  const server = await faultServer(t)
  const paths: string[] = []
  server.behave((req, res) => {
    paths.push(req.url ?? '')
    send(200, 'application/json', '{"data":[],"total":0}')(req, res)
  })
  const adapter = adapterFor(t, server.url)
  for (const id of ['.', '..', '...', '']) {
    t.equal(await adapter.getCustomer(id, context()), null, `get "${id}": not found`)
    t.equal(await adapter.updateCustomer(id, { FNAME: 'X' }, context()), null, `update "${id}": not found`)
  }
  t.same(paths, [], 'no request reached the CRM (it would have been GET /api/v1/ or above)')
  t.equal(pathSegment('a.b'), 'a.b')
  t.equal(pathSegment('a/../b?c'), 'a%2F..%2Fb%3Fc', 'anything else is one encoded segment')
  for (const id of ['.', '..', '....', '']) t.throws(() => pathSegment(id), TypeError, `pathSegment("${id}") refuses to build a path`)
  t.notOk(isAddressableId('..'))
  t.ok(isAddressableId('.a.'))
})
