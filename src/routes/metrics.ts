/**
 * /metrics in the Prometheus text format, and the per-request latency measurement of the SPI
 * operations (by route's operationId, so unknown paths cannot blow up label cardinality).
 */
import type { FastifyPluginAsync } from 'fastify'
import type { GatewayMetrics } from '../observability/metrics.js'

export interface MetricsOptions {
  readonly metrics: GatewayMetrics
}

export const metricsRoutes: FastifyPluginAsync<MetricsOptions> = async (app, { metrics }) => {
  // The rate limits refuse in the authentication hook (src/auth/auth-hook.ts), which reaches
  // the metrics through its request's instance: a client's refusals before authentication are
  // the token endpoint's.
  app.decorate('countRateLimited', (clientId: string | undefined) => metrics.rateLimited(clientId, clientId === undefined ? 'token_failures' : 'requests'))
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    reply.type(metrics.registry.contentType)
    return metrics.registry.metrics()
  })
}
// Not encapsulated (what fastify-plugin marks): the decoration above lands on the app itself,
// where every route's `request.server` finds it, not in a scope of this plugin's own.
Object.assign(metricsRoutes, { [Symbol.for('skip-override')]: true })

/** Observes every SPI request's duration by operation and status (registered app-wide). */
export function observeRequests(metrics: GatewayMetrics): (operationId: unknown, status: number, ms: number) => void {
  return (operationId, status, ms) => {
    if (typeof operationId === 'string') metrics.request(operationId, status, ms / 1000)
  }
}
