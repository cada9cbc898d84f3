/**
 * Structured logs without customer data or secrets (CONTRACT §7): bodies are never logged, a
 * request is logged by method, path (no query string: search values and an `api_key` travel
 * there) and id, and credentials headers are redacted wherever they appear.
 */
import type { FastifyServerOptions } from 'fastify'

interface RequestLike {
  method?: string
  url?: string
  id?: string
  routeOptions?: { url?: string }
}

export function pathOnly(url: string | undefined): string | undefined {
  if (url === undefined) return undefined
  const q = url.indexOf('?')
  return q === -1 ? url : url.slice(0, q)
}

export function loggerOptions(level: string): NonNullable<FastifyServerOptions['logger']> {
  return {
    level,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers["x-api-key"]',
        'req.headers.cookie',
        'headers.authorization',
        'headers["x-api-key"]',
        '*.apiKey',
        '*.password',
        '*.secret'
      ],
      censor: '[redacted]'
    },
    serializers: {
      req(req: RequestLike) {
        return { method: req.method, path: pathOnly(req.url), route: req.routeOptions?.url, id: req.id }
      },
      res(res: { statusCode?: number }) {
        return { statusCode: res.statusCode }
      }
    }
  }
}
