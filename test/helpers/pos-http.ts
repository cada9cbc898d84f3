/**
 * The POS over real HTTP, for tests where the connection itself matters: a till that gives up
 * after so many milliseconds closes its socket, which is what the gateway sees when a POS
 * hangs up (app.inject cannot do that). Also the two timing sets the resilience tests run with.
 */
import type { FastifyInstance } from 'fastify'
import { validateConfig } from '../../src/config/load-config.js'
import type { GatewayConfig } from '../../src/config/config-schema.js'
import { AUTH_HEADERS } from './build-test-app.js'

export interface PosAnswer {
  readonly status: number
  readonly headers: Headers
  readonly json: any
  readonly ms: number
}

/** `http://127.0.0.1:<port>`: the app listening on loopback (closed with the app). */
export async function listen(app: FastifyInstance): Promise<string> {
  return app.listen({ host: '127.0.0.1', port: 0 })
}

/**
 * One POS request as the test client. `giveUpMs`: the till closes the connection after that
 * long; `giveUp`: when that signal fires. The promise then resolves to `'gave up'`.
 */
export async function pos(
  url: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string>; giveUpMs?: number; giveUp?: AbortSignal } = {}
): Promise<PosAnswer | 'gave up'> {
  const started = performance.now()
  const headers: Record<string, string> = { ...AUTH_HEADERS, ...init.headers }
  if (init.body !== undefined) headers['content-type'] = 'application/json'
  try {
    const res = await fetch(url, {
      method: init.method ?? 'GET',
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      ...(init.giveUpMs === undefined ? {} : { signal: AbortSignal.timeout(init.giveUpMs) }),
      ...(init.giveUp === undefined ? {} : { signal: init.giveUp })
    })
    const text = await res.text()
    return { status: res.status, headers: res.headers, json: text === '' ? undefined : JSON.parse(text), ms: performance.now() - started }
  } catch (err) {
    const name = (err as { name?: string }).name
    if ((init.giveUpMs !== undefined && name === 'TimeoutError') || (init.giveUp !== undefined && name === 'AbortError')) return 'gave up'
    throw err
  }
}

/** A POS request that must be answered (not given up on). */
export async function answered(url: string, init: Parameters<typeof pos>[1] = {}): Promise<PosAnswer> {
  const answer = await pos(url, init)
  if (answer === 'gave up') throw new Error(`expected an answer from ${url}`)
  return answer
}

/**
 * The timings every resilience promise must hold with: the shipped defaults, and short ones
 * (a tight deadline, a low breaker volume) that make each edge come sooner.
 */
export const TIMINGS = {
  default: {},
  short: {
    requestDeadlineMs: 1000,
    breaker: { timeoutMs: 600, volumeThreshold: 4, errorThresholdPercentage: 50, resetTimeoutMs: 5000 },
    retry: { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 20 }
  }
} as const satisfies Record<string, Record<string, unknown>>

export type TimingName = keyof typeof TIMINGS

/** The resilience settings a timing set amounts to, defaults filled in. */
export function resilienceOf(name: TimingName): GatewayConfig['resilience'] {
  return validateConfig({ resilience: TIMINGS[name] }).resilience
}
