/**
 * The limit: a bare Fastify route (defaults, no logger, no hooks) answering the same customer
 * JSON the gateway answers for GET_CUSTOMER, byte for byte (the orchestrator passes the
 * gateway's answer in), as a string: no serialization, nothing else per request.
 */
import Fastify from 'fastify'
import { SPI_CUSTOMERS, serve, serverArgs, startOrDie } from '../common.js'

startOrDie(async () => {
  const { body } = serverArgs<{ body: string }>()
  const app = Fastify()
  app.get(`${SPI_CUSTOMERS}/:customerId`, async (_request, reply) => {
    reply.type('application/json; charset=utf-8')
    return body
  })
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  serve(url, () => app.close())
})
