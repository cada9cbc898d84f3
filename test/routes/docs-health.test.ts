/**
 * The service endpoints beside the SPI: the OpenAPI document — the contract, complete: every
 * answer of every operation, its headers, the security schemes, what requests and answers
 * hold, the scenarios as examples — Swagger UI, liveness, readiness.
 */
import t from 'tap'
import Fastify, { type FastifyReply } from 'fastify'
import swagger from '@fastify/swagger'
import { validate, compileErrors } from '@readme/openapi-parser'
import { readFileSync } from 'node:fs'
import { AUTH_HEADERS, buildTestApp } from '../helpers/build-test-app.js'
import { checkAnswers, openApiAjv } from '../helpers/answer-check.js'
import { assertCustomerId } from '../../src/core/customer-service.js'
import { EXAMPLE_VALUES } from '../../src/spi/examples.js'

type Json = Record<string, any>

const CLIENTS = [
  { id: 'pos-header', method: 'header', secrets: ['header-secret-0123456789'] },
  { id: 'pos-own-header', method: 'header', header: 'X-POS-Key', secrets: ['own-header-secret-012345'] },
  { id: 'pos-query', method: 'query', secrets: ['query-secret-0123456789ab'] },
  { id: 'pos-oauth', method: 'oauth', secrets: ['oauth-secret-0123456789ab'] },
  { id: 'pos-oauth-own', method: 'oauth', header: 'x-pos-token', secrets: ['oauth-own-secret-01234567'] }
]

async function documentOf(overrides: Record<string, unknown> = {}): Promise<Json> {
  const { app } = await buildTestApp(overrides)
  try {
    const r = await app.inject({ method: 'GET', url: '/openapi.json' })
    if (r.statusCode !== 200) throw new Error(`/openapi.json: ${r.statusCode}`)
    return r.json()
  } finally {
    await app.close()
  }
}

const operations = (doc: Json): Array<[string, string, Json]> =>
  Object.entries(doc.paths as Record<string, Json>).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => method !== 'servers')
      .map(([method, op]): [string, string, Json] => [path, method, op as Json])
  )

const op = (doc: Json, id: string): Json => {
  const found = operations(doc).find(([, , o]) => o.operationId === id)
  if (!found) throw new Error(`no operation ${id}`)
  return found[2]
}

const jsonSchema = (container: Json): Json => container.content['application/json'].schema as Json

/** Every schema under `schema` (properties, items, unions, additionalProperties), with its path. */
function* walk(schema: Json, path = ''): Generator<[string, Json]> {
  yield [path, schema]
  for (const [k, s] of Object.entries((schema.properties ?? {}) as Record<string, Json>)) yield* walk(s, `${path}.${k}`)
  if (schema.items) yield* walk(schema.items as Json, `${path}[]`)
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) for (const [i, s] of ((schema[key] ?? []) as Json[]).entries()) yield* walk(s, `${path}<${key}${i}>`)
  if (typeof schema.additionalProperties === 'object') yield* walk(schema.additionalProperties as Json, `${path}{}`)
}

/** The bare customer of a documented request body (the second member: bare; the first: wrapped). */
const bareBody = (operation: Json): Json => jsonSchema(operation.requestBody).anyOf[1] as Json
const wrappedBody = (operation: Json): Json => jsonSchema(operation.requestBody).anyOf[0].properties.customer as Json

const SPI_STATUSES: Record<string, number[]> = {
  CREATE_CUSTOMER: [200, 400, 401, 409, 413, 415, 422, 429, 431, 500, 502, 503, 504],
  UPDATE_CUSTOMER: [200, 400, 401, 404, 409, 413, 415, 429, 431, 500, 502, 503, 504],
  UPDATE_CUSTOMER_BY_PATH: [200, 400, 401, 404, 409, 413, 415, 429, 431, 500, 502, 503, 504],
  SEARCH_CUSTOMERS: [200, 400, 401, 429, 431, 500, 502, 503, 504],
  GET_CUSTOMER: [200, 400, 401, 404, 429, 431, 500, 502, 503, 504]
}

t.test('the document is valid OpenAPI 3.0 and serves the SPI and the token endpoint', async (t) => {
  const doc = await documentOf({ auth: { clients: CLIENTS } })
  const result = await validate(structuredClone(doc) as never)
  t.ok(result.valid, result.valid ? 'valid (@readme/openapi-parser)' : compileErrors(result))
  t.same(result.warnings, [], 'and without warnings')
  t.equal(doc.openapi, '3.0.3')

  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  t.equal(doc.info.version, pkg.version, "info.version is the package's version")
  t.same(doc.servers.map((s: Json) => s.url), ['/endpoint/sa'], 'one server: the configured SPI prefix, relative')

  t.same(
    operations(doc).map(([path, method, o]) => `${method.toUpperCase()} ${path} ${o.operationId}`).sort(),
    [
      'GET /customers SEARCH_CUSTOMERS',
      'GET /customers/{customerId} GET_CUSTOMER',
      'POST /customers CREATE_CUSTOMER',
      'POST /oauth2/token ISSUE_TOKEN',
      'PUT /customers UPDATE_CUSTOMER',
      'PUT /customers/{customerId} UPDATE_CUSTOMER_BY_PATH'
    ],
    'the four SPI operations (and update by path) under the prefix, and the token endpoint'
  )
  t.same(doc.paths['/oauth2/token'].servers, [{ url: '/', description: 'this gateway, outside the SPI prefix' }], 'the token endpoint is outside the prefix: its own server')
  t.notOk(doc.paths['/healthz'] ?? doc.paths['/readyz'] ?? doc.paths['/metrics'], 'service endpoints are not part of the SPI document')

  const moved = await documentOf({ spi: { prefix: '/pos/v2' }, auth: { tokenPath: '/auth/token' } })
  t.same(moved.servers.map((s: Json) => s.url), ['/pos/v2'], 'the server follows spi.prefix')
  t.ok(moved.paths['/customers'] && moved.paths['/auth/token'], 'and the token path auth.tokenPath')
  const root = await documentOf({ spi: { prefix: '' } })
  t.same(root.servers.map((s: Json) => s.url), ['/'], 'an empty prefix is the root')
  t.ok(root.paths['/customers'] && root.paths['/oauth2/token'] && !root.paths['/oauth2/token'].servers)
})

t.test('every operation declares every status it can answer, errors as {errorCode, errorMessage}, 401 empty', async (t) => {
  const doc = await documentOf()
  for (const [id, statuses] of Object.entries(SPI_STATUSES)) {
    const responses = op(doc, id).responses as Record<string, Json>
    t.same(Object.keys(responses).map(Number).sort((a, b) => a - b), statuses, `${id}: ${statuses.join(' ')}`)
    for (const [status, response] of Object.entries(responses)) {
      t.ok(response.description, `${id} ${status} says what it means`)
      if (status === '200') continue
      if (status === '401') {
        t.notOk(response.content, `${id} 401: no body`)
        continue
      }
      const schema = jsonSchema(response)
      t.same(Object.keys(schema.properties).sort(), ['errorCode', 'errorMessage'], `${id} ${status}: the error body`)
      t.same([...(schema.required as string[])].sort(), ['errorCode', 'errorMessage'])
    }
  }
})

t.test('the headers: Retry-After, x-ratelimit-limit, WWW-Authenticate, x-cache and Age', async (t) => {
  const doc = await documentOf()
  for (const [, , o] of operations(doc)) {
    const headers = (status: number): Json => (o.responses[status]?.headers ?? {}) as Json
    t.match(headers(429)['Retry-After'], { required: true, schema: { type: 'integer' } }, `${o.operationId} 429: Retry-After`)
    t.match(headers(429)['x-ratelimit-limit'], { schema: { type: 'integer' } }, `${o.operationId} 429: x-ratelimit-limit`)
    t.notOk(headers(429)['x-ratelimit-limit'].required, 'only the client rate limit sets it, not the CRM’s throttling')
    t.match(headers(401)['WWW-Authenticate'], { required: true, schema: { type: 'string' } }, `${o.operationId} 401: WWW-Authenticate`)
    if (o.responses[503]) t.match(headers(503)['Retry-After'], { required: true }, `${o.operationId} 503: Retry-After`)
  }
  const get = op(doc, 'GET_CUSTOMER').responses[200].headers as Json
  t.match(get['x-cache'], { required: true, schema: { type: 'string', enum: ['hit', 'miss', 'stale'] } }, 'GET_CUSTOMER 200: x-cache')
  t.match(get['Age'], { schema: { type: 'integer', minimum: 0 } }, 'and Age')
  t.notOk(get['Age'].required, 'Age only on hit and stale')
})

t.test('security: the configured clients’ API-key headers and query parameter, OAuth 2 client credentials', async (t) => {
  const doc = await documentOf({ auth: { clients: CLIENTS, tokenPath: '/auth/token' } })
  const schemes = doc.components.securitySchemes as Json
  t.same(schemes.apiKey, { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'a static secret in the x-api-key header' }, 'x-api-key, the default header')
  t.match(schemes['apiKey-x-pos-key'], { type: 'apiKey', in: 'header', name: 'x-pos-key' }, "a client's own header")
  t.match(schemes.apiKeyQuery, { type: 'apiKey', in: 'query', name: 'api_key' }, 'the api_key query parameter a client uses')
  t.match(schemes.oauth2, { type: 'oauth2', flows: { clientCredentials: { tokenUrl: '/auth/token', scopes: {} } } }, 'OAuth 2 client credentials at auth.tokenPath')
  t.match(schemes['oauth2Token-x-pos-token'], { type: 'apiKey', in: 'header', name: 'x-pos-token' }, 'a token in an OAuth client’s own header')
  t.match(schemes.clientBasic, { type: 'http', scheme: 'basic' }, 'the token endpoint’s client authentication')
  t.same(
    doc.security,
    [{ apiKey: [] }, { 'apiKey-x-pos-key': [] }, { apiKeyQuery: [] }, { oauth2: [] }, { 'oauth2Token-x-pos-token': [] }],
    'any one of them authenticates an SPI call'
  )
  for (const [, , o] of operations(doc)) {
    if (o.operationId === 'ISSUE_TOKEN') t.same(o.security, [{ clientBasic: [] }], 'the token endpoint: Basic client credentials')
    else t.notOk(o.security, `${o.operationId}: the document's security`)
    t.notOk((o.parameters ?? []).some((p: Json) => p.name === 'api_key' || p.name === 'x-api-key'), 'credentials are not parameters')
  }

  const plain = await documentOf()
  t.same(Object.keys(plain.components.securitySchemes).sort(), ['apiKey', 'clientBasic', 'oauth2'], 'no query scheme where no client uses one')
  t.equal(plain.components.securitySchemes.oauth2.flows.clientCredentials.tokenUrl, '/oauth2/token')
  const basicOnly = await documentOf({ auth: { clients: [{ id: 'pos-basic', method: 'header', header: 'authorization', secrets: ['basic-secret-0123456789a'] }] } })
  t.match(basicOnly.components.securitySchemes['apiKey-authorization'], { type: 'http', scheme: 'basic' }, 'a static secret in Authorization is Basic')
  t.notOk(basicOnly.components.securitySchemes.apiKey, 'and x-api-key is not claimed when no client uses it')
})

t.test('requests and answers differ where the contract does', async (t) => {
  const doc = await documentOf()
  const create = op(doc, 'CREATE_CUSTOMER')
  const answerOf = (id: string): Json => jsonSchema(op(doc, id).responses[200]).properties.customer as Json

  for (const id of ['CREATE_CUSTOMER', 'UPDATE_CUSTOMER', 'UPDATE_CUSTOMER_BY_PATH', 'GET_CUSTOMER']) {
    const answer = answerOf(id)
    t.notOk(answer.properties.storeAttribution, `${id} answers: no storeAttribution (write-only)`)
    t.notOk(answer.properties.customerLoyaltyProfile, `${id} answers: no customerLoyaltyProfile (legacy)`)
    t.same(answer.required, ['profile'], `${id} answers: a profile`)
    t.same(answer.properties.profile.required, ['customerId'], `${id} answers: with its customerId`)
    t.notOk([...walk(answer)].some(([, s]) => s.nullable), `${id} answers: never null`)
  }
  const found = jsonSchema(op(doc, 'SEARCH_CUSTOMERS').responses[200])
  t.same(found.required, ['customers'])
  t.same(found.properties.customers.items.properties.profile.required, ['customerId'], 'each customer found has its id')

  const createBody = bareBody(create)
  t.ok(createBody.properties.storeAttribution && createBody.properties.customerLoyaltyProfile, 'requests take storeAttribution and the legacy name')
  t.notOk(createBody.required, 'a create requires nothing')
  t.notOk(createBody.properties.profile.properties.customerId.pattern, "a create's customerId is ignored, so not refused for its form")

  for (const body of [bareBody(op(doc, 'UPDATE_CUSTOMER')), wrappedBody(op(doc, 'UPDATE_CUSTOMER'))]) {
    t.same(body.required, ['profile'], 'PUT /customers requires the profile…')
    t.same(body.properties.profile.required, ['customerId'], '…and its customerId')
    t.match(body.properties.profile.properties.customerId, { pattern: String, maxLength: 128 })
  }
  t.same(jsonSchema(op(doc, 'UPDATE_CUSTOMER').requestBody).anyOf[0].required, ['customer'], 'the wrapped envelope')
  const byPath = bareBody(op(doc, 'UPDATE_CUSTOMER_BY_PATH'))
  t.notOk(byPath.required, 'PUT /customers/{customerId} does not')
  t.notOk(byPath.properties.profile.required)

  const nullable = [...walk(createBody)].filter(([, s]) => s.nullable).map(([p]) => p)
  for (const path of ['.profile', '.profile.firstName', '.profile.address', '.profile.address.city', '.consents.smsSignUp', '.addressList', '.addressList[]', '.loyaltyProfile.currentPoints', '.profile.birthday<anyOf0>']) {
    t.ok(nullable.includes(path), `null is accepted, and documented, at ${path}`)
  }
})

t.test('every text of a request is bounded; ids have their pattern; e-mail is text', async (t) => {
  const doc = await documentOf()
  for (const [, , o] of operations(doc)) {
    if (o.operationId === 'ISSUE_TOKEN') continue
    const bodies = o.requestBody ? [['body', jsonSchema(o.requestBody)] as const] : []
    const params = ((o.parameters ?? []) as Json[]).map((p) => [`${p.in} ${p.name}`, p.schema as Json] as const)
    for (const [where, schema] of [...bodies, ...params]) {
      for (const [path, s] of walk(schema)) {
        if (s.type === 'string') t.type(s.maxLength, 'number', `${o.operationId} ${where}${path}: maxLength ${s.maxLength}`)
      }
    }
  }
  const profile = bareBody(op(doc, 'CREATE_CUSTOMER')).properties.profile.properties
  t.match(
    { phoneMobile: profile.phoneMobile.maxLength, firstName: profile.firstName.maxLength, email: profile.email.maxLength, customerId: profile.customerId.maxLength },
    { phoneMobile: 32, firstName: 255, email: 254, customerId: 128 }
  )
  t.notOk(profile.email.format, 'e-mail: the contract types it as text; a form is not claimed (nor checked)')

  const param = (op(doc, 'GET_CUSTOMER').parameters as Json[]).find((p) => p.name === 'customerId')!
  t.match(param, { in: 'path', required: true, schema: { type: 'string', maxLength: 128 } })
  const pattern = new RegExp(param.schema.pattern as string)
  for (const id of ['C00000001', 'a', 'a.b', '.a', 'a..', '~:@-_', 'x'.repeat(128), '.', '..', '...', 'a b', 'a/b', '', '%2e', 'x'.repeat(129)]) {
    let accepted = true
    try {
      assertCustomerId(id, 'customerId')
    } catch {
      accepted = false
    }
    const documented = pattern.test(id) && id.length <= 128
    t.equal(documented, accepted, `"${id.slice(0, 12)}": the documented pattern and the gateway agree (${accepted ? 'an id' : 'not an id'})`)
  }
})

t.test('paging parameters are integers with their bounds', async (t) => {
  const doc = await documentOf({ spi: { searchDefaultLimit: 7 } })
  const params = op(doc, 'SEARCH_CUSTOMERS').parameters as Json[]
  const p = (name: string): Json => params.find((x) => x.name === name)!
  t.match(p('limit'), { in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 100, default: 7 } }, 'limit: 1..100, the configured default')
  t.match(p('offset'), { in: 'query', required: false, schema: { type: 'integer', minimum: 0, default: 0 } }, 'offset: 0 or more')
  t.match((await documentOf()).paths['/customers'].get.parameters.find((x: Json) => x.name === 'limit').schema.default, 20, 'default 20')
  for (const name of ['firstName', 'lastName', 'email', 'phone', 'phoneMobile', 'phoneNumber', 'customerId', 'loyaltyId']) {
    t.match(p(name), { in: 'query', required: false, schema: { type: 'string' } }, `criterion ${name}`)
  }
})

t.test('the token endpoint: POST auth.tokenPath, grant_type in the query string, Basic, its answers', async (t) => {
  const doc = await documentOf({ auth: { clients: CLIENTS } })
  const token = doc.paths['/oauth2/token'].post as Json
  t.same(Object.keys(doc.paths['/oauth2/token']).sort(), ['post', 'servers'], 'POST only')
  t.match(token.parameters, [{ in: 'query', name: 'grant_type', schema: { type: 'string', enum: ['client_credentials'] } }])
  t.equal(token.requestBody.required, false, 'a body is optional (the form alternative)')
  t.same(Object.keys(token.requestBody.content).sort(), ['application/json', 'application/x-www-form-urlencoded'])
  t.same(Object.keys(token.responses).sort(), ['200', '400', '401', '413', '429', '431', '500'])
  t.match(jsonSchema(token.responses[200]), { required: ['access_token', 'token_type', 'expires_in'], properties: { token_type: { enum: ['Bearer'] }, expires_in: { type: 'integer' } } })
  t.match(token.responses[200].headers, { 'Cache-Control': { required: true }, Pragma: { required: true } })
  t.match(jsonSchema(token.responses[401]), { required: ['error', 'error_description'], properties: { error: { enum: ['invalid_client'] } } }, 'RFC 6749 §5.2 errors')
  t.match(token.responses[401].headers['WWW-Authenticate'], { required: true })
  t.match(jsonSchema(token.responses[400]).properties.error.enum, ['invalid_request', 'unsupported_grant_type'])
  t.same(Object.keys(jsonSchema(token.responses[429]).properties).sort(), ['errorCode', 'errorMessage'], 'but the rate limit’s 429 is the SPI’s')
})

t.test('the vendor scenarios are the examples, and every example fits its schema', async (t) => {
  const doc = await documentOf()
  const fixture = (name: string): unknown =>
    JSON.parse(
      readFileSync(new URL(`../fixtures/spi-examples/${name}.json`, import.meta.url), 'utf8'),
      (key, value: unknown) => (key === '_note' ? undefined : typeof value === 'string' ? (EXAMPLE_VALUES[value] ?? value) : value)
    )
  const examples = (media: Json): Record<string, Json> => (media.content['application/json'].examples ?? {}) as Record<string, Json>
  t.strictSame(examples(op(doc, 'CREATE_CUSTOMER').requestBody).scenario1?.value, fixture('1-create-with-loyalty.request'), 'CREATE: scenario 1')
  t.strictSame(examples(op(doc, 'CREATE_CUSTOMER').responses[200]).scenario1?.value, fixture('1-create-with-loyalty.response'))
  for (const id of ['UPDATE_CUSTOMER', 'UPDATE_CUSTOMER_BY_PATH']) {
    t.strictSame(examples(op(doc, id).requestBody).scenario2?.value, fixture('2-update-save-shipping-address.request'), `${id}: scenario 2`)
    t.strictSame(examples(op(doc, id).requestBody).scenario3?.value, fixture('3-update-profile-address.request'), `${id}: scenario 3`)
    t.strictSame(examples(op(doc, id).responses[200]).scenario3?.value, fixture('3-update-profile-address.response'))
    t.match(examples(op(doc, id).responses[200]).scenario3?.description, /abridged/, 'an abridged answer says so')
  }
  t.strictSame(examples(op(doc, 'GET_CUSTOMER').responses[200]).scenario3?.value, fixture('3-update-profile-address.response'))

  // Every example in the document, against the schema beside it.
  const ajv = openApiAjv()
  let count = 0
  for (const [, , o] of operations(doc)) {
    const medias: Array<[string, Json]> = [
      ...Object.entries((o.requestBody?.content ?? {}) as Record<string, Json>).map(([type, m]): [string, Json] => [`request ${type}`, m]),
      ...Object.entries(o.responses as Record<string, Json>).flatMap(([status, r]) =>
        Object.entries((r.content ?? {}) as Record<string, Json>).map(([type, m]): [string, Json] => [`${status} ${type}`, m])
      ),
      ...((o.parameters ?? []) as Json[]).map((p): [string, Json] => [`parameter ${p.name}`, p])
    ]
    for (const [where, media] of medias) {
      const values = [...(media.example === undefined ? [] : [media.example]), ...Object.values((media.examples ?? {}) as Record<string, Json>).map((e) => e.value)]
      for (const value of values) {
        count++
        const valid = ajv.validate(media.schema as Json, value)
        t.ok(valid, `${o.operationId} ${where}: its example fits${valid ? '' : `: ${ajv.errorsText()}`}`)
      }
    }
  }
  t.ok(count >= 20, `${count} examples checked`)

  const bare = await documentOf({ spi: { envelope: 'bare' } })
  t.strictSame(examples(op(bare, 'GET_CUSTOMER').responses[200]).scenario3?.value, (fixture('3-update-profile-address.response') as Json).customer, 'bare envelope: bare examples')
  t.ok(Array.isArray(examples(op(bare, 'SEARCH_CUSTOMERS').responses[200]).scenario3?.value))
})

t.test('the answer check finds answers that break the document', async (t) => {
  const app = Fastify()
  await app.register(swagger, { openapi: { info: { title: 'x', version: '1' } } })
  const schema = {
    response: {
      200: { type: 'object', required: ['a'], properties: { a: { type: 'string' } }, headers: { 'x-must': { type: 'string', required: true } } },
      204: { type: 'null', description: 'nothing' }
    }
  }
  app.get('/ok', { schema }, async (_request, reply) => reply.header('x-must', '1').send({ a: 'fine' }))
  app.get('/wrong-body', { schema }, async (_request, reply) => reply.header('x-must', '1').type('application/json').send('{"b":1}'))
  app.get('/undeclared', { schema }, async (_request, reply: FastifyReply) => reply.code(418).send({ a: 'teapot' }))
  app.get('/no-header', { schema }, async () => ({ a: 'x' }))
  app.get('/body-on-empty', { schema }, async (_request, reply) => reply.code(204).type('application/json').send('{}'))
  const check = checkAnswers(app)
  await app.ready()
  for (const url of ['/ok', '/wrong-body', '/undeclared', '/no-header', '/body-on-empty']) await app.inject({ method: 'GET', url })
  t.equal(check.checked(), 5)
  t.equal(check.violations.length, 4, check.violations.join('\n'))
  t.match(check.violations, [/wrong-body.*must have required property 'a'/, /undeclared.*status 418 is not in the document/, /no-header.*required header x-must missing/, /body-on-empty.*declares no body/])
  await t.rejects(app.close(), /4 answer\(s\) break the OpenAPI document/, 'and closing the app fails the test')
})

t.test('Swagger UI, and docs can be turned off', async (t) => {
  const { app, answers } = await buildTestApp()
  t.teardown(() => app.close())
  const ui = await app.inject({ method: 'GET', url: '/docs/' })
  t.equal(ui.statusCode, 200)
  t.match(ui.headers['content-type'], /html/)
  t.match(ui.body, /swagger/i)
  t.equal((await app.inject({ method: 'GET', url: '/endpoint/sa/customers?lastName=x', headers: AUTH_HEADERS })).statusCode, 200)
  t.equal(answers.checked(), 1, 'the SPI answer was checked against the document')

  const off = await buildTestApp({ spi: { docs: false } })
  t.teardown(() => off.app.close())
  t.equal((await off.inject({ method: 'GET', url: '/openapi.json' })).statusCode, 404)
})

t.test('liveness and readiness', async (t) => {
  const { app } = await buildTestApp()
  const live = await app.inject({ method: 'GET', url: '/healthz' })
  t.same(live.json(), { status: 'ok' })
  const ready = await app.inject({ method: 'GET', url: '/readyz' })
  t.same(ready.json(), { status: 'ready', adapter: 'memory', breakers: { get: 'closed', search: 'closed', create: 'closed', update: 'closed' }, state: { mode: 'local' } })
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
