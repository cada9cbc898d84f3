/**
 * 405 for a path that exists, asked with a method it does not take (`DELETE …/customers/42`),
 * with `Allow` listing the methods it does take (RFC 9110 §15.5.6) — instead of Fastify's 404
 * "no such route". The router only knows routes, so the other methods of each path get a route
 * of their own that answers METHOD_NOT_ALLOWED.
 *
 * Those routes are closed like every route (SECURITY.md: deny by default): the authentication
 * hook runs first, so a caller without credentials still gets 401 and learns nothing about
 * which paths exist. Routes answering without credentials (health, docs, the token endpoint,
 * which answers its own 405) are left alone.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { GatewayError } from '../spi/error-catalogue.js'
import { sendError } from './error-handler.js'

export interface MethodNotAllowed {
  /** Adds the 405 routes for every path registered since `trackMethods`: call once, after the routes. */
  addRoutes(): void
}

/** Starts recording the methods of each path; must be called before the routes are registered. */
export function trackMethods(app: FastifyInstance): MethodNotAllowed {
  // The routes' options as registered: read when the 405 routes are added, so that what later
  // onRoute hooks set (security.open marking a route open) is seen whatever the hooks' order.
  const routes: Array<{ readonly url: string; readonly method: string | string[]; readonly config?: { auth?: 'none' } }> = []
  app.addHook('onRoute', (route) => {
    routes.push(route)
  })
  return {
    addRoutes() {
      const byUrl = new Map<string, Set<string>>()
      for (const route of routes.splice(0)) {
        // Open routes, and wildcard paths (nothing a POS calls), keep Fastify's answers.
        if (route.config?.auth === 'none' || route.url.includes('*')) continue
        const methods = byUrl.get(route.url) ?? new Set<string>()
        for (const method of Array.isArray(route.method) ? route.method : [route.method]) methods.add(method)
        byUrl.set(route.url, methods)
      }
      for (const [url, methods] of byUrl) {
        const others = app.supportedMethods.filter((m) => !methods.has(m))
        if (others.length === 0) continue
        const allow = [...methods].sort().join(', ')
        const refuse = (request: FastifyRequest, reply: FastifyReply): void => {
          reply.header('allow', allow)
          const error = new GatewayError('METHOD_NOT_ALLOWED')
          request.log.info({ errorCode: error.code, status: error.status }, 'request refused')
          sendError(error, request, reply)
        }
        app.route({
          method: others,
          url,
          schema: { hide: true },
          // A route-level onRequest runs after the authentication hook and before the body is
          // read: a PATCH with a body of any type gets its 405, not a 415. It answers, so
          // `done` is not called and the handler is never reached.
          onRequest: (request, reply) => refuse(request, reply),
          handler: refuse
        })
      }
    }
  }
}
