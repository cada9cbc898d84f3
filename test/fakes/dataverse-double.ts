/**
 * A Microsoft Dataverse test double: the Microsoft Entra ID token endpoint and the Web API's
 * `contacts` entity set and contact column metadata, as a Fastify app on 127.0.0.1 (port 0),
 * persisting in memory. Written from Microsoft's public documentation; each rule names its
 * source, and test/fakes/dataverse-double.test.ts checks each one:
 *
 *   [token]      https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow
 *                (client credentials with a shared secret; success and error answers)
 *   [compose]    https://learn.microsoft.com/power-apps/developer/data-platform/webapi/compose-http-requests-handle-errors
 *                (OData-MaxVersion/OData-Version headers; the error body {error: {code, message}})
 *   [auth]       https://learn.microsoft.com/power-apps/developer/data-platform/authenticate-oauth
 *                (Bearer token on every request; 401 without a valid one)
 *   [create]     https://learn.microsoft.com/power-apps/developer/data-platform/webapi/create-entity-web-api
 *                (204 + OData-EntityId, or 201 with the row under Prefer: return=representation)
 *   [retrieve]   https://learn.microsoft.com/power-apps/developer/data-platform/webapi/retrieve-entity-using-web-api
 *   [update]     https://learn.microsoft.com/power-apps/developer/data-platform/webapi/update-delete-entities-using-web-api
 *                (PATCH is an upsert; null clears a column; return=representation answers 200)
 *   [conditional] https://learn.microsoft.com/power-apps/developer/data-platform/webapi/perform-conditional-operations-using-web-api
 *                (@odata.etag; If-Match: * prevents the create of an upsert, 404; a stale ETag 412)
 *   [query]      https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/overview ,
 *                …/query/select-columns, …/query/order-rows, …/query/filter-rows (./dataverse-double-filter.ts)
 *   [paging]     https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/page-results
 *                (Prefer: odata.maxpagesize ≤ 5,000, @odata.nextLink with $skiptoken, no $skip,
 *                $count=true → @odata.count capped at 5,000)
 *   [duplicates] https://learn.microsoft.com/power-apps/developer/data-platform/webapi/manage-duplicate-detection-create-update
 *                (MSCRM.SuppressDuplicateDetection: false → 500, code 0x80040333)
 *   [limits]     https://learn.microsoft.com/power-apps/developer/data-platform/api-limits
 *                (service protection: 429 + Retry-After; 0x80072322 requests per 300 s per user)
 *   [metadata]   https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query-metadata-web-api
 *                (EntityDefinitions(LogicalName='contact')/Attributes)
 *
 * Strictness: what the service would refuse is refused as it refuses it, and a request that
 * departs from the documented practice without being refused (a PATCH without If-Match — an
 * upsert —, missing OData version headers) is listed in `violations`, so a test can assert a
 * whole run did nothing of the kind. Simplifications: contacts only, one user (the app), no
 * $expand, no $batch, no annotations; the paging cookie is the double's own.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import Fastify from 'fastify'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { FilterSyntaxError, filterColumns, matches, parseFilter, typeProblem } from './dataverse-double-filter.js'
import type { FilterNode } from './dataverse-double-filter.js'
import type { RecordedRequest, Violation } from './recorded.js'
export type { RecordedRequest, Violation } from './recorded.js'

export type AttributeType = 'String' | 'Memo' | 'Boolean' | 'Integer' | 'DateTime' | 'Uniqueidentifier' | 'BigInt'

/** [metadata] a contact column as the double knows it. */
export interface ColumnDefinition {
  readonly name: string
  readonly type: AttributeType
  /** String/Memo: the most characters a value may have. */
  readonly maxLength?: number
  /** Set by the platform (fullname, createdon, versionnumber): IsValidForCreate/Update false. */
  readonly readOnly?: boolean
}

const text = (name: string, maxLength: number): ColumnDefinition => ({ name, type: 'String', maxLength })

/**
 * [metadata] the contact table's standard columns a clienteling integration touches (a subset;
 * the lengths are the contact table reference's). The id and the platform's own are read-only.
 */
export const STANDARD_CONTACT_COLUMNS: readonly ColumnDefinition[] = [
  { name: 'contactid', type: 'Uniqueidentifier' },
  text('firstname', 50),
  text('lastname', 50),
  text('salutation', 100),
  text('emailaddress1', 100),
  text('mobilephone', 50),
  text('telephone1', 50),
  text('telephone2', 50),
  { name: 'birthdate', type: 'DateTime' },
  text('address1_line1', 250),
  text('address1_line2', 250),
  text('address1_city', 80),
  text('address1_stateorprovince', 50),
  text('address1_postalcode', 20),
  text('address1_country', 80),
  { name: 'fullname', type: 'String', maxLength: 160, readOnly: true },
  { name: 'createdon', type: 'DateTime', readOnly: true },
  { name: 'versionnumber', type: 'BigInt', readOnly: true }
]

export interface ServiceProtection {
  /** [limits] requests per user within the sliding window: 6,000 per 300 s by default. */
  readonly maxRequests: number
  readonly windowMs: number
}

export interface DataverseDoubleOptions {
  readonly tenantId: string
  readonly clientId: string
  readonly clientSecret: string
  /** The environment's URL, whose `/.default` scope tokens are for. Default: the double's own URL. */
  readonly resource?: string
  /** Columns the administrator added (custom, publisher-prefixed). */
  readonly customColumns?: readonly ColumnDefinition[]
  /** [duplicates] columns of published duplicate detection rules ("same e-mail"). Default ['emailaddress1']. */
  readonly duplicateRules?: readonly string[]
  readonly serviceProtection?: ServiceProtection
  /** [token] expires_in of issued tokens, seconds. Default 3599. */
  readonly tokenLifetimeSeconds?: number
  /** The clock of token expiry and the limits' window (ms since the epoch). */
  readonly now?: () => number
}

export interface StoredContact {
  readonly id: string
  readonly columns: Map<string, unknown>
  version: number
}

export interface DataverseDouble {
  /** `http://127.0.0.1:<port>`: the token endpoint and the Web API. */
  readonly url: string
  readonly contacts: ReadonlyMap<string, StoredContact>
  readonly columns: ReadonlyMap<string, ColumnDefinition>
  /** Every request received, in order. */
  readonly requests: readonly (RecordedRequest & { readonly headers: Readonly<Record<string, string>> })[]
  /** Requests against documented practice (see the header), in order. */
  readonly violations: readonly Violation[]
  /** Access tokens issued by the token endpoint. */
  readonly tokensIssued: number
  /** Contacts created by a PATCH without If-Match (the upsert trap). */
  readonly upsertCreates: number
  /** Writes columns as another user or system would (the loyalty system). */
  setColumns(id: string, values: Readonly<Record<string, unknown>>): void
  /** An administrator adds columns to the contact table. */
  addColumns(columns: readonly ColumnDefinition[]): void
  setServiceProtection(limit: ServiceProtection): void
  /** Revokes every token issued so far (they answer 401 from now on). */
  revokeTokens(): void
  close(): Promise<void>
}

const API = '/api/data/v9.2'
const ODATA_JSON = 'application/json; odata.metadata=minimal'
/** [paging] the largest page; a larger preference is ignored. */
const MAX_PAGE_SIZE = 5000
const MAX_COUNT = 5000
/** [query] the query options the double understands; [paging] $skip is not supported at all. */
const KNOWN_OPTIONS: ReadonlySet<string> = new Set(['$select', '$filter', '$orderby', '$count', '$skiptoken', '$top'])

class ODataError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string
  ) {
    super(message)
  }
}

/** A column's value as text, for comparisons and ordering. */
const textOf = (value: unknown): string => (typeof value === 'string' ? value : value === undefined || value === null ? '' : JSON.stringify(value))

/** [compose] "Bad request" answers of the OData layer. */
const badRequest = (message: string): ODataError => new ODataError(400, '0x80060888', message)

export async function startDataverseDouble(options: DataverseDoubleOptions): Promise<DataverseDouble> {
  const now = options.now ?? Date.now
  const contacts = new Map<string, StoredContact>()
  const columns = new Map<string, ColumnDefinition>([...STANDARD_CONTACT_COLUMNS, ...(options.customColumns ?? [])].map((c) => [c.name, c]))
  const duplicateRules = options.duplicateRules ?? ['emailaddress1']
  let protection = options.serviceProtection ?? { maxRequests: 6000, windowMs: 300_000 }
  const requestTimes: number[] = []
  const tokens = new Map<string, number>() // token → expires at
  const requests: (RecordedRequest & { headers: Record<string, string> })[] = []
  const violations: Violation[] = []
  let tokensIssued = 0
  let upsertCreates = 0
  let versions = 1000
  let url = ''
  const guidColumns = (): ReadonlySet<string> => new Set([...columns.values()].filter((c) => c.type === 'Uniqueidentifier').map((c) => c.name))

  const app = Fastify({ logger: false })
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body))

  const violation = (req: FastifyRequest, problem: string): void => {
    violations.push({ method: req.method, url: req.url, problems: [problem] })
  }
  const sendError = (reply: FastifyReply, err: ODataError, headers: Record<string, string> = {}): FastifyReply =>
    reply.code(err.status).headers({ 'content-type': ODATA_JSON, 'odata-version': '4.0', ...headers }).send(JSON.stringify({ error: { code: err.code, message: err.message } }))

  // ---- [token] POST /{tenant}/oauth2/v2.0/token
  app.post('/:tenant/oauth2/v2.0/token', (req, reply) => {
    requests.push({ method: req.method, url: req.url, body: '(form)', headers: {} })
    const tokenError = (status: number, error: string, aadsts: number, description: string) =>
      reply.code(status).header('content-type', 'application/json; charset=utf-8').send(
        JSON.stringify({ error, error_description: `AADSTS${aadsts}: ${description}`, error_codes: [aadsts], timestamp: new Date(now()).toISOString(), trace_id: randomUUID(), correlation_id: randomUUID() })
      )
    const { tenant } = req.params as { tenant: string }
    if (!/^application\/x-www-form-urlencoded\b/i.test(req.headers['content-type'] ?? '')) return tokenError(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'grant_type'.")
    if (tenant !== options.tenantId) return tokenError(400, 'invalid_request', 90002, `Tenant '${tenant}' not found.`)
    const form = new URLSearchParams(typeof req.body === 'string' ? req.body : '')
    if (form.get('grant_type') !== 'client_credentials') return tokenError(400, 'unsupported_grant_type', 70003, 'The app requested an unsupported grant type.')
    if (form.get('client_id') !== options.clientId) return tokenError(400, 'unauthorized_client', 700016, 'Application was not found in the directory.')
    if (form.get('client_secret') !== options.clientSecret) return tokenError(401, 'invalid_client', 7000215, 'Invalid client secret provided.')
    const resource = options.resource ?? url
    if (form.get('scope') !== `${resource}/.default`) return tokenError(400, 'invalid_scope', 500011, 'The resource principal was not found in the tenant.')
    const lifetime = options.tokenLifetimeSeconds ?? 3599
    const token = randomBytes(24).toString('base64url')
    tokens.set(token, now() + lifetime * 1000)
    tokensIssued++
    return reply.header('content-type', 'application/json; charset=utf-8').send(JSON.stringify({ token_type: 'Bearer', expires_in: lifetime, ext_expires_in: lifetime, access_token: token }))
  })

  // ---- the Web API
  app.all('/*', async (req, reply) => {
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]))
    let body: unknown = req.body
    if (typeof body === 'string' && body !== '') {
      try {
        body = JSON.parse(body)
      } catch {
        body = { unparsable: true }
      }
    }
    requests.push({ method: req.method, url: req.url, body, headers })
    try {
      // [auth] a valid bearer token on every request, else 401 (no body).
      const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1]
      const expiresAt = token === undefined ? undefined : tokens.get(token)
      if (expiresAt === undefined || now() >= expiresAt) {
        return reply.code(401).header('www-authenticate', `Bearer authorization_uri=https://login.microsoftonline.com/${options.tenantId}/oauth2/authorize, resource_id=${options.resource ?? url}`).send()
      }
      // [compose] the OData version headers every request should carry.
      if (req.headers['odata-maxversion'] !== '4.0' || req.headers['odata-version'] !== '4.0') violation(req, 'OData-MaxVersion and OData-Version: 4.0 should be sent')
      // [limits] service protection, per user, over a sliding window.
      const at = now()
      while (requestTimes.length > 0 && (requestTimes[0] ?? 0) <= at - protection.windowMs) requestTimes.shift()
      if (requestTimes.length >= protection.maxRequests) {
        const oldest = requestTimes[0] ?? at
        const wait = Math.max(1, Math.ceil((oldest + protection.windowMs - at) / 1000))
        return sendError(reply, new ODataError(429, '0x80072322', `Number of requests exceeded the limit of ${protection.maxRequests} over time window of ${protection.windowMs / 1000} seconds.`), { 'retry-after': String(wait) })
      }
      requestTimes.push(at)
      return await route(req, reply, body)
    } catch (err) {
      if (err instanceof ODataError) return sendError(reply, err)
      if (err instanceof FilterSyntaxError) return sendError(reply, badRequest(err.message))
      throw err
    }
  })

  /** Query options from the raw query string, decoded as the service decodes them ('+' is a space). */
  const queryOptions = (rawUrl: string): Map<string, string> => {
    const query = rawUrl.includes('?') ? rawUrl.slice(rawUrl.indexOf('?') + 1) : ''
    const found = new Map<string, string>()
    for (const part of query.split('&').filter((p) => p !== '')) {
      const eq = part.indexOf('=')
      let name: string
      let value: string
      try {
        name = decodeURIComponent((eq === -1 ? part : part.slice(0, eq)).replaceAll('+', ' '))
        value = decodeURIComponent((eq === -1 ? '' : part.slice(eq + 1)).replaceAll('+', ' '))
      } catch {
        throw badRequest('The query string is not correctly encoded.')
      }
      if (name === '$skip') throw badRequest('The query parameter $skip is not supported.')
      if (!KNOWN_OPTIONS.has(name)) throw badRequest(`The query parameter ${name} is not supported.`)
      if (found.has(name)) throw badRequest(`Query option '${name}' was specified more than once, but it must be specified at most once.`)
      found.set(name, value)
    }
    return found
  }

  /** [query] `$select`: known columns only ("Could not find a property named …"). */
  const selected = (query: Map<string, string>): string[] | undefined => {
    const list = query.get('$select')
    if (list === undefined) return undefined
    const names = list.split(',')
    for (const name of names) if (!columns.has(name)) throw badRequest(`Could not find a property named '${name}' on type 'Microsoft.Dynamics.CRM.contact'.`)
    return names
  }

  /** [retrieve] a row as answered: its ETag, the selected columns (null when empty), its id. */
  const representation = (contact: StoredContact, select: string[] | undefined): Record<string, unknown> => {
    const out: Record<string, unknown> = { '@odata.etag': `W/"${contact.version}"` }
    const names = select ?? [...columns.keys()]
    for (const name of names) out[name] = contact.columns.get(name) ?? null
    out['contactid'] = contact.id
    return out
  }

  const prefer = (req: FastifyRequest): { representation: boolean; maxPageSize?: number } => {
    const header = String(req.headers.prefer ?? '')
    const size = /odata\.maxpagesize=(\d+)/.exec(header)?.[1]
    return { representation: /return=representation/.test(header), ...(size === undefined ? {} : { maxPageSize: Number(size) }) }
  }

  /** [update] a body's columns, checked by type as the service checks them. */
  const checkedColumns = (body: unknown): Map<string, unknown> => {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('The request body is not a JSON object.')
    const values = new Map<string, unknown>()
    for (const [name, value] of Object.entries(body as Record<string, unknown>)) {
      const column = columns.get(name)
      if (column === undefined) throw badRequest(`The property '${name}' does not exist on type 'Microsoft.Dynamics.CRM.contact'. Make sure to only use property names that are defined by the type.`)
      if (column.readOnly === true || column.type === 'Uniqueidentifier') throw badRequest(`The property '${name}' cannot be set.`)
      if (value !== null) {
        const wrongType = (): never => {
          throw new ODataError(400, '0x80048d19', `Error identified in Payload provided by the user for Entity :'contacts', Cannot convert the literal for the property '${name}'.`)
        }
        if (column.type === 'String' || column.type === 'Memo') {
          if (typeof value !== 'string') wrongType()
          if (column.maxLength !== undefined && (value as string).length > column.maxLength) {
            throw new ODataError(400, '0x80044331', `A validation error occurred. The length of the '${name}' attribute of the 'contact' entity exceeded the maximum allowed length of '${column.maxLength}'.`)
          }
        } else if (column.type === 'Boolean') {
          if (typeof value !== 'boolean') wrongType()
        } else if (column.type === 'Integer') {
          if (typeof value !== 'number' || !Number.isInteger(value) || Math.abs(value) > 2_147_483_647) wrongType()
        } else if (column.type === 'DateTime') {
          // A Date Only column takes YYYY-MM-DD.
          if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(value))) wrongType()
        }
      }
      values.set(name, value)
    }
    return values
  }

  /** [duplicates] a published rule's column holding the same value (case-insensitive) in another row. */
  const duplicateOf = (values: ReadonlyMap<string, unknown>, self?: string): boolean =>
    duplicateRules.some((column) => {
      const value = values.get(column)
      if (typeof value !== 'string' || value === '') return false
      return [...contacts.values()].some((c) => c.id !== self && textOf(c.columns.get(column)).toLowerCase() === value.toLowerCase())
    })

  const store = (id: string, values: ReadonlyMap<string, unknown>): StoredContact => {
    const contact: StoredContact = { id, columns: new Map(), version: ++versions }
    for (const [k, v] of values) if (v !== null) contact.columns.set(k, v)
    contacts.set(id, contact)
    return contact
  }

  const writeAnswer = (req: FastifyRequest, reply: FastifyReply, contact: StoredContact, query: Map<string, string>, created: boolean): FastifyReply => {
    const entityId = `${url}${API}/contacts(${contact.id})`
    reply.header('odata-version', '4.0').header('odata-entityid', entityId)
    // [create]/[update] with return=representation the row comes back (201 created, 200 updated), else 204.
    if (!prefer(req).representation) return reply.code(204).send()
    reply.header('preference-applied', 'return=representation')
    return reply.code(created ? 201 : 200).header('content-type', ODATA_JSON).send(JSON.stringify(representation(contact, selected(query))))
  }

  const route = async (req: FastifyRequest, reply: FastifyReply, body: unknown): Promise<FastifyReply> => {
    const path = req.url.split('?')[0] ?? ''
    const query = queryOptions(req.url)
    if (req.method === 'GET' && path === `${API}/EntityDefinitions(LogicalName='contact')/Attributes`) {
      // [metadata] the column definitions.
      const value = [...columns.values()].map((c) => ({
        '@odata.type': `#Microsoft.Dynamics.CRM.${c.type}AttributeMetadata`,
        LogicalName: c.name,
        AttributeType: c.type,
        IsValidForCreate: c.readOnly !== true,
        IsValidForUpdate: c.readOnly !== true && c.type !== 'Uniqueidentifier',
        MetadataId: randomUUID()
      }))
      return reply.header('content-type', ODATA_JSON).send(JSON.stringify({ value }))
    }
    if (path === `${API}/contacts`) {
      if (req.method === 'GET') return list(req, reply, query)
      if (req.method !== 'POST') throw new ODataError(405, '0x80060888', `The HTTP method '${req.method}' is not allowed.`)
      // [create]
      const values = checkedColumns(body)
      if (req.headers['mscrm.suppressduplicatedetection'] === 'false' && duplicateOf(values)) {
        throw new ODataError(500, '0x80040333', 'A record was not created or updated because a duplicate of the current record already exists.')
      }
      return writeAnswer(req, reply, store(randomUUID(), values), query, true)
    }
    const key = new RegExp(`^${API.replaceAll('.', '\\.')}/contacts\\(([^)]*)\\)$`).exec(path)?.[1]
    if (key === undefined) throw new ODataError(404, '0x80060888', `Resource not found for the segment '${path.slice(API.length + 1)}'.`)
    // [retrieve] a key is a GUID, unquoted.
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(key)) throw badRequest(`Bad Request - Error in query syntax.`)
    const id = key.toLowerCase()
    const existing = contacts.get(id)
    const notFound = () => new ODataError(404, '0x80040217', `contact With Id = ${id} Does Not Exist`)
    if (req.method === 'GET') {
      if (existing === undefined) throw notFound()
      return reply.header('content-type', ODATA_JSON).header('odata-version', '4.0').send(JSON.stringify(representation(existing, selected(query))))
    }
    if (req.method !== 'PATCH') throw new ODataError(405, '0x80060888', `The HTTP method '${req.method}' is not allowed.`)
    const values = checkedColumns(body)
    const ifMatch = req.headers['if-match']
    const ifNoneMatch = req.headers['if-none-match']
    if (existing === undefined) {
      // [conditional] If-Match prevents the create of an upsert: 404.
      if (ifMatch !== undefined) throw notFound()
      // [update] without it, PATCH creates the row with that id: the upsert trap.
      if (ifNoneMatch !== '*') {
        violation(req, 'PATCH without If-Match to an unknown id: an upsert, the contact was CREATED')
        upsertCreates++
      }
      return writeAnswer(req, reply, store(id, values), query, true)
    }
    if (ifNoneMatch === '*') throw new ODataError(412, '', 'A record with matching key values already exists.')
    if (ifMatch === undefined) violation(req, 'PATCH without If-Match: an upsert (it would create the contact were it deleted)')
    // [conditional] optimistic concurrency: a stale ETag is 412 and nothing is written.
    if (ifMatch !== undefined && ifMatch !== '*' && ifMatch !== `W/"${existing.version}"`) {
      throw new ODataError(412, '', "The version of the existing record doesn't match the RowVersion property provided.")
    }
    if (req.headers['mscrm.suppressduplicatedetection'] === 'false' && duplicateOf(new Map([...existing.columns, ...values]), id)) {
      throw new ODataError(500, '0x80040333', 'A record was not created or updated because a duplicate of the current record already exists.')
    }
    for (const [k, v] of values) {
      // [update] null clears a column.
      if (v === null) existing.columns.delete(k)
      else existing.columns.set(k, v)
    }
    existing.version = ++versions
    return writeAnswer(req, reply, existing, query, false)
  }

  /** [query] + [paging] a filtered, ordered list, a page at a time. */
  const list = (req: FastifyRequest, reply: FastifyReply, query: Map<string, string>): FastifyReply => {
    const select = selected(query)
    let filter: FilterNode | undefined
    const filterText = query.get('$filter')
    if (filterText !== undefined) {
      filter = parseFilter(filterText)
      for (const name of filterColumns(filter)) if (!columns.has(name)) throw badRequest(`Could not find a property named '${name}' on type 'Microsoft.Dynamics.CRM.contact'.`)
      const problem = typeProblem(filter, guidColumns())
      if (problem !== undefined) throw badRequest(problem)
    }
    const order = (query.get('$orderby') ?? 'contactid asc').split(',').map((term) => {
      const [name = '', direction = 'asc', ...rest] = term.trim().split(' ')
      if (!columns.has(name) || (direction !== 'asc' && direction !== 'desc') || rest.length > 0) throw badRequest(`The $orderby '${term}' is not valid.`)
      return { name, sign: direction === 'asc' ? 1 : -1 }
    })
    const rowOf = (c: StoredContact): Map<string, unknown> => new Map([...c.columns, ['contactid', c.id]])
    const all = [...contacts.values()]
      .filter((c) => filter === undefined || matches(filter, rowOf(c), guidColumns()))
      .sort((a, b) => {
        for (const { name, sign } of order) {
          const x = textOf(rowOf(a).get(name)).toLowerCase()
          const y = textOf(rowOf(b).get(name)).toLowerCase()
          if (x !== y) return x < y ? -sign : sign
        }
        return 0
      })
    const pageSize = Math.min(prefer(req).maxPageSize ?? MAX_PAGE_SIZE, MAX_PAGE_SIZE)
    // [paging] the double's paging cookie: the page number, in $skiptoken.
    const skiptoken = query.get('$skiptoken')
    const page = skiptoken === undefined ? 1 : Number(/pagenumber="(\d+)"/.exec(skiptoken)?.[1] ?? Number.NaN)
    if (!Number.isInteger(page) || page < 1) throw badRequest('The $skiptoken is not valid.')
    const rows = all.slice((page - 1) * pageSize, page * pageSize)
    const answer: Record<string, unknown> = { '@odata.context': `${url}${API}/$metadata#contacts` }
    if (query.get('$count') === 'true') {
      answer['@odata.count'] = Math.min(all.length, MAX_COUNT)
      if (all.length > MAX_COUNT) answer['@Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded'] = true
    }
    answer['value'] = rows.map((c) => representation(c, select))
    if (page * pageSize < all.length) {
      // The same options, with the next page's cookie: "don't change or append" (the client follows it as given).
      const keep = [...query].filter(([name]) => name !== '$skiptoken').map(([n, v]) => `${n}=${encodeURIComponent(v)}`)
      const cookie = encodeURIComponent(`<cookie pagenumber="${page + 1}" istracking="False" />`)
      answer['@odata.nextLink'] = `${url}${API}/contacts?${[...keep, `$skiptoken=${cookie}`].join('&')}`
    }
    if (prefer(req).maxPageSize !== undefined) reply.header('preference-applied', `odata.maxpagesize=${pageSize}`)
    return reply.header('content-type', ODATA_JSON).header('odata-version', '4.0').send(JSON.stringify(answer))
  }

  url = await app.listen({ host: '127.0.0.1', port: 0 })
  return {
    url,
    contacts,
    columns,
    requests,
    violations,
    get tokensIssued() {
      return tokensIssued
    },
    get upsertCreates() {
      return upsertCreates
    },
    setColumns(id, values) {
      const contact = contacts.get(id)
      if (contact === undefined) throw new Error(`no contact ${id}`)
      for (const [k, v] of Object.entries(values)) contact.columns.set(k, v)
      contact.version = ++versions
    },
    addColumns(added) {
      for (const c of added) columns.set(c.name, c)
    },
    setServiceProtection(limit) {
      protection = limit
      requestTimes.length = 0
    },
    revokeTokens() {
      tokens.clear()
    },
    close: () => app.close()
  }
}
