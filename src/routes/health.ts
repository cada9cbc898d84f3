/**
 * Liveness and readiness, answered without credentials (CONTRACT §1). Liveness says the process
 * serves HTTP; readiness says it should get traffic (not while shutting down).
 */
import type { FastifyPluginAsync } from 'fastify'
import { Type } from 'typebox'
import type { FieldCheckView } from '../core/field-check.js'
import type { StoreStatus } from '../core/shared-store.js'

export interface HealthOptions {
  readonly adapterName: string
  /** True once shutdown has begun: the load balancer should stop sending requests. */
  readonly isClosing: () => boolean
  /** Circuit states per CRM operation. An open circuit does not make the gateway unready:
   * every instance shares the CRM, and cached reads and fast 503s are still worth serving. */
  readonly breakers: () => Record<string, string>
  /** Whether the CRM has the table's fields (CRMs with declared fields only). Missing ones make it unready. */
  readonly fields?: () => FieldCheckView
  /**
   * Whether state is shared with the other instances. A Redis that is away never makes the
   * gateway unready: every instance would leave the load balancer for a store the tills can do
   * without (README, "Running several instances").
   */
  readonly state?: () => StoreStatus
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
  ),
  /** local: state in this process; shared: with the other instances (Redis); degraded: Redis configured but away. */
  state: Type.Optional(Type.Object({ mode: Type.String(), reason: Type.Optional(Type.String()) }))
})

export const healthRoutes: FastifyPluginAsync<HealthOptions> = async (app, opts) => {
  app.get('/healthz', { schema: { hide: true, response: { 200: Status } } }, async () => ({ status: 'ok' }))
  app.get('/readyz', { schema: { hide: true, response: { 200: Status, 503: Status } } }, async (_request, reply) => {
    if (opts.isClosing()) return reply.code(503).send({ status: 'closing' })
    const fields = opts.fields?.()
    const state = opts.state?.()
    const answer = { adapter: opts.adapterName, breakers: opts.breakers(), ...(fields === undefined ? {} : { fields }), ...(state === undefined ? {} : { state }) }
    if (fields?.status === 'missing') {
      const names = [...fields.missing, ...fields.mismatched.map((m) => `${m.name} (${m.actual}, needs ${m.expected})`)]
      const reason = `the CRM lacks fields the mapping table uses: ${names.join(', ')}; run "clienteling-gateway crm provision" (README)`
      return reply.code(503).send({ status: 'unready', reason, ...answer })
    }
    return { status: 'ready', ...answer }
  })
}
