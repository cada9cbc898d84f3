/**
 * Three gateway PROCESSES (`src/main.ts`, as `npm start` runs it, each configured by its own
 * file) over one CRM and one Redis of the test's own, the test's POS spreading its calls
 * across them over real HTTP (README, "Running several instances"). Twice: over the demo CRM
 * (which versions its records) and over the HubSpot double (which has no optimistic
 * concurrency: the gateway's shared lease is the only guard of an append). Each time:
 * - a 30-create retry storm makes one customer, reaching the CRM once;
 * - an update through one process is answered by the others (the delay is reported);
 * - 50 concurrent address appends across the processes keep 50 addresses;
 * - a client's rate limit is counted over the three: 45 requests, limit 30 → 15 × 429.
 * Over the demo CRM also: Redis killed mid-test, every request still answered, /readyz 200 and
 * degraded; Redis back: the processes rejoin by themselves and are coherent again.
 */
import t, { type Test } from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { stringify } from 'yaml'
import { startFaultProxy } from '../fakes/fault-proxy.js'
import { startDemoCrm, TEST_API_KEY } from '../demo-crm/fixtures/harness.js'
import { TEST_CLIENT_ID, TEST_SECRET } from '../helpers/build-test-app.js'
import { configFileWriter } from '../helpers/config-files.js'
import { HUBSPOT_TOKEN, startHubSpot } from '../helpers/gateway-over-hubspot.js'
import { posCall as call } from '../helpers/pos-call.js'
import { ownRedis, type OwnRedis } from '../helpers/redis.js'
import { example } from '../helpers/spi-examples.js'
import { until } from '../helpers/until.js'

const SPI = '/endpoint/sa/customers'
const write = configFileWriter('processes-')

/** A second POS client, whose own limit is 30 requests a minute (auth.clients[].rateLimitMaxRequests). */
const LIMITED = { id: 'limited-pos', secret: 'limited-secret-0123456789abcdef' }

interface TestLike {
  teardown(fn: () => unknown): void
}

/** One `src/main.ts` process; resolves to its base URL once it listens. */
async function startProcess(t: TestLike, name: string, config: Record<string, unknown>): Promise<string> {
  const file = write(`${name}.yaml`, stringify(config))
  const child: ChildProcess = spawn(process.execPath, ['--import', '@isaacs/ts-node-temp-fork-for-pr-2009/import', 'src/main.ts'], {
    env: { ...process.env, TS_NODE_TRANSPILE_ONLY: '1', GATEWAY_CONFIG: file, NODE_ENV: 'development' },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      })
  )
  let output = ''
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start in 60 s: ${output}`)), 60_000)
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      const url = /gateway {4}(http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1]
      if (url !== undefined) {
        clearTimeout(timer)
        resolve(url)
      }
    })
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.once('exit', (code) => reject(new Error(`${name} exited (${String(code)}): ${output}`)))
  })
}

/** Three processes over `crm` sharing `redis`; their base URLs, once each says its state is shared. */
async function threeProcesses(t: Test, crm: Record<string, unknown>, redis: OwnRedis): Promise<string[]> {
  const config = {
    server: { port: 0 },
    crm,
    auth: {
      clients: [
        { id: TEST_CLIENT_ID, method: 'header', header: 'x-api-key', secrets: [TEST_SECRET] },
        { id: LIMITED.id, method: 'header', header: 'x-api-key', secrets: [LIMITED.secret], rateLimitMaxRequests: 30 }
      ]
    },
    state: { redis: { url: redis.url, keyPrefix: redis.prefix } },
    log: { level: 'warn' }
  }
  const bases = await Promise.all(['a', 'b', 'c'].map((name) => startProcess(t, name, config)))
  for (const base of bases) t.equal(await stateOf(base), 'shared', `${base}: state shared`)
  return bases
}

const stateOf = async (base: string): Promise<string> => ((await call('GET', `${base}/readyz`)).json as { state: { mode: string } }).state.mode
const idOf = (answer: { json: unknown }): string => (answer.json as { customer: { profile: { customerId: string } } }).customer.profile.customerId

/** What a scenario needs to know of the CRM under the processes. */
interface CrmUnder {
  /** Creates that reached the CRM since the last reset. */
  creates(): number
  resetCounts(): void
  /** The addresses the CRM stores for customer `id`. */
  addresses(id: string): Promise<number>
}

/** The scenarios every CRM gets, the POS round-robin over the processes. */
async function scenarios(t: Test, bases: string[], crm: CrmUnder): Promise<string> {
  const spi = bases.map((b) => `${b}${SPI}`)
  const on = (i: number): string => spi[i % spi.length] as string

  await t.test('a retry storm of 30 creates makes one customer, one CRM call', async (t) => {
    crm.resetCounts()
    const body = example('1-create-with-loyalty.request')
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => call('POST', on(i), body)))
    t.same([...new Set(answers.map((a) => a.status))], [200])
    t.equal(new Set(answers.map(idOf)).size, 1, 'one customer')
    t.equal(crm.creates(), 1, 'created by one CRM call')
  })

  const id = idOf(await call('POST', on(0), { customer: { profile: { firstName: 'Pat', lastName: 'Process', email: 'pat.process@example.com' } } }))
  const nameOn = async (i: number): Promise<string> => ((await call('GET', `${on(i)}/${id}`)).json as { customer: { profile: { firstName: string } } }).customer.profile.firstName

  await t.test('an update through one process is answered by the others', async (t) => {
    const delays: number[] = []
    for (let round = 0; round < 10; round++) {
      await Promise.all([nameOn(1), nameOn(2)]) // both hold the customer in their caches
      const name = `Pat${round}`
      t.equal((await call('PUT', on(0), { customer: { profile: { customerId: id, firstName: name } } })).status, 200)
      const written = performance.now()
      t.ok(await until(async () => (await nameOn(1)) === name && (await nameOn(2)) === name, 2000), `round ${round}: the new name on B and C`)
      delays.push(performance.now() - written)
    }
    delays.sort((x, y) => x - y)
    t.comment(`new data on the other processes after ${delays[Math.floor(delays.length / 2)]?.toFixed(1)} ms (p50), ${delays.at(-1)?.toFixed(1)} ms (max), polling every 10 ms`)
  })

  await t.test('50 concurrent address appends across the processes keep 50 addresses', async (t) => {
    const address = (i: number) => ({ addressLine1: `${i} Mission St`, city: 'San Francisco', state: 'CA', postalCode: '94105', countryCode: 'US' })
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => call('PUT', on(i), { customer: { profile: { customerId: id }, addressList: [address(i)] } })))
    t.same([...new Set(answers.map((a) => a.status))], [200])
    t.equal(await crm.addresses(id), 50, 'none lost')
  })

  await t.test("a client's rate limit is counted over the processes", async (t) => {
    const auth = { 'x-api-key': LIMITED.secret }
    const answers = await Promise.all(Array.from({ length: 45 }, (_, i) => call('GET', `${on(i)}/${id}`, undefined, auth)))
    t.equal(answers.filter((a) => a.status === 429).length, 15, '30 of 45 answered, 15 refused')
    t.equal(answers.filter((a) => a.status === 200).length, 30)
  })
  return id
}

t.test('three gateway processes, one demo CRM, one Redis', async (t) => {
  const redis = await ownRedis(t)
  if (redis === undefined) return
  const demo = await startDemoCrm(t)
  // Between the gateways and the CRM, to count the calls that reach it.
  const proxy = await startFaultProxy({ target: demo.baseUrl })
  t.teardown(() => proxy.close())
  const bases = await threeProcesses(t, { adapter: 'demo-crm', baseUrl: proxy.url, options: { apiKey: TEST_API_KEY } }, redis)
  const id = await scenarios(t, bases, {
    creates: () => proxy.forwardedRequests().filter((r) => r.method === 'POST').length,
    resetCounts: () => proxy.resetCounters(),
    addresses: async (id) => {
      const record = (await (await fetch(`${demo.baseUrl}/api/v1/contacts/${id}`, { headers: { 'x-api-key': TEST_API_KEY } })).json()) as { ADDRESSES?: unknown[] }
      return record.ADDRESSES?.length ?? 0
    }
  })

  const spi = bases.map((b) => `${b}${SPI}`)
  const nameOn = async (i: number): Promise<string> => ((await call('GET', `${spi[i]}/${id}`)).json as { customer: { profile: { firstName: string } } }).customer.profile.firstName
  await t.test('Redis killed mid-test: every request answered; back: rejoined and coherent', async (t) => {
    await redis.stop()
    const during = await Promise.all([
      ...spi.map((s) => call('GET', `${s}/${id}`)),
      ...spi.map((s, i) => call('PUT', s, { customer: { profile: { customerId: id, firstName: `Away${i}` } } })),
      ...spi.map((s, i) => call('POST', s, { customer: { profile: { firstName: 'Away', lastName: `New${i}`, email: `away.${i}@example.com` } } }))
    ])
    t.same([...new Set(during.map((a) => a.status))], [200], 'gets, updates and creates answered with Redis away')
    for (const base of bases) {
      const ready = await call('GET', `${base}/readyz`)
      t.equal(ready.status, 200, 'still ready')
      t.equal((ready.json as { state: { mode: string } }).state.mode, 'degraded')
    }
    await redis.start()
    for (const base of bases) t.ok(await until(async () => (await stateOf(base)) === 'shared', 10_000), `${base} rejoined by itself`)
    await new Promise((resolve) => setTimeout(resolve, 300)) // subscriptions follow the connections
    await Promise.all([nameOn(1), nameOn(2)])
    t.equal((await call('PUT', spi[0] as string, { customer: { profile: { customerId: id, firstName: 'Back' } } })).status, 200)
    t.ok(await until(async () => (await nameOn(1)) === 'Back' && (await nameOn(2)) === 'Back', 2000), 'coherent again')
  })
})

t.test('three gateway processes, one HubSpot portal (the double), one Redis', async (t) => {
  const redis = await ownRedis(t)
  if (redis === undefined) return
  // Appends at once spend HubSpot's burst limit; the test is about the gateway's guard, not the quota.
  const hubspot = await startHubSpot(t, { burstRateLimit: { max: 100_000, windowMs: 10_000 } })
  let seen = 0
  const bases = await threeProcesses(t, { adapter: 'hubspot', baseUrl: hubspot.url, options: { accessToken: HUBSPOT_TOKEN } }, redis)
  await scenarios(t, bases, {
    creates: () => hubspot.requests.slice(seen).filter((r) => r.method === 'POST' && r.url === '/crm/v3/objects/contacts').length,
    resetCounts: () => (seen = hubspot.requests.length),
    // As HubSpot stores it (mappings/hubspot.yaml: the list as JSON in clienteling_addresses).
    addresses: async (id) => (JSON.parse(hubspot.contacts.get(id)?.properties.get('clienteling_addresses') ?? '[]') as unknown[]).length
  })
})
