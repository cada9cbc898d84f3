/**
 * Distributed tracing with OpenTelemetry (README § Traces): a span per SPI request
 * (src/http/request-spans.ts) and one per CRM attempt (src/core/resilience/resilient-adapter.ts),
 * the W3C `traceparent` taken from the POS and passed on to the CRM
 * (adapters/shared/http-client.ts), exported over OTLP/HTTP (JSON).
 *
 * Off unless the standard OpenTelemetry environment asks for it (src/config/otel-env.ts: it
 * sets `tracing.endpoint`). `OTEL_TRACES_SAMPLER(_ARG)` and `OTEL_EXPORTER_OTLP_HEADERS` /
 * `_TIMEOUT` are read by the SDK and the exporter themselves.
 *
 * Off, nothing is registered: no hook, no span object, no context manager.
 */
import { context, propagation, type Tracer } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace'
import type { GatewayConfig } from '../config/config-schema.js'

export interface Tracing {
  readonly tracer: Tracer
  /** The OTLP endpoint spans go to. */
  readonly endpoint: string
  /** Exports what is buffered, then stops (app close). */
  shutdown(): Promise<void>
}

let registered = false

/**
 * Once per process: the context manager (AsyncLocalStorage: a CRM attempt's span is the
 * current one wherever its HTTP request is built) and the W3C propagator. Both are global by
 * OpenTelemetry's design; the tracers are per app.
 */
function registerGlobals(): void {
  if (registered) return
  registered = true
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  propagation.setGlobalPropagator(new W3CTraceContextPropagator())
}

/** Tracing as configured, or undefined when off (no endpoint). */
export function startTracing(config: GatewayConfig['tracing'], serviceVersion: string): Tracing | undefined {
  const endpoint = config.endpoint
  if (endpoint === '') return undefined
  registerGlobals()
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': config.serviceName, 'service.version': serviceVersion }),
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: endpoint }) })]
  })
  return { tracer: provider.getTracer('clienteling-gateway', serviceVersion), endpoint, shutdown: () => provider.shutdown() }
}
