/**
 * Three gateway PROCESSES (`src/main.ts`, as `npm start` runs it, each configured by its own
 * file) over one demo CRM and one Redis of the test's own, the test's POS spreading its calls
 * across them over real HTTP (README, "Running several instances"):
 * - a 30-create retry storm makes one customer, reaching the CRM once;
 * - an update through one process is answered by the others (the delay is reported);
 * - 50 concurrent address appends across the processes keep 50 addresses;
 * - Redis killed mid-test: every request still answered, /readyz 200 and degraded; Redis back:
 *   the processes rejoin by themselves and are coherent again.
 */
import t from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { stringify } from 'yaml'
import { startFaultProxy } from '../fakes/fault-proxy.js'
import { startDemoCrm, TEST_API_KEY } from '../demo-crm/fixtures/harness.js'
import { TEST_CLIENT_ID, TEST_SECRET } from '../helpers/build-test-app.js'
import { configFileWriter } from '../helpers/config-files.js'
import { posCall as call } from '../helpers/pos-call.js'
import { ownRedis } from '../helpers/redis.js'
import { example } from '../helpers/spi-examples.js'
import { until } from '../helpers/until.js'

const SPI = '/endpoint/sa/customers'
const write = configFileWriter('processes-')

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

const stateOf = async (base: string): Promise<string> => ((await call('GET', `${base}/readyz`)).json as { state: { mode: string } }).state.mode

t.test('three gateway processes, one demo CRM, one Redis', async (t) => {
  const redis = await ownRedis(t)
  if (redis === undefined) return
  const crm = await startDemoCrm(t)
  // Between the gateways and the CRM, to count the calls that reach it.
  const proxy = await startFaultProxy({ target: crm.baseUrl })
  t.teardown(() => proxy.close())
  const config = (port: number) => ({
    server: { port },
    crm: { adapter: 'demo-crm', baseUrl: proxy.url, options: { apiKey: TEST_API_KEY } },
    auth: { clients: [{ id: TEST_CLIENT_ID, method: 'header', header: 'x-api-key', secrets: [TEST_SECRET] }] },
    state: { redis: { url: redis.url, keyPrefix: redis.prefix } },
    log: { level: 'warn' }
  })
  const bases = await Promise.all(['a', 'b', 'c'].map((name) => startProcess(t, name, config(0))))
  const spi = bases.map((b) => `${b}${SPI}`)
  const on = (i: number): string => spi[i % spi.length] as string
  for (const base of bases) t.equal(await stateOf(base), 'shared', `${base}: state shared`)

  await t.test('a retry storm of 30 creates makes one customer, one CRM call', async (t) => {
    proxy.resetCounters()
    const body = example('1-create-with-loyalty.request')
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => call('POST', on(i), body)))
    t.same([...new Set(answers.map((a) => a.status))], [200])
    t.equal(new Set(answers.map((a) => (a.json as { customer: { profile: { customerId: string } } }).customer.profile.customerId)).size, 1, 'one customer')
    t.equal(proxy.forwardedRequests().filter((r) => r.method === 'POST').length, 1, 'created by one CRM call')
  })

  const created = await call('POST', on(0), { customer: { profile: { firstName: 'Pat', lastName: 'Process', email: 'pat.process@example.com' } } })
  const id = (created.json as { customer: { profile: { customerId: string } } }).customer.profile.customerId
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
    const crmRecord = (await (await fetch(`${crm.baseUrl}/api/v1/contacts/${id}`, { headers: { 'x-api-key': TEST_API_KEY } })).json()) as { ADDRESSES?: unknown[] }
    t.equal(crmRecord.ADDRESSES?.length, 50, 'none lost (the demo CRM versions its records: the CRM check guards)')
  })

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
    t.equal((await call('PUT', on(0), { customer: { profile: { customerId: id, firstName: 'Back' } } })).status, 200)
    t.ok(await until(async () => (await nameOn(1)) === 'Back' && (await nameOn(2)) === 'Back', 2000), 'coherent again')
  })
})
