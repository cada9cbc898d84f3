/**
 * Liveness and readiness, answered without credentials (CONTRACT §1). Liveness says the process
 * serves HTTP; readiness says it should get traffic (not while shutting down).
 */
import type { FastifyPluginAsync } from 'fastify'
import { Type } from 'typebox'

export interface HealthOptions {
  readonly adapterName: string
  /** True once shutdown has begun: the load balancer should stop sending requests. */
  readonly isClosing: () => boolean
  /** Circuit states per CRM operation. An open circuit does not make the gateway unready:
   * every instance shares the CRM, and cached reads and fast 503s are still worth serving. */
  readonly breakers: () => Record<string, string>
}

const Status = Type.Object({
  status: Type.String(),
  adapter: Type.Optional(Type.String()),
  breakers: Type.Optional(Type.Record(Type.String(), Type.String()))
})

export const healthRoutes: FastifyPluginAsync<HealthOptions> = async (app, opts) => {
  app.get('/healthz', { schema: { hide: true, response: { 200: Status } } }, async () => ({ status: 'ok' }))
  app.get('/readyz', { schema: { hide: true, response: { 200: Status, 503: Status } } }, async (_request, reply) => {
    if (opts.isClosing()) return reply.code(503).send({ status: 'closing' })
    return { status: 'ready', adapter: opts.adapterName, breakers: opts.breakers() }
  })
}
