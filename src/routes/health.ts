/**
 * Liveness and readiness, answered without credentials (CONTRACT §1). Liveness says the process
 * serves HTTP; readiness says it should get traffic (not while shutting down).
 */
import type { FastifyPluginAsync } from 'fastify'
import { Type } from 'typebox'
import type { FieldCheckView } from '../core/field-check.js'

export interface HealthOptions {
  readonly adapterName: string
  /** True once shutdown has begun: the load balancer should stop sending requests. */
  readonly isClosing: () => boolean
  /** Circuit states per CRM operation. An open circuit does not make the gateway unready:
   * every instance shares the CRM, and cached reads and fast 503s are still worth serving. */
  readonly breakers: () => Record<string, string>
  /** Whether the CRM has the table's fields (CRMs with declared fields only). Missing ones make it unready. */
  readonly fields?: () => FieldCheckView
}

const Status = Type.Object({
  status: Type.String(),
  /** Why not ready, in words an operator acts on. */
  reason: Type.Optional(Type.String()),
  adapter: Type.Optional(Type.String()),
  breakers: Type.Optional(Type.Record(Type.String(), Type.String())),
  fields: Type.Optional(
    Type.Object({
      status: Type.String(),
      missing: Type.Optional(Type.Array(Type.String())),
      mismatched: Type.Optional(Type.Array(Type.Object({ name: Type.String(), expected: Type.String(), actual: Type.String() }))),
      reason: Type.Optional(Type.String())
    })
  )
})

export const healthRoutes: FastifyPluginAsync<HealthOptions> = async (app, opts) => {
  app.get('/healthz', { schema: { hide: true, response: { 200: Status } } }, async () => ({ status: 'ok' }))
  app.get('/readyz', { schema: { hide: true, response: { 200: Status, 503: Status } } }, async (_request, reply) => {
    if (opts.isClosing()) return reply.code(503).send({ status: 'closing' })
    const fields = opts.fields?.()
    const answer = { adapter: opts.adapterName, breakers: opts.breakers(), ...(fields === undefined ? {} : { fields }) }
    if (fields?.status === 'missing') {
      const names = [...fields.missing, ...fields.mismatched.map((m) => `${m.name} (${m.actual}, needs ${m.expected})`)]
      const reason = `the CRM lacks fields the mapping table uses: ${names.join(', ')}; run "clienteling-gateway crm provision" (README)`
      return reply.code(503).send({ status: 'unready', reason, ...answer })
    }
    return { status: 'ready', ...answer }
  })
}
