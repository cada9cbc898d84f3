/**
 * Hostile input gets a clear 4xx, never a 500 (issue 12): bodies nested thousands of levels,
 * ids made of dots, wrong methods, headers over Node's limit, requests Fastify or a plugin
 * refuses — and none of it, sent without credentials, makes an error-level log line.
 */
import t from 'tap'
import { request } from 'node:http'
import { connect } from 'node:net'
import type { AddressInfo } from 'node:net'
import { AUTH_HEADERS, buildTestApp } from '../helpers/build-test-app.js'
import { MAX_JSON_DEPTH, tooDeepAt } from '../../src/spi/json-depth.js'
import { cleanCustomerInput } from '../../src/spi/envelope.js'

const BASE = '/endpoint/sa/customers'

/** `{"x": [[[…]]]}` with `levels` levels in all (the object is level 1). */
const nested = (levels: number): string => `{"x":${'['.repeat(levels - 1)}${']'.repeat(levels - 1)}}`

t.test('nesting is measured without recursion, and named', async (t) => {
  t.equal(tooDeepAt({ a: { b: [1, { c: 'd' }] } }), undefined)
  t.equal(tooDeepAt(JSON.parse(nested(MAX_JSON_DEPTH))), undefined, `${MAX_JSON_DEPTH} levels are allowed`)
  t.equal(tooDeepAt(JSON.parse(nested(MAX_JSON_DEPTH + 1))), 'x.0.0.0…', 'one more is not, and the path names where')
  t.equal(tooDeepAt({ profile: { custom: { deep: {} } } }, 3), 'profile.custom.deep')
  t.equal(tooDeepAt([[]], 1), '0')
  t.equal(tooDeepAt({ ['k'.repeat(500)]: { a: {} } }, 2), `${'k'.repeat(64)}.a`, 'a long key is cut in the message')
  t.equal(tooDeepAt(JSON.parse(nested(200_000))), 'x.0.0.0…', '200,000 levels: no stack overflow')
  t.equal(tooDeepAt('text'), undefined)
  t.throws(() => cleanCustomerInput(JSON.parse(nested(3000))), { code: 'INVALID_REQUEST', status: 400, params: { field: 'x.0.0.0…', reason: 'tooDeep' } })
})

t.test('a body nested 3,000 levels deep is a 400 naming the field, not a 500', async (t) => {
  const lines: string[] = []
  const { app, crm, inject } = await buildTestApp({ spi: { docs: false } }, { logger: { level: 'info', stream: { write: (l: string) => void lines.push(l) } } })
  t.teardown(() => app.close())
  const json = { 'content-type': 'application/json' }
  for (const [method, url, payload] of [
    ['POST', BASE, nested(3000)],
    ['POST', BASE, `{"customer":${nested(3000)}}`],
    ['PUT', BASE, `{"profile":{"customerId":"C1"},"x":${nested(3000).slice(5, -1)}}`],
    ['PUT', `${BASE}/C1`, nested(MAX_JSON_DEPTH + 1)]
  ] as const) {
    const r = await inject({ method, url, headers: json, payload })
    t.equal(r.statusCode, 400, `${method} ${url} (${payload.length} bytes): 400`)
    t.equal(r.json().errorCode, 'INVALID_REQUEST')
    t.match(r.json().errorMessage, /^Invalid value for x\.0\.0\.0…: is nested too deeply\.$/)
  }
  const de = await inject({ method: 'POST', url: BASE, headers: { ...json, 'accept-language': 'de' }, payload: nested(3000) })
  t.match(de.json().errorMessage, /zu tief verschachtelt/, 'the reason is localized')
  t.equal(crm.calls.create + crm.calls.update + crm.calls.get, 0, 'the CRM was never called')
  const ok = await inject({ method: 'POST', url: BASE, headers: json, payload: `{"profile":{"firstName":"Deep"},"x":${nested(MAX_JSON_DEPTH - 1).slice(5, -1)}}` })
  t.equal(ok.statusCode, 200, `a customer with a field ${MAX_JSON_DEPTH} levels deep is accepted`)
  t.notOk(lines.some((l) => JSON.parse(l).level >= 50), 'nothing logged at error level')
})

/** One request over real HTTP, its path sent as written (no client-side dot-segment removal). */
function send(port: number, method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body)
    const headers: Record<string, string> = { ...AUTH_HEADERS, ...(payload ? { 'content-type': 'application/json' } : {}) }
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown> }))
    })
    req.on('error', reject)
    req.end(payload)
  })
}

t.test('ids made of dots are refused before any CRM call', async (t) => {
  const { app, crm } = await buildTestApp({ spi: { docs: false } })
  t.teardown(() => app.close())
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  for (const id of ['.', '..', '...']) {
    for (const spelled of [id, id.replaceAll('.', '%2E'), id.replaceAll('.', '%2e')]) {
      const get = await send(port, 'GET', `${BASE}/${spelled}`)
      t.same([get.status, get.json['errorCode']], [400, 'INVALID_CUSTOMER_ID'], `GET …/customers/${spelled}`)
      const put = await send(port, 'PUT', `${BASE}/${spelled}`, { profile: { firstName: 'X' } })
      t.same([put.status, put.json['errorCode']], [400, 'INVALID_CUSTOMER_ID'], `PUT …/customers/${spelled}`)
    }
    const body = await send(port, 'PUT', BASE, { profile: { customerId: id, firstName: 'X' } })
    t.same([body.status, body.json['errorCode']], [400, 'INVALID_CUSTOMER_ID'], `profile.customerId "${id}"`)
    const search = await send(port, 'GET', `${BASE}?customerId=${id}`)
    t.same([search.status, search.json['errorCode']], [400, 'INVALID_CUSTOMER_ID'], `search by customerId "${id}"`)
  }
  t.same(crm.calls, { get: 0, search: 0, create: 0, update: 0 }, 'the CRM was never called')
  t.equal((await send(port, 'GET', `${BASE}/a..b`)).status, 404, 'an id with dots and more is still an id')
})

t.test('a wrong method on an SPI path: 405 with Allow, after authentication', async (t) => {
  const { app, crm, inject } = await buildTestApp({ spi: { docs: false } })
  t.teardown(() => app.close())
  const cases: Array<['DELETE' | 'PATCH' | 'TRACE' | 'POST' | 'OPTIONS', string, string]> = [
    ['DELETE', `${BASE}/C1`, 'GET, HEAD, PUT'],
    ['PATCH', `${BASE}/C1`, 'GET, HEAD, PUT'],
    ['TRACE', `${BASE}/C1`, 'GET, HEAD, PUT'],
    ['POST', `${BASE}/C1`, 'GET, HEAD, PUT'],
    ['DELETE', BASE, 'GET, HEAD, POST, PUT'],
    ['PATCH', BASE, 'GET, HEAD, POST, PUT'],
    ['OPTIONS', BASE, 'GET, HEAD, POST, PUT']
  ]
  for (const [method, url, allow] of cases) {
    const r = await inject({ method, url, headers: { 'content-type': 'text/plain', 'accept-language': 'fr' }, payload: 'not json' })
    t.equal(r.statusCode, 405, `${method} ${url}: 405`)
    t.equal(r.headers['allow'], allow, `Allow: ${allow}`)
    t.same(r.json(), { errorCode: 'METHOD_NOT_ALLOWED', errorMessage: "Cette méthode n'est pas autorisée ici." })
    const stranger = await app.inject({ method, url })
    t.same([stranger.statusCode, stranger.body], [401, ''], `${method} ${url} without credentials: 401 first, empty body`)
    t.equal(stranger.headers['allow'], undefined, 'and no Allow: nothing about the path is told')
  }
  t.equal((await inject({ method: 'DELETE', url: '/endpoint/sa/unknown' })).statusCode, 404, 'an unknown path stays a 404')
  t.equal((await inject({ method: 'HEAD', url: `${BASE}/C404` })).statusCode, 404, 'HEAD is GET without a body')
  t.same(crm.calls, { get: 1, search: 0, create: 0, update: 0 }, 'only the HEAD reached the CRM')
  const openapi = await buildTestApp()
  t.teardown(() => openapi.app.close())
  const doc = await openapi.app.inject({ method: 'GET', url: '/openapi.json' })
  if (doc.statusCode === 200) t.notMatch(JSON.stringify(doc.json().paths), /"(delete|patch|trace|options)"/, 'the 405 routes are not in the OpenAPI document')
})

/** Sends raw bytes to a listening app and resolves with everything it answers. */
function rawExchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    socket.on('data', (c: Buffer) => chunks.push(c))
    socket.on('error', reject)
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')))
    socket.end(bytes)
  })
}

t.test('requests Node refuses before Fastify: the contract shape (431 for headers over the limit)', async (t) => {
  const { app } = await buildTestApp({ spi: { docs: false } })
  t.teardown(() => app.close())
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  const big = await rawExchange(port, `GET ${BASE}/C1 HTTP/1.1\r\nHost: x\r\nX-Filler: ${'a'.repeat(20_000)}\r\n\r\n`)
  t.match(big, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/)
  t.match(big, /content-type: application\/json; charset=utf-8/i)
  t.match(big, /\r\n\r\n\{"errorCode":"HEADERS_TOO_LARGE","errorMessage":"The request headers are too large\."\}$/)
  const garbage = await rawExchange(port, 'NOT HTTP AT ALL\r\n\r\n')
  t.match(garbage, /^HTTP\/1\.1 400 Bad Request\r\n[\s\S]*\{"errorCode":"BAD_REQUEST","errorMessage":"The request could not be read\."\}$/)
})

/** One request over real HTTP without credentials: its status, headers and body. */
function anonymous(port: number, method: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }))
    })
    req.on('error', reject)
    req.end()
  })
}

t.test("Fastify's and plugins' 4xx stay 4xx in the contract's shape; no caller without credentials causes an error-level log", async (t) => {
  const lines: string[] = []
  const { app } = await buildTestApp({}, { logger: { level: 'trace', stream: { write: (l: string) => void lines.push(l) } } })
  t.teardown(() => app.close())
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  const cases: Array<[string, string, Record<string, string>, number, string]> = [
    ['GET', '/docs/static/%2e%2e/%2e%2e/package.json', {}, 403, 'FORBIDDEN'],
    ['GET', '/docs/static/%2e%2e', {}, 403, 'FORBIDDEN'],
    ['GET', '/docs/static/%00', {}, 403, 'FORBIDDEN'],
    ['GET', `/docs/static/${'a'.repeat(5000)}`, {}, 403, 'FORBIDDEN'],
    ['GET', '/docs/static/no-such-file.js', {}, 404, 'ROUTE_NOT_FOUND'],
    ['GET', '/docs/static/swagger-ui.css', { range: 'bytes=999999999-' }, 416, 'RANGE_NOT_SATISFIABLE'],
    ['GET', '/docs/static/swagger-ui.css', { 'if-match': '"not-this-one"' }, 412, 'PRECONDITION_FAILED']
  ]
  for (const [method, path, headers, status, code] of cases) {
    const r = await anonymous(port, method, path, headers)
    t.equal(r.status, status, `${method} ${path.slice(0, 50)}: ${status}`)
    t.equal(JSON.parse(r.body).errorCode, code)
  }
  // And a few more a stranger might send: each refused, none an error of ours.
  const more: Array<[string, string, Record<string, string>]> = [
    ['GET', `${BASE}/%2E%2E`, {}],
    ['DELETE', `${BASE}/C1`, {}],
    ['TRACE', BASE, {}],
    ['GET', `${BASE}/%E0%A4%A`, {}],
    ['POST', BASE, { 'content-type': 'application/json', 'content-length': '5' }],
    ['POST', '/oauth2/token?grant_type=client_credentials', { 'content-type': 'application/json', authorization: 'Basic !!' }],
    ['GET', '/oauth2/token', {}],
    ['POST', '/healthz', {}],
    ['GET', '/docs/static/index.html', { range: 'bytes=-0' }],
    ['GET', '/openapi.json?%zz=%zz', {}],
    ['GET', '/docs/%2e%2e/%2e%2e/etc/passwd', {}]
  ]
  for (const [method, path, headers] of more) {
    const r = await anonymous(port, method, path, headers)
    t.ok(r.status < 500, `${method} ${path}: ${r.status}`)
  }
  await rawExchange(port, `GET / HTTP/1.1\r\nHost: x\r\nX-Filler: ${'a'.repeat(20_000)}\r\n\r\n`)
  await rawExchange(port, 'GARBAGE\r\n\r\n')
  const errors = lines.map((l) => JSON.parse(l) as { level: number; msg?: string }).filter((l) => l.level >= 50)
  t.same(errors, [], 'not one line at error level or above')
})
