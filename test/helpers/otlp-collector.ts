/**
 * An OpenTelemetry collector for a test, in process: it receives OTLP/HTTP trace exports in
 * JSON (`POST /v1/traces`, https://opentelemetry.io/docs/specs/otlp/#otlphttp) on 127.0.0.1, as
 * the gateway's exporter sends them, answers 200 with an empty partial-success body, and keeps
 * the spans. With it, the gateway's tracing runs exactly as in production: the SDK, the batch
 * processor, the exporter and the wire format are the real ones.
 */
import { createServer } from 'node:http'
import { startTracing, type Tracing } from '../../src/observability/tracing.js'
import { listenOnLoopback } from './loopback-server.js'

interface Teardown {
  teardown(fn: () => unknown): void
}

/** An attribute's value as OTLP's JSON encoding writes it (`intValue` as a string). */
type AnyValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number }

export interface ExportedSpan {
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId?: string
  readonly name: string
  /** 1 internal, 2 server, 3 client (OTLP's SpanKind). */
  readonly kind: number
  readonly attributes?: readonly { key: string; value: AnyValue }[]
  readonly events?: readonly { name: string; attributes?: readonly { key: string; value: AnyValue }[] }[]
  readonly status?: { code?: number }
}

export interface Collector {
  /** Where the gateway exports to (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT). */
  readonly url: string
  /** Every span received, in arrival order. */
  spans(): ExportedSpan[]
  /** Every export body as received, to search for what must not be there. */
  bodies(): string[]
  /** The resources' attributes (service.name…), of the first export. */
  resource(): Record<string, unknown>
}

export async function startCollector(t: Teardown): Promise<Collector> {
  const bodies: string[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces' || !String(req.headers['content-type']).startsWith('application/json')) {
        res.writeHead(415).end()
        return
      }
      bodies.push(Buffer.concat(chunks).toString('utf8'))
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  const base = await listenOnLoopback(t, server)
  type Export = { resourceSpans?: { resource?: { attributes?: { key: string; value: AnyValue }[] }; scopeSpans?: { spans?: ExportedSpan[] }[] }[] }
  const exports = (): Export[] => bodies.map((b) => JSON.parse(b) as Export)
  return {
    url: `${base}/v1/traces`,
    bodies: () => [...bodies],
    spans: () => exports().flatMap((e) => (e.resourceSpans ?? []).flatMap((r) => (r.scopeSpans ?? []).flatMap((s) => s.spans ?? []))),
    resource: () => Object.fromEntries((exports()[0]?.resourceSpans?.[0]?.resource?.attributes ?? []).map((a) => [a.key, valueOf(a.value)]))
  }
}

/** The gateway's tracing exporting to `collector`, as `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` would set it up. */
export function tracingTo(collector: Collector): Tracing {
  const tracing = startTracing({ endpoint: collector.url, serviceName: 'clienteling-gateway' }, '0.0.0-test')
  if (tracing === undefined) throw new Error('tracing did not start')
  return tracing
}

export function valueOf(value: AnyValue): unknown {
  if (value.stringValue !== undefined) return value.stringValue
  if (value.intValue !== undefined) return Number(value.intValue)
  return value.boolValue ?? value.doubleValue
}

/** A span's attributes as a plain object. */
export function attributesOf(span: { attributes?: readonly { key: string; value: AnyValue }[] }): Record<string, unknown> {
  return Object.fromEntries((span.attributes ?? []).map((a) => [a.key, valueOf(a.value)]))
}
