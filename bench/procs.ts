/**
 * The benchmark's child processes: each server in its own process (fork, IPC for "ready"),
 * and what /proc says about them (CPU time, RSS).
 */
import { fork, type ChildProcess } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import type { ReadyMessage } from './common.js'
import { PROJECT_ROOT } from '../src/config/project-root.js'

export interface Server {
  readonly name: string
  readonly url: string
  readonly pid: number
  readonly child: ChildProcess
  stderr(): string
}

/** Where --cpu-prof servers write their profiles (bench/profile.ts summarizes them). */
export const PROFILE_DIR = join(PROJECT_ROOT, 'dist', 'bench-profiles')

/**
 * Starts a server entry (a compiled bench/servers/*.js) with its JSON argument and waits until
 * it listens. Its stdout (the gateways' logs) goes to /dev/null: the lines are still made and
 * written; its stderr is kept for error reports.
 */
export async function spawnServer(
  name: string,
  entry: string,
  args: unknown,
  options: { cpuProfile?: boolean; execArgv?: readonly string[] } = {}
): Promise<Server> {
  const execArgv = [...(options.execArgv ?? []), ...(options.cpuProfile ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${name}.cpuprofile`] : [])]
  if (options.cpuProfile) mkdirSync(PROFILE_DIR, { recursive: true })
  const child = fork(entry, [JSON.stringify(args)], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], execArgv })
  let stderr = ''
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)))
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within 60 s\n${stderr}`)), 60_000)
    child.once('message', (m: ReadyMessage) => {
      clearTimeout(timer)
      resolve(m.url)
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${name} exited (${code}) before listening\n${stderr}`))
    })
  })
  return { name, url, pid: child.pid!, child, stderr: () => stderr }
}

/** A gateway started with --expose-gc: collects garbage, answers its process.memoryUsage(). */
export async function memoryAfterGc(server: Server): Promise<NodeJS.MemoryUsage> {
  return new Promise<NodeJS.MemoryUsage>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${server.name} did not answer "gc"`)), 30_000)
    const onMessage = (m: { type?: string } & NodeJS.MemoryUsage): void => {
      if (m.type !== 'memory') return
      clearTimeout(timer)
      server.child.off('message', onMessage)
      resolve(m)
    }
    server.child.on('message', onMessage)
    server.child.send('gc')
  })
}

/** Stops servers the way they stop in production (close, drain); killed if they hang. */
export async function stopAll(list: readonly Server[]): Promise<void> {
  await Promise.all(
    list.map(async (s) => {
      if (s.child.exitCode !== null || s.child.signalCode !== null) return
      const exited = new Promise<void>((resolve) => s.child.once('exit', () => resolve()))
      if (s.child.connected) s.child.disconnect()
      const timer = setTimeout(() => s.child.kill('SIGKILL'), 8000)
      await exited
      clearTimeout(timer)
    })
  )
}

/** A port nothing listens on (bound, then released): connecting to it is refused. */
export async function closedPort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address() as AddressInfo
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  return port
}

export function procStatusKb(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${field}:`))
  return Number(line?.replace(/\D+/g, '') ?? NaN)
}

/** Resets the process's peak RSS (VmHWM) to its current RSS (Linux ≥ 4.0, own processes). */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5')
    return true
  } catch {
    return false
  }
}

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ: 100 on Linux). */
const CLOCK_TICKS = 100

/** User and system CPU time the process has used, in seconds. */
export function cpuTimes(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // Fields after the command name (which may contain spaces), 1-based: utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return { user: Number(fields[11]) / CLOCK_TICKS, system: Number(fields[12]) / CLOCK_TICKS }
}

export function cpuSeconds(pid: number): number {
  const { user, system } = cpuTimes(pid)
  return user + system
}
