/**
 * The OpenAPI 3 document of the SPI, generated from the route schemas (@fastify/swagger), at
 * /openapi.json, and its Swagger UI at /docs. Registered before the routes so it sees them.
 */
import type { FastifyInstance } from 'fastify'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'

export async function registerDocs(app: FastifyInstance, version: string): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Clienteling Gateway — Clienteling SPI',
        description: "The Salesforce Point of Sale Clienteling SPI, served over the merchant's CRM.",
        version
      },
      tags: [{ name: 'SPI', description: 'The four customer operations the POS calls' }]
    }
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
}
