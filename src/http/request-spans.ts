/**
 * A span per SPI request (src/observability/tracing.ts), child of the POS's `traceparent` when
 * it sent one. Hooks only, so routes stay unaware of it:
 * - onRequest: the span starts, named by the route's template (`GET
 *   /endpoint/sa/customers/:customerId`), never the URL: paths carry customer ids and query
 *   strings carry what the associate typed;
 * - preHandler: the rest of the request runs with the span as the current one, so each CRM
 *   attempt's span is its child and mapping read issues become its events (after the body is
 *   parsed: a body's stream events would otherwise run outside it);
 * - onResponse: status, the read cache's outcome (`x-cache`), the SPI error code, then the end.
 *
 * Attributes: method, route, status, operation, request id, cache outcome, error code. Never a
 * customer id, name, e-mail, phone, address or search value (test/security/log-scan.test.ts
 * reads the exported spans too).
 */
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from '@opentelemetry/api'
import type { FastifyInstance, FastifyRequest } from 'fastify'

interface RequestTrace {
  readonly span: Span
  readonly context: Context
}

const traces = new WeakMap<FastifyRequest, RequestTrace>()

/** The request's span, when tracing is on (error-handler.ts records the SPI code on it). */
export function requestSpan(request: FastifyRequest): Span | undefined {
  return traces.get(request)?.span
}

export function traceRequests(app: FastifyInstance, tracer: Tracer): void {
  app.addHook('onRequest', (request, _reply, done) => {
    const parent = propagation.extract(ROOT_CONTEXT, request.headers)
    const route = request.routeOptions.url ?? 'unmatched'
    const operation = request.routeOptions.schema?.operationId
    const span = tracer.startSpan(
      `${request.method} ${route}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': request.method,
          'http.route': route,
          'clienteling.request_id': request.id,
          ...(typeof operation === 'string' ? { 'spi.operation': operation } : {})
        }
      },
      parent
    )
    traces.set(request, { span, context: trace.setSpan(parent, span) })
    done()
  })
  app.addHook('preHandler', (request, _reply, done) => {
    const current = traces.get(request)
    if (current === undefined) return done()
    context.with(current.context, done)
  })
  app.addHook('onResponse', (request, reply, done) => {
    const current = traces.get(request)
    if (current !== undefined) {
      const { span } = current
      span.setAttribute('http.response.status_code', reply.statusCode)
      const cache = reply.getHeader('x-cache')
      if (typeof cache === 'string') span.setAttribute('clienteling.cache', cache)
      // Server spans: a 4xx is the client's doing, not an error of this service (OTel HTTP conventions).
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR })
      span.end()
    }
    done()
  })
  // A POS that hangs up gets no onResponse.
  app.addHook('onRequestAbort', (request, done) => {
    const current = traces.get(request)
    if (current !== undefined) {
      current.span.setAttribute('error.type', 'CLIENT_CLOSED_REQUEST')
      current.span.end()
    }
    done()
  })
}
