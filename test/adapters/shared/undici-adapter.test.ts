/**
 * The undici transport behind the adapters' axios instances (adapters/shared/undici-adapter.ts):
 * the same requests through it and through axios' own http adapter reach a real server alike
 * and come back alike; every failure becomes the AxiosError http-failure.ts classifies into
 * the port's failure kinds; close() releases the sockets.
 */
import http from 'node:http'
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib'
import t from 'tap'
import axios, { AxiosError, isCancel } from 'axios'
import type { AxiosInstance, AxiosResponse, CreateAxiosDefaults, InternalAxiosRequestConfig } from 'axios'
import { errors } from 'undici'
import { createUndiciTransport, toAxiosError } from '../../../adapters/shared/undici-adapter.js'
import { createHttpClient, sendRequest } from '../../../adapters/shared/http-client.js'
import { classifyTransportFailure } from '../../../adapters/shared/http-failure.js'
import type { CrmFailureKind } from '../../../src/core/port.js'
import { createSilentLogger } from '../../helpers/silent-logger.js'

interface Teardown {
  teardown(fn: () => unknown): void
}

interface Seen {
  readonly method: string
  readonly url: string
  readonly headers: http.IncomingHttpHeaders
  readonly body: string
}

type Behaviour = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void

/** A server recording what it received; `behave` decides the answer. */
async function server(t: Teardown) {
  const seen: Seen[] = []
  const sockets = new Set<net.Socket>()
  let connections = 0
  let behaviour: Behaviour = (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end('{"ok":true}')
  }
  const srv = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body })
      behaviour(req, res, body)
    })
  })
  srv.on('connection', (socket) => {
    connections++
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve))
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        srv.close(() => resolve())
      })
  )
  return {
    url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`,
    seen,
    behave: (b: Behaviour) => (behaviour = b),
    connections: () => connections,
    open: () => sockets.size
  }
}

/** Two instances with one config: axios' own http adapter, and the undici transport. */
function pair(t: Teardown, config: CreateAxiosDefaults) {
  const transport = createUndiciTransport({ connections: 10, maxResponseBytes: 1024 * 1024, connectTimeoutMs: 2000 })
  t.teardown(() => transport.close())
  const agent = new http.Agent({ keepAlive: true })
  t.teardown(() => agent.destroy())
  return {
    viaHttp: axios.create({ ...config, adapter: 'http', httpAgent: agent }),
    viaUndici: axios.create({ ...config, adapter: transport.adapter }),
    transport
  }
}

/** What a caller sees of a response (headers through AxiosHeaders' case-insensitive get). */
function seenByCaller(r: AxiosResponse) {
  const get = (name: string): unknown => (r.headers as { get(n: string): unknown }).get(name)
  return { status: r.status, statusText: r.statusText, data: r.data as unknown, contentType: get('Content-Type'), custom: get('X-Custom') }
}

/** What the server saw, minus what differs by nature (host port, connection handling). */
function seenByServer(s: Seen) {
  const h = s.headers
  return {
    method: s.method,
    url: s.url,
    body: s.body,
    headers: {
      accept: h['accept'],
      'accept-encoding': h['accept-encoding'],
      'user-agent': h['user-agent'],
      'content-type': h['content-type'],
      'content-length': h['content-length'],
      'x-api-key': h['x-api-key']
    }
  }
}

async function rejection(promise: Promise<unknown>): Promise<AxiosError> {
  const outcome = await promise.then(
    () => new Error('expected a rejection'),
    (err: unknown) => err
  )
  if (!(outcome instanceof AxiosError)) throw outcome
  return outcome
}

const base = (url: string): CreateAxiosDefaults => ({
  baseURL: `${url}/api/v1/`,
  allowAbsoluteUrls: false,
  headers: { Accept: 'application/json', 'X-API-Key': 'k-123' },
  maxRedirects: 0,
  timeout: 2000,
  validateStatus: () => true,
  responseType: 'text',
  transformResponse: [(data: unknown) => data]
})

t.test('requests reach the server, and answers come back, as through axios http adapter', async (t) => {
  const srv = await server(t)
  srv.behave((req, res, body) => {
    const answer = req.url?.includes('bom') ? `\ufeff{"bom":true}` : JSON.stringify({ echo: body.length, url: req.url })
    res.writeHead(req.url?.includes('missing') ? 404 : 200, {
      'content-type': 'application/json; charset=utf-8',
      'x-custom': 'Yes',
      'set-cookie': ['a=1', 'b=2']
    })
    res.end(answer)
  })
  const { viaHttp, viaUndici } = pair(t, base(srv.url))
  const filters = new URLSearchParams([
    ['filter', 'LNAME:sw:oka'],
    ['filter', 'EMAIL:eq:a+b@example.com']
  ])
  filters.set('page', '1')
  const cases: [string, Parameters<AxiosInstance['request']>[0]][] = [
    ['GET, path encoded by the caller', { method: 'GET', url: '/contacts/C%2F1%20x' }],
    ['GET, repeated URLSearchParams', { method: 'GET', url: 'contacts', params: filters }],
    ['GET, object params spelled by axios', { method: 'get', url: '/contacts', params: { a: 'x y', b: [1, 2], c: 'ä:$,', d: undefined, e: null } }],
    ['GET, a query in the url and params', { method: 'GET', url: '/contacts?x=1#frag', params: new URLSearchParams({ y: '2' }) }],
    ['GET, a custom params serializer', { method: 'GET', url: '/contacts', params: { q: 'v' }, paramsSerializer: { serialize: () => 'custom=1' } }],
    ['GET, dot segments', { method: 'GET', url: '/contacts/../health' }],
    ['POST, a JSON object', { method: 'POST', url: '/contacts', data: { FNAME: 'Zoë', N: 1 }, headers: { 'Content-Type': 'application/json' } }],
    ['POST, a JSON object, no content type given', { method: 'POST', url: '/contacts', data: { A: [1, { B: true }] } }],
    ['PATCH, a string body and If-Match', { method: 'PATCH', url: '/contacts/C1', data: '{"A":"x"}', headers: { 'content-type': 'application/json', 'If-Match': '"3"' } }],
    ['PUT, a Buffer', { method: 'PUT', url: '/blob', data: Buffer.from('raw bytes'), headers: { 'Content-Type': 'application/octet-stream' } }],
    ['POST, URLSearchParams as the body', { method: 'POST', url: '/form', data: new URLSearchParams({ a: '1 2' }) }],
    ['DELETE without a body', { method: 'DELETE', url: '/contacts/C1' }],
    ['a header overriding a default, case-insensitively', { method: 'GET', url: '/h', headers: { accept: 'text/plain', 'user-agent': 'mine/1' } }],
    ['a 404 comes back as a response', { method: 'GET', url: '/missing' }],
    ['a UTF-8 BOM is stripped from text', { method: 'GET', url: '/bom' }]
  ]
  for (const [what, config] of cases) {
    const before = srv.seen.length
    const a = await viaHttp.request(config)
    const b = await viaUndici.request(config)
    t.equal(srv.seen.length, before + 2, `${what}: one request each`)
    t.same(seenByServer(srv.seen[before + 1]!), seenByServer(srv.seen[before]!), `${what}: the server saw the same request`)
    t.same(seenByCaller(b), seenByCaller(a), `${what}: the caller sees the same response`)
  }
  const r = await viaUndici.request({ method: 'GET', url: '/c' })
  t.same(r.headers['set-cookie'], ['a=1', 'b=2'], 'repeated headers as an array')
  t.equal(r.headers['content-type'], 'application/json; charset=utf-8', 'headers by lower-case name')
  t.equal(typeof r.data, 'string', 'responseType text: a string')
  const head = await viaUndici.request({ method: 'HEAD', url: '/c' })
  t.same([head.status, head.data], [200, ''], 'HEAD: status, empty body')
})

t.test('response types, decompression, validateStatus and redirects', async (t) => {
  const srv = await server(t)
  const json = JSON.stringify({ greeting: 'grüezi', n: [1, 2, 3] })
  srv.behave((req, res) => {
    if (req.url?.endsWith('/gzip')) {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' })
      res.end(gzipSync(json))
    } else if (req.url?.endsWith('/redirect')) {
      res.writeHead(302, { location: '/api/v1/elsewhere', 'content-type': 'text/plain' })
      res.end('moved')
    } else if (req.url?.endsWith('/missing')) {
      res.writeHead(404, { 'content-type': 'application/json' })
      res.end('{"error":"nope"}')
    } else {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(json)
    }
  })
  // Defaults as axios has them: JSON parsed, 2xx only.
  const { viaHttp, viaUndici } = pair(t, { baseURL: `${srv.url}/api/v1`, maxRedirects: 0 })
  for (const [what, config] of [
    ['responseType json (axios parses)', { url: '/x' }],
    ['responseType arraybuffer: a Buffer', { url: '/x', responseType: 'arraybuffer' as const }],
    ['a gzip body is decompressed', { url: '/gzip' }],
    ['a redirect is answered, not followed', { url: '/redirect', validateStatus: () => true }]
  ] as const) {
    const a = await viaHttp.request(config)
    const b = await viaUndici.request(config)
    t.same([b.status, b.data], [a.status, a.data], what)
  }
  t.ok(Buffer.isBuffer((await viaUndici.request({ url: '/x', responseType: 'arraybuffer' })).data), 'arraybuffer is a Buffer')
  const gz = await viaUndici.request({ url: '/gzip' })
  t.equal(gz.headers['content-encoding'], undefined, 'content-encoding dropped once decoded, as axios does')
  t.equal((await viaUndici.request({ url: '/gzip', decompress: false, responseType: 'arraybuffer' })).data.length, gzipSync(json).length, 'decompress: false keeps the bytes')
  const hits = srv.seen.length
  await viaUndici.request({ url: '/redirect', validateStatus: () => true })
  t.equal(srv.seen.length, hits + 1, 'maxRedirects 0: the Location is never requested')
  const [a, b] = [await rejection(viaHttp.get('/missing')), await rejection(viaUndici.get('/missing'))]
  t.same([b.code, b.message, b.response?.status, b.response?.data], [a.code, a.message, a.response?.status, a.response?.data], 'validateStatus refuses a 404 as axios does')
  t.equal(b.code, 'ERR_BAD_REQUEST')
  // What the undici adapter does not implement goes to axios' http adapter: here, redirects.
  const following = pair(t, { baseURL: `${srv.url}/api/v1`, maxRedirects: 3 }).viaUndici
  const before = srv.seen.length
  const followed = await following.get('/redirect')
  t.same([followed.status, srv.seen.length - before, srv.seen.at(-1)?.url], [200, 2, '/api/v1/elsewhere'], 'maxRedirects > 0: followed (by axios http adapter)')
})

t.test('limits: maxContentLength, the pool size limit, maxBodyLength', async (t) => {
  const srv = await server(t)
  const big = 'x'.repeat(5000)
  srv.behave((req, res) => {
    if (req.url?.endsWith('/chunked')) {
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.write(big)
      res.end(big)
    } else {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(big.length) })
      res.end(big)
    }
  })
  const { viaHttp, viaUndici } = pair(t, { ...base(srv.url), maxContentLength: 1000, maxBodyLength: 100 })
  for (const url of ['/sized', '/chunked']) {
    const [a, b] = [await rejection(viaHttp.get(url)), await rejection(viaUndici.get(url))]
    t.same([b.code, b.message], [a.code, a.message], `${url}: over maxContentLength → ${a.code}`)
  }
  const hits = srv.seen.length
  const tooBig = await rejection(viaUndici.post('/x', 'y'.repeat(101)))
  t.same([tooBig.code, tooBig.message], ['ERR_BAD_REQUEST', 'Request body larger than maxBodyLength limit'], 'maxBodyLength')
  t.equal(srv.seen.length, hits, 'an oversized body is never sent')
  const small = createUndiciTransport({ connections: 2, maxResponseBytes: 2000, connectTimeoutMs: 1000 })
  t.teardown(() => small.close())
  const limited = axios.create({ ...base(srv.url), adapter: small.adapter, maxContentLength: -1 })
  const err = await rejection(limited.get('/chunked'))
  t.equal(err.code, 'ERR_BAD_RESPONSE', 'a chunked answer over the pool limit (maxResponseBytes)')
  t.equal(classifyTransportFailure(err, new AbortController().signal, 'op')?.kind, 'bad-response', '… is a bad-response')
})

t.test('a compressed answer is limited by what it decompresses to: a gzip bomb is a bad-response', async (t) => {
  const srv = await server(t)
  // 32 MiB of zeros: ~32 KiB compressed, well under a 1 MiB limit as sent.
  const inflated = 32 * 1024 * 1024
  const bombs: Record<string, Buffer> = {
    gzip: gzipSync(Buffer.alloc(inflated)),
    deflate: deflateSync(Buffer.alloc(inflated)),
    'raw-deflate': deflateRawSync(Buffer.alloc(inflated)),
    br: brotliCompressSync(Buffer.alloc(inflated))
  }
  srv.behave((req, res) => {
    const kind = req.url?.split('/').at(-1) ?? ''
    const encoding = kind === 'raw-deflate' ? 'deflate' : kind === 'small' ? 'gzip' : kind
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': encoding })
    res.end(kind === 'small' ? gzipSync('{"ok":true}') : bombs[kind])
  })
  const limit = 1024 * 1024
  const { viaHttp, viaUndici } = pair(t, { ...base(srv.url), maxContentLength: limit })
  for (const kind of Object.keys(bombs)) {
    t.ok(bombs[kind]!.length < limit, `${kind}: ${bombs[kind]!.length} bytes as sent`)
    const before = process.memoryUsage().arrayBuffers
    const err = await rejection(viaUndici.get(`/${kind}`))
    const grew = process.memoryUsage().arrayBuffers - before
    t.same([err.code, err.message], ['ERR_BAD_RESPONSE', `maxContentLength size of ${limit} exceeded`], `${kind}: over the limit once decompressed`)
    t.ok(grew < 16 * limit, `${kind}: decompression stopped near the limit (${Math.round(grew / 1024)} KiB held, not ${inflated / 1024 / 1024} MiB)`)
    t.equal(classifyTransportFailure(err, new AbortController().signal, 'op')?.kind, 'bad-response')
  }
  const viaAxios = await rejection(viaHttp.get('/gzip'))
  t.same([viaAxios.code, viaAxios.message], ['ERR_BAD_RESPONSE', `maxContentLength size of ${limit} exceeded`], "as axios' own adapter reports it")
  t.same((await viaUndici.get('/small')).data, '{"ok":true}', 'an answer under the limit is decompressed as before')
  const client = createHttpClient({ baseUrl: srv.url, timeoutMs: 5000, maxResponseBytes: limit })
  t.teardown(() => client.close())
  const failure = await sendRequest(client, { method: 'GET', url: '/gzip', signal: new AbortController().signal }, { op: 'getCustomer', log: createSilentLogger() }).then(
    () => undefined,
    (err: unknown) => err as { kind?: string }
  )
  t.equal(failure?.kind, 'bad-response', "through the adapters' HTTP client: a bad-response")
})

t.test('timeouts and aborts', async (t) => {
  const srv = await server(t)
  srv.behave((req, res) => {
    if (req.url?.endsWith('/partial')) {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100' })
      res.write('only the start')
    } else if (req.url?.endsWith('/trickle')) {
      res.writeHead(200, { 'content-type': 'text/plain' })
      let sent = 0
      const next = (): void => {
        if (++sent === 4) return void res.end('end')
        res.write(`chunk${sent} `)
        setTimeout(next, 60)
      }
      next()
    }
    // otherwise: never answer
  })
  const { viaHttp, viaUndici } = pair(t, { ...base(srv.url), timeout: 120 })
  for (const url of ['/hang', '/partial']) {
    let started = Date.now()
    const a = await rejection(viaHttp.get(url))
    const httpMs = Date.now() - started
    started = Date.now()
    const b = await rejection(viaUndici.get(url))
    const undiciMs = Date.now() - started
    t.same([b.code, b.message], [a.code, a.message], `${url}: timeout → ${a.code} "${a.message}"`)
    t.ok(undiciMs >= 100 && undiciMs < 1000, `${url}: after the timeout (${undiciMs} ms; http adapter ${httpMs} ms)`)
    t.equal(classifyTransportFailure(b, new AbortController().signal, 'op')?.kind, 'timeout')
  }
  const slowBody = [await viaHttp.get('/trickle'), await viaUndici.get('/trickle')]
  t.same(slowBody.map((r) => r.data), ['chunk1 chunk2 chunk3 end', 'chunk1 chunk2 chunk3 end'], 'a body trickling in under the timeout per chunk is read whole (180 ms > 120 ms)')
  const clarified = await rejection(viaUndici.get('/hang', { transitional: { clarifyTimeoutError: true } }))
  t.equal(clarified.code, 'ETIMEDOUT', 'transitional.clarifyTimeoutError → ETIMEDOUT')
  const custom = await rejection(viaUndici.get('/hang', { timeoutErrorMessage: 'too slow' }))
  t.equal(custom.message, 'too slow', 'timeoutErrorMessage')

  const patient = pair(t, { ...base(srv.url), timeout: 0 }).viaUndici
  for (const url of ['/hang', '/partial']) {
    const controller = new AbortController()
    setTimeout(() => controller.abort(new Error('deadline')), 60)
    const started = Date.now()
    const err = await rejection(patient.get(url, { signal: controller.signal }))
    t.ok(isCancel(err), `${url}: an abort is axios' CanceledError`)
    t.ok(Date.now() - started < 1000, `${url}: promptly (timeout 0 means none)`)
    t.equal(classifyTransportFailure(err, controller.signal, 'op')?.kind, 'timeout', `${url}: timeout`)
  }
  const before = srv.seen.length
  const pre = await rejection(patient.get('/x', { signal: AbortSignal.abort() }))
  t.ok(isCancel(pre), 'an aborted signal: CanceledError')
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal(srv.seen.length, before, '… and nothing was sent')
})

t.test('transport failures keep the codes http-failure.ts reads', async (t) => {
  const live = new AbortController().signal
  // Connection refused: a port just released.
  const probe = net.createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address() as AddressInfo
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  const refused = pair(t, base(`http://127.0.0.1:${port}`))
  const [a, b] = [await rejection(refused.viaHttp.get('/x')), await rejection(refused.viaUndici.get('/x'))]
  t.same([b.code, classifyTransportFailure(b, live, 'op')?.kind], [a.code, 'unreachable'], `refused: ${a.code} → unreachable`)

  const srv = await server(t)
  srv.behave((req) => req.socket.destroy())
  const reset = pair(t, base(srv.url))
  const [ra, rb] = [await rejection(reset.viaHttp.get('/x')), await rejection(reset.viaUndici.get('/x'))]
  t.same([rb.code, classifyTransportFailure(rb, live, 'op')?.kind], [ra.code, 'interrupted'], `reset: ${ra.code} → interrupted`)
  t.ok(rb.cause instanceof Error, 'the undici error is the cause')

  // A body cut short: the head promised 100 bytes, the connection closed after 14.
  for (const connection of ['close', 'keep-alive']) {
    const cut = await server(t)
    cut.behave((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100', connection })
      res.write('{"CONTACT_ID":')
      setTimeout(() => res.socket?.end(), 10)
    })
    const short = await rejection(pair(t, base(cut.url)).viaUndici.get('/x'))
    t.same([short.code, classifyTransportFailure(short, live, 'op')?.kind], ['ECONNRESET', 'interrupted'], `a body cut short (Connection: ${connection}) → ECONNRESET → interrupted`)
  }

  const sockets = new Set<net.Socket>()
  const garbage = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('data', () => socket.end('SSH-2.0-OpenSSH_9.6\r\n\r\n'))
  })
  await new Promise<void>((resolve) => garbage.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => {
    for (const s of sockets) s.destroy()
    garbage.close(() => resolve())
  }))
  const bad = pair(t, base(`http://127.0.0.1:${(garbage.address() as AddressInfo).port}`))
  const gb = await rejection(bad.viaUndici.get('/x'))
  t.equal(classifyTransportFailure(gb, live, 'op')?.kind, 'bad-response', `not HTTP: ${gb.code} → bad-response`)

  const config = { timeout: 150, headers: {} } as unknown as InternalAxiosRequestConfig
  const mapped: [string, Error, string, CrmFailureKind][] = [
    ['connect timeout (nothing sent)', new errors.ConnectTimeoutError(), 'ERR_SOCKET_CONNECTION_TIMEOUT', 'unreachable'],
    ['headers timeout', new errors.HeadersTimeoutError(), 'ECONNABORTED', 'timeout'],
    ['body timeout', new errors.BodyTimeoutError(), 'ECONNABORTED', 'timeout'],
    ['socket closed', new errors.SocketError('other side closed'), 'ECONNRESET', 'interrupted'],
    ['pool destroyed', new errors.ClientDestroyedError(), 'ECONNRESET', 'interrupted'],
    ['pool closed', new errors.ClientClosedError(), 'ECONNRESET', 'interrupted'],
    ['over the size limit', new errors.ResponseExceededMaxSizeError(), 'ERR_BAD_RESPONSE', 'bad-response'],
    ['length mismatch (a body cut short)', new errors.ResponseContentLengthMismatchError(), 'ECONNRESET', 'interrupted'],
    ['parser error with a code', Object.assign(new errors.HTTPParserError('bad'), { code: 'HPE_INVALID_CONSTANT' }), 'HPE_INVALID_CONSTANT', 'bad-response'],
    ['parser error without one', new errors.HTTPParserError('bad'), 'ERR_BAD_RESPONSE', 'bad-response'],
    ['an aborted request', new errors.RequestAbortedError(), 'ERR_CANCELED', 'timeout'],
    ['ECONNREFUSED', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 'ECONNREFUSED', 'unreachable'],
    ['ENOTFOUND', Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' }), 'ENOTFOUND', 'unreachable'],
    ['a TLS failure', Object.assign(new Error('certificate has expired'), { code: 'CERT_HAS_EXPIRED' }), 'CERT_HAS_EXPIRED', 'interrupted']
  ]
  for (const [what, err, code, kind] of mapped) {
    const out = toAxiosError(err, config)
    t.same([out.code, classifyTransportFailure(out, live, 'op')?.kind, out.cause], [code, kind, err], `${what} → ${code} → ${kind}`)
  }
  const aborted = new AbortController()
  aborted.abort()
  const afterAbort = toAxiosError(new errors.SocketError('x'), { ...config, signal: aborted.signal } as InternalAxiosRequestConfig)
  t.ok(isCancel(afterAbort), 'any failure once the signal fired is the cancellation')
})

t.test('keep-alive pool; close() releases the sockets', async (t) => {
  const srv = await server(t)
  const transport = createUndiciTransport({ connections: 4, maxResponseBytes: -1, connectTimeoutMs: 1000 })
  const client = axios.create({ ...base(srv.url), adapter: transport.adapter })
  for (let i = 0; i < 10; i++) await client.get('/x')
  // undici may open a second socket while the first is being released; then it reuses them.
  t.ok(srv.connections() <= 2, `sequential requests reuse their connections (${srv.connections()} for 10 requests)`)
  await Promise.all(Array.from({ length: 8 }, () => client.get('/y')))
  t.ok(srv.connections() <= 4, `concurrent requests stay within the pool size (${srv.connections()} connections)`)
  t.ok(srv.open() >= 1, 'idle sockets are kept open')
  await transport.close()
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal(srv.open(), 0, 'close() closed every socket')
  const after = await rejection(client.get('/z'))
  t.equal(classifyTransportFailure(after, new AbortController().signal, 'op')?.kind, 'interrupted', 'a request after close() fails as interrupted')
})

t.test('createHttpClient sends what an axios instance with its settings sends over node:http', async (t) => {
  const srv = await server(t)
  const options = { baseUrl: srv.url, timeoutMs: 1000, headers: { 'X-API-Key': 'secret-1' } }
  const client = createHttpClient(options)
  t.teardown(() => client.close())
  const plain = axios.create({
    adapter: 'http',
    baseURL: srv.url,
    allowAbsoluteUrls: false,
    headers: { Accept: 'application/json', 'X-API-Key': 'secret-1' },
    maxRedirects: 0,
    timeout: 1000,
    validateStatus: () => true,
    responseType: 'text',
    transformResponse: [(data: unknown) => data]
  })
  const log = createSilentLogger()
  const signal = new AbortController().signal
  const requests: Parameters<AxiosInstance['request']>[0][] = [
    { method: 'GET', url: '/api/v1/contacts/C1' },
    { method: 'POST', url: '/api/v1/contacts', data: { FNAME: 'A' }, headers: { 'Content-Type': 'application/json' } },
    { method: 'PATCH', url: '/api/v1/contacts/C1', data: { FNAME: 'B' }, headers: { 'Content-Type': 'application/json', 'If-Match': '"2"' } },
    { method: 'PUT', url: '/api/v1/x', data: 'text' },
    { method: 'DELETE', url: '/api/v1/contacts/C1' },
    { method: 'OPTIONS', url: '/api/v1/contacts' }
  ]
  for (const request of requests) {
    const before = srv.seen.length
    await plain.request({ ...request, signal })
    await sendRequest(client, { ...request, signal }, { op: 'op', log })
    const [expected, actual] = [srv.seen[before]!, srv.seen[before + 1]!]
    const { host: _h1, connection: _c1, ...want } = expected.headers
    const { host: _h2, connection: _c2, ...got } = actual.headers
    t.same([actual.method, actual.url, got, actual.body], [expected.method, expected.url, want, expected.body], `${request.method} ${request.url}: the same request`)
  }
})

t.test('createHttpClient: the adapters get the undici transport, sendRequest unchanged', async (t) => {
  const srv = await server(t)
  srv.behave((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ url: req.url, key: req.headers['x-api-key'] }))
  })
  const client = createHttpClient({ baseUrl: srv.url, timeoutMs: 1000, headers: { 'X-API-Key': 'secret-1' } })
  t.equal(typeof client.http.defaults.adapter, 'function', 'a custom adapter, not axios default')
  const response = await sendRequest(
    client,
    { method: 'GET', url: '/api/v1/contacts', params: new URLSearchParams([['filter', 'A:eq:1'], ['filter', 'B:sw:x y']]), signal: new AbortController().signal },
    { op: 'searchCustomers', log: createSilentLogger() }
  )
  t.same(JSON.parse(response.data), { url: '/api/v1/contacts?filter=A%3Aeq%3A1&filter=B%3Asw%3Ax+y', key: 'secret-1' })
  client.close()
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal(srv.open(), 0, 'close() releases the pooled sockets')
})
