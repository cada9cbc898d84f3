/**
 * Traces are switched on by the standard OpenTelemetry environment, and by nothing else
 * (src/config/otel-env.ts): the variables, and what loadConfig makes of them.
 */
import t from 'tap'
import { tracesEndpoint } from '../../src/config/otel-env.js'
import { loadConfig } from '../../src/config/load-config.js'

t.test('which variables turn traces on, and where they go', async (t) => {
  t.equal(tracesEndpoint({}), undefined, 'off by default')
  t.equal(tracesEndpoint({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' }), 'http://collector:4318/v1/traces')
  t.equal(tracesEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }), 'http://collector:4318/v1/traces', 'the signal path appended')
  t.equal(
    tracesEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://traces:4318/v1/traces' }),
    'http://traces:4318/v1/traces',
    'the signal-specific variable wins'
  )
  t.equal(tracesEndpoint({ OTEL_TRACES_EXPORTER: 'otlp' }), 'http://localhost:4318/v1/traces', "the spec's default endpoint, when asked for")
  t.equal(tracesEndpoint({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }), undefined)
  t.equal(tracesEndpoint({ OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }), undefined)
})

t.test('loadConfig: tracing.endpoint and the service name from the environment; off without them', async (t) => {
  t.same(loadConfig({}).tracing, { endpoint: '', serviceName: 'clienteling-gateway' })
  t.same(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otel.example.net', OTEL_SERVICE_NAME: 'gateway-eu' }).tracing, {
    endpoint: 'https://otel.example.net/v1/traces',
    serviceName: 'gateway-eu'
  })
  t.throws(() => loadConfig({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'collector:4318' }), /tracing\.endpoint \(env OTEL_\*\)/, 'a URL without a scheme is refused at start, naming where it came from')
})
