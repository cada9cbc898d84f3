/**
 * The resilience issue's fault matrix, end to end: gateway → demo-crm adapter → fault proxy →
 * the real demo CRM. For every fault × SPI operation: the status and error code, answered
 * within the deadline, no unhandled rejection, nothing cached wrongly. Then concurrency:
 * 50 concurrent address updates (also across two gateway instances), 20 identical creates.
 */
import t from 'tap'
import { startDemoCrm } from '../demo-crm/fixtures/harness.js'
import { startFaultProxy, type Fault } from '../fakes/fault-proxy.js'
import { SPI, startGateway } from '../helpers/gateway-over-demo-crm.js'

const DEADLINE_MS = 600
/** Event-loop and socket slack on a loaded 2-core machine; the budget itself is DEADLINE_MS. */
const SLACK_MS = 250
const resilience = {
  requestDeadlineMs: DEADLINE_MS,
  // A high volume threshold keeps the breaker closed during the matrix (it has its own test).
  breaker: { timeoutMs: 400, volumeThreshold: 1000 },
  retry: { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 20 }
}

const unhandled: unknown[] = []
process.on('unhandledRejection', (reason) => unhandled.push(reason))

interface Row {
  readonly fault: Fault
  readonly status: number
  readonly code: string
  readonly retryAfter?: string
}

const ROWS: Row[] = [
  { fault: { kind: 'down' }, status: 503, code: 'CRM_UNAVAILABLE', retryAfter: '5' },
  { fault: { kind: 'slow', delayMs: 3000 }, status: 504, code: 'CRM_TIMEOUT' },
  { fault: { kind: 'hang' }, status: 504, code: 'CRM_TIMEOUT' },
  { fault: { kind: 'status', status: 500 }, status: 502, code: 'CRM_ERROR' },
  { fault: { kind: 'status', status: 503 }, status: 502, code: 'CRM_ERROR' },
  { fault: { kind: 'reset' }, status: 503, code: 'CRM_UNAVAILABLE' },
  { fault: { kind: 'garbage' }, status: 502, code: 'CRM_BAD_RESPONSE' },
  { fault: { kind: 'wrong-content-type' }, status: 502, code: 'CRM_BAD_RESPONSE' },
  { fault: { kind: 'throttle-429', retryAfterSeconds: 7 }, status: 429, code: 'CRM_RATE_LIMITED', retryAfter: '7' },
  { fault: { kind: 'salesforce-limit' }, status: 429, code: 'CRM_RATE_LIMITED', retryAfter: '5' }
]

t.test('fault × operation matrix', async (t) => {
  const crm = await startDemoCrm(t)
  const proxy = await startFaultProxy({ target: crm.baseUrl })
  t.teardown(() => proxy.close())
  const gw = await startGateway(t, proxy.url, { resilience })

  const seeded = await gw.inject({ method: 'POST', url: SPI, payload: { profile: { firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.com' } } })
  t.equal(seeded.statusCode, 200)
  const cachedId = seeded.json().customer.profile.customerId as string
  // The matrix runs on a second gateway instance: customers created through `gw` are not in
  // its read cache, so its GETs reach the (failing) CRM.
  const fresh = await startGateway(t, proxy.url, { resilience })
  let uncachedId = ''

  let n = 0
  const operations = {
    create: () => ({ method: 'POST' as const, url: SPI, payload: { profile: { firstName: `New${++n}`, email: `new${n}@example.com` } } }),
    update: () => ({ method: 'PUT' as const, url: SPI, payload: { profile: { customerId: uncachedId, lastName: `Turing${++n}` } } }),
    search: () => ({ method: 'GET' as const, url: `${SPI}?lastName=tur` }),
    get: () => ({ method: 'GET' as const, url: `${SPI}/${uncachedId}` })
  }

  for (const row of ROWS) {
    const other = await gw.inject({ method: 'POST', url: SPI, payload: { profile: { firstName: 'Alan', lastName: 'Turing', email: `alan${++n}@example.com` } } })
    uncachedId = other.json().customer.profile.customerId as string
    await proxy.setFault(row.fault)
    for (const [op, request] of Object.entries(operations)) {
      const started = performance.now()
      const r = await fresh.inject(request())
      const ms = performance.now() - started
      const label = `${row.fault.kind}${row.fault.kind === 'status' ? ` ${row.fault.status}` : ''} × ${op}`
      t.equal(r.statusCode, row.status, `${label}: ${row.status}`)
      t.equal(r.json().errorCode, row.code, `${label}: ${row.code}`)
      t.ok(ms < DEADLINE_MS + SLACK_MS, `${label}: answered in ${Math.round(ms)} ms, within the deadline`)
      if (row.retryAfter) t.equal(r.headers['retry-after'], row.retryAfter, `${label}: Retry-After`)
    }
    // GET of a customer the gateway has cached: served stale, marked so, never "not found".
    const stale = await gw.inject({ method: 'GET', url: `${SPI}/${cachedId}` })
    await proxy.clearFaults()
    // Nothing cached wrongly: the uncached customer is read from the CRM once it is back.
    const after = await fresh.inject(operations.get())
    t.equal(after.statusCode, 200, `${row.fault.kind}: after recovery the customer is there`)
    t.equal(after.headers['x-cache'], 'miss', `${row.fault.kind}: the failure was not cached`)
    await fresh.app.inject({ method: 'GET', url: '/healthz' })
    t.ok(stale.statusCode === 200 || stale.statusCode === row.status, `${row.fault.kind}: cached GET is 200 or the fault's status`)
    if (stale.statusCode === 200) t.equal(stale.json().customer.profile.firstName, 'Ada')
  }
  await proxy.whenIdle(2000)
  t.same(unhandled, [], 'no unhandled rejection')
})

t.test('stale serving: the CRM down, a recently read customer is still answered, marked stale', async (t) => {
  const crm = await startDemoCrm(t)
  const proxy = await startFaultProxy({ target: crm.baseUrl })
  t.teardown(() => proxy.close())
  // ttl 0: every read goes to the CRM, so the stale path is the only way to answer.
  const gw = await startGateway(t, proxy.url, { resilience, cache: { ttlMs: 0, maxStaleMs: 60_000 } })
  const created = await gw.inject({ method: 'POST', url: SPI, payload: { profile: { firstName: 'Grace', email: 'grace@example.com' } } })
  const id = created.json().customer.profile.customerId as string
  await proxy.setFault({ kind: 'down' })
  const r = await gw.inject({ method: 'GET', url: `${SPI}/${id}` })
  t.equal(r.statusCode, 200)
  t.equal(r.headers['x-cache'], 'stale')
  t.ok(r.headers['age'] !== undefined, 'with its age')
  t.equal(r.json().customer.profile.firstName, 'Grace')
  const unknown = await gw.inject({ method: 'GET', url: `${SPI}/C99999999` })
  t.equal(unknown.statusCode, 503, 'an id never read: the outage is said, never "not found"')
  await proxy.clearFaults()
})

t.test('the breaker opens on a failing CRM and answers 503 without calling it', async (t) => {
  const crm = await startDemoCrm(t)
  const proxy = await startFaultProxy({ target: crm.baseUrl })
  t.teardown(() => proxy.close())
  const gw = await startGateway(t, proxy.url, {
    resilience: { ...resilience, breaker: { timeoutMs: 400, volumeThreshold: 4, errorThresholdPercentage: 50, resetTimeoutMs: 30_000 }, retry: { maxAttempts: 1 } }
  })
  // Only searches fail (their URL has a query string); gets reach the CRM.
  await proxy.setFault({ kind: 'status', status: 500 }, { match: { path: /\?/ } })
  for (let i = 0; i < 4; i++) t.equal((await gw.inject({ method: 'GET', url: `${SPI}?lastName=x` })).statusCode, 502)
  const reached = proxy.received
  const open = await gw.inject({ method: 'GET', url: `${SPI}?lastName=x` })
  t.equal(open.statusCode, 503)
  t.equal(open.json().errorCode, 'CRM_UNAVAILABLE')
  t.equal(open.headers['retry-after'], '30', 'Retry-After: until the breaker half-opens')
  t.equal(proxy.received, reached, 'the CRM was not called')
  const ready = await gw.app.inject({ method: 'GET', url: '/readyz' })
  t.equal(ready.json().breakers.search, 'open', '/readyz shows the open breaker')
  const metrics = await gw.app.inject({ method: 'GET', url: '/metrics' })
  t.match(metrics.body, /crm_breaker_state\{adapter="demo-crm",operation="search"\} 2/, 'and so do the metrics')
  t.equal((await gw.inject({ method: 'GET', url: `${SPI}/C00000001` })).statusCode, 404, 'other operations have their own breaker')
  await proxy.clearFaults()
})

t.test('50 concurrent updates of one customer, each adding an address: all 50 kept', async (t) => {
  const crm = await startDemoCrm(t)
  const gw = await startGateway(t, crm.baseUrl)
  const other = await startGateway(t, crm.baseUrl)
  const created = await gw.inject({ method: 'POST', url: SPI, payload: { profile: { firstName: 'Edsger' } } })
  const id = created.json().customer.profile.customerId as string
  // Half through each of two gateway instances: within one, updates queue; across the two,
  // the CRM's If-Match makes the loser re-read and try again.
  const answers = await Promise.all(
    Array.from({ length: 50 }, (_, i) =>
      (i % 2 ? other : gw).inject({
        method: 'PUT',
        url: SPI,
        payload: { profile: { customerId: id }, addressList: [{ addressLine1: `${i} Dijkstra Way`, city: 'Austin', postalCode: '78701', countryCode: 'US' }] }
      })
    )
  )
  const failed = answers.filter((a) => a.statusCode !== 200)
  t.same(failed.map((a) => a.json().errorCode), [], 'every update succeeded')
  const final = await gw.inject({ method: 'GET', url: `${SPI}/${id}`, headers: { 'cache-control': 'no-cache' } })
  const stored = await fetch(`${crm.baseUrl}/api/v1/contacts/${id}`, { headers: { 'x-api-key': 'test-key-5f2c9a' } }).then((r) => r.json() as Promise<{ ADDRESSES: unknown[] }>)
  t.equal(stored.ADDRESSES.length, 50, 'all 50 addresses are in the CRM')
  t.ok(final.statusCode === 200)
})

t.test('20 concurrent identical creates make one customer; a reused key with another body is refused', async (t) => {
  const crm = await startDemoCrm(t)
  const proxy = await startFaultProxy({ target: crm.baseUrl })
  t.teardown(() => proxy.close())
  const gw = await startGateway(t, proxy.url)
  const body = { customer: { profile: { firstName: 'Barbara', lastName: 'Liskov', email: 'barbara@example.com' } } }
  const answers = await Promise.all(Array.from({ length: 20 }, () => gw.inject({ method: 'POST', url: SPI, payload: body })))
  t.ok(answers.every((a) => a.statusCode === 200), 'all answered 200')
  t.equal(new Set(answers.map((a) => a.json().customer.profile.customerId)).size, 1, 'with the same customer')
  t.equal(proxy.forwarded, 1, 'the CRM saw one create')

  const keyed = { 'idempotency-key': 'k-1' }
  const first = await gw.inject({ method: 'POST', url: SPI, payload: { profile: { firstName: 'Ken', email: 'ken@example.com' } }, headers: keyed })
  const again = await gw.inject({ method: 'POST', url: SPI, payload: { profile: { email: 'ken@example.com', firstName: 'Ken' } }, headers: keyed })
  t.equal(again.json().customer.profile.customerId, first.json().customer.profile.customerId, 'same key, same body: the first answer')
  const reused = await gw.inject({ method: 'POST', url: SPI, payload: { profile: { firstName: 'Other' } }, headers: keyed })
  t.equal(reused.statusCode, 422)
  t.equal(reused.json().errorCode, 'IDEMPOTENCY_KEY_REUSED')
})
