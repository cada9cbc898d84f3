/**
 * A fast fake CRM speaking the demo CRM's API (demo-crm/API.md) from memory: no store, no
 * disk, node:http without a framework, answers prepared at start. It is the same upstream for
 * the gateway (miss path, search, create, update), @fastify/http-proxy and the direct calls,
 * so it should cost as little as possible per request.
 *
 *   GET   /api/v1/contacts/{id}   200, the fixed contact with CONTACT_ID = id (any id exists)
 *   GET   /api/v1/contacts?…      200, a page holding the fixed contact, whatever the filters
 *   POST  /api/v1/contacts        201, the posted contact with an id and VERSION 1 (not kept)
 *   PATCH /api/v1/contacts/{id}   200, the fixed contact merged with the patch (not kept)
 *   anything else                 404; a missing or wrong X-API-Key 401, as the real one
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { benchContact, CRM_API_KEY, CRM_CONTACTS, serve, startOrDie } from '../common.js'
import type { CrmRecord } from '../../src/core/port.js'

const JSON_TYPE = 'application/json; charset=utf-8'
const DATES = { CREATED_ON: '01/15/2023', MODIFIED_ON: '06/01/2024' }

startOrDie(async () => {
  const contact: CrmRecord = { ...(await benchContact()), ...DATES, VERSION: 3 }
  // The contact's JSON with a hole where its id goes: a GET costs two concatenations.
  const marker = '\u0000id\u0000'
  const [head, tail] = JSON.stringify({ ...contact, CONTACT_ID: marker }).split(JSON.stringify(marker)) as [string, string]
  const page = JSON.stringify({ data: [contact], page: 1, size: 20, total: 1 })
  const unauthorized = JSON.stringify({ error: { code: 'AUTH_FAILED', message: 'invalid API key' } })
  const notFound = JSON.stringify({ error: { code: 'NOT_FOUND', message: 'not found' } })
  let nextId = 1

  const send = (res: http.ServerResponse, status: number, body: string, etag?: string): void => {
    const headers: http.OutgoingHttpHeaders = { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(body) }
    if (etag !== undefined) headers['etag'] = etag
    res.writeHead(status, headers)
    res.end(body)
  }
  const readJson = (req: http.IncomingMessage, then: (body: CrmRecord) => void, res: http.ServerResponse): void => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      try {
        then(JSON.parse(Buffer.concat(chunks).toString('utf8')) as CrmRecord)
      } catch {
        send(res, 400, JSON.stringify({ error: { code: 'BAD_REQUEST', message: 'malformed JSON' } }))
      }
    })
  }

  const server = http.createServer((req, res) => {
    const url = req.url ?? '/'
    if (req.headers['x-api-key'] !== CRM_API_KEY) return send(res, 401, unauthorized)
    if (!url.startsWith(CRM_CONTACTS)) return send(res, 404, notFound)
    const rest = url.slice(CRM_CONTACTS.length)
    if (rest.startsWith('/') && rest.length > 1) {
      const id = decodeURIComponent(rest.slice(1))
      if (req.method === 'GET') return send(res, 200, head + JSON.stringify(id) + tail, '"3"')
      if (req.method === 'PATCH') {
        return readJson(req, (patch) => {
          const merged: CrmRecord = { ...contact }
          for (const [key, value] of Object.entries(patch)) {
            if (value === '') delete merged[key]
            else merged[key] = value
          }
          send(res, 200, JSON.stringify({ ...merged, CONTACT_ID: id, VERSION: 4 }), '"4"')
        }, res)
      }
    } else if (rest === '' || rest.startsWith('?')) {
      if (req.method === 'GET') return send(res, 200, page)
      if (req.method === 'POST') {
        return readJson(req, (posted) => {
          const id = `C${String(10_000_000 + nextId++)}`
          const created: CrmRecord = { ...posted, CONTACT_ID: id, VERSION: 1, ...DATES }
          if (posted['LOYALTY_OPT_IN'] === 'Y') {
            created['LOYALTY'] = { ...(posted['LOYALTY'] as object | undefined), ACCT_NO: `LY${String(1_000_000_000 + nextId)}` }
          }
          send(res, 201, JSON.stringify(created), '"1"')
        }, res)
      }
    }
    send(res, 404, notFound)
  })
  server.keepAliveTimeout = 72_000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  serve(`http://127.0.0.1:${port}`, () => {
    server.closeAllConnections()
    return new Promise<void>((resolve) => server.close(() => resolve()))
  })
})
