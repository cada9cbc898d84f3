/**
 * Several gateways over one CRM (README, "Running several instances"): `npm run
 * bench:instances` (about 6 minutes). One fake CRM (bench/servers/fake-crm.ts) and the
 * machine's Redis; sets of 1, 2 and 3 gateway processes sharing their state through Redis (and
 * of 1 and 3 without Redis, the references), each gateway in its own process. The load
 * balancer is one wrk per gateway, the connections split between them.
 *
 * 1. Throughput: every set under the same total load (cache-hit GETs, then GETs with the cache
 *    off, so every request reaches the CRM), rounds alternating between the sets. For each: the
 *    set's req/s, the worst instance's p99, and the CPU per request of the gateways and of
 *    Redis (read from /proc).
 * 2. The invalidation delay while saturated: the three-gateway set under the hit load, a
 *    probe updates a customer through A and reads it through B until B answers it from the CRM
 *    again (x-cache: miss: B's cache dropped it). The delay runs from A's answer to B's first
 *    fresh answer — how long a till at B can still be shown the old customer, including one
 *    GET's round trip under that load.
 * 3. Memory of one gateway with and without Redis under the hit load: its peak RSS, and its
 *    RSS and live heap after two full collections (the gateways run with --expose-gc), to tell
 *    what the shared store keeps from the garbage it makes.
 *
 * Options: --rounds N (3), --duration S (5), --connections N (50 in total), --probes N (200).
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { join } from 'node:path'
import { loadavg } from 'node:os'
import { createClient } from '@redis/client'
import { BENCH_DIR, CUSTOMER_ID, POS_SECRET, SPI_CUSTOMERS } from './common.js'
import { cpuSeconds, memoryAfterGc, procStatusKb, resetPeakRss, spawnServer, stopAll, type Server } from './procs.js'
import { runWrk, wrkAvailable, type WrkResult } from './wrk.js'

const POS = { 'x-api-key': POS_SECRET }
const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379'
/** The run's own keys, deleted at the end. */
const PREFIX = `bench-instances:${process.pid}:`
const ONE = `${SPI_CUSTOMERS}/${CUSTOMER_ID}`

interface Options {
  readonly rounds: number
  readonly durationS: number
  readonly connections: number
  readonly probes: number
}

function parseOptions(argv: readonly string[]): Options {
  const values = new Map<string, number>()
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i]?.replace(/^--/, '') ?? ''
    const n = Number(argv[i + 1])
    if (!['rounds', 'duration', 'connections', 'probes'].includes(key)) throw new Error(`unknown option ${argv[i]}`)
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${key} takes a positive integer`)
    values.set(key, n)
  }
  return { rounds: values.get('rounds') ?? 3, durationS: values.get('duration') ?? 5, connections: values.get('connections') ?? 50, probes: values.get('probes') ?? 200 }
}

/** A set of gateways as a load balancer sees it. */
interface GatewaySet {
  readonly label: string
  readonly gateways: readonly Server[]
  /** Whether they share their state through Redis. */
  readonly shared: boolean
}

interface SetRun {
  readonly rps: number
  readonly worstP99Ms: number
  readonly gatewayCpuUsPerRequest: number
  readonly redisCpuUsPerRequest: number
  readonly errors: number
}

const log = (line: string): void => console.log(line)
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US')
const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN

async function startSet(label: string, size: number, crmUrl: string, cache: Record<string, unknown>, redisPrefix: string | undefined): Promise<GatewaySet> {
  const redis = redisPrefix === undefined ? undefined : { url: REDIS_URL, keyPrefix: redisPrefix }
  const gateways = await Promise.all(
    Array.from({ length: size }, (_, i) => spawnServer(`${label}#${i}`, join(BENCH_DIR, 'servers', 'gateway.js'), { crmUrl, cache, redis, logLevel: 'warn' }, { execArgv: ['--expose-gc'] })
    )
  )
  for (const g of gateways) {
    const ready = (await (await fetch(`${g.url}/readyz`)).json()) as { state?: { mode?: string } }
    const want = redis === undefined ? 'local' : 'shared'
    if (ready.state?.mode !== want) throw new Error(`${g.name}: state ${ready.state?.mode}, expected ${want} (is Redis at ${REDIS_URL}?)`)
  }
  return { label, gateways, shared: redis !== undefined }
}

/** One wrk per gateway, the connections split between them, all at once. */
async function load(set: GatewaySet, options: Options, durationS: number, redisPid: number | undefined): Promise<SetRun> {
  const per = Math.max(1, Math.round(options.connections / set.gateways.length))
  const cpuBefore = set.gateways.map((g) => cpuSeconds(g.pid))
  const redisBefore = redisPid === undefined ? 0 : cpuSeconds(redisPid)
  const runs: WrkResult[] = await Promise.all(
    set.gateways.map((g) => runWrk({ url: `${g.url}${ONE}`, script: 'plain', durationSeconds: durationS, connections: per, headers: POS }))
  )
  const requests = runs.reduce((sum, r) => sum + r.requests, 0)
  const gatewayCpu = set.gateways.reduce((sum, g, i) => sum + cpuSeconds(g.pid) - (cpuBefore[i] ?? 0), 0)
  const redisCpu = redisPid === undefined ? 0 : cpuSeconds(redisPid) - redisBefore
  return {
    rps: runs.reduce((sum, r) => sum + r.rps, 0),
    worstP99Ms: Math.max(...runs.map((r) => r.p99Ms)),
    gatewayCpuUsPerRequest: (gatewayCpu * 1e6) / requests,
    redisCpuUsPerRequest: (redisCpu * 1e6) / requests,
    errors: runs.reduce((sum, r) => sum + r.socketErrors + r.statusErrors, 0)
  }
}

async function getFrom(gateway: Server, id: string): Promise<{ cache: string | null; ms: number }> {
  const started = performance.now()
  const res = await fetch(`${gateway.url}${SPI_CUSTOMERS}/${id}`, { headers: POS })
  await res.arrayBuffer()
  if (res.status !== 200) throw new Error(`GET through ${gateway.name}: ${res.status}`)
  return { cache: res.headers.get('x-cache'), ms: performance.now() - started }
}

/** Update through A, read through B until B answers from the CRM: the delays, and B's hit round trips. */
async function probeInvalidation(a: Server, b: Server, probes: number, until: number): Promise<{ delays: number[]; hitMs: number[]; freshAtOnce: number }> {
  const delays: number[] = []
  const hitMs: number[] = []
  /** Probes whose first read through B after A's answer was already from the CRM. */
  let freshAtOnce = 0
  for (let i = 0; i < probes && performance.now() < until; i++) {
    const id = `P${process.pid}x${i}`
    await getFrom(b, id)
    const cached = await getFrom(b, id)
    if (cached.cache !== 'hit') throw new Error(`B did not cache ${id} (x-cache ${cached.cache})`)
    hitMs.push(cached.ms)
    const put = await fetch(`${a.url}${SPI_CUSTOMERS}`, {
      method: 'PUT',
      headers: { ...POS, 'content-type': 'application/json' },
      body: JSON.stringify({ customer: { profile: { customerId: id, firstName: 'Probe' } } })
    })
    await put.arrayBuffer()
    if (put.status !== 200) throw new Error(`PUT through A: ${put.status}`)
    const answered = performance.now()
    for (let reads = 1; ; reads++) {
      const read = await getFrom(b, id)
      if (read.cache !== 'hit') {
        if (reads === 1) freshAtOnce++
        break
      }
      if (performance.now() - answered > 5000) throw new Error(`B still answered ${id} from its cache 5 s after the update`)
    }
    delays.push(performance.now() - answered)
  }
  return { delays, hitMs, freshAtOnce }
}

const percentile = (sorted: readonly number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2))
  if (!wrkAvailable()) throw new Error('wrk is not installed (apt-get install -y wrk)')
  const redis = createClient({ url: REDIS_URL })
  await redis.connect()
  const redisPid = Number(/process_id:(\d+)/.exec(await redis.info('server'))?.[1]) || undefined
  log(`bench:instances, ${options.rounds} rounds × ${options.durationS} s, ${options.connections} connections in total; Redis ${REDIS_URL} (pid ${redisPid ?? 'unknown: its CPU is not read'}); load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`)

  const crm = await spawnServer('crm', join(BENCH_DIR, 'servers', 'fake-crm.js'), {})
  const all: Server[] = [crm]
  try {
    for (const [path, cache] of [
      ['GET, cache hit', {}],
      ['GET, cache off → CRM', { enabled: false }]
    ] as const) {
      const sets: GatewaySet[] = []
      sets.push(await startSet('1, no Redis', 1, crm.url, cache, undefined))
      // The control: as many processes with nothing shared, to tell the machine's share from the store's.
      sets.push(await startSet('3, no Redis', 3, crm.url, cache, undefined))
      for (const size of [1, 2, 3]) sets.push(await startSet(`${size}, Redis`, size, crm.url, cache, `${PREFIX}${size}:`))
      all.push(...sets.flatMap((s) => s.gateways))
      for (const set of sets) await load(set, options, 2, undefined) // warm-up, discarded
      const runs = new Map<string, SetRun[]>(sets.map((s) => [s.label, []]))
      for (let round = 0; round < options.rounds; round++) {
        for (const set of sets.map((_, i) => sets[(i + round) % sets.length] as GatewaySet)) {
          const run = await load(set, options, options.durationS, set.shared ? redisPid : undefined)
          if (run.errors > 0) throw new Error(`${path}, ${set.label}: ${run.errors} errors`)
          runs.get(set.label)?.push(run)
          log(`  ${path}, ${set.label}, round ${round + 1}: ${fmt(run.rps)} req/s, worst p99 ${run.worstP99Ms.toFixed(2)} ms`)
        }
      }
      log(`\n${path}, ${options.connections} connections in total (median of ${options.rounds} rounds)\n`)
      log('| gateways | req/s (rounds) | worst p99 ms | gateway CPU µs/req | Redis CPU µs/req |')
      log('|:--|--:|--:|--:|--:|')
      for (const set of sets) {
        const r = runs.get(set.label) ?? []
        const rps = r.map((x) => x.rps)
        log(
          `| ${set.label} | ${fmt(median(rps))} (${fmt(Math.min(...rps))}–${fmt(Math.max(...rps))}) | ${median(r.map((x) => x.worstP99Ms)).toFixed(2)} | ` +
            `${fmt(median(r.map((x) => x.gatewayCpuUsPerRequest)))} | ${set.shared ? median(r.map((x) => x.redisCpuUsPerRequest)).toFixed(1) : '—'} |`
        )
      }
      log('')

      if (cache.enabled === undefined) {
        const three = sets.at(-1) as GatewaySet
        const [a, b] = three.gateways as [Server, Server, Server]
        const seconds = Math.max(options.durationS, 20)
        const loaded = load(three, options, seconds, undefined)
        await sleep(1000) // the load at full speed before the first probe
        const { delays, hitMs, freshAtOnce } = await probeInvalidation(a, b, options.probes, performance.now() + (seconds - 2) * 1000)
        const run = await loaded
        delays.sort((x, y) => x - y)
        hitMs.sort((x, y) => x - y)
        log(
          `invalidation delay, three gateways saturated (${fmt(run.rps)} req/s of cache hits around the probe): ${delays.length} updates through A, ` +
            `B's first read after A's answer was already fresh in ${freshAtOnce} of ${delays.length}; B answered from the CRM after p50 ${percentile(delays, 0.5).toFixed(2)} ms, p99 ${percentile(delays, 0.99).toFixed(2)} ms, max ${percentile(delays, 1).toFixed(2)} ms ` +
            `(B's cache-hit round trip meanwhile: p50 ${percentile(hitMs, 0.5).toFixed(2)} ms, p99 ${percentile(hitMs, 0.99).toFixed(2)} ms)\n`
        )
        log('memory of one gateway under the hit load (8 s after a collection)\n')
        log('| gateway | peak RSS MiB | RSS after GC MiB | live heap MiB |')
        log('|:--|--:|--:|--:|')
        for (const set of sets.filter((x) => x.label.startsWith('1,'))) {
          const [gateway] = set.gateways as [Server]
          await memoryAfterGc(gateway)
          resetPeakRss(gateway.pid)
          await load(set, options, 8, undefined)
          const peakMiB = procStatusKb(gateway.pid, 'VmHWM') / 1024
          const after = await memoryAfterGc(gateway)
          log(`| ${set.label} | ${peakMiB.toFixed(1)} | ${(after.rss / 2 ** 20).toFixed(1)} | ${(after.heapUsed / 2 ** 20).toFixed(1)} |`)
        }
        log('')
      }
      await stopAll(sets.flatMap((s) => s.gateways))
    }
  } finally {
    await stopAll(all)
    for await (const keys of redis.scanIterator({ MATCH: `${PREFIX}*`, COUNT: 500 })) if (keys.length > 0) await redis.del(keys)
    await redis.close()
  }
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
