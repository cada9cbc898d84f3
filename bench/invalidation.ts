/**
 * The read caches' invalidation delay across instances (README, "Running several instances"):
 * how long after one instance publishes a write the other hears of it — the time its cache
 * can still answer the old customer. Two RedisStores (two connections each, as two gateways
 * have) on the machine's Redis; N messages one after another, each timed from just before the
 * publish to its delivery; p50 / p99 / max.
 *
 *   npm run bench:invalidation [messages]   (default 2000)
 */
import { CacheCoherence, INVALIDATION_TOPIC } from '../src/core/cache-coherence.js'
import { ReadCache } from '../src/core/read-cache.js'
import { RedisStore } from '../src/state/redis-store.js'
import type { Logger } from '../src/core/logger.js'

const MESSAGES = Number(process.argv[2] ?? 2000)
const url = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379'
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined, child: () => quiet } as unknown as Logger

async function main(): Promise<void> {
  const options = { url, keyPrefix: 'bench-invalidation:', commandTimeoutMs: 100, claimTimeoutMs: 1000, log: quiet }
  const a = new RedisStore(options)
  const b = new RedisStore(options)
  await Promise.all([a.connect(2000), b.connect(2000)])
  if (a.status().mode !== 'shared' || b.status().mode !== 'shared') throw new Error(`no Redis at ${url}`)
  // B as a gateway has it: its read cache, kept coherent through the store.
  const cache = new ReadCache({ maxBytes: 1 << 20, ttlMs: 60_000, maxStaleMs: 0 })
  let heard: (() => void) | undefined
  new CacheCoherence(b, cache, { invalidated: () => heard?.() })
  const sender = new CacheCoherence(a, new ReadCache({ maxBytes: 1 << 20, ttlMs: 60_000, maxStaleMs: 0 }))
  await new Promise((resolve) => setTimeout(resolve, 200))
  const delays: number[] = []
  for (let i = 0; i < MESSAGES; i++) {
    cache.write(`demo-crm:C${i}`, '{}')
    const delivered = new Promise<void>((resolve) => (heard = resolve))
    const started = performance.now()
    await sender.written(`demo-crm:C${i}`)
    await delivered
    delays.push(performance.now() - started)
  }
  delays.sort((x, y) => x - y)
  const at = (q: number): number => delays[Math.min(delays.length - 1, Math.ceil(q * delays.length) - 1)] ?? Number.NaN
  console.log(`invalidation delay over ${MESSAGES} writes (topic ${INVALIDATION_TOPIC}): p50 ${at(0.5).toFixed(3)} ms, p99 ${at(0.99).toFixed(3)} ms, max ${at(1).toFixed(3)} ms`)
  await Promise.all([a.close(), b.close()])
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
