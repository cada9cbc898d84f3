/**
 * The picture of the Grafana dashboard (deploy/observability/grafana-dashboard.json) in the
 * README, made from a real run: docs/dashboard.svg.
 *
 *   tsc -p bench/tsconfig.json && node dist/bench-build/bench/dashboard.js [out.svg]
 *
 * Needs wrk and Prometheus (Debian: `apt-get install wrk prometheus`); neither is needed by the
 * tests or CI. What it does, bounded and on loopback only:
 *
 * 1. Starts the fake CRM (servers/fake-crm.ts) behind the tests' fault proxy
 *    (test/fakes/fault-proxy.ts), the gateway over it (servers/dashboard-gateway.ts: a second
 *    client with a low limit, a declared search rate, a short cache TTL), and a local
 *    Prometheus scraping the gateway's /metrics every second (its own data directory, removed
 *    afterwards).
 * 2. Runs LOAD_SECONDS of load: wrk paced reads of one customer (bench/lua/paced.lua) as the
 *    bench client and, above its limit, as the kiosk; from here, reads of distinct customers,
 *    searches (a burst over the declared rate), creates and updates. Meanwhile the CRM fails:
 *    FAULTS (503 answers, then answers slower than the attempt timeout), then recovers.
 * 3. Asks Prometheus for every panel's queries over the run (query_range, one point a second,
 *    Grafana's variables replaced as an "All" selection, $__rate_interval = RATE_INTERVAL) and
 *    draws the dashboard as an SVG laid out by the panels' gridPos: titles, axes in the panels'
 *    units, one line per series, legends, threshold lines, the fault windows shaded.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BENCH_DIR, CUSTOMER_ID, POS_SECRET, SPI_CUSTOMERS } from './common.js'
import { closedPort, spawnServer, stopAll, type Server } from './procs.js'
import { runWrk, wrkAvailable, type WrkResult } from './wrk.js'
import type { DashboardGatewayArgs } from './servers/dashboard-gateway.js'
import { PROJECT_ROOT } from '../src/config/project-root.js'
// The tests' fault proxy and Redis of their own: the CRM and Redis made to fail on cue,
// without second implementations of them.
import { startFaultProxy, type Fault, type FaultProxy } from '../test/fakes/fault-proxy.js'
import { ownRedis, type OwnRedis } from '../test/helpers/redis.js'

const LOAD_SECONDS = 80
const RATE_INTERVAL = '5s'
const SCRAPE_SECONDS = 1
const KIOSK = { id: 'kiosk', secret: 'bench-kiosk-secret-0123456789', perSecond: 10 }
/** The demo CRM publishes no rate; HubSpot's search rate, declared for it here. */
const SEARCH_RATE = { calls: 5, perMs: 1000 }
const CACHE_TTL_MS = 2000

interface FaultWindow {
  readonly from: number
  readonly to: number
  /** The CRM's fault through the proxy, or Redis stopped (and started again, empty). */
  readonly fault: Fault | 'redis-down'
  readonly label: string
}
/** Seconds from the start of the load. */
const FAULTS: readonly FaultWindow[] = [
  { from: 20, to: 35, fault: { kind: 'status', status: 503 }, label: 'CRM answers 503' },
  { from: 45, to: 53, fault: { kind: 'slow', delayMs: 3000 }, label: 'CRM answers after 3 s' },
  { from: 70, to: 76, fault: 'redis-down', label: 'Redis down' }
]

/** Requests a second of each load this process sends, by second of the run. */
const LOOPS: readonly { readonly name: string; readonly rate: (s: number) => number }[] = [
  { name: 'distinct reads', rate: () => 15 },
  { name: 'searches', rate: (s) => (s >= 60 && s < 70 ? 9 : 3) },
  { name: 'creates', rate: () => 2 },
  { name: 'updates', rate: () => 2 }
]

// ---------------------------------------------------------------------------------------------
// The dashboard model, as much of it as is drawn.

interface Target {
  readonly refId: string
  readonly expr: string
  readonly legendFormat?: string
}
interface Panel {
  readonly type: string
  readonly title: string
  readonly gridPos: { readonly x: number; readonly y: number; readonly w: number; readonly h: number }
  readonly targets?: readonly Target[]
  readonly fieldConfig?: {
    readonly defaults?: {
      readonly unit?: string
      readonly custom?: { readonly lineInterpolation?: string }
      readonly thresholds?: { readonly steps?: readonly { readonly value: number | null }[] }
    }
  }
}
interface Dashboard {
  readonly title: string
  readonly panels: readonly Panel[]
}

interface Series {
  readonly legend: string
  /** [unix seconds, value]; NaN where the query had no value. */
  readonly points: readonly (readonly [number, number])[]
}

// ---------------------------------------------------------------------------------------------
// Processes: Prometheus, the load.

async function startPrometheus(target: string, dataDir: string): Promise<{ url: string; child: ChildProcess }> {
  const port = await closedPort()
  const config = join(dataDir, 'prometheus.yml')
  writeFileSync(
    config,
    [
      'global:',
      `  scrape_interval: ${SCRAPE_SECONDS}s`,
      `  scrape_timeout: ${SCRAPE_SECONDS}s`,
      'scrape_configs:',
      '  - job_name: clienteling-gateway',
      `    static_configs: [{ targets: ['${new URL(target).host}'] }]`,
      ''
    ].join('\n')
  )
  const child = spawn('prometheus', [`--config.file=${config}`, `--storage.tsdb.path=${join(dataDir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], {
    stdio: ['ignore', 'ignore', 'pipe']
  })
  let stderr = ''
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)))
  const url = `http://127.0.0.1:${port}`
  const until = Date.now() + 30_000
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`prometheus exited (${child.exitCode})\n${stderr}`)
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false
    )
    if (ready) return { url, child }
    await sleep(200)
  }
  child.kill('SIGKILL')
  throw new Error(`prometheus was not ready within 30 s\n${stderr}`)
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 8000)
  await exited
  clearTimeout(timer)
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Sends `request` at `rate(second)` a second until `endsAt`, without waiting for answers; counts statuses. */
async function loop(rate: (s: number) => number, request: (n: number) => Promise<Response>, startedAt: number, endsAt: number): Promise<Map<string, number>> {
  const statuses = new Map<string, number>()
  const inFlight = new Set<Promise<void>>()
  let n = 0
  let next = Date.now()
  while (next < endsAt) {
    const sent = request(n++).then(
      async (r) => {
        await r.arrayBuffer()
        statuses.set(String(r.status), (statuses.get(String(r.status)) ?? 0) + 1)
      },
      () => {
        statuses.set('error', (statuses.get('error') ?? 0) + 1)
      }
    )
    inFlight.add(sent)
    void sent.finally(() => inFlight.delete(sent))
    next += 1000 / rate(Math.floor((next - startedAt) / 1000))
    await sleep(Math.max(0, next - Date.now()))
  }
  await Promise.all(inFlight)
  return statuses
}

function spiRequests(gateway: string, nonce: string): Record<string, (n: number) => Promise<Response>> {
  const headers = { 'x-api-key': POS_SECRET, 'content-type': 'application/json' }
  const signal = (): AbortSignal => AbortSignal.timeout(10_000)
  const base = `${gateway}${SPI_CUSTOMERS}`
  return {
    'distinct reads': (n) => fetch(`${base}/D${String(n % 40).padStart(7, '0')}`, { headers, signal: signal() }),
    searches: () => fetch(`${base}?lastName=oka`, { headers, signal: signal() }),
    creates: (n) =>
      fetch(base, {
        method: 'POST',
        headers,
        signal: signal(),
        body: JSON.stringify({ customer: { profile: { firstName: 'Dash', lastName: `Board${n}`, email: `dash-${nonce}-${n}@example.com` } } })
      }),
    updates: (n) =>
      fetch(`${base}/U${String(n % 500).padStart(7, '0')}`, {
        method: 'PUT',
        headers,
        signal: signal(),
        body: JSON.stringify({ customer: { profile: { customerId: `U${String(n % 500).padStart(7, '0')}`, firstName: `Kenji${n}` } } })
      })
  }
}

// ---------------------------------------------------------------------------------------------
// Prometheus's answers for the panels.

/** A panel's query as Grafana sends it for an "All" selection, with this run's rate interval. */
function asPromQl(expr: string): string {
  return expr.replaceAll('$__rate_interval', RATE_INTERVAL).replaceAll('$job', '.*').replaceAll('$instance', '.*')
}

interface RangeAnswer {
  readonly status: string
  readonly error?: string
  readonly data?: { readonly result: readonly { readonly metric: Record<string, string>; readonly values: readonly [number, string][] }[] }
}

async function queryRange(prometheus: string, target: Target, start: number, end: number): Promise<Series[]> {
  const params = new URLSearchParams({ query: asPromQl(target.expr), start: String(start), end: String(end), step: '1' })
  const answer = (await (await fetch(`${prometheus}/api/v1/query_range?${params.toString()}`)).json()) as RangeAnswer
  if (answer.status !== 'success' || answer.data === undefined) throw new Error(`query ${target.expr}: ${answer.error ?? answer.status}`)
  return answer.data.result
    .map((r) => ({
      legend: (target.legendFormat ?? '').replace(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (_m, name: string) => r.metric[name] ?? '') || JSON.stringify(r.metric),
      points: r.values.map(([t, v]) => [t, Number(v)] as const)
    }))
    .sort((a, b) => a.legend.localeCompare(b.legend))
}

// ---------------------------------------------------------------------------------------------
// The picture: Grafana's dark theme, its grid (24 columns, 30 px rows), its classic palette.

const WIDTH = 1400
const PAD = 16
const HEADER = 112
const ROW_PX = 30
const GAP = 8
const COLORS = ['#7EB26D', '#EAB839', '#6ED0E0', '#EF843C', '#E24D42', '#1F78C1', '#BA43A9', '#705DA0', '#508642', '#CCA300', '#447EBF', '#C15C17', '#890F02', '#0A437C', '#6D1F62', '#584477']
const TEXT = '#ccccdc'
const MUTED = '#8e8e9e'

/** Text's width in px, roughly (no font metrics in an SVG writer): capitals are wider. */
function textWidth(text: string, size: number): number {
  let em = 0
  for (const c of text) em += /[A-Z]/.test(c) ? 0.68 : /[a-z0-9_]/.test(c) ? 0.56 : 0.33
  return em * size
}

/** Region colours: the CRM's faults red, Redis's purple. */
const shade = (f: FaultWindow): string => (f.fault === 'redis-down' ? '#a352cc' : '#e24d42')
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
const num = (n: number): string => String(Math.round(n * 10) / 10)

/** A value in the panel's unit, as Grafana would label it (the units the dashboard uses). */
function formatValue(v: number, unit: string | undefined): string {
  const trim = (x: number, digits: number): string => String(Number(x.toFixed(digits)))
  switch (unit) {
    case 'percentunit':
      return `${trim(v * 100, v < 0.1 ? 1 : 0)}%`
    case 's':
      return v === 0 ? '0 s' : v < 1 ? `${trim(v * 1000, v < 0.01 ? 1 : 0)} ms` : `${trim(v, 1)} s`
    case 'reqps':
      return `${trim(v, v < 10 ? 1 : 0)} req/s`
    case 'ops':
      return `${trim(v, v < 10 ? 1 : 0)} ops/s`
    default:
      return trim(v, v < 10 ? 2 : 0)
  }
}

/** A round axis maximum and step for values up to `max`: 1, 2, 2.5 or 5 times a power of ten. */
function axis(max: number, unit: string | undefined): { max: number; step: number } {
  if (unit === 'percentunit' && max > 0.5) return { max: 1, step: 0.25 }
  if (!(max > 0)) return { max: 1, step: 0.25 }
  const raw = max / 4
  const power = 10 ** Math.floor(Math.log10(raw))
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * power >= raw) ?? 10) * power
  return { max: Math.ceil(max / step - 1e-9) * step, step }
}

function drawPanel(panel: Panel, series: readonly Series[], box: { x: number; y: number; w: number; h: number }, range: { start: number; end: number; faults: readonly FaultWindow[]; t0: number }): string {
  const out: string[] = []
  const unit = panel.fieldConfig?.defaults?.unit
  const stepped = panel.fieldConfig?.defaults?.custom?.lineInterpolation === 'stepAfter'
  const threshold = panel.fieldConfig?.defaults?.thresholds?.steps?.find((s) => s.value !== null)?.value ?? undefined
  out.push(`<rect x="${num(box.x)}" y="${num(box.y)}" width="${num(box.w)}" height="${num(box.h)}" rx="2" fill="#181b1f" stroke="#2c3235"/>`)
  out.push(`<text x="${num(box.x + 10)}" y="${num(box.y + 20)}" fill="${TEXT}" font-size="13" font-weight="500">${esc(panel.title)}</text>`)
  // The legend: items in a row, wrapped; what does not fit in three lines is counted.
  const legendLines: { color: string; text: string; x: number; line: number }[] = []
  let lx = 0
  let line = 0
  let hidden = 0
  series.forEach((s, i) => {
    const width = 20 + textWidth(s.legend, 11) + 16
    if (lx + width > box.w - 20 && lx > 0) {
      line++
      lx = 0
    }
    if (line >= 3) {
      hidden++
      return
    }
    legendLines.push({ color: COLORS[i % COLORS.length] ?? TEXT, text: s.legend, x: lx, line })
    lx += width
  })
  const legendH = (legendLines.length === 0 ? 0 : legendLines.reduce((m, l) => Math.max(m, l.line), 0) + 1) * 16 + 6
  const plot = { x: box.x + 62, y: box.y + 34, w: box.w - 62 - 14, h: box.h - 34 - 22 - legendH }
  const values = series.flatMap((s) => s.points.map(([, v]) => v)).filter((v) => Number.isFinite(v))
  const { max, step } = axis(Math.max(0, ...values), unit)
  const sx = (t: number): number => plot.x + ((t - range.start) / (range.end - range.start)) * plot.w
  const sy = (v: number): number => plot.y + plot.h - (Math.min(v, max) / max) * plot.h
  // The run's faults, as Grafana shows region annotations.
  for (const f of range.faults) {
    const x1 = sx(range.t0 + f.from)
    const x2 = sx(range.t0 + f.to)
    out.push(`<rect x="${num(x1)}" y="${num(plot.y)}" width="${num(x2 - x1)}" height="${num(plot.h)}" fill="${shade(f)}" fill-opacity="0.12"/>`)
  }
  for (let v = 0; v <= max + 1e-9; v += step) {
    const y = sy(v)
    out.push(`<line x1="${num(plot.x)}" x2="${num(plot.x + plot.w)}" y1="${num(y)}" y2="${num(y)}" stroke="#2c3235"/>`)
    out.push(`<text x="${num(plot.x - 6)}" y="${num(y + 4)}" fill="${MUTED}" font-size="10" text-anchor="end">${esc(formatValue(v, unit))}</text>`)
  }
  for (let t = Math.ceil(range.start / 15) * 15; t <= range.end; t += 15) {
    const x = sx(t)
    out.push(`<line x1="${num(x)}" x2="${num(x)}" y1="${num(plot.y)}" y2="${num(plot.y + plot.h)}" stroke="#2c3235"/>`)
    const clock = new Date(t * 1000).toISOString().slice(11, 19)
    out.push(`<text x="${num(x)}" y="${num(plot.y + plot.h + 14)}" fill="${MUTED}" font-size="10" text-anchor="middle">${clock}</text>`)
  }
  if (threshold !== undefined && threshold <= max) {
    out.push(`<line x1="${num(plot.x)}" x2="${num(plot.x + plot.w)}" y1="${num(sy(threshold))}" y2="${num(sy(threshold))}" stroke="#f2495c" stroke-dasharray="6 4"/>`)
  }
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length] ?? TEXT
    let path = ''
    let previous: number | undefined
    for (const [t, v] of s.points) {
      if (!Number.isFinite(v)) {
        previous = undefined
        continue
      }
      const x = num(sx(t))
      const y = num(sy(v))
      path += previous === undefined ? `M${x} ${y}` : stepped ? `H${x}V${y}` : `L${x} ${y}`
      previous = v
    }
    if (path !== '') out.push(`<path d="${path}" fill="none" stroke="${color}" stroke-width="1.5" stroke-linejoin="round"/>`)
  })
  if (values.length === 0) {
    out.push(`<text x="${num(plot.x + plot.w / 2)}" y="${num(plot.y + plot.h / 2)}" fill="${MUTED}" font-size="13" text-anchor="middle">No data</text>`)
  }
  const legendY = plot.y + plot.h + 26
  for (const l of legendLines) {
    const x = box.x + 10 + l.x
    const y = legendY + l.line * 16
    out.push(`<rect x="${num(x)}" y="${num(y - 3)}" width="14" height="3" rx="1" fill="${l.color}"/>`)
    out.push(`<text x="${num(x + 20)}" y="${num(y + 1)}" fill="${TEXT}" font-size="11">${esc(l.text)}</text>`)
  }
  if (hidden > 0) out.push(`<text x="${num(box.x + box.w - 10)}" y="${num(legendY + 2 * 16 + 1)}" fill="${MUTED}" font-size="11" text-anchor="end">+${hidden} more</text>`)
  return out.join('\n')
}

function renderDashboard(dashboard: Dashboard, data: ReadonlyMap<Panel, readonly Series[]>, range: { start: number; end: number; t0: number; faults: readonly FaultWindow[] }, caption: readonly string[]): string {
  const colW = (WIDTH - 2 * PAD) / 24
  const bottom = Math.max(...dashboard.panels.map((p) => p.gridPos.y + p.gridPos.h))
  const height = HEADER + bottom * ROW_PX + PAD
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Inter, Helvetica, Arial, sans-serif">`,
    `<rect width="${WIDTH}" height="${height}" fill="#111217"/>`,
    `<text x="${PAD}" y="30" fill="${TEXT}" font-size="18" font-weight="500">${esc(dashboard.title)}</text>`,
    `<text x="${WIDTH - PAD}" y="30" fill="${MUTED}" font-size="12" text-anchor="end">${esc(`${new Date(range.start * 1000).toISOString().slice(0, 19).replace('T', ' ')} to ${new Date(range.end * 1000).toISOString().slice(11, 19)} UTC`)}</text>`
  ]
  let chipX = PAD
  for (const [name, value] of [
    ['Data source', 'Prometheus (local, 1 s scrapes)'],
    ['Job', 'All'],
    ['Instance', 'All']
  ] as const) {
    const w = textWidth(`${name}  ${value}`, 11) + 16
    out.push(`<rect x="${num(chipX)}" y="44" width="${num(w)}" height="22" rx="2" fill="#181b1f" stroke="#2c3235"/>`)
    out.push(`<text x="${num(chipX + 8)}" y="59" fill="${MUTED}" font-size="11">${esc(name)} <tspan fill="${TEXT}">${esc(value)}</tspan></text>`)
    chipX += w + 8
  }
  let faultX = chipX + 12
  for (const f of range.faults) {
    const text = `${f.label} (${f.from}–${f.to} s)`
    out.push(`<rect x="${num(faultX)}" y="48" width="14" height="14" fill="${shade(f)}" fill-opacity="0.4"/>`)
    out.push(`<text x="${num(faultX + 20)}" y="59" fill="${TEXT}" font-size="11">${esc(text)}</text>`)
    faultX += 20 + textWidth(text, 11) + 16
  }
  caption.forEach((line, i) => out.push(`<text x="${PAD}" y="${82 + i * 14}" fill="${MUTED}" font-size="11">${esc(line)}</text>`))
  for (const panel of dashboard.panels) {
    const x = PAD + panel.gridPos.x * colW
    const y = HEADER + panel.gridPos.y * ROW_PX
    if (panel.type === 'row') {
      out.push(`<text x="${num(x + 4)}" y="${num(y + 20)}" fill="${TEXT}" font-size="14" font-weight="500">${esc(panel.title)}</text>`)
      continue
    }
    out.push(drawPanel(panel, data.get(panel) ?? [], { x, y, w: panel.gridPos.w * colW - GAP, h: panel.gridPos.h * ROW_PX - GAP }, range))
  }
  out.push('</svg>', '')
  return out.join('\n')
}

// ---------------------------------------------------------------------------------------------

function requireTools(): void {
  if (!wrkAvailable()) throw new Error('wrk is not installed (Debian: apt-get install wrk)')
  const prometheus = spawnSync('prometheus', ['--version'], { encoding: 'utf8' })
  if (prometheus.error !== undefined) throw new Error('prometheus is not installed (Debian: apt-get install prometheus)')
}

async function main(): Promise<void> {
  requireTools()
  const out = process.argv[2] ?? join(PROJECT_ROOT, 'docs', 'dashboard.svg')
  const dashboard = JSON.parse(readFileSync(join(PROJECT_ROOT, 'deploy', 'observability', 'grafana-dashboard.json'), 'utf8')) as Dashboard
  const dataDir = mkdtempSync(join(tmpdir(), 'dashboard-prometheus-'))
  const servers: Server[] = []
  const cleanups: (() => unknown)[] = []
  let proxy: FaultProxy | undefined
  let prometheus: ChildProcess | undefined
  try {
    const crm = await spawnServer('fake-crm', join(BENCH_DIR, 'servers', 'fake-crm.js'), {})
    servers.push(crm)
    proxy = await startFaultProxy({ target: crm.url, keepForwarded: 1 })
    // A redis-server of this run's own (the tests' helper, which stops it with the run); none installed: the run goes without.
    let noRedis: string | undefined
    const redis: OwnRedis | undefined = await ownRedis({
      teardown: (fn) => cleanups.push(fn),
      plan: (_n, why) => (noRedis = why),
      fail: (message) => (noRedis = message)
    })
    if (noRedis !== undefined) process.stdout.write(`${noRedis}: the Redis panel stays flat\n`)
    const args: DashboardGatewayArgs = { crmUrl: proxy.url, kiosk: KIOSK, searchRate: SEARCH_RATE, cacheTtlMs: CACHE_TTL_MS, ...(redis ? { redisUrl: redis.url } : {}) }
    const gateway = await spawnServer('gateway', join(BENCH_DIR, 'servers', 'dashboard-gateway.js'), args)
    servers.push(gateway)
    const started = await startPrometheus(gateway.url, dataDir)
    prometheus = started.child
    // A few scrapes of the idle gateway before the load, so every rate has a start.
    await sleep(5000)
    const t0 = Date.now()
    const endsAt = t0 + LOAD_SECONDS * 1000
    const faults = Promise.all(
      FAULTS.map(async ({ from, to, fault }) => {
        await sleep(t0 + from * 1000 - Date.now())
        await (fault === 'redis-down' ? redis?.stop() : proxy?.setFault(fault))
        await sleep(t0 + to * 1000 - Date.now())
        await (fault === 'redis-down' ? redis?.start() : proxy?.clearFaults())
      })
    )
    const read = `${gateway.url}${SPI_CUSTOMERS}/${CUSTOMER_ID}`
    const wrkRuns = Promise.all([
      runWrk({ url: read, script: 'paced', scriptArgs: ['80', '1'], durationSeconds: LOAD_SECONDS, connections: 16, headers: { 'x-api-key': POS_SECRET } }),
      runWrk({ url: read, script: 'paced', scriptArgs: ['14', '1'], durationSeconds: LOAD_SECONDS, connections: 4, headers: { 'x-api-key': KIOSK.secret } })
    ])
    const requests = spiRequests(gateway.url, String(t0))
    const loops = Promise.all(LOOPS.map(async (l) => [l.name, await loop(l.rate, requests[l.name] ?? (() => Promise.reject(new Error(l.name))), t0, endsAt)] as const))
    const [[reads, kiosk], loopStatuses] = await Promise.all([wrkRuns, loops, faults])
    // The last answers' scrape.
    await sleep(3000)
    const range = { start: Math.floor(t0 / 1000) - 5, end: Math.ceil(endsAt / 1000) + 2, t0: t0 / 1000, faults: FAULTS }
    const data = new Map<Panel, Series[]>()
    for (const panel of dashboard.panels) {
      if (panel.type === 'row') continue
      const series: Series[] = []
      for (const target of panel.targets ?? []) series.push(...(await queryRange(started.url, target, range.start, range.end)))
      data.set(panel, series)
    }
    const summary = (name: string, r: WrkResult): string => `${name}: ${r.requests} requests (${r.rps.toFixed(0)}/s), ${r.statusErrors} non-2xx, p99 ${r.p99Ms.toFixed(1)} ms`
    const lines = [summary('wrk reads (bench client, 80/s)', reads), summary(`wrk reads (kiosk, 14/s, limit ${KIOSK.perSecond}/s)`, kiosk)]
    for (const [name, statuses] of loopStatuses) lines.push(`${name}: ${[...statuses].map(([s, n]) => `${n} × ${s}`).join(', ')}`)
    const caption = [
      `Rendered by bench/dashboard.ts from grafana-dashboard.json: each panel's queries asked of Prometheus (query_range, 1 s steps, rate windows ${RATE_INTERVAL}) after a ${LOAD_SECONDS} s run on loopback.`,
      `Load: wrk reads at 80/s, a kiosk client at 14/s over its limit of ${KIOSK.perSecond}/s; distinct reads 15/s, searches 3/s (9/s at 60–70 s; declared rate ${SEARCH_RATE.calls}/s), creates 2/s, updates 2/s.`
    ]
    writeFileSync(out, renderDashboard(dashboard, data, range, caption))
    process.stdout.write(`${lines.join('\n')}\nwritten: ${out}\n`)
  } finally {
    for (const cleanup of cleanups) await cleanup()
    await proxy?.close()
    if (prometheus) await stopProcess(prometheus)
    await stopAll(servers)
    rmSync(dataDir, { recursive: true, force: true })
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
  process.exit(1)
})
