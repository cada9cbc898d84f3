/**
 * Traces (src/observability/tracing.ts, README § Traces), exported by the real SDK and OTLP
 * exporter to an in-process collector (test/helpers/otlp-collector.ts):
 * - a cache miss whose first CRM attempt fails (a 503 from the fault proxy in front of the
 *   demo CRM) and whose retry succeeds: the POS's span → the request's span (the route's
 *   template, status, cache outcome) → two `crm get` attempts (numbered, their outcomes);
 *   the CRM received the second attempt's `traceparent`; nothing of the customer is in it;
 * - a refused request: the SPI error code on its span;
 * - tracing off (the default): the POS's traceparent is not passed on.
 * (Which OTEL_* variables turn it on: test/config/otel-env.test.ts.)
 * (A value the table cannot read, an event on its request's span: test/server.test.ts.)
 */
import t from 'tap'
import { startDemoCrm, seedContact, TEST_API_KEY } from '../demo-crm/fixtures/harness.js'
import { startFaultProxy } from '../fakes/fault-proxy.js'
import { startConfiguredGateway, SPI } from '../helpers/configured-gateway.js'
import { attributesOf, startCollector, tracingTo } from '../helpers/otlp-collector.js'

const POS_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const POS_SPAN = '00f067aa0ba902b7'
const SERVER = 2
const CLIENT = 3
const ERROR = 2

t.test('a cache miss with one retry: the span tree, the CRM joins the trace, no customer data', async (t) => {
  const crm = await startDemoCrm(t)
  const proxy = await startFaultProxy({ target: crm.baseUrl })
  t.teardown(() => proxy.close())
  const collector = await startCollector(t)
  const tracing = tracingTo(collector)
  const customer = { FIRST_NAME: 'Philippa', LAST_NAME: 'Traceworthy', EMAIL: 'philippa.traceworthy@example.com', MOBILE: '+1 415 555 0188' }
  const id = await seedContact(crm, customer)
  const gateway = await startConfiguredGateway(t, { adapter: 'demo-crm', baseUrl: proxy.url, options: { apiKey: TEST_API_KEY } }, {}, { tracing })

  await proxy.setFault({ kind: 'status', status: 503 }, { times: 1 })
  const answer = await gateway.inject({ method: 'GET', url: `${SPI}/${id}`, headers: { traceparent: `00-${POS_TRACE}-${POS_SPAN}-01` } })
  t.equal(answer.statusCode, 200)
  t.equal(answer.headers['x-cache'], 'miss')
  await tracing.shutdown() // exports what is buffered

  const spans = collector.spans()
  const server = spans.find((s) => s.kind === SERVER)
  if (server === undefined) throw new Error(`no server span among ${JSON.stringify(spans.map((s) => s.name))}`)
  t.equal(server.name, 'GET /endpoint/sa/customers/:customerId', 'named by the route template, not the URL')
  t.equal(server.traceId, POS_TRACE, "in the POS's trace")
  t.equal(server.parentSpanId, POS_SPAN, "child of the POS's span")
  t.match(attributesOf(server), { 'http.request.method': 'GET', 'http.route': '/endpoint/sa/customers/:customerId', 'http.response.status_code': 200, 'clienteling.cache': 'miss', 'spi.operation': 'GET_CUSTOMER' })

  const attempts = spans.filter((s) => s.kind === CLIENT).sort((a, b) => Number(attributesOf(a)['crm.attempt']) - Number(attributesOf(b)['crm.attempt']))
  t.same(
    attempts.map((s) => ({ name: s.name, parent: s.parentSpanId, trace: s.traceId, ...attributesOf(s), error: s.status?.code === ERROR })),
    [
      { name: 'crm get', parent: server.spanId, trace: POS_TRACE, 'crm.adapter': 'demo-crm', 'crm.operation': 'get', 'crm.attempt': 1, 'crm.outcome': 'failed', error: true },
      { name: 'crm get', parent: server.spanId, trace: POS_TRACE, 'crm.adapter': 'demo-crm', 'crm.operation': 'get', 'crm.attempt': 2, 'crm.outcome': 'ok', error: false }
    ],
    'two attempts under the request: the failed one, then the retry'
  )
  const reached = proxy.forwardedRequests()
  t.same(
    reached.map((r) => r.traceparent),
    [`00-${POS_TRACE}-${attempts[1]?.spanId}-01`],
    "the CRM got the retry's traceparent (the 503 was the proxy's, never forwarded)"
  )
  t.match(collector.resource(), { 'service.name': 'clienteling-gateway', 'service.version': '0.0.0-test' })

  const exported = collector.bodies().join('\n').toLowerCase()
  const leaked = [id, ...Object.values(customer), '4155550188'].filter((value) => exported.includes(value.toLowerCase()))
  t.same(leaked, [], 'no customer id, name, e-mail or phone in the exported spans')
})

t.test('a refused request: its error code on the span, and not an error of the gateway', async (t) => {
  const crm = await startDemoCrm(t)
  const collector = await startCollector(t)
  const tracing = tracingTo(collector)
  const gateway = await startConfiguredGateway(t, { adapter: 'demo-crm', baseUrl: crm.baseUrl, options: { apiKey: TEST_API_KEY } }, {}, { tracing })
  const refused = await gateway.inject({ method: 'POST', url: SPI, payload: { customer: { profile: { firstName: 'Bea', lastName: 'Birthday', email: 'bea@example.com', birthday: '1990-02-31' } } } })
  t.equal(refused.statusCode, 400)
  await tracing.shutdown()
  const [span] = collector.spans().filter((s) => s.kind === SERVER)
  t.match(attributesOf(span ?? {}), { 'http.response.status_code': 400, 'error.type': refused.json().errorCode })
  t.notOk(span?.status?.code === ERROR, "a 4xx is the client's, not an error of the gateway")
})

t.test('tracing off: nothing is passed on to the CRM', async (t) => {
  const crm = await startDemoCrm(t)
  const proxy = await startFaultProxy({ target: crm.baseUrl })
  t.teardown(() => proxy.close())
  const id = await seedContact(crm, { FIRST_NAME: 'Otto', LAST_NAME: 'Off', EMAIL: 'otto.off@example.com' })
  const gateway = await startConfiguredGateway(t, { adapter: 'demo-crm', baseUrl: proxy.url, options: { apiKey: TEST_API_KEY } })
  t.equal((await gateway.inject({ method: 'GET', url: `${SPI}/${id}`, headers: { traceparent: `00-${POS_TRACE}-${POS_SPAN}-01` } })).statusCode, 200)
  t.same(proxy.forwardedRequests().map((r) => r.traceparent), [undefined])
})
