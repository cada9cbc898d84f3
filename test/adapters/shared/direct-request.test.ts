/**
 * client.request (adapters/shared/direct-request.ts) against axios' own instance.request, over
 * the same transport to a real HTTP server: for every request shape adapters send, the server
 * must receive the same request and the caller get the same answer.
 */
import t from 'tap'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { AxiosHeaders, AxiosResponse } from 'axios'
import { createHttpClient, type HttpClient, type SignalledRequest } from '../../../adapters/shared/http-client.js'

type Teardown = { teardown(fn: () => unknown): void }

interface Received {
  method: string | undefined
  url: string | undefined
  headers: IncomingMessage['headers']
  body: string
}

async function echoServer(t: Teardown): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = []
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      received.push({ method: req.method, url: req.url, headers: req.headers, body })
      const status = req.url?.includes('missing') ? 404 : 200
      res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'X-Echo': 'yes', 'Set-Cookie': ['a=1', 'b=2'] })
      res.end(JSON.stringify({ seen: body.length }))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received }
}

/** What a caller reads of a response: everything but the request handle and the config object. */
function answer(r: AxiosResponse<string>): Record<string, unknown> {
  return {
    status: r.status,
    statusText: r.statusText,
    data: r.data,
    headers: (r.headers as AxiosHeaders).toJSON(),
    hasDuration: typeof (r as { duration?: unknown }).duration === 'number',
    config: { method: r.config.method, url: r.config.url, data: r.config.data, headers: r.config.headers.toJSON(), baseURL: r.config.baseURL }
  }
}

/** The request as the server saw it, minus what differs by connection. */
function seen(r: Received): Received {
  const { host: _host, connection: _connection, ...headers } = r.headers
  return { ...r, headers }
}

const SHAPES: Array<[string, () => Omit<SignalledRequest, 'signal'>]> = [
  ['a GET by id', () => ({ method: 'GET', url: '/api/v1/contacts/42' })],
  ['a GET without a method', () => ({ url: '/api/v1/contacts/43' })],
  ['a lower-case method', () => ({ method: 'get', url: '/api/v1/contacts/44' })],
  ['a search: repeated params', () => ({ method: 'GET', url: '/api/v1/contacts', params: new URLSearchParams([['filter', 'lastName:eq:Tanaka'], ['filter', 'email:co:@'], ['page', '0']]) })],
  ['params as an object', () => ({ method: 'GET', url: '/crm/v3/properties/contacts', params: { archived: 'false', after: 'x y&z' } })],
  ['a path with a query already', () => ({ method: 'GET', url: '/odata/Contacts?$select=a,b&$top=1' })],
  ['a JSON create', () => ({ method: 'POST', url: '/api/v1/contacts', data: { firstName: 'Aiko', emails: ['a@example.com'] }, headers: { 'Content-Type': 'application/json' } })],
  ['a JSON patch with If-Match, lower-case names', () => ({ method: 'PATCH', url: '/api/v1/contacts/42', data: { firstName: 'Aiko' }, headers: { 'content-type': 'application/json', 'if-match': '"3"' } })],
  ['a JSON body without a content type', () => ({ method: 'POST', url: '/search', data: { filterGroups: [], limit: 10 } })],
  ['a JSON array body', () => ({ method: 'PUT', url: '/batch', data: [{ id: 1 }, { id: 2 }] })],
  ['a form body as a string', () => ({ method: 'POST', url: '/oauth2/token', data: 'grant_type=client_credentials&scope=a', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } })],
  ['a form body as URLSearchParams', () => ({ method: 'POST', url: '/oauth2/token', data: new URLSearchParams({ grant_type: 'client_credentials' }) })],
  ['a POST without a body', () => ({ method: 'POST', url: '/api/v1/contacts/42/touch' })],
  ['a DELETE', () => ({ method: 'DELETE', url: '/api/v1/contacts/42' })],
  ['the instance Accept overridden, in another case', () => ({ method: 'GET', url: '/metadata', headers: { accept: 'application/xml', 'x-csrf-token': 'fetch' } })],
  ['the instance key overridden, a header left unset', () => ({ method: 'GET', url: '/api/v1/contacts/45', headers: { 'x-api-key': 'other', 'X-Unset': undefined as unknown as string } })],
  ['a 404', () => ({ method: 'GET', url: '/api/v1/contacts/missing' })]
]

function client(t: Teardown, baseUrl: string): HttpClient {
  const c = createHttpClient({ baseUrl, timeoutMs: 2000, headers: { 'X-API-Key': 'key-1' } })
  t.teardown(() => c.close())
  return c
}

t.test('every shape adapters send: the same request reaches the CRM, the same answer comes back', async (t) => {
  const server = await echoServer(t)
  const http = client(t, `${server.url}/base`)
  for (const [name, shape] of SHAPES) {
    const viaAxios = await http.http.request<string>({ ...shape(), signal: new AbortController().signal })
    const direct = await http.request({ ...shape(), signal: new AbortController().signal })
    const [a, b] = server.received.splice(0, 2)
    t.ok(a && b, `${name}: two requests received`)
    t.same(seen(b!), seen(a!), `${name}: the CRM receives the same request`)
    t.same(answer(direct), answer(viaAxios), `${name}: the caller gets the same answer`)
  }
})

t.test('a cancelled signal: the same CanceledError, nothing sent', async (t) => {
  const server = await echoServer(t)
  const http = client(t, server.url)
  const controller = new AbortController()
  controller.abort()
  const viaAxios = await http.http.request({ method: 'GET', url: '/x', signal: controller.signal }).catch((e: unknown) => e)
  const direct = await http.request({ method: 'GET', url: '/x', signal: controller.signal }).catch((e: unknown) => e)
  t.match(direct, { name: 'CanceledError', code: 'ERR_CANCELED' })
  t.match(viaAxios, { name: 'CanceledError', code: 'ERR_CANCELED' })
  t.same(server.received, [], 'nothing reached the server')
})

t.test('what the direct path does not handle goes through axios: an interceptor, another config key', async (t) => {
  const server = await echoServer(t)
  const http = client(t, server.url)
  const id = http.http.interceptors.request.use((config) => {
    config.headers.set('X-Intercepted', 'yes')
    return config
  })
  await http.request({ method: 'GET', url: '/a', signal: new AbortController().signal })
  t.equal(server.received.at(-1)?.headers['x-intercepted'], 'yes', 'an interceptor on the instance is honoured')
  http.http.interceptors.request.eject(id)
  await http.request({ method: 'GET', url: '/b', signal: new AbortController().signal })
  t.equal(server.received.at(-1)?.headers['x-intercepted'], undefined, 'and no longer once ejected')
  const strict = { method: 'GET', url: '/missing', validateStatus: (s: number) => s < 400, signal: new AbortController().signal }
  const viaAxios = await http.http.request(strict).catch((e: unknown) => e)
  const direct = await http.request(strict).catch((e: unknown) => e)
  t.match(viaAxios, { code: 'ERR_BAD_REQUEST', response: { status: 404 } })
  t.match(direct, { code: 'ERR_BAD_REQUEST', response: { status: 404 } }, 'another config key (validateStatus): as axios, its own rule applies')
})

t.test("the instance's defaults as axios reads them per call: its method, its params serializer", async (t) => {
  const server = await echoServer(t)
  const http = client(t, server.url)
  http.http.defaults.method = 'post'
  await http.http.request({ url: '/m', signal: new AbortController().signal })
  await http.request({ url: '/m', signal: new AbortController().signal })
  t.same(server.received.splice(0, 2).map((r) => r.method), ['POST', 'POST'], 'no method in the config: the default method, both ways')
  http.http.defaults.paramsSerializer = (params: Record<string, string>) => Object.keys(params).map((k) => `${k}~${params[k]}`).join('&')
  await http.http.request({ method: 'GET', url: '/p', params: { a: '1' }, signal: new AbortController().signal })
  await http.request({ method: 'GET', url: '/p', params: { a: '1' }, signal: new AbortController().signal })
  t.same(server.received.splice(0, 2).map((r) => r.url), ['/p?a~1', '/p?a~1'], "the instance's serializer, both ways")
})
