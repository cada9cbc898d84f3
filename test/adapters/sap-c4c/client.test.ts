/** adapters/sap-c4c/client.ts: authentication, JSON, and the CSRF token on writes, over real HTTP. */
import http from 'node:http'
import type { IncomingHttpHeaders } from 'node:http'
import t from 'tap'
import { C4cClient } from '../../../adapters/sap-c4c/client.js'
import { crmFailure } from '../../helpers/expect-failure.js'
import { listenOnLoopback } from '../../helpers/loopback-server.js'
import { createSilentLogger } from '../../helpers/silent-logger.js'

interface Seen {
  method: string
  url: string
  headers: IncomingHttpHeaders
}

const ctx = (signal: AbortSignal = new AbortController().signal) => ({ signal, log: createSilentLogger(), requestId: 'client-test' })

t.test('reads: Basic credentials, $format=json, no token; writes: the token with its session cookies', async (t) => {
  const seen: Seen[] = []
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers })
    if (req.method === 'GET' && req.headers['x-csrf-token'] === 'fetch') {
      res.writeHead(200, { 'content-type': 'application/json', 'x-csrf-token': 'TOKEN1', 'set-cookie': ['SAP_SESSIONID_X_100=s1; path=/; HttpOnly', 'sap-usercontext=sap-client=100; path=/'] })
      res.end('{"d":{"EntitySets":[]}}')
      return
    }
    res.writeHead(req.method === 'GET' ? 200 : 204, { 'content-type': 'application/json' })
    res.end(req.method === 'GET' ? '{"d":{"results":[]}}' : '')
  })
  const url = await listenOnLoopback(t, server)
  const client = new C4cClient({ baseUrl: `${url}/`, servicePath: '/sap/c4c/odata/v1/c4codataapi', auth: { kind: 'basic', username: 'U', password: 'P' }, timeoutMs: 2000, log: createSilentLogger() })
  t.teardown(() => client.close())
  await client.read('/IndividualCustomerCollection', [['$top', '1']], ctx(), 'searchCustomers')
  t.same(seen.map((s) => s.url), ['/sap/c4c/odata/v1/c4codataapi/IndividualCustomerCollection?$top=1&$format=json'])
  t.equal(seen[0]?.headers.authorization, `Basic ${Buffer.from('U:P').toString('base64')}`)
  t.equal(seen[0]?.headers['x-csrf-token'], undefined, 'a read needs no token')
  await client.write('PATCH', "/IndividualCustomerCollection('A')", { FirstName: 'X' }, { 'If-Match': 'W/"1"' }, ctx(), 'updateCustomer')
  t.same(seen.slice(1).map((s) => `${s.method} ${s.url}`), ['GET /sap/c4c/odata/v1/c4codataapi/?$format=json', "PATCH /sap/c4c/odata/v1/c4codataapi/IndividualCustomerCollection('A')"])
  t.match(seen[2]?.headers, { 'x-csrf-token': 'TOKEN1', cookie: 'SAP_SESSIONID_X_100=s1; sap-usercontext=sap-client=100', 'if-match': 'W/"1"', 'content-type': 'application/json' })
})

t.test('a Bearer token when configured', async (t) => {
  let authorization: string | undefined
  const server = http.createServer((req, res) => {
    authorization = req.headers.authorization
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end('{}')
  })
  const url = await listenOnLoopback(t, server)
  const client = new C4cClient({ baseUrl: url, servicePath: '/svc', auth: { kind: 'bearer', token: 'tok' }, timeoutMs: 2000, log: createSilentLogger() })
  t.teardown(() => client.close())
  await client.read('/X', [], ctx(), 'getCustomer')
  t.equal(authorization, 'Bearer tok')
})

t.test('a writer whose time is up while the shared token fetch hangs stops waiting; the fetch serves the others', async (t) => {
  let release: () => void = () => undefined
  const held = new Promise<void>((resolve) => (release = resolve))
  let fetches = 0
  const server = http.createServer((req, res) => {
    if (req.method === 'GET') {
      fetches++
      void held.then(() => {
        res.writeHead(200, { 'content-type': 'application/json', 'x-csrf-token': 'T' })
        res.end('{}')
      })
      return
    }
    res.writeHead(204)
    res.end()
  })
  const url = await listenOnLoopback(t, server)
  const client = new C4cClient({ baseUrl: url, servicePath: '/svc', auth: { kind: 'basic', username: 'U', password: 'P' }, timeoutMs: 5000, log: createSilentLogger() })
  t.teardown(() => client.close())
  const impatient = client.write('PATCH', '/X', {}, {}, ctx(AbortSignal.timeout(50)), 'updateCustomer')
  const patient = client.write('PATCH', '/X', {}, {}, ctx(), 'updateCustomer')
  t.match(await crmFailure(impatient), { kind: 'timeout' })
  release()
  t.equal((await patient).status, 204)
  t.equal(fetches, 1, 'one fetch for both')
})

t.test('a token fetch answered without a token is a bad response', async (t) => {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end('{}')
  })
  const url = await listenOnLoopback(t, server)
  const client = new C4cClient({ baseUrl: url, servicePath: '/svc', auth: { kind: 'basic', username: 'U', password: 'P' }, timeoutMs: 2000, log: createSilentLogger() })
  t.teardown(() => client.close())
  t.match(await crmFailure(client.write('POST', '/X', {}, {}, ctx(), 'createCustomer')), { kind: 'bad-response' })
})
