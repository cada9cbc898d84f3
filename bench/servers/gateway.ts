/**
 * The gateway as `npm start` runs it (src/server.ts: adapter from the registry, mapping table
 * loaded, app built and listening), configured for one scenario. Logs go where the process's
 * stdout goes (the orchestrator sends it to /dev/null): the per-request line is still made
 * and written, as in production.
 */
import { validateConfig } from '../../src/config/load-config.js'
import { startGateway } from '../../src/server.js'
import { serveProfiling } from '../server-profiling.js'
import { CRM_API_KEY, POS_CLIENT_ID, POS_SECRET, serve, serverArgs, startOrDie } from '../common.js'

export interface GatewayArgs {
  readonly crmUrl: string
  /** `cache` section overrides (enabled, maxBytes, ttlMs). */
  readonly cache?: Record<string, unknown>
  readonly logLevel?: string
  /** `state.redis` (url, keyPrefix): the gateway shares its state through Redis. */
  readonly redis?: Record<string, unknown>
}

startOrDie(async () => {
  const args = serverArgs<GatewayArgs>()
  const config = validateConfig({
    server: { host: '127.0.0.1', port: 0 },
    crm: { adapter: 'demo-crm', baseUrl: args.crmUrl, options: { apiKey: CRM_API_KEY } },
    auth: { clients: [{ id: POS_CLIENT_ID, method: 'header', header: 'x-api-key', secrets: [POS_SECRET] }] },
    // The limiter stays on (its per-request cost is part of the gateway), far above the load.
    rateLimit: { maxRequests: 1_000_000, windowSeconds: 1 },
    cache: args.cache ?? {},
    ...(args.redis === undefined ? {} : { state: { redis: args.redis } }),
    log: { level: args.logLevel ?? 'info' }
  })
  const gateway = await startGateway(config)
  serve(gateway.url, () => gateway.app.close())
  serveProfiling()
  // The cache-fill run starts this process with --expose-gc to tell live memory from garbage
  // V8 has not collected yet: on "gc", two full collections, then process.memoryUsage().
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc) {
    process.on('message', (message) => {
      if (message !== 'gc') return
      gc()
      gc()
      process.send?.({ type: 'memory', ...process.memoryUsage() })
    })
  }
})
