/**
 * The benchmark's printout: the saturation table, the fixed-rate latency table, the cache fill,
 * the mapping cost, then the ratios and targets of issue 7 — each target computed from runs
 * of the same session (ratios per round, the median of those, and their spread).
 */

export interface RoundFigures {
  readonly rps: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly peakRssKb?: number
  readonly cpuUsPerRequest?: number
  readonly cpuShare?: number
  readonly p999Ms?: number
  readonly late?: number
}

export interface ScenarioFigures {
  readonly id: string
  readonly label: string
  readonly rounds: readonly RoundFigures[]
  /** Medians of the rounds. */
  readonly rps: number
  readonly p50Ms: number
  readonly p99Ms: number
  /** The highest VmHWM of the rounds (peak RSS, reset before each run). */
  readonly peakRssKb: number
  /** The server under test's CPU time (user + system) per request, and its share of one core. */
  readonly cpuUsPerRequest: number
  readonly cpuShare: number
  readonly paced:
    | {
        readonly rounds: readonly RoundFigures[]
        readonly rps: number
        readonly p50Ms: number
        readonly p99Ms: number
        readonly p999Ms: number
        readonly late: number
        /** The server's CPU time per request at that rate, idle wake-ups included. */
        readonly cpuUsPerRequest: number
      }
    | undefined
}

export interface FillResult {
  readonly boundBytes: number
  readonly customers: number
  readonly entryBytes: number
  readonly rssBeforeKb: number
  readonly rssAfterKb: number
  readonly peakKb: number
  /** V8 heap in use after full collections, after the fill minus before it. */
  readonly liveHeapAddedBytes: number
  /** Buffer memory (outside the V8 heap) after full collections, after minus before. */
  readonly liveBuffersAddedBytes: number
  readonly rssAfterGcKb: number
  readonly lastCached: boolean
  readonly firstEvicted: boolean
  readonly rps: number
}

export interface MappingResult {
  readonly toCrmNs: number
  readonly toCrmNoPhonesNs: number
  readonly fromCrmNs: number
}

/** How a run was made: run.ts's options, and what the report says they were. */
export interface RunSettings {
  readonly quick: boolean
  readonly rounds: number
  /** Seconds per measured wrk run at saturation. */
  readonly durationS: number
  readonly warmupS: number
  /** Seconds per fixed-rate run, and how many rounds of them (p99s vary more than req/s). */
  readonly pacedS: number
  readonly pacedRounds: number
  readonly connections: number
  readonly pacedConnections: number
  readonly rate: number
}

export interface BenchReport extends RunSettings {
  readonly command: string
  readonly date: string
  readonly node: string
  readonly cpus: string
  readonly loadBefore: readonly number[]
  readonly loadAfter: readonly number[]
  readonly answerBytes: number
  readonly scenarios: readonly ScenarioFigures[]
  readonly fills: readonly FillResult[]
  readonly mapping: MappingResult | undefined
  readonly elapsedS: number
}

export interface TargetOutcome {
  readonly name: string
  readonly measured: string
  readonly limit: string
  readonly met: boolean | undefined
  readonly note?: string
}

const num = (n: number, digits = 0): string =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
const mib = (kb: number): string => num(kb / 1024, 1)
const ms = (n: number): string => n.toFixed(2)

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`
  const rule = `|${widths.map((w, i) => (i === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`
  return [line(header), rule, ...rows.map(line)].join('\n')
}

/** Per-round ratio a/b of a figure, as "median (min–max)". */
function roundRatios(a: ScenarioFigures, b: ScenarioFigures, pick: (r: RoundFigures) => number): { median: number; spread: string } {
  const ratios = a.rounds.map((r, i) => pick(r) / pick(b.rounds[i]!))
  return { median: median(ratios), spread: `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}` }
}

export function targets(report: BenchReport): TargetOutcome[] {
  const by = new Map(report.scenarios.map((s) => [s.id, s]))
  const out: TargetOutcome[] = []
  const bare = by.get('bare')
  const hit = by.get('hit')
  const miss = by.get('miss')
  const proxy = by.get('proxy')
  const direct = by.get('direct')
  const down = by.get('down')
  if (hit && bare) {
    const r = roundRatios(hit, bare, (x) => x.rps)
    out.push({ name: 'cache-hit GET ÷ bare Fastify (req/s)', measured: `${r.median.toFixed(2)} (rounds ${r.spread})`, limit: '≥ 0.90', met: r.median >= 0.9 })
  }
  if (miss && proxy) {
    const r = roundRatios(miss, proxy, (x) => x.rps)
    out.push({ name: 'cache-miss GET ÷ @fastify/http-proxy (req/s)', measured: `${r.median.toFixed(2)} (rounds ${r.spread})`, limit: '≥ 0.85', met: r.median >= 0.85 })
  }
  if (miss?.paced && direct?.paced) {
    const diffs = miss.paced.rounds.map((r, i) => r.p99Ms - direct.paced!.rounds[i]!.p99Ms)
    const d = median(diffs)
    out.push({
      name: `added p99 at ${report.rate} req/s: miss − direct`,
      measured: `${ms(d)} ms (rounds ${ms(Math.min(...diffs))}–${ms(Math.max(...diffs))})`,
      limit: '≤ 1 ms',
      met: d <= 1
    })
  }
  if (down?.paced) {
    out.push({ name: `breaker open: p99 at ${report.rate} req/s`, measured: `${ms(down.paced.p99Ms)} ms`, limit: '≤ 5 ms', met: down.paced.p99Ms <= 5 })
  }
  if (miss) {
    out.push({
      name: 'gateway CPU per request, cache miss, saturated',
      measured: `${num(miss.cpuUsPerRequest)} µs${proxy ? ` (proxy ${num(proxy.cpuUsPerRequest)} µs)` : ''}`,
      limit: '≤ 130 µs',
      met: miss.cpuUsPerRequest <= 130
    })
  }
  const bareAtRate = bare?.paced ? `; bare Fastify route ${num(bare.paced.cpuUsPerRequest)} µs` : ''
  if (miss?.paced) {
    const c = miss.paced.cpuUsPerRequest
    out.push({ name: `gateway CPU per request at ${report.rate} req/s, cache miss`, measured: `${num(c)} µs`, limit: '≤ 200 µs', met: c <= 200, note: `proxy ${proxy?.paced ? num(proxy.paced.cpuUsPerRequest) : '?'} µs${bareAtRate}` })
  }
  if (down?.paced) {
    const c = down.paced.cpuUsPerRequest
    out.push({ name: `gateway CPU per request at ${report.rate} req/s, breaker open`, measured: `${num(c)} µs`, limit: '≤ 100 µs', met: c <= 100, note: `cache hit ${hit?.paced ? num(hit.paced.cpuUsPerRequest) : '?'} µs${bareAtRate}` })
  }
  for (const f of report.fills) {
    const bound = f.boundBytes / 1024
    const full = f.peakKb / bound
    const added = (f.rssAfterKb - f.rssBeforeKb) / bound
    const live = (f.liveHeapAddedBytes + f.liveBuffersAddedBytes) / f.boundBytes
    out.push({
      name: `RSS with the cache full ÷ cache bound (${num(f.boundBytes / 1048576)} MiB)`,
      measured: `${full.toFixed(2)} (peak ${mib(f.peakKb)} MiB)`,
      limit: '≤ 1.50',
      met: full <= 1.5,
      note: `RSS the fill added ÷ bound ${added.toFixed(2)}; live heap + buffers it added (after full GC) ÷ bound ${live.toFixed(2)}`
    })
  }
  if (report.mapping) {
    const both = (report.mapping.toCrmNs + report.mapping.fromCrmNs) / 1000
    out.push({
      name: 'mapping a full customer both ways (toCrm + fromCrm)',
      measured: `${both.toFixed(2)} µs`,
      limit: '≤ 5 µs',
      met: both <= 5,
      note: `toCrm ${(report.mapping.toCrmNs / 1000).toFixed(2)} µs, fromCrm ${(report.mapping.fromCrmNs / 1000).toFixed(2)} µs`
    })
  }
  return out
}

/**
 * Runs to read with care: a saturated server that did not get a whole core (wrk keeps it
 * busy, so less than 85% means it waited for the CPU), or paced sends that fell behind their
 * schedule (all connections busy at once: the server stalled, or the CPU was taken).
 */
export function disturbances(report: BenchReport): string[] {
  const out: string[] = []
  for (const s of report.scenarios) {
    const starved = s.rounds.map((r, i) => [i + 1, r.cpuShare ?? 1] as const).filter(([, share]) => share < 0.85)
    if (starved.length > 0) out.push(`${s.id} round ${starved.map(([i, share]) => `${i} (CPU ${Math.round(100 * share)}%)`).join(', ')}`)
    const late = s.paced?.rounds.map((r, i) => [i + 1, r.late ?? 0] as const).filter(([, n]) => n > 0) ?? []
    if (late.length > 0) out.push(`${s.id} paced round ${late.map(([i, n]) => `${i} (${n} late)`).join(', ')}`)
  }
  return out
}

export function printReport(report: BenchReport): void {
  const out: string[] = []
  out.push('')
  out.push(`## Gateway benchmark — ${report.date}`)
  out.push('')
  out.push(`\`${report.command}\``)
  out.push('')
  out.push(
    `node ${report.node}, ${report.cpus}; load average ${report.loadBefore.map((l) => l.toFixed(2)).join(' ')} before, ` +
      `${report.loadAfter.map((l) => l.toFixed(2)).join(' ')} after; ${report.quick ? 'quick' : 'full'} run, ${num(report.elapsedS)} s`
  )
  out.push('')
  out.push(
    `At saturation: wrk 1 thread, ${report.connections} connections, ${report.durationS} s per run after a ${report.warmupS} s warm-up; ` +
      `median of ${report.rounds} rounds (req/s spread across rounds in brackets). CPU: the server under test's user + system time per ` +
      `request and its share of one core (/proc/<pid>/stat). Peak RSS: its VmHWM, reset before each run.`
  )
  out.push('')
  out.push(
    table(
      ['scenario', 'req/s', '(rounds)', 'p50 ms', 'p99 ms', 'CPU µs/req', 'CPU', 'peak RSS MiB'],
      report.scenarios.map((s) => {
        const rps = s.rounds.map((r) => r.rps)
        return [
          s.label,
          num(s.rps),
          `${num(Math.min(...rps))}–${num(Math.max(...rps))}`,
          ms(s.p50Ms),
          ms(s.p99Ms),
          num(s.cpuUsPerRequest),
          `${num(100 * s.cpuShare)}%`,
          mib(s.peakRssKb)
        ]
      })
    )
  )
  const paced = report.scenarios.filter((s) => s.paced)
  if (paced.length > 0) {
    out.push('')
    out.push(
      `At a fixed ${report.rate} req/s (wrk paced by bench/lua/paced.lua, ${report.pacedConnections} connections, ${report.pacedS} s per run after a ` +
        `${report.warmupS} s paced warm-up, median of ${report.pacedRounds} rounds; "late": the most sends in a run more than one interval behind schedule):`
    )
    out.push('')
    out.push(
      table(
        ['scenario', 'req/s', 'p50 ms', 'p99 ms', 'p99.9 ms', 'late', 'CPU µs/req'],
        paced.map((s) => [
          s.label,
          num(s.paced!.rps),
          s.paced!.p50Ms.toFixed(3),
          s.paced!.p99Ms.toFixed(3),
          s.paced!.p999Ms.toFixed(3),
          String(s.paced!.late),
          num(s.paced!.cpuUsPerRequest)
        ])
      )
    )
  }
  for (const f of report.fills) {
    out.push('')
    out.push(
      `Cache fill: cache.maxBytes ${num(f.boundBytes / 1048576)} MiB; ${num(f.customers)} distinct customers GET (${num(f.rps)} req/s, ` +
        `~${num(f.entryBytes)} counted bytes each); RSS ${mib(f.rssBeforeKb)} MiB before, ${mib(f.rssAfterKb)} MiB after, peak ${mib(f.peakKb)} MiB ` +
        `(${mib(f.rssAfterGcKb)} MiB after a forced full GC, which found ${num(f.liveHeapAddedBytes / 1048576, 1)} MiB more live heap and ` +
        `${num(f.liveBuffersAddedBytes / 1048576, 1)} MiB more Buffer memory than before the fill); ` +
        `LRU at its bound: last id ${f.lastCached ? 'cached' : 'NOT cached'}, first id ${f.firstEvicted ? 'evicted' : 'NOT evicted'}.`
    )
  }
  if (report.mapping) {
    const m = report.mapping
    out.push('')
    out.push(
      `Mapping (bench/mapping.ts, median of rounds): toCrm ${(m.toCrmNs / 1000).toFixed(2)} µs (without phones ${(m.toCrmNoPhonesNs / 1000).toFixed(2)} µs), fromCrm ${(m.fromCrmNs / 1000).toFixed(2)} µs.`
    )
  }
  const disturbed = disturbances(report)
  out.push('')
  out.push(
    disturbed.length === 0
      ? 'No disturbance seen: every saturated server had a core (CPU ≥ 85%) and every paced run kept its schedule.'
      : `Runs to read with care (a saturated server below 85% CPU waited for a core another process held; late paced sends ` +
          `mean every connection waited at once, on a stalled server or a busy CPU): ${disturbed.join('; ')}.`
  )
  out.push('')
  out.push('Targets (ratios per round of the same session, median of rounds):')
  out.push('')
  out.push(
    table(
      ['target', 'measured', 'limit', 'met'],
      targets(report).map((t) => [t.name, t.measured + (t.note ? `; ${t.note}` : ''), t.limit, t.met === undefined ? '?' : t.met ? 'yes' : 'NO'])
    )
  )
  out.push('')
  process.stdout.write(`${out.join('\n')}\n`)
}
