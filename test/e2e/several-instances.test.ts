/**
 * Several gateways as one (README, "Running several instances"): three gateways over one CRM,
 * the POS's calls spread across them. Over Pipedrive, which has no unique field to stop a
 * duplicate (test/fakes/pipedrive-double.ts), so only the gateway can.
 * - A retry storm (30 identical creates at once, with an Idempotency-Key or without) makes ONE
 *   person, created by one call to Pipedrive, and every answer names it. Without a shared store
 *   the same storm makes one person per instance: the finding this test was written for.
 * - An Idempotency-Key reused with another body is refused on every instance.
 * - A client's rate limit is counted over the instances: 45 requests spread over three
 *   gateways with a limit of 30 get 30 answers and 15 × 429 (without Redis: 45 answers).
 * - HubSpot's search quota (5 a second per account) is paced over the instances together: 12
 *   searches at once over three gateways reach HubSpot at 4 a second, none refused (without
 *   Redis, HubSpot refuses some).
 * - 50 address appends to one customer at once, over HubSpot (no optimistic concurrency: the
 *   gateway's shared lease is the only guard): 50 addresses. Without a shared store, some are lost.
 */
import t from 'tap'
import type { InjectOptions } from 'fastify'
import { startGatewayOverHubSpot, startHubSpot } from '../helpers/gateway-over-hubspot.js'
import { startGatewayOverPipedrive, startPipedrive, SPI, type Gateway } from '../helpers/gateway-over-pipedrive.js'
import { sharedRedis, type TestRedis } from '../helpers/redis.js'
import { example } from '../helpers/spi-examples.js'

interface TestLike {
  teardown(fn: () => unknown): void
}

async function threeGateways(t: TestLike, crmUrl: string, redis: TestRedis | undefined): Promise<Gateway[]> {
  const state = redis === undefined ? {} : { state: { redis: { url: redis.url, keyPrefix: redis.prefix } } }
  return Promise.all([0, 1, 2].map(() => startGatewayOverPipedrive(t, crmUrl, state)))
}

/** 30 creates of `payload` at once, round-robin over the gateways. */
async function storm(gateways: Gateway[], payload: InjectOptions['payload'], headers: Record<string, string> = {}) {
  return Promise.all(Array.from({ length: 30 }, (_, i) => (gateways[i % gateways.length] as Gateway).inject({ method: 'POST', url: SPI, payload, headers })))
}

const idOf = (body: string): string => (JSON.parse(body) as { customer: { profile: { customerId: string } } }).customer.profile.customerId

t.test('a retry storm over three instances makes one customer', async (t) => {
  const cases: [string, Record<string, string>][] = [['same Idempotency-Key', { 'idempotency-key': 'storm-1' }], ['same body, no key', {}]]
  for (const [name, headers] of cases) {
    await t.test(name, async (t) => {
      const redis = await sharedRedis(t)
      if (redis === undefined) return
      const pipedrive = await startPipedrive(t)
      const gateways = await threeGateways(t, pipedrive.url, redis)
      const answers = await storm(gateways, example('1-create-with-loyalty.request'), headers)
      t.same([...new Set(answers.map((a) => a.statusCode))], [200], 'every create answered 200')
      t.equal(new Set(answers.map((a) => idOf(a.body))).size, 1, 'all name the same customer')
      t.equal(pipedrive.persons.size, 1, 'one person in Pipedrive')
      const posts = pipedrive.requests.filter((r) => r.method === 'POST')
      t.same(posts.map((r) => r.url), ['/api/v2/persons'], 'created by one call')
      t.same(pipedrive.violations, [])
    })
  }
})

t.test('without a shared store the same storm makes one customer per instance', async (t) => {
  const pipedrive = await startPipedrive(t)
  const gateways = await threeGateways(t, pipedrive.url, undefined)
  const answers = await storm(gateways, example('1-create-with-loyalty.request'), { 'idempotency-key': 'storm-2' })
  t.same([...new Set(answers.map((a) => a.statusCode))], [200])
  t.equal(pipedrive.persons.size, 3, 'each instance recognized only its own repeats')
})

t.test('an Idempotency-Key reused with another body is refused on another instance', async (t) => {
  const redis = await sharedRedis(t)
  if (redis === undefined) return
  const pipedrive = await startPipedrive(t)
  const [a, b] = await threeGateways(t, pipedrive.url, redis)
  if (a === undefined || b === undefined) return
  const first = await a.inject({ method: 'POST', url: SPI, payload: example('1-create-with-loyalty.request'), headers: { 'idempotency-key': 'reused' } })
  t.equal(first.statusCode, 200)
  const other = { customer: { profile: { firstName: 'Someone', lastName: 'Else', email: 'else@example.com' } } }
  const reused = await b.inject({ method: 'POST', url: SPI, payload: other, headers: { 'idempotency-key': 'reused' } })
  t.equal(reused.statusCode, 422)
  t.equal(reused.json().errorCode, 'IDEMPOTENCY_KEY_REUSED')
  t.equal(pipedrive.persons.size, 1, 'nothing more was created')
})

/** 50 appends of distinct addresses to one HubSpot contact, spread over three gateways: their statuses, and the addresses kept. */
async function appendStorm(t: TestLike, redis: TestRedis | undefined): Promise<{ statuses: number[]; kept: number }> {
  const hubspot = await startHubSpot(t, { burstRateLimit: { max: 100_000, windowMs: 10_000 } })
  const state = redis === undefined ? {} : { state: { redis: { url: redis.url, keyPrefix: redis.prefix } } }
  const gateways = await Promise.all([0, 1, 2].map(() => startGatewayOverHubSpot(t, hubspot.url, state)))
  const [first] = gateways
  if (first === undefined) throw new Error('no gateway')
  const created = await first.inject({ method: 'POST', url: SPI, payload: { customer: { profile: { firstName: 'Ada', lastName: 'Append', email: 'ada.append@example.com' } } } })
  const id = idOf(created.body)
  const address = (i: number) => ({ addressLine1: `${i} Market St`, city: 'San Francisco', state: 'CA', postalCode: '94105', countryCode: 'US' })
  const answers = await Promise.all(
    Array.from({ length: 50 }, (_, i) =>
      (gateways[i % 3] as Gateway).inject({ method: 'PUT', url: SPI, payload: { customer: { profile: { customerId: id }, addressList: [address(i)] } } })
    )
  )
  // As HubSpot stores it (mappings/hubspot.yaml: the list as JSON in clienteling_addresses).
  const stored = hubspot.contacts.get(id)?.properties.get('clienteling_addresses') ?? '[]'
  return { statuses: answers.map((a) => a.statusCode), kept: (JSON.parse(stored) as unknown[]).length }
}

t.test('50 concurrent address appends to one HubSpot contact over three instances: 50 addresses', async (t) => {
  const redis = await sharedRedis(t)
  if (redis === undefined) return
  const { statuses, kept } = await appendStorm(t, redis)
  t.same([...new Set(statuses)], [200], 'every append answered 200')
  t.equal(kept, 50, 'none lost')
})

t.test('without a shared store the same appends lose some', async (t) => {
  const { statuses, kept } = await appendStorm(t, undefined)
  t.same([...new Set(statuses)], [200])
  t.ok(kept < 50, `${kept} of 50 kept: each instance serialized only its own`)
})

/** 45 GETs spread over three gateways whose client may make 30 a minute: how many were refused. */
async function rateStorm(t: TestLike, redis: TestRedis | undefined): Promise<number[]> {
  const pipedrive = await startPipedrive(t)
  const config = { rateLimit: { maxRequests: 30, windowSeconds: 60 }, ...(redis === undefined ? {} : { state: { redis: { url: redis.url, keyPrefix: redis.prefix } } }) }
  const gateways = await Promise.all([0, 1, 2].map(() => startGatewayOverPipedrive(t, pipedrive.url, config)))
  const answers = await Promise.all(Array.from({ length: 45 }, (_, i) => (gateways[i % 3] as Gateway).inject({ method: 'GET', url: `${SPI}/${1000 + i}` })))
  return answers.map((a) => a.statusCode)
}

t.test("a client's rate limit is counted over the instances", async (t) => {
  const redis = await sharedRedis(t)
  if (redis === undefined) return
  const statuses = await rateStorm(t, redis)
  t.equal(statuses.filter((s) => s === 429).length, 15, '30 of 45 answered, 15 refused')
  t.equal(statuses.filter((s) => s === 404).length, 30)
})

t.test('without a shared store each instance counts its own', async (t) => {
  const statuses = await rateStorm(t, undefined)
  t.equal(statuses.filter((s) => s === 429).length, 0, 'a client gets its limit on each instance')
})

/** 12 searches at once over three HubSpot gateways: the gateways' answers, and HubSpot's 429s. */
async function searchStorm(t: TestLike, redis: TestRedis | undefined): Promise<{ statuses: number[]; searches: number; spreadMs: number }> {
  const hubspot = await startHubSpot(t)
  const state = redis === undefined ? {} : { state: { redis: { url: redis.url, keyPrefix: redis.prefix } } }
  const gateways = await Promise.all([0, 1, 2].map(() => startGatewayOverHubSpot(t, hubspot.url, { ...state, resilience: { requestDeadlineMs: 5000 } })))
  const started = performance.now()
  const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => (gateways[i % 3] as Gateway).inject({ method: 'GET', url: `${SPI}?lastName=Nobody${i}` })))
  const spreadMs = performance.now() - started
  const searches = hubspot.requests.filter((r) => r.url.startsWith('/crm/v3/objects/contacts/search')).length
  return { statuses: answers.map((a) => a.statusCode), searches, spreadMs }
}

t.test("HubSpot's search quota is paced over the instances together", async (t) => {
  const redis = await sharedRedis(t)
  if (redis === undefined) return
  const { statuses, searches, spreadMs } = await searchStorm(t, redis)
  t.same([...new Set(statuses)], [200], 'every search answered: HubSpot refused none')
  t.equal(searches, 12, 'one HubSpot call each')
  t.ok(spreadMs >= 2000, `spread over ${spreadMs.toFixed(0)} ms: 4 a second (and a margin), shared`)
})

t.test('without a shared store each instance spends the quota on its own', async (t) => {
  const { statuses } = await searchStorm(t, undefined)
  t.ok(statuses.filter((s) => s === 429).length > 0, `${statuses.filter((s) => s === 429).length} of 12 refused by HubSpot (each instance paced 4 a second: 12 a second together)`)
})
