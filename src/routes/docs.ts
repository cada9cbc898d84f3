/**
 * The OpenAPI 3 document of the SPI, generated from the route schemas (@fastify/swagger), at
 * /openapi.json, and its Swagger UI at /docs.
 *
 * registerDocs must run before any route is added — the token endpoint's included, which
 * registerSecurity adds — since the document collects each route's schema as it is added;
 * `serve()` then adds the two routes of the docs themselves (answered without credentials).
 *
 * Besides what the routes say, the document holds: the package's version, the server (the
 * configured SPI prefix, relative to where the document is served; a path outside the prefix,
 * the token endpoint's, says its own), the security schemes of the configured POS clients
 * (openapi-security.ts), which every operation needs one of unless it says otherwise.
 */
import type { FastifyInstance } from 'fastify'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { GatewayConfig } from '../config/config-schema.js'
import { packageVersion } from '../config/project-root.js'
import { spiSecurity } from './openapi-security.js'

export interface Docs {
  /** Adds /openapi.json and /docs. */
  serve(): Promise<void>
}

export async function registerDocs(app: FastifyInstance, config: Pick<GatewayConfig, 'spi' | 'auth'>): Promise<Docs> {
  const prefix = config.spi.prefix
  const security = spiSecurity(config.auth)
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Clienteling Gateway — Clienteling SPI',
        description:
          "The Salesforce Point of Sale Clienteling SPI, served over the merchant's CRM. Errors are " +
          '`{errorCode, errorMessage}`, the message localized from Accept-Language (en, fr, de, es, ja); a 401 has an empty body ' +
          'and a WWW-Authenticate challenge. Any other method on an SPI path is answered 405 METHOD_NOT_ALLOWED with Allow ' +
          '(after authentication).',
        version: packageVersion(),
        license: { name: 'UNLICENSED' }
      },
      servers: [{ url: prefix === '' ? '/' : prefix, description: 'this gateway, at its configured SPI prefix (spi.prefix)' }],
      tags: [
        { name: 'SPI', description: 'The four customer operations the POS calls' },
        { name: 'OAuth', description: 'The token endpoint of the POS’s OAUTH-OAuth connector' }
      ],
      components: { securitySchemes: security.schemes as never },
      security: security.requirements as never
    },
    // Paths are made relative to the server here (transformObject), so that a path outside the prefix can say its own server.
    stripBasePath: false,
    transformObject: (document) => ('openapiObject' in document ? finish(document.openapiObject as OpenApiDocument, prefix) : document.swaggerObject)
  })
  return {
    async serve() {
      await app.register(swaggerUi, { routePrefix: '/docs' })
      app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
    }
  }
}

type Json = Record<string, unknown>
interface OpenApiDocument extends Json {
  paths?: Record<string, Json>
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const

/**
 * The last touches @fastify/swagger cannot make from a route schema:
 * - paths under the SPI prefix become relative to the server; any other (the token endpoint)
 *   keeps its full path and says its server is the root;
 * - a response header whose schema says `required: true` becomes a required header (the
 *   route schemas write it there, where the serializer ignores it);
 * - an operation marked `x-body-optional` has an optional request body (swagger makes every
 *   documented body required).
 */
function finish(doc: OpenApiDocument, prefix: string): OpenApiDocument {
  const paths: Record<string, Json> = {}
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const operation = item[method] as Json | undefined
      if (operation) finishOperation(operation)
    }
    if (prefix === '') paths[path] = item
    else if (path.startsWith(`${prefix}/`)) paths[path.slice(prefix.length)] = item
    else paths[path] = { servers: [{ url: '/', description: 'this gateway, outside the SPI prefix' }], ...item }
  }
  return { ...doc, paths }
}

function finishOperation(operation: Json): void {
  if (operation['x-body-optional'] === true) {
    delete operation['x-body-optional']
    const body = operation['requestBody'] as Json | undefined
    if (body) body['required'] = false
  }
  for (const response of Object.values((operation['responses'] ?? {}) as Record<string, Json>)) {
    for (const header of Object.values((response['headers'] ?? {}) as Record<string, Json>)) {
      const schema = header['schema'] as Json | undefined
      if (schema && typeof schema['required'] === 'boolean') {
        if (schema['required']) header['required'] = true
        delete schema['required']
      }
    }
  }
}
