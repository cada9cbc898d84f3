/**
 * Runs wrk (bounded: fixed duration and connections, it stops by itself) with one of the Lua
 * scripts in ./lua and reads the one line report.lua prints: request count, errors and exact
 * latency percentiles.
 */
import { spawn, spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { BENCH_DIR } from './common.js'

/** Lua scripts live next to the sources; the compiled suite finds them from the project root. */
export const LUA_DIR = join(BENCH_DIR.replace(/\/dist\/bench-build\/bench$/, '/bench'), 'lua')

export interface WrkRun {
  readonly url: string
  readonly script: 'plain' | 'paced' | 'create' | 'update' | 'distinct'
  readonly scriptArgs?: readonly string[]
  readonly durationSeconds: number
  readonly connections: number
  readonly threads?: number
  readonly headers?: Readonly<Record<string, string>>
  /** The script prints BENCH_STOP when done (wrk would otherwise sleep out its duration). */
  readonly stopsItself?: boolean
}

export interface WrkResult {
  readonly requests: number
  readonly seconds: number
  readonly rps: number
  readonly p50Ms: number
  readonly p90Ms: number
  readonly p99Ms: number
  readonly p999Ms: number
  readonly maxMs: number
  readonly meanMs: number
  /** Socket errors and timeouts (connect, read, write, timeout). */
  readonly socketErrors: number
  /** Answers with a status outside 2xx/3xx. */
  readonly statusErrors: number
  /** paced.lua: sends more than one interval behind their slot. */
  readonly late: number
}

interface RawResult {
  requests: number
  duration_us: number
  connect_errors: number
  read_errors: number
  write_errors: number
  status_errors: number
  timeouts: number
  p50_us: number
  p90_us: number
  p99_us: number
  p999_us: number
  max_us: number
  mean_us: number
  late: number
}

/** Whether wrk is installed (the Debian package: `apt-get install -y wrk`). */
export function wrkAvailable(): boolean {
  const probe = spawnSync('wrk', ['-v'], { encoding: 'utf8' })
  return probe.error === undefined && /wrk/i.test(`${probe.stdout}${probe.stderr}`)
}

export async function runWrk(run: WrkRun): Promise<WrkResult> {
  const args = [
    `-t${run.threads ?? 1}`,
    `-c${run.connections}`,
    `-d${run.durationSeconds}s`,
    '--timeout',
    '10s',
    '-s',
    join(LUA_DIR, `${run.script}.lua`)
  ]
  for (const [name, value] of Object.entries(run.headers ?? {})) args.push('-H', `${name}: ${value}`)
  args.push(run.url)
  if (run.scriptArgs && run.scriptArgs.length > 0) args.push('--', ...run.scriptArgs)
  const { stdout, stderr, code } = await new Promise<{ stdout: string; stderr: string; code: number | null }>((resolve, reject) => {
    const child = spawn('wrk', args, { env: { ...process.env, BENCH_LUA_DIR: LUA_DIR }, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    let interrupted = false
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d
      // wrk stops on SIGINT as at the end of its duration: threads joined, report printed.
      if (run.stopsItself && !interrupted && out.includes('BENCH_STOP')) interrupted = child.kill('SIGINT')
    })
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d))
    child.on('error', reject)
    child.on('close', (exit) => resolve({ stdout: out, stderr: err, code: exit }))
  })
  const line = stdout.split('\n').find((l) => l.startsWith('BENCH_RESULT '))
  if (code !== 0 || line === undefined) {
    throw new Error(`wrk ${args.join(' ')} failed (exit ${code}):\n${stderr}${stdout}`)
  }
  const raw = JSON.parse(line.slice('BENCH_RESULT '.length)) as RawResult
  const seconds = raw.duration_us / 1e6
  const ms = (us: number): number => us / 1000
  return {
    requests: raw.requests,
    seconds,
    rps: seconds > 0 ? raw.requests / seconds : 0,
    p50Ms: ms(raw.p50_us),
    p90Ms: ms(raw.p90_us),
    p99Ms: ms(raw.p99_us),
    p999Ms: ms(raw.p999_us),
    maxMs: ms(raw.max_us),
    meanMs: ms(raw.mean_us),
    socketErrors: raw.connect_errors + raw.read_errors + raw.write_errors + raw.timeouts,
    statusErrors: raw.status_errors,
    late: raw.late
  }
}
