/**
 * The fault matrix, end to end: gateway → demo-crm adapter → fault proxy → the real demo CRM.
 * For every fault (refused connections, accepted-then-reset, slow past the deadline, hang, 5xx,
 * reset after the request, reset mid-answer, garbage, HTML, 429 with a two-hour Retry-After,
 * Salesforce's REQUEST_LIMIT_EXCEEDED) × SPI operation, with the default and short timings: the
 * status and `{errorCode, errorMessage}`, within the deadline, Retry-After clamped, stale
 * answers for customers read before, nothing cached wrongly, the process alive. Then which
 * faults open a breaker, stale serving, and concurrency (50 address updates across two
 * instances, 20 identical creates).
 */
import t from 'tap'
import { seedContact, startDemoCrm } from '../demo-crm/fixtures/harness.js'
import { startFaultProxy, type Fault } from '../fakes/fault-proxy.js'
import { SPI, startGateway } from '../helpers/gateway-over-demo-crm.js'
import { resilienceOf, TIMINGS, type TimingName } from '../helpers/pos-http.js'

const DEADLINE_MS = 600
const resilience = {
  requestDeadlineMs: DEADLINE_MS,
  // A high volume threshold keeps the breaker closed during the other tests (it has its own).
  breaker: { timeoutMs: 400, volumeThreshold: 1000 },
  retry: { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 20 }
}
/** How late past its deadline an answer may come: event loop and sockets on a loaded machine. */
const SLACK_MS = 300

const unhandled: unknown[] = []
process.on('unhandledRejection', (reason) => unhandled.push(reason))

interface Row {
  readonly fault: Fault
  readonly status: number
  readonly code: string
  readonly retryAfter?: string
  /** A CRM fault: the breaker counts it (throttling and quotas are not faults). */
  readonly counted: boolean
}

const ROWS: Row[] = [
  { fault: { kind: 'down' }, status: 503, code: 'CRM_UNAVAILABLE', retryAfter: '5', counted: true },
  { fault: { kind: 'reset-on-connect' }, status: 503, code: 'CRM_UNAVAILABLE', counted: true },
  { fault: { kind: 'slow', delayMs: 20_000 }, status: 504, code: 'CRM_TIMEOUT', counted: true },
  { fault: { kind: 'hang' }, status: 504, code: 'CRM_TIMEOUT', counted: true },
  { fault: { kind: 'status', status: 500 }, status: 502, code: 'CRM_ERROR', counted: true },
  { fault: { kind: 'status', status: 503 }, status: 502, code: 'CRM_ERROR', counted: true },
  { fault: { kind: 'reset' }, status: 503, code: 'CRM_UNAVAILABLE', counted: true },
  { fault: { kind: 'cut-answer' }, status: 503, code: 'CRM_UNAVAILABLE', counted: true },
  { fault: { kind: 'garbage' }, status: 502, code: 'CRM_BAD_RESPONSE', counted: true },
  { fault: { kind: 'wrong-content-type' }, status: 502, code: 'CRM_BAD_RESPONSE', counted: true },
  { fault: { kind: 'throttle-429', retryAfterSeconds: 7200 }, status: 429, code: 'CRM_RATE_LIMITED', retryAfter: '60', counted: false },
  { fault: { kind: 'salesforce-limit' }, status: 429, code: 'CRM_QUOTA_EXHAUSTED', retryAfter: '60', counted: false }
]

const label = (row: Row): string => `${row.fault.kind}${row.fault.kind === 'status' ? ` ${row.fault.status}` : ''}`

for (const timing of Object.keys(TIMINGS) as TimingName[]) {
  t.test(`[${timing} timings] fault × operation matrix: the right answer, within the deadline, nothing cached wrongly`, async (t) => {
    const crm = await startDemoCrm(t)
    const proxy = await startFaultProxy({ target: crm.baseUrl })
    t.teardown(() => proxy.close())
    const { requestDeadlineMs } = resilienceOf(timing)
    let n = 0
    for (const row of ROWS) {
      // A gateway per row: a throttle's hold or a breaker from one row must not answer the next.
      // Every read asks the CRM (ttl 0), so a customer read before is answered stale or not at all.
      // The breakers stay closed here (a high volume threshold): which faults open one is the next test.
      const timings: Record<string, unknown> = TIMINGS[timing]
      const settings = { ...timings, breaker: { ...(timings['breaker'] as object | undefined), volumeThreshold: 1000 } }
      const gw = await startGateway(t, proxy.url, { resilience: settings, cache: { ttlMs: 0, maxStaleMs: 600_000 } })
      const cachedId = await seedContact(crm, { FNAME: 'Ada', LNAME: 'Lovelace' })
      const uncachedId = await seedContact(crm, { FNAME: 'Alan', LNAME: 'Turing' })
      t.equal((await gw.inject({ method: 'GET', url: `${SPI}/${cachedId}` })).statusCode, 200)
      const operations = {
        create: { method: 'POST' as const, url: SPI, payload: { profile: { firstName: `New${++n}`, email: `new${n}.${timing}@example.com` } } },
        update: { method: 'PUT' as const, url: SPI, payload: { profile: { customerId: uncachedId, lastName: `Turing${++n}` } } },
        search: { method: 'GET' as const, url: `${SPI}?lastName=tur` },
        get: { method: 'GET' as const, url: `${SPI}/${uncachedId}` }
      }
      await proxy.setFault(row.fault)
      await Promise.all(
        Object.entries(operations).map(async ([op, request]) => {
          const started = performance.now()
          const r = await gw.inject(request)
          const ms = performance.now() - started
          t.equal(r.statusCode, row.status, `${label(row)} × ${op}: ${row.status}`)
          t.same(Object.keys(r.json()).sort(), ['errorCode', 'errorMessage'], `${label(row)} × ${op}: {errorCode, errorMessage}`)
          t.equal(r.json().errorCode, row.code, `${label(row)} × ${op}: ${row.code}`)
          t.ok(ms < requestDeadlineMs + SLACK_MS, `${label(row)} × ${op}: answered in ${Math.round(ms)} ms, within the deadline`)
          if (row.retryAfter) t.equal(r.headers['retry-after'], row.retryAfter, `${label(row)} × ${op}: Retry-After`)
        })
      )
      // A customer this instance has read: served stale, marked so, never "not found".
      const stale = await gw.inject({ method: 'GET', url: `${SPI}/${cachedId}` })
      t.equal(stale.statusCode, 200, `${label(row)}: a customer read before is still answered…`)
      t.equal(stale.headers['x-cache'], 'stale', '…marked stale')
      t.equal(stale.json().customer.profile.firstName, 'Ada')
      await proxy.clearFaults()
      if (row.counted) {
        // Nothing cached wrongly: the uncached customer is read from the CRM once it is back.
        const after = await gw.inject(operations.get)
        t.equal(after.statusCode, 200, `${label(row)}: after recovery the customer is there`)
        t.equal(after.headers['x-cache'], 'miss', `${label(row)}: the failure was not cached`)
      } else {
        const reached = proxy.received
        t.equal((await gw.inject(operations.get)).statusCode, 429, `${label(row)}: held while the CRM's window runs`)
        t.equal(proxy.received, reached, `${label(row)}: without calling the CRM`)
      }
      await proxy.whenIdle(requestDeadlineMs + 2000)
    }
    const crmGone = await startGateway(t, 'http://127.0.0.1:9', { resilience: TIMINGS[timing] })
    t.equal((await crmGone.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200, 'the process is alive and answering')
    t.same(unhandled, [], 'no unhandled rejection')
  })
}

t.test('the breaker opens on CRM faults only — never on throttling or quotas', async (t) => {
  const crm = await startDemoCrm(t)
  const proxy = await startFaultProxy({ target: crm.baseUrl })
  t.teardown(() => proxy.close())
  for (const row of ROWS.filter((r) => r.fault.kind !== 'slow' && r.fault.kind !== 'hang')) {
    const gw = await startGateway(t, proxy.url, {
      resilience: { ...resilience, breaker: { timeoutMs: 400, volumeThreshold: 4, errorThresholdPercentage: 50, resetTimeoutMs: 30_000 }, retry: { maxAttempts: 1 } }
    })
    await proxy.setFault(row.fault)
    for (let i = 0; i < 6; i++) await gw.inject({ method: 'GET', url: `${SPI}?lastName=x${i}` })
    await proxy.clearFaults()
    const ready = await gw.app.inject({ method: 'GET', url: '/readyz' })
    t.equal(ready.json().breakers.search, row.counted ? 'open' : 'closed', `${label(row)}: the search circuit is ${row.counted ? 'open' : 'closed'}`)
  }
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
