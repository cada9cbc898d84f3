/**
 * The gateway's benchmark: `npm run bench` (about 5 minutes), `npm run bench -- --quick`
 * (about 1). It compiles the suite and the gateway to JS (bench/tsconfig.json), then:
 *
 * 1. starts every server in its own child process on 127.0.0.1, so the load generator, the
 *    gateway and the fake CRM never share an event loop (nothing is pinned: 2 cores here):
 *    the fake CRM, a bare Fastify route, @fastify/http-proxy, and five gateways (cache hit,
 *    cache disabled, writes, CRM down, cache fill);
 * 2. checks that each answers what its scenario says (same customer JSON, x-cache, 503 with
 *    the breaker open…), so a misconfigured run fails instead of measuring errors;
 * 3. warms each scenario up (discarded), then runs the rounds: every scenario once per round,
 *    the order rotated each round, so compared figures always come from alternating runs;
 *    each figure is the median of the rounds;
 * 4. runs the latency scenarios at a fixed rate, fills a cache to its byte bound (one gateway
 *    per bound) and reads the process's RSS, runs bench/mapping.ts's measurement, and prints the tables, the
 *    ratios and the targets (./report.ts).
 *
 * Options: --quick, --rounds N, --duration S, --connections N, --rate N, --only a,b (scenario
 * ids, and `fill`, `mapping`), --fill-mib N[,N] (cache.maxBytes of the cache fills, default
 * 64,512 — the default bound and a production-sized one — quick 16), --json FILE (all figures), --cpu-prof NAME[,NAME] (servers to profile, e.g.
 * gwMiss; written to dist/bench-profiles/ at exit; summarize with bench/profile.ts).
 */
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { BENCH_DIR, CRM_API_KEY, CRM_CONTACTS, CUSTOMER_ID, POS_SECRET, SPI_CUSTOMERS } from './common.js'
import { closedPort, cpuSeconds, memoryAfterGc, PROFILE_DIR, procStatusKb, resetPeakRss, spawnServer, stopAll, type Server } from './procs.js'
import { runWrk, wrkAvailable, type WrkResult } from './wrk.js'
import { median, printReport, type BenchReport, type FillResult, type MappingResult, type RunSettings, type ScenarioFigures } from './report.js'
import { PROJECT_ROOT } from '../src/config/project-root.js'
import { ENTRY_OVERHEAD_BYTES } from '../src/core/read-cache.js'

// ---------------------------------------------------------------------------------------------
// Options

interface Options extends RunSettings {
  /** cache.maxBytes of each cache-fill gateway (one fill per bound). */
  readonly fillBounds: readonly number[]
  readonly only: ReadonlySet<string> | undefined
  readonly json: string | undefined
  readonly cpuProf: ReadonlySet<string>
}

function parseOptions(argv: readonly string[]): Options {
  const flags = new Map<string, string>()
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${arg}`)
    const eq = arg.indexOf('=')
    if (eq !== -1) flags.set(arg.slice(2, eq), arg.slice(eq + 1))
    else if (arg === '--quick') flags.set('quick', 'true')
    else flags.set(arg.slice(2), argv[++i] ?? '')
  }
  const known = new Set(['quick', 'rounds', 'duration', 'connections', 'rate', 'only', 'json', 'cpu-prof', 'fill-mib'])
  for (const key of flags.keys()) if (!known.has(key)) throw new Error(`unknown option --${key}`)
  const quick = flags.has('quick')
  const int = (key: string, fallback: number): number => {
    const raw = flags.get(key)
    if (raw === undefined) return fallback
    const n = Number(raw)
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${key} must be a positive integer`)
    return n
  }
  const list = (key: string): string[] => (flags.get(key) ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '')
  const only = list('only')
  return {
    quick,
    rounds: int('rounds', 3),
    durationS: int('duration', quick ? 1 : 5),
    warmupS: quick ? 1 : 3,
    pacedS: quick ? 2 : 5,
    pacedRounds: quick ? 3 : 5,
    rate: int('rate', 500),
    connections: int('connections', 50),
    pacedConnections: 16,
    fillBounds: mibList(list('fill-mib'), quick ? [16] : [64, 512]),
    only: only.length > 0 ? new Set(only) : undefined,
    json: flags.get('json'),
    cpuProf: new Set(list('cpu-prof'))
  }
}

/** `--fill-mib 64,512`: positive integers, in bytes. */
function mibList(values: readonly string[], fallback: readonly number[]): number[] {
  const mibs = values.length > 0 ? values.map(Number) : fallback
  for (const n of mibs) if (!Number.isInteger(n) || n < 1) throw new Error('--fill-mib takes positive integers (MiB), e.g. 64,512')
  return mibs.map((n) => n * 1024 * 1024)
}

// ---------------------------------------------------------------------------------------------
// Servers

type ServerName = 'crm' | 'bare' | 'proxy' | 'gwHit' | 'gwMiss' | 'gwWrite' | 'gwDown' | 'gwFill' | 'gwHitShared' | 'gwMissShared'

const servers = new Map<ServerName, Server>()

async function startServer(name: ServerName, entry: string, args: unknown, options: Options, execArgv: readonly string[] = []): Promise<Server> {
  const started = await spawnServer(name, join(BENCH_DIR, 'servers', `${entry}.js`), args, { cpuProfile: options.cpuProf.has(name), execArgv })
  servers.set(name, started)
  return started
}

function server(name: ServerName): Server {
  const s = servers.get(name)
  if (!s) throw new Error(`server ${name} is not running`)
  return s
}

async function stopServers(): Promise<void> {
  await stopAll([...servers.values()])
  servers.clear()
}

// ---------------------------------------------------------------------------------------------
// Scenarios

interface Scenario {
  readonly id: string
  readonly label: string
  /** The process whose peak RSS is reported. */
  readonly server: ServerName
  readonly path: string
  readonly headers: Readonly<Record<string, string>>
  readonly script: 'plain' | 'create' | 'update'
  readonly scriptArgs?: (round: string) => string[]
  /** Every answer is expected to be a 503 (wrk counts them as status errors). */
  readonly expectErrors?: boolean
}

const POS = { 'x-api-key': POS_SECRET }
/** The machine's Redis (development and CI machines run one), under the benchmark's own prefix. */
const BENCH_REDIS = { url: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379', keyPrefix: 'bench:' }
const CRM = { 'x-api-key': CRM_API_KEY }
const ONE = `${SPI_CUSTOMERS}/${CUSTOMER_ID}`

const SCENARIOS: readonly Scenario[] = [
  { id: 'bare', label: 'bare Fastify route (the limit)', server: 'bare', path: ONE, headers: POS, script: 'plain' },
  { id: 'hit', label: 'gateway GET, cache hit', server: 'gwHit', path: ONE, headers: POS, script: 'plain' },
  { id: 'miss', label: 'gateway GET, cache off → CRM', server: 'gwMiss', path: ONE, headers: POS, script: 'plain' },
  // The same two with state shared through Redis (README, "Running several instances"): what
  // the shared store costs per request (the rate-limit count, and a miss's nothing more).
  { id: 'hitShared', label: 'gateway GET, cache hit, Redis', server: 'gwHitShared', path: ONE, headers: POS, script: 'plain' },
  { id: 'missShared', label: 'gateway GET, cache off → CRM, Redis', server: 'gwMissShared', path: ONE, headers: POS, script: 'plain' },
  { id: 'proxy', label: '@fastify/http-proxy → CRM', server: 'proxy', path: `${CRM_CONTACTS}/${CUSTOMER_ID}`, headers: CRM, script: 'plain' },
  { id: 'direct', label: 'fake CRM, direct', server: 'crm', path: `${CRM_CONTACTS}/${CUSTOMER_ID}`, headers: CRM, script: 'plain' },
  { id: 'search', label: 'gateway SEARCH → CRM', server: 'gwWrite', path: `${SPI_CUSTOMERS}?lastName=Watanabe`, headers: POS, script: 'plain' },
  {
    id: 'create',
    label: 'gateway CREATE (unique bodies) → CRM',
    server: 'gwWrite',
    path: SPI_CUSTOMERS,
    headers: POS,
    script: 'create',
    scriptArgs: (round) => [SPI_CUSTOMERS, `${process.pid}x${round}`]
  },
  {
    id: 'update',
    label: 'gateway UPDATE (GET + PATCH) → CRM',
    server: 'gwWrite',
    path: SPI_CUSTOMERS,
    headers: POS,
    script: 'update',
    scriptArgs: () => [SPI_CUSTOMERS, '10000']
  },
  { id: 'down', label: 'gateway GET, CRM down, breaker open', server: 'gwDown', path: ONE, headers: POS, script: 'plain', expectErrors: true }
]

/**
 * Scenarios also run at a fixed rate, for latency and CPU per request (the proxy: what one
 * Fastify hop adds; the bare route: what any Fastify process costs per request at that rate).
 */
const PACED = ['bare', 'direct', 'proxy', 'miss', 'hit', 'down']

function checkRun(s: Scenario, r: WrkResult, what: string): void {
  const problems: string[] = []
  if (r.requests === 0) problems.push('no request completed')
  if (r.socketErrors > 0) problems.push(`${r.socketErrors} socket errors/timeouts`)
  if (s.expectErrors ? r.statusErrors !== r.requests : r.statusErrors > 0) {
    problems.push(`${r.statusErrors} of ${r.requests} answers outside 2xx/3xx`)
  }
  if (problems.length > 0) throw new Error(`${what} ${s.id}: ${problems.join('; ')}`)
}

// ---------------------------------------------------------------------------------------------
// Checks before measuring: every scenario answers what it claims to measure.

async function get(url: string, headers: Record<string, string>): Promise<{ status: number; body: string; headers: Headers }> {
  const res = await fetch(url, { headers })
  return { status: res.status, body: await res.text(), headers: res.headers }
}

function expect(ok: boolean, what: string): void {
  if (!ok) throw new Error(`check failed: ${what}`)
}

async function checkScenarios(): Promise<string> {
  const miss = await get(`${server('gwMiss').url}${ONE}`, POS)
  expect(miss.status === 200 && miss.headers.get('x-cache') === 'miss', `gateway (cache off) GET answers 200 x-cache: miss (got ${miss.status})`)
  const first = await get(`${server('gwHit').url}${ONE}`, POS)
  const hit = await get(`${server('gwHit').url}${ONE}`, POS)
  expect(first.body === miss.body && hit.body === miss.body, 'both gateways answer the same customer')
  expect(hit.headers.get('x-cache') === 'hit', 'the second GET is a cache hit')
  const shared = await get(`${server('gwHitShared').url}/readyz`, {})
  expect((JSON.parse(shared.body) as { state?: { mode?: string } }).state?.mode === 'shared', `the Redis gateways share their state (is Redis at ${BENCH_REDIS.url}?)`)
  const direct = await get(`${server('crm').url}${CRM_CONTACTS}/${CUSTOMER_ID}`, CRM)
  const proxied = await get(`${server('proxy').url}${CRM_CONTACTS}/${CUSTOMER_ID}`, CRM)
  expect(direct.status === 200 && proxied.status === 200 && proxied.body === direct.body, 'the proxy forwards the CRM contact unchanged')
  const search = await get(`${server('gwWrite').url}${SPI_CUSTOMERS}?lastName=Watanabe`, POS)
  expect(search.status === 200 && (JSON.parse(search.body) as { customers: unknown[] }).customers.length === 1, 'search answers one customer')
  const put = await fetch(`${server('gwWrite').url}${SPI_CUSTOMERS}`, {
    method: 'PUT',
    headers: { ...POS, 'content-type': 'application/json' },
    body: JSON.stringify({ customer: { profile: { customerId: 'U000000001', firstName: 'Checked' } } })
  })
  const updated = (await put.json()) as { customer?: { profile?: { firstName?: string } } }
  expect(put.status === 200 && updated.customer?.profile?.firstName === 'Checked', `update answers the changed customer (got ${put.status})`)
  const post = await fetch(`${server('gwWrite').url}${SPI_CUSTOMERS}`, {
    method: 'POST',
    headers: { ...POS, 'content-type': 'application/json' },
    body: JSON.stringify({ customer: { profile: { firstName: 'Check', lastName: 'Create', email: `check.${process.pid}@example.com` } } })
  })
  const created = (await post.json()) as { customer?: { profile?: { customerId?: string } } }
  expect(post.status === 200 && typeof created.customer?.profile?.customerId === 'string', `create answers the new customer (got ${post.status})`)
  // CRM down: refused connections fail each call (retried), until the breaker opens.
  const down = server('gwDown').url
  let last = { status: 0, body: '', headers: new Headers() }
  for (let i = 0; i < 40; i++) last = await get(`${down}${ONE}`, POS)
  const ready = (await (await fetch(`${down}/readyz`)).json()) as { breakers?: Record<string, string> }
  expect(last.status === 503 && last.headers.get('retry-after') !== null, `CRM down answers 503 with Retry-After (got ${last.status})`)
  expect(ready.breakers?.['get'] === 'open', `the get breaker is open (readyz: ${JSON.stringify(ready)})`)
  return miss.body
}

async function checkBare(body: string): Promise<void> {
  const bare = await get(`${server('bare').url}${ONE}`, POS)
  expect(bare.status === 200 && bare.body === body, 'the bare route answers the same bytes as the gateway')
}

// ---------------------------------------------------------------------------------------------
// Runs

function log(line: string): void {
  process.stderr.write(`${line}\n`)
}

const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })

type Measured = WrkResult & { peakRssKb: number; cpuUsPerRequest: number; cpuShare: number }

async function measure(s: Scenario, seconds: number, connections: number, round: string): Promise<Measured> {
  const pid = server(s.server).pid
  resetPeakRss(pid)
  const cpuBefore = cpuSeconds(pid)
  const result = await runWrk({
    url: `${server(s.server).url}${s.path}`,
    script: s.script,
    scriptArgs: s.scriptArgs?.(round),
    durationSeconds: seconds,
    connections,
    headers: s.headers
  })
  const cpu = cpuSeconds(pid) - cpuBefore
  return {
    ...result,
    peakRssKb: procStatusKb(pid, 'VmHWM'),
    cpuUsPerRequest: result.requests > 0 ? (cpu * 1e6) / result.requests : 0,
    cpuShare: result.seconds > 0 ? cpu / result.seconds : 0
  }
}

async function runPaced(s: Scenario, options: Options, seconds = options.pacedS): Promise<WrkResult & { cpuUsPerRequest: number }> {
  const pid = server(s.server).pid
  const cpuBefore = cpuSeconds(pid)
  const result = await runWrk({
    url: `${server(s.server).url}${s.path}`,
    script: 'paced',
    scriptArgs: [String(options.rate), '1'],
    durationSeconds: seconds,
    connections: options.pacedConnections,
    headers: s.headers
  })
  checkRun(s, result, 'paced')
  // At a steady rate the process idles between requests: what each one costs is its CPU time,
  // idle wake-ups included, divided by the requests (what the "CPU at 500 req/s" means).
  const cpu = cpuSeconds(pid) - cpuBefore
  return { ...result, cpuUsPerRequest: result.requests > 0 ? (cpu * 1e6) / result.requests : 0 }
}

/**
 * Starts a gateway whose cache is bounded by `boundBytes`, fills it to its bound with distinct
 * customers, reads its RSS and live memory, and stops it (a 512 MiB fill should not weigh on
 * the next one).
 */
async function fillCache(options: Options, crmUrl: string, boundBytes: number, answerBytes: number): Promise<FillResult> {
  const gw = await startServer('gwFill', 'gateway', { crmUrl, cache: { maxBytes: boundBytes, ttlMs: 3_600_000 } }, options, ['--expose-gc'])
  try {
    return await fill(gw, options, boundBytes, answerBytes)
  } finally {
    await stopAll([gw])
    servers.delete('gwFill')
  }
}

async function fill(gw: Server, options: Options, boundBytes: number, answerBytes: number): Promise<FillResult> {
  // Steady state first (JIT warm, pools open), then the empty-cache RSS.
  await runWrk({ url: `${gw.url}${ONE}`, script: 'plain', durationSeconds: options.warmupS, connections: options.connections, headers: POS })
  const rssBeforeKb = procStatusKb(gw.pid, 'VmRSS')
  const before = await memoryAfterGc(gw)
  resetPeakRss(gw.pid)
  // What read-cache.ts counts per entry: the JSON bytes (ASCII here), the key, the overhead.
  const entryBytes = answerBytes - '{"customer":}'.length + 'demo-crm:F00000000'.length + ENTRY_OVERHEAD_BYTES
  const count = Math.ceil((boundBytes / entryBytes) * 1.25)
  const run = await runWrk({
    url: `${gw.url}${SPI_CUSTOMERS}/`,
    script: 'distinct',
    scriptArgs: [`${SPI_CUSTOMERS}/`, String(count), '1'],
    durationSeconds: 600,
    connections: options.connections,
    headers: POS,
    stopsItself: true
  })
  const peakKb = procStatusKb(gw.pid, 'VmHWM')
  const rssAfterKb = procStatusKb(gw.pid, 'VmRSS')
  const collected = await memoryAfterGc(gw)
  // The LRU is at its bound: the first ids were evicted, the last ones are still there.
  const lastId = `F${String(count - 1).padStart(8, '0')}`
  const last = await get(`${gw.url}${SPI_CUSTOMERS}/${lastId}`, POS)
  const firstGone = await get(`${gw.url}${SPI_CUSTOMERS}/F00000000`, POS)
  return {
    boundBytes,
    customers: run.requests,
    entryBytes,
    rssBeforeKb,
    rssAfterKb,
    peakKb,
    liveHeapAddedBytes: collected.heapUsed - before.heapUsed,
    liveBuffersAddedBytes: collected.arrayBuffers - before.arrayBuffers,
    rssAfterGcKb: collected.rss / 1024,
    lastCached: last.headers.get('x-cache') === 'hit',
    firstEvicted: firstGone.headers.get('x-cache') === 'miss',
    rps: run.rps
  }
}

async function runMapping(options: Options): Promise<MappingResult> {
  const args = [join(BENCH_DIR, 'mapping.js'), '--json', ...(options.quick ? ['--quick'] : [])]
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'inherit'] })
    let text = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (text += d))
    child.on('error', reject)
    child.on('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`bench/mapping exited ${code}`))))
  })
  const line = out.split('\n').find((l) => l.startsWith('BENCH_MAPPING '))
  if (line === undefined) throw new Error(`bench/mapping printed no result:\n${out}`)
  return JSON.parse(line.slice('BENCH_MAPPING '.length)) as MappingResult
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2))
  if (!wrkAvailable()) {
    log('wrk is not installed. It is the load generator of this benchmark (half the CPU of autocannon per request).')
    log('Install it with:  apt-get install -y wrk   (Debian/Ubuntu, as root; elsewhere: https://github.com/wg/wrk)')
    process.exit(2)
  }
  const started = Date.now()
  const loadBefore = loadavg()
  log(`bench: ${options.quick ? 'quick' : 'full'} run, ${options.rounds} rounds × ${options.durationS} s, ${options.connections} connections; load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')}`)

  const crm = await startServer('crm', 'fake-crm', {}, options)
  const downUrl = `http://127.0.0.1:${await closedPort()}`
  await Promise.all([
    startServer('proxy', 'proxy', { crmUrl: crm.url }, options),
    startServer('gwHit', 'gateway', { crmUrl: crm.url }, options),
    startServer('gwMiss', 'gateway', { crmUrl: crm.url, cache: { enabled: false } }, options),
    startServer('gwWrite', 'gateway', { crmUrl: crm.url }, options),
    startServer('gwDown', 'gateway', { crmUrl: downUrl }, options),
    startServer('gwHitShared', 'gateway', { crmUrl: crm.url, redis: BENCH_REDIS }, options),
    startServer('gwMissShared', 'gateway', { crmUrl: crm.url, cache: { enabled: false }, redis: BENCH_REDIS }, options)
  ])
  const body = await checkScenarios()
  await startServer('bare', 'bare', { body }, options)
  await checkBare(body)
  log(`servers up and checked (${((Date.now() - started) / 1000).toFixed(1)} s); customer answer ${body.length} bytes`)

  const scenarios = SCENARIOS.filter((s) => options.only === undefined || options.only.has(s.id))
  for (const s of scenarios) {
    const warm = await measure(s, options.warmupS, options.connections, 'warmup')
    checkRun(s, warm, 'warm-up')
  }
  const runs = new Map<string, Measured[]>(scenarios.map((s) => [s.id, []]))
  for (let round = 0; round < options.rounds; round++) {
    const order = scenarios.map((_, i) => scenarios[(i + round) % scenarios.length]!)
    for (const s of order) {
      const r = await measure(s, options.durationS, options.connections, String(round))
      checkRun(s, r, `round ${round + 1}`)
      runs.get(s.id)!.push(r)
      log(
        `round ${round + 1}/${options.rounds}  ${s.id.padEnd(7)} ${fmt(r.rps).padStart(7)} req/s  p50 ${r.p50Ms.toFixed(2)} ms  p99 ${r.p99Ms.toFixed(2)} ms  ` +
          `server CPU ${(100 * r.cpuShare).toFixed(0)}% ${fmt(r.cpuUsPerRequest)} µs/req`
      )
    }
  }

  const pacedScenarios = scenarios.filter((s) => PACED.includes(s.id))
  const paced = new Map<string, (WrkResult & { cpuUsPerRequest: number })[]>(pacedScenarios.map((s) => [s.id, []]))
  // A paced warm-up each, discarded: the first seconds at a low rate after a saturation run
  // measure that transition (heap shrinking, pages the VM takes back: up to ~80 ms stalls
  // here), not the steady state.
  for (const s of pacedScenarios) await runPaced(s, options, options.warmupS)
  for (let round = 0; round < options.pacedRounds; round++) {
    const order = pacedScenarios.map((_, i) => pacedScenarios[(i + round) % pacedScenarios.length]!)
    for (const s of order) {
      const r = await runPaced(s, options)
      paced.get(s.id)!.push(r)
      log(`paced ${round + 1}/${options.pacedRounds}  ${s.id.padEnd(7)} ${fmt(r.rps).padStart(5)} req/s  p50 ${r.p50Ms.toFixed(3)} ms  p99 ${r.p99Ms.toFixed(3)} ms  late ${r.late}  CPU ${fmt(r.cpuUsPerRequest)} µs/req`)
    }
  }

  const fills: FillResult[] = []
  if (options.only === undefined || options.only.has('fill')) {
    for (const bound of options.fillBounds) {
      const f = await fillCache(options, crm.url, bound, body.length)
      fills.push(f)
      log(`cache fill ${fmt(bound / 1048576)} MiB: ${fmt(f.customers)} customers, RSS ${fmt(f.rssBeforeKb / 1024, 1)} → ${fmt(f.rssAfterKb / 1024, 1)} MiB, peak ${fmt(f.peakKb / 1024, 1)} MiB`)
    }
  }
  await stopServers()
  const mapping = options.only === undefined || options.only.has('mapping') ? await runMapping(options) : undefined

  const figures: ScenarioFigures[] = scenarios.map((s) => {
    const rs = runs.get(s.id)!
    const ps = paced.get(s.id)
    return {
      id: s.id,
      label: s.label,
      rounds: rs.map((r) => ({ rps: r.rps, p50Ms: r.p50Ms, p99Ms: r.p99Ms, peakRssKb: r.peakRssKb, cpuUsPerRequest: r.cpuUsPerRequest, cpuShare: r.cpuShare })),
      rps: median(rs.map((r) => r.rps)),
      p50Ms: median(rs.map((r) => r.p50Ms)),
      p99Ms: median(rs.map((r) => r.p99Ms)),
      peakRssKb: Math.max(...rs.map((r) => r.peakRssKb)),
      cpuUsPerRequest: median(rs.map((r) => r.cpuUsPerRequest)),
      cpuShare: median(rs.map((r) => r.cpuShare)),
      paced: ps && ps.length > 0
        ? {
            rounds: ps.map((r) => ({ rps: r.rps, p50Ms: r.p50Ms, p99Ms: r.p99Ms, p999Ms: r.p999Ms, late: r.late, cpuUsPerRequest: r.cpuUsPerRequest })),
            rps: median(ps.map((r) => r.rps)),
            p50Ms: median(ps.map((r) => r.p50Ms)),
            p99Ms: median(ps.map((r) => r.p99Ms)),
            p999Ms: median(ps.map((r) => r.p999Ms)),
            late: Math.max(...ps.map((r) => r.late)),
            cpuUsPerRequest: median(ps.map((r) => r.cpuUsPerRequest))
          }
        : undefined
    }
  })
  const report: BenchReport = {
    command: ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
    date: new Date().toISOString(),
    node: process.version,
    cpus: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
    loadBefore,
    loadAfter: loadavg(),
    quick: options.quick,
    rounds: options.rounds,
    durationS: options.durationS,
    warmupS: options.warmupS,
    pacedS: options.pacedS,
    pacedRounds: options.pacedRounds,
    connections: options.connections,
    pacedConnections: options.pacedConnections,
    rate: options.rate,
    answerBytes: body.length,
    scenarios: figures,
    fills,
    mapping,
    elapsedS: (Date.now() - started) / 1000
  }
  printReport(report)
  if (options.json) writeFileSync(options.json, `${JSON.stringify(report, null, 2)}\n`)
  if (options.cpuProf.size > 0) log(`CPU profiles in ${PROFILE_DIR}`)
}

main().then(
  () => process.exit(0),
  async (err: unknown) => {
    log(`bench failed: ${err instanceof Error ? err.message : String(err)}`)
    for (const s of servers.values()) if (s.stderr()) log(`--- ${s.name} stderr ---\n${s.stderr()}`)
    await stopServers().catch(() => undefined)
    await sleep(10)
    process.exit(1)
  }
)
