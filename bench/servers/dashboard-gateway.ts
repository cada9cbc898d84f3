/**
 * The gateway of the dashboard run (bench/dashboard.ts): the demo CRM's adapter and table over
 * the fake CRM, as bench/servers/gateway.ts, with what the dashboard has panels for and a
 * plain run would leave empty:
 *
 * - a second POS client, `kiosk`, with a limit of its own that the run exceeds;
 * - a search rate declared for the demo CRM (it publishes none; HubSpot declares five searches
 *   a second, adapters/hubspot), so the gateway paces searches and reports the rate's usage;
 * - a short cache TTL, so reads are a mix of hits and misses, and stale while the CRM fails;
 * - Redis, when the run has one, which it stops for a while.
 *
 * Built with buildApp as src/server.ts builds it (adapter from the registry, table loaded),
 * the adapter wrapped to declare the rate.
 */
import { resolveAdapterFactory } from '../../adapters/index.js'
import { buildApp } from '../../src/app.js'
import { validateConfig } from '../../src/config/load-config.js'
import { mappingFileFor } from '../../src/config/project-root.js'
import type { CallRate, CrmAdapter } from '../../src/core/port.js'
import { loadMappingTable } from '../../src/mapping/index.js'
import { CRM_API_KEY, POS_CLIENT_ID, POS_SECRET, serve, serverArgs, startOrDie } from '../common.js'

export interface DashboardGatewayArgs {
  readonly crmUrl: string
  readonly kiosk: { readonly id: string; readonly secret: string; readonly perSecond: number }
  readonly searchRate: CallRate
  readonly cacheTtlMs: number
  /** Shared state through this Redis (the run stops it for a while: the store's panel). */
  readonly redisUrl?: string
}

/** The adapter, declaring `rate` for searches; every call delegated (its methods use private fields). */
function withSearchRate(inner: CrmAdapter, rate: CallRate): CrmAdapter {
  return {
    name: inner.name,
    callRates: { ...inner.callRates, searchCustomers: rate },
    getCustomer: (id, ctx) => inner.getCustomer(id, ctx),
    searchCustomers: (query, ctx) => inner.searchCustomers(query, ctx),
    createCustomer: (record, ctx) => inner.createCustomer(record, ctx),
    updateCustomer: (id, patch, ctx, options) => inner.updateCustomer(id, patch, ctx, options),
    ...(inner.versionOf ? { versionOf: (record) => inner.versionOf?.(record) } : {}),
    ...(inner.uniqueLookup ? { uniqueLookup: inner.uniqueLookup } : {}),
    close: async () => inner.close?.()
  }
}

startOrDie(async () => {
  const args = serverArgs<DashboardGatewayArgs>()
  const config = validateConfig({
    server: { host: '127.0.0.1', port: 0 },
    crm: { adapter: 'demo-crm', baseUrl: args.crmUrl, options: { apiKey: CRM_API_KEY } },
    auth: {
      clients: [
        { id: POS_CLIENT_ID, method: 'header', header: 'x-api-key', secrets: [POS_SECRET] },
        { id: args.kiosk.id, method: 'header', header: 'x-api-key', secrets: [args.kiosk.secret], rateLimitMaxRequests: args.kiosk.perSecond }
      ]
    },
    // One-second windows: the bench client far above its load, the kiosk at `perSecond`.
    rateLimit: { maxRequests: 1_000_000, windowSeconds: 1 },
    cache: { ttlMs: args.cacheTtlMs },
    ...(args.redisUrl === undefined ? {} : { state: { redis: { url: args.redisUrl } } }),
    log: { level: 'warn' }
  })
  const mapping = await loadMappingTable(mappingFileFor(config.crm.adapter, config.crm.mappingFile))
  const factory = resolveAdapterFactory(config.crm.adapter)
  const app = await buildApp({
    config,
    mapper: mapping,
    adapter: (log) =>
      withSearchRate(
        factory({ baseUrl: config.crm.baseUrl, settings: config.crm.options, requestTimeoutMs: config.crm.requestTimeoutMs, log, readFields: () => mapping.readFields }),
        args.searchRate
      )
  })
  const url = await app.listen({ host: config.server.host, port: config.server.port })
  serve(url, () => app.close())
})
