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
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    reply.type(metrics.registry.contentType)
    return metrics.registry.metrics()
  })
}

/** Observes every SPI request's duration by operation and status (registered app-wide). */
export function observeRequests(metrics: GatewayMetrics): (operationId: unknown, status: number, ms: number) => void {
  return (operationId, status, ms) => {
    if (typeof operationId === 'string') metrics.request(operationId, status, ms / 1000)
  }
}
