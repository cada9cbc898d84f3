/**
 * What someone would use to "just proxy" the CRM: Fastify with @fastify/http-proxy (undici
 * underneath, its default pool), forwarding /api/v1/contacts/* to the fake CRM unchanged. No
 * authentication, mapping, breaker or cache: the floor for a Fastify process in the middle.
 */
import Fastify from 'fastify'
import proxy from '@fastify/http-proxy'
import { CRM_CONTACTS, serve, serverArgs, startOrDie } from '../common.js'

startOrDie(async () => {
  const { crmUrl } = serverArgs<{ crmUrl: string }>()
  const app = Fastify()
  await app.register(proxy, { upstream: crmUrl, prefix: CRM_CONTACTS, rewritePrefix: CRM_CONTACTS })
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  serve(url, () => app.close())
})
