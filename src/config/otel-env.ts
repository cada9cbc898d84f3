/**
 * The standard OpenTelemetry environment, as far as the gateway's traces need it
 * (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/,
 * https://opentelemetry.io/docs/specs/otel/protocol/exporter/): where spans go, or nowhere.
 *
 * Traces are on when `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or `OTEL_EXPORTER_OTLP_ENDPOINT` is
 * set, or `OTEL_TRACES_EXPORTER=otlp` (then the spec's default endpoint, localhost:4318). The
 * spec makes `otlp` the default exporter; a gateway that sends spans to a port nobody asked it
 * to is not what an operator expects, so here it takes one of those to start.
 * `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none` keep it off.
 */
type Env = Readonly<Record<string, string | undefined>>

/** Where spans are exported to, or undefined when tracing is off. */
export function tracesEndpoint(env: Env): string | undefined {
  if (env['OTEL_SDK_DISABLED']?.trim().toLowerCase() === 'true') return undefined
  const exporters = (env['OTEL_TRACES_EXPORTER'] ?? '').split(',').map((name) => name.trim().toLowerCase())
  if (exporters.includes('none')) return undefined
  const signal = env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']?.trim()
  if (signal) return signal
  // The spec: the signal's path is appended to the general endpoint.
  const base = env['OTEL_EXPORTER_OTLP_ENDPOINT']?.trim()
  if (base) return `${base.replace(/\/+$/, '')}/v1/traces`
  return exporters.includes('otlp') ? 'http://localhost:4318/v1/traces' : undefined
}
