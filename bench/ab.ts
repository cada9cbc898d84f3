/**
 * Before/after: gateways compiled from different trees, measured in alternating runs of one
 * session against one fake CRM (how BENCHMARKS.md's "what was changed" figures were made).
 *
 *   node dist/bench-build/bench/ab.js --build before=/tmp/variants/before/dist/bench-build \
 *     --build after=dist/bench-build [--rounds 5] [--duration 5] [--scenarios hit,miss,paced]
 *
 * Each --build is a bench-build directory (`tsc -p bench/tsconfig.json` output of a tree). For
 * each scenario, every build gets the same warm-up, then the rounds rotate the builds' order.
 * Scenarios: hit (cache hit, saturation), miss (cache off, saturation), paced (cache off at a
 * fixed 500 req/s, p99), down and downPaced (the CRM's port closed, so the breaker opens in the
 * warm-up: the refusal path, at saturation and at 500 req/s). Printed: median req/s with its range, the gateway's CPU per request
 * (user + system), p50/p99, and each build's req/s and CPU relative to the first build.
 *
 * Profiles (one build is enough then): --cpu-prof (CPU) or --heap-prof (allocations, garbage
 * included) profile each gateway during the rounds only (server-profiling.ts), written to
 * dist/bench-profiles/build-scenario.cpuprofile|.heapprofile, summarized by bench/profile.ts
 * (`--per N`, N the request count printed here: µs or bytes per request).
 */
import { join, resolve } from 'node:path'
import { CUSTOMER_ID, POS_SECRET, SPI_CUSTOMERS } from './common.js'
import { startProfiling, stopProfiling, type ProfileKind } from './server-profiling.js'
import { closedPort, cpuTimes, PROFILE_DIR, spawnServer, stopAll, type Server } from './procs.js'
import { median } from './report.js'
import { runWrk, wrkAvailable, type WrkResult } from './wrk.js'

interface Build {
  readonly name: string
  readonly dir: string
}

interface Run extends WrkResult {
  readonly userUs: number
  readonly systemUs: number
}

function parse(argv: readonly string[]) {
  const builds: Build[] = []
  let rounds = 5
  let duration = 5
  let scenarios = ['hit', 'miss', 'paced']
  let cpuProf = false
  let heapProf = false
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--cpu-prof') {
      cpuProf = true
      continue
    }
    if (arg === '--heap-prof') {
      heapProf = true
      continue
    }
    const value = argv[++i] ?? ''
    if (arg === '--build') {
      const eq = value.indexOf('=')
      if (eq < 1) throw new Error('--build NAME=DIR')
      builds.push({ name: value.slice(0, eq), dir: resolve(value.slice(eq + 1)) })
    } else if (arg === '--rounds') rounds = Number(value)
    else if (arg === '--duration') duration = Number(value)
    else if (arg === '--scenarios') scenarios = value.split(',')
    else throw new Error(`unknown option ${arg}`)
  }
  const profile: ProfileKind | undefined = heapProf ? 'heap' : cpuProf ? 'cpu' : undefined
  if (builds.length < (profile ? 1 : 2)) throw new Error('give at least two --build NAME=DIR (one to profile)')
  return { builds, rounds, duration, scenarios, profile }
}

async function main(): Promise<void> {
  if (!wrkAvailable()) throw new Error('wrk is not installed (apt-get install -y wrk)')
  const { builds, rounds, duration, scenarios, profile } = parse(process.argv.slice(2))
  const all: Server[] = []
  try {
    const crm = await spawnServer('crm', join(builds[0]!.dir, 'bench', 'servers', 'fake-crm.js'), {})
    all.push(crm)
    const headers = { 'x-api-key': POS_SECRET }
    const path = `${SPI_CUSTOMERS}/${CUSTOMER_ID}`
    for (const scenario of scenarios) {
      const cache = scenario === 'hit' ? {} : { enabled: false }
      const down = scenario === 'down' || scenario === 'downPaced'
      const crmUrl = down ? `http://127.0.0.1:${await closedPort()}` : crm.url
      const gateways = await Promise.all(
        builds.map((b) => spawnServer(`${b.name}-${scenario}`, join(b.dir, 'bench', 'servers', 'gateway.js'), { crmUrl, cache }))
      )
      all.push(...gateways)
      const paced = scenario === 'paced' || scenario === 'downPaced'
      const once = async (gw: Server, seconds: number): Promise<Run> => {
        const before = cpuTimes(gw.pid)
        const r = await runWrk({
          url: `${gw.url}${path}`,
          script: paced ? 'paced' : 'plain',
          scriptArgs: paced ? ['500', '1'] : [],
          durationSeconds: seconds,
          connections: paced ? 16 : 50,
          headers
        })
        const after = cpuTimes(gw.pid)
        // With the CRM down every answer is the breaker's 503; otherwise none may be an error.
        const badStatuses = down ? r.requests - r.statusErrors : r.statusErrors
        if (r.socketErrors > 0 || badStatuses > 0) throw new Error(`${gw.name}: ${r.socketErrors} socket errors, ${badStatuses} unexpected statuses`)
        return { ...r, userUs: ((after.user - before.user) * 1e6) / r.requests, systemUs: ((after.system - before.system) * 1e6) / r.requests }
      }
      for (const gw of gateways) await once(gw, Math.max(2, Math.ceil(duration / 2)))
      const runs = new Map<string, Run[]>(builds.map((b) => [b.name, []]))
      if (profile) await Promise.all(gateways.map((gw) => startProfiling(gw, profile)))
      for (let round = 0; round < rounds; round++) {
        for (let i = 0; i < builds.length; i++) {
          const k = (i + round) % builds.length
          const r = await once(gateways[k]!, duration)
          runs.get(builds[k]!.name)!.push(r)
          process.stderr.write(`${scenario} round ${round + 1} ${builds[k]!.name}: ${r.rps.toFixed(0)} req/s, p99 ${r.p99Ms.toFixed(2)} ms\n`)
        }
      }
      if (profile) {
        for (const [i, gw] of gateways.entries()) {
          const requests = runs.get(builds[i]!.name)!.reduce((sum, r) => sum + r.requests, 0)
          process.stderr.write(`${await stopProfiling(gw, profile, PROFILE_DIR)}: ${requests} requests profiled\n`)
        }
      }
      const first = runs.get(builds[0]!.name)!
      const firstRps = median(first.map((r) => r.rps))
      const firstCpu = median(first.map((r) => r.userUs + r.systemUs))
      console.log(`\n${scenario}${paced ? ' (500 req/s)' : ' (50 connections)'}: ${rounds} rounds × ${duration} s, alternating`)
      console.log('| build | req/s | (rounds) | CPU µs/req (user+sys) | p50 ms | p99 ms | req/s vs first | CPU vs first |')
      console.log('|:--|--:|--:|--:|--:|--:|--:|--:|')
      for (const b of builds) {
        const rs = runs.get(b.name)!
        const rps = median(rs.map((r) => r.rps))
        const cpu = median(rs.map((r) => r.userUs + r.systemUs))
        const user = median(rs.map((r) => r.userUs))
        const sys = median(rs.map((r) => r.systemUs))
        console.log(
          `| ${b.name} | ${rps.toFixed(0)} | ${Math.min(...rs.map((r) => r.rps)).toFixed(0)}–${Math.max(...rs.map((r) => r.rps)).toFixed(0)} | ` +
            `${cpu.toFixed(0)} (${user.toFixed(0)}+${sys.toFixed(0)}) | ${median(rs.map((r) => r.p50Ms)).toFixed(2)} | ${median(rs.map((r) => r.p99Ms)).toFixed(2)} | ` +
            `${(rps / firstRps).toFixed(2)} | ${(cpu / firstCpu).toFixed(2)} |`
        )
      }
      await stopAll(gateways)
    }
  } finally {
    await stopAll(all)
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`ab failed: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exit(1)
  }
)
