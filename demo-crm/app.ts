/**
 * The demo CRM ("LegacyCRM"): a small HTTP service standing in for a merchant's legacy CRM,
 * implementing ./API.md. The gateway reaches it only through adapters/demo-crm/, exactly as
 * it would reach a merchant's CRM; nothing in src/ imports this file except the start-up code
 * that embeds it.
 *
 *   const crm = await buildDemoCrm({ apiKey, dataFile })
 *   await crm.listen({ host: '127.0.0.1', port: 0 })   // … later: await crm.close()
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import Fastify, { LogController } from 'fastify'
import type { FastifyBaseLogger, FastifyError, FastifyInstance } from 'fastify'
import {
  checkContactInput,
  createContact,
  finalizeContact,
  formatCrmDate,
  ifMatchAccepts,
  mergeContact
} from './contact-rules.js'
import type { Contact } from './contact-rules.js'
import { CrmHttpError, authFailed, badRequest, duplicateEmail, internalError, notFound, versionMismatch } from './errors.js'
import { searchContacts } from './search.js'
import { ContactStore } from './store.js'

export interface DemoCrmOptions {
  /** The key every call under /api/v1 must carry in `X-API-Key`. */
  readonly apiKey: string
  /** The JSON data file (created on the first write when missing). */
  readonly dataFile: string
  /** A pino-compatible logger (e.g. a child of the gateway's), `true` for Fastify's own, or off. */
  readonly logger?: FastifyBaseLogger | boolean
  /** The clock for CREATED_ON / MODIFIED_ON; tests may fix it. */
  readonly now?: () => Date
}

const API_PREFIX = '/api/v1'

const sha256 = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest()

/** Our answer for an error Fastify raised itself (body parsing, routing). */
function frameworkError(err: FastifyError): CrmHttpError {
  const status = err.statusCode ?? 500
  if (status === 404) return notFound('no such path')
  if (status >= 500) return internalError()
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return badRequest('malformed JSON')
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return badRequest('the body must be a JSON object')
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return badRequest('the body must be application/json')
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return badRequest('the body is too large')
    default:
      return badRequest(err instanceof SyntaxError ? 'malformed JSON' : 'bad request')
  }
}

/**
 * Builds the demo CRM: loads the data file (throws a DataFileError naming it when it is
 * corrupt), then returns the Fastify instance, ready to `listen` or `inject`. Closing the
 * instance waits for pending file writes.
 */
export async function buildDemoCrm(options: DemoCrmOptions): Promise<FastifyInstance> {
  if (options.apiKey === '') throw new Error('demo CRM: apiKey must not be empty')
  const store = await ContactStore.open(options.dataFile)
  const now = options.now ?? ((): Date => new Date())
  const today = (): string => formatCrmDate(now())
  const expectedKey = sha256(options.apiKey)

  const app = Fastify({
    ...(typeof options.logger === 'object' ? { loggerInstance: options.logger } : { logger: options.logger ?? false }),
    // Fastify's request log lines carry URLs, and search URLs carry e-mails and phone numbers:
    // we log our own PII-free line per request instead (onResponse below).
    logController: new LogController({ disableRequestLogging: true }),
    // We refuse `__proto__` / `constructor` keys ourselves with a 422 naming the field
    // (API.md: field names must match ^[A-Z][A-Z0-9_]*$). JSON.parse creates them as plain
    // own properties, which pollute nothing; contact-rules.ts rejects them before any use.
    onProtoPoisoning: 'ignore',
    onConstructorPoisoning: 'ignore',
    // Idle keep-alive connections (e.g. the gateway's pooled sockets) must not hold close().
    forceCloseConnections: 'idle'
  })

  app.addHook('onClose', async () => {
    await store.flush()
  })

  // API.md § Authentication: every call under /api/v1 needs the key, even to an unknown path.
  // Both keys are hashed first so that timingSafeEqual compares equal lengths and the
  // comparison time reveals nothing about the key.
  app.addHook('onRequest', (request, _reply, done) => {
    const path = request.url.split('?', 1)[0] ?? ''
    const guarded =
      path === API_PREFIX || path.startsWith(`${API_PREFIX}/`) || (request.routeOptions.url ?? '').startsWith(API_PREFIX)
    const sent = request.headers['x-api-key']
    const ok = !guarded || (typeof sent === 'string' && timingSafeEqual(sha256(sent), expectedKey))
    done(ok ? undefined : authFailed())
  })

  app.addHook('onResponse', (request, reply, done) => {
    request.log.debug(
      { method: request.method, route: request.routeOptions.url, status: reply.statusCode, durationMs: reply.elapsedTime },
      'demo CRM request'
    )
    done()
  })

  app.setErrorHandler((err: FastifyError, request, reply) => {
    const answer = err instanceof CrmHttpError ? err : frameworkError(err)
    if (answer.status >= 500) request.log.error({ err }, 'demo CRM internal error')
    return reply.code(answer.status).send(answer.toBody())
  })

  app.setNotFoundHandler((_request, reply) => {
    const answer = notFound('no such path')
    return reply.code(answer.status).send(answer.toBody())
  })

  const etag = (contact: Contact): string => `"${String(contact.VERSION)}"`

  app.get('/health', () => ({ status: 'ok' }))

  // API.md § Endpoints: POST → 201 with the full stored contact.
  app.post(`${API_PREFIX}/contacts`, async (request, reply) => {
    const input = checkContactInput(request.body)
    // From here to store.save() nothing awaits: the duplicate check and the id assignment
    // cannot interleave with another request's.
    if (typeof input.set.EMAIL === 'string') {
      const existing = store.findByEmail(input.set.EMAIL)
      if (existing !== undefined) throw duplicateEmail(existing)
    }
    const contact = createContact(input, store.nextContactId(), store, today())
    await store.save(contact)
    return reply.code(201).header('etag', etag(contact)).send(contact)
  })

  app.get<{ Params: { id: string } }>(`${API_PREFIX}/contacts/:id`, async (request, reply) => {
    const contact = store.get(request.params.id)
    if (contact === undefined) throw notFound()
    return reply.header('etag', etag(contact)).send(contact)
  })

  // API.md § Endpoints: PATCH merges; "" removes; objects and arrays replace whole; If-Match.
  app.patch<{ Params: { id: string } }>(`${API_PREFIX}/contacts/:id`, async (request, reply) => {
    const id = request.params.id
    const stored = store.get(id)
    if (stored === undefined) throw notFound()
    const version = typeof stored.VERSION === 'number' ? stored.VERSION : 0
    const ifMatch = request.headers['if-match']
    if (ifMatch !== undefined && !ifMatchAccepts(ifMatch, version)) throw versionMismatch(version)
    const input = checkContactInput(request.body)
    if (typeof input.set.EMAIL === 'string') {
      const existing = store.findByEmail(input.set.EMAIL, id)
      if (existing !== undefined) throw duplicateEmail(existing)
    }
    const contact = finalizeContact(mergeContact(stored, input), stored, store, today())
    await store.save(contact)
    return reply.header('etag', etag(contact)).send(contact)
  })

  // API.md § Search filters.
  app.get(`${API_PREFIX}/contacts`, (request) => searchContacts(store.all(), request.query as Record<string, unknown>))

  return app
}
