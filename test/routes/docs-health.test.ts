/**
 * The service endpoints beside the SPI: the OpenAPI document, Swagger UI, liveness, readiness.
 */
import t from 'tap'
import { AUTH_HEADERS, buildTestApp } from '../helpers/build-test-app.js'

t.test('the OpenAPI document lists the four operations with their schemas', async (t) => {
  const { app } = await buildTestApp()
  t.teardown(() => app.close())
  const r = await app.inject({ method: 'GET', url: '/openapi.json' })
  t.equal(r.statusCode, 200)
  const doc = r.json()
  t.match(doc.openapi, /^3\./)
  const list = doc.paths['/endpoint/sa/customers']
  const one = doc.paths['/endpoint/sa/customers/{customerId}']
  t.equal(list.post.operationId, 'CREATE_CUSTOMER')
  t.equal(list.put.operationId, 'UPDATE_CUSTOMER')
  t.equal(list.get.operationId, 'SEARCH_CUSTOMERS')
  t.equal(one.get.operationId, 'GET_CUSTOMER')
  t.ok(list.post.requestBody.content['application/json'].schema.properties.profile, 'CREATE has the customer body schema')
  t.ok(list.post.responses['200'].content['application/json'].schema.properties.customer, 'and the wrapped answer')
  t.ok(list.get.parameters.some((p: { name: string }) => p.name === 'email'), 'SEARCH documents its parameters')
  t.ok(list.post.responses['404'] ?? list.post.responses['400'], 'error answers are documented')
  t.notOk(doc.paths['/healthz'], 'service endpoints are not part of the SPI document')

  const ui = await app.inject({ method: 'GET', url: '/docs/' })
  t.equal(ui.statusCode, 200)
  t.match(ui.headers['content-type'], /html/)
  t.match(ui.body, /swagger/i)
})

t.test('docs can be turned off', async (t) => {
  const { app, inject } = await buildTestApp({ spi: { docs: false } })
  t.teardown(() => app.close())
  t.equal((await inject({ method: 'GET', url: '/openapi.json' })).statusCode, 404)
})

t.test('liveness and readiness', async (t) => {
  const { app } = await buildTestApp()
  const live = await app.inject({ method: 'GET', url: '/healthz' })
  t.same(live.json(), { status: 'ok' })
  const ready = await app.inject({ method: 'GET', url: '/readyz' })
  t.same(ready.json(), { status: 'ready', adapter: 'memory', breakers: { get: 'closed', search: 'closed', create: 'closed', update: 'closed' } })
  await app.close()
})

t.test('graceful shutdown: an in-flight request finishes, new ones are refused', async (t) => {
  const { app, crm } = await buildTestApp()
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  const held = crm.hold('create')
  const inflight = fetch(`http://127.0.0.1:${port}/endpoint/sa/customers`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...AUTH_HEADERS },
    body: JSON.stringify({ profile: { firstName: 'Late' } })
  })
  await held.entered
  const closed = app.close()
  const refused = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status, () => 'refused')
  t.ok(refused === 503 || refused === 'refused', `while draining, new requests are not served (${refused})`)
  held.release()
  const answer = await inflight
  t.equal(answer.status, 200, 'the in-flight create completed')
  t.equal(((await answer.json()) as { customer: { profile: { firstName: string } } }).customer.profile.firstName, 'Late')
  await closed
  await t.rejects(fetch(`http://127.0.0.1:${port}/healthz`), 'after close, nothing listens')
})
