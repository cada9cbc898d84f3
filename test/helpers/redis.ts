/**
 * A real Redis for tests (README, "Running several instances" § Tests).
 * - `sharedRedis`: the machine's Redis at 127.0.0.1:6379 (development and CI machines run one),
 *   with a key prefix of the test's own, every key under it deleted at teardown. Where none
 *   answers and `redis-server` is installed, one is started for the test instead.
 * - `ownRedis`: a redis-server of the test's own on a free port, which the test may stop and
 *   start again (an outage), for tests that must not disturb the machine's.
 * Where neither is possible the test is skipped with one line saying why — except under
 * CI=true, where that is a failure: CI must run these tests.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import net from 'node:net'
import { createClient } from '@redis/client'

interface TestLike {
  teardown(fn: () => unknown): void
  /** plan(0, why) ends the test as skipped, saying why. */
  plan(n: number, why?: string): void
  fail(message: string): void
}

export const MACHINE_REDIS = 'redis://127.0.0.1:6379'

export interface TestRedis {
  readonly url: string
  /** Keys and channels of this test: `test:<uuid>:`. */
  readonly prefix: string
}

export interface OwnRedis extends TestRedis {
  readonly port: number
  /** Shuts the server down (nothing saved), as a crash or a restart would. */
  stop(): Promise<void>
  /** Starts it again on the same port, empty. */
  start(): Promise<void>
}

/** Why Redis tests cannot run here: skipped, or failed under CI=true. */
function unavailable(t: TestLike, why: string): undefined {
  const line = `no Redis for this test: ${why} (start one at 127.0.0.1:6379, or install redis-server)`
  if (process.env['CI'] === 'true') t.fail(`${line}; under CI=true the Redis tests must run`)
  else t.plan(0, line)
  return undefined
}

async function answers(url: string): Promise<boolean> {
  const client = createClient({ url, socket: { connectTimeout: 500, reconnectStrategy: false } })
  client.on('error', () => undefined)
  try {
    await client.connect()
    return (await client.ping()) === 'PONG'
  } catch {
    return false
  } finally {
    if (client.isOpen) await client.close().catch(() => undefined)
  }
}

function redisServerInstalled(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

async function waitUntilAnswering(url: string, withinMs: number): Promise<void> {
  const until = Date.now() + withinMs
  while (Date.now() < until) {
    if (await answers(url)) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`redis-server did not answer within ${withinMs} ms`)
}

/** Deletes every key under `prefix` (SCAN, never KEYS: the machine's Redis may be shared). */
async function deleteKeys(url: string, prefix: string): Promise<void> {
  const client = createClient({ url, socket: { connectTimeout: 500, reconnectStrategy: false } })
  client.on('error', () => undefined)
  try {
    await client.connect()
    for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
      if (keys.length > 0) await client.del(keys)
    }
  } catch {
    // The server is gone (an outage test's): nothing left to clean.
  } finally {
    if (client.isOpen) await client.close().catch(() => undefined)
  }
}

/** The machine's Redis (or one started for the test), with a prefix of the test's own. */
export async function sharedRedis(t: TestLike): Promise<TestRedis | undefined> {
  const prefix = `test:${randomUUID()}:`
  if (await answers(MACHINE_REDIS)) {
    t.teardown(() => deleteKeys(MACHINE_REDIS, prefix))
    return { url: MACHINE_REDIS, prefix }
  }
  const own = await ownRedis(t)
  return own === undefined ? undefined : { url: own.url, prefix }
}

/** A redis-server of the test's own, stopped at teardown. */
export async function ownRedis(t: TestLike): Promise<OwnRedis | undefined> {
  if (!redisServerInstalled()) return unavailable(t, 'redis-server is not installed')
  const port = await freePort()
  const url = `redis://127.0.0.1:${port}`
  let child: ChildProcess | undefined
  const start = async (): Promise<void> => {
    // DEBUG SLEEP (from loopback) lets a test make the server slow.
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--enable-debug-command', 'local'], { stdio: 'ignore' })
    await waitUntilAnswering(url, 5000)
  }
  const stop = async (): Promise<void> => {
    const running = child
    child = undefined
    if (running === undefined || running.exitCode !== null) return
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve())
      running.kill('SIGKILL')
    })
  }
  await start()
  t.teardown(stop)
  return { url, prefix: `test:${randomUUID()}:`, port, stop, start }
}
