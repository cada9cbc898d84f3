/**
 * A HubSpot test double: the CRM v3 contacts endpoints the hubspot adapter calls, as a Fastify
 * app on 127.0.0.1 (port 0), persisting in memory. Written from HubSpot's public reference;
 * each behaviour names its source, and test/fakes/hubspot-double.test.ts checks each one:
 *
 *   [contacts]  https://developers.hubspot.com/docs/api/crm/contacts
 *   [search]    https://developers.hubspot.com/docs/api/crm/search
 *               limits: https://developers.hubspot.com/docs/api-reference/search/guide#limitations
 *   [errors]    https://developers.hubspot.com/docs/api-reference/error-handling
 *   [usage]     https://developers.hubspot.com/docs/guides/apps/api-usage/usage-details (rate limits, headers)
 *   [private]   https://developers.hubspot.com/docs/api/private-apps (Bearer access token)
 *   [properties] https://developers.hubspot.com/docs/api/crm/properties (custom properties)
 *
 * Where the reference is silent, the double takes the conservative reading and says so
 * ("silent:" below). Deliberate simplifications: contacts only, no associations, no archive,
 * no property history; search results come ordered by id; `after` is an offset in text
 * (clients must treat it as opaque, as the adapter does).
 */
import { randomUUID } from 'node:crypto'
import Fastify from 'fastify'
import type { FastifyReply, FastifyRequest } from 'fastify'

export type PropertyType = 'string' | 'number' | 'bool' | 'date' | 'enumeration'

export interface PropertyDefinition {
  readonly name: string
  readonly type: PropertyType
  /** For enumerations (and single checkboxes: "true"/"false"). */
  readonly options?: readonly string[]
}

/** A window of `max` requests per `windowMs`, per access token. */
export interface RateLimit {
  readonly max: number
  readonly windowMs: number
}

export interface HubSpotDoubleOptions {
  /** The private app's access token the double accepts. */
  readonly accessToken: string
  /** Properties the merchant created, besides HubSpot's standard contact properties. */
  readonly customProperties?: readonly PropertyDefinition[]
  /** [search] "rate limited to five requests per second" per account: default 5 per 1000 ms. */
  readonly searchRateLimit?: RateLimit
  /** [usage] burst limit of the other endpoints: default 100 per 10,000 ms (private app, lowest tier). */
  readonly burstRateLimit?: RateLimit
  /**
   * [search] "It may take a few moments for newly created or updated CRM objects to appear in
   * search results": a contact is invisible to search this long after its creation. Default 0.
   */
  readonly indexLagMs?: number
  /** The clock of rate windows, index lag and timestamps (ms since the epoch). Tests inject one. */
  readonly now?: () => number
  /** First id given out (HubSpot ids are numeric strings). Default 1001. */
  readonly firstId?: number
}

export interface StoredContact {
  readonly id: string
  readonly properties: Map<string, string>
  createdAt: number
  updatedAt: number
}

export interface RecordedRequest {
  readonly method: string
  /** Path and query string as received. */
  readonly url: string
  readonly body: unknown
}

export interface HubSpotDouble {
  /** `http://127.0.0.1:<port>` */
  readonly url: string
  readonly contacts: ReadonlyMap<string, StoredContact>
  /** Every request received (authorized or not), in order. */
  readonly requests: readonly RecordedRequest[]
  /** Writes properties as another HubSpot user or system would (a loyalty system, a workflow). */
  setProperties(id: string, properties: Readonly<Record<string, string>>): void
  setSearchRateLimit(limit: RateLimit): void
  setBurstRateLimit(limit: RateLimit): void
  /** Forgets the rate windows (a new second / ten seconds began). */
  resetRateWindows(): void
  /**
   * [usage] the account's daily allowance spent (`true`) or renewed at midnight (`false`): while
   * spent, every authorized call answers 429 with `policyName: "DAILY"`.
   */
  setDailyLimitReached(reached: boolean): void
  close(): Promise<void>
}

/** [contacts] default contact properties (a subset: those a clienteling integration touches). */
export const STANDARD_CONTACT_PROPERTIES: readonly PropertyDefinition[] = [
  { name: 'email', type: 'string' },
  { name: 'firstname', type: 'string' },
  { name: 'lastname', type: 'string' },
  { name: 'salutation', type: 'string' },
  { name: 'phone', type: 'string' },
  { name: 'mobilephone', type: 'string' },
  { name: 'fax', type: 'string' },
  { name: 'address', type: 'string' },
  { name: 'city', type: 'string' },
  { name: 'state', type: 'string' },
  { name: 'zip', type: 'string' },
  { name: 'country', type: 'string' },
  { name: 'date_of_birth', type: 'string' },
  { name: 'company', type: 'string' },
  { name: 'jobtitle', type: 'string' },
  { name: 'website', type: 'string' },
  { name: 'lifecyclestage', type: 'enumeration', options: ['subscriber', 'lead', 'marketingqualifiedlead', 'salesqualifiedlead', 'opportunity', 'customer', 'evangelist', 'other'] }
]

/**
 * The custom single-line text property the gateway's HubSpot table keeps a create's marker in
 * (searched with `EQ` to find what a create whose answer was lost made). Like the other
 * custom properties, a merchant creates it once ([properties] "Create a property": type
 * `string`, fieldType `text`); the double's account always has it, so every test's does.
 */
export const CREATE_REQUEST_ID_PROPERTY: PropertyDefinition = { name: 'clienteling_create_request_id', type: 'string' }

/** Set by HubSpot, refused on write (READ_ONLY_VALUE). */
const READ_ONLY = ['hs_object_id', 'createdate', 'lastmodifieddate'] as const

/** [search] "a contacts search will return createdate, email, firstname, hs_object_id, lastmodifieddate, and lastname". */
const DEFAULT_SEARCH_PROPERTIES = ['createdate', 'email', 'firstname', 'hs_object_id', 'lastmodifieddate', 'lastname']
/** [contacts] a basic read without `properties` returns a few defaults; with it, these come too. */
const ALWAYS_RETURNED = ['createdate', 'hs_object_id', 'lastmodifieddate']

/** [search] limitations (see adapters/hubspot/wire.ts for why 6 / 18 rather than 10 / 25). */
export const DOUBLE_SEARCH_LIMITS = { filterGroups: 5, filtersPerGroup: 6, filters: 18, pageSize: 200, results: 10_000, defaultLimit: 10 } as const

const OPERATORS = new Set(['EQ', 'NEQ', 'LT', 'LTE', 'GT', 'GTE', 'BETWEEN', 'IN', 'NOT_IN', 'HAS_PROPERTY', 'NOT_HAS_PROPERTY', 'CONTAINS_TOKEN', 'NOT_CONTAINS_TOKEN'])

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/
const NUMBER = /^-?\d+(?:\.\d+)?$/
const DATE = /^\d{4}-\d{2}-\d{2}$/

interface HubSpotErrorItem {
  readonly message: string
  readonly code: string
  readonly context?: Readonly<Record<string, readonly string[]>>
}

class HubSpotFailure extends Error {
  constructor(
    readonly status: number,
    readonly category: string,
    message: string,
    readonly errors?: readonly HubSpotErrorItem[],
    readonly extra: Readonly<Record<string, string>> = {},
    readonly headers: Readonly<Record<string, string>> = {}
  ) {
    super(message)
  }
}

/** [errors] "Property values were not valid", one item per property, as CRM object APIs answer. */
function invalid(items: readonly HubSpotErrorItem[]): HubSpotFailure {
  const detail = JSON.stringify(items.map((i) => ({ isValid: false, message: i.message, error: i.code, name: i.context?.['propertyName']?.[0] })))
  return new HubSpotFailure(400, 'VALIDATION_ERROR', `Property values were not valid: ${detail}`, items)
}

const propertyError = (name: string, code: string, message: string): HubSpotErrorItem => ({ message, code, context: { propertyName: [name] } })

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

export async function startHubSpotDouble(options: HubSpotDoubleOptions): Promise<HubSpotDouble> {
  const now = options.now ?? Date.now
  const indexLagMs = options.indexLagMs ?? 0
  let searchLimit = options.searchRateLimit ?? { max: 5, windowMs: 1000 }
  let burstLimit = options.burstRateLimit ?? { max: 100, windowMs: 10_000 }
  const definitions = new Map<string, PropertyDefinition>()
  for (const d of [...STANDARD_CONTACT_PROPERTIES, CREATE_REQUEST_ID_PROPERTY, ...(options.customProperties ?? [])]) definitions.set(d.name, d)
  const contacts = new Map<string, StoredContact>()
  const requests: RecordedRequest[] = []
  const searchHits: number[] = []
  const burstHits: number[] = []
  let nextId = options.firstId ?? 1001
  let dailyLimitReached = false

  const iso = (ms: number): string => new Date(ms).toISOString()

  /** A property's value as HubSpot answers it (stored values, and the read-only ones). */
  const valueOf = (contact: StoredContact, name: string): string | null => {
    if (name === 'hs_object_id') return contact.id
    if (name === 'createdate') return iso(contact.createdAt)
    if (name === 'lastmodifieddate') return iso(contact.updatedAt)
    return contact.properties.get(name) ?? null
  }

  /** [contacts] SimplePublicObject. `names`: the properties to answer (unknown ones are skipped). */
  const answer = (contact: StoredContact, names: readonly string[], includeNull: boolean) => {
    const properties: Record<string, string | null> = {}
    for (const name of names) {
      if (!definitions.has(name) && !(READ_ONLY as readonly string[]).includes(name)) continue
      const value = valueOf(contact, name)
      if (value !== null || includeNull) properties[name] = value
    }
    return { id: contact.id, properties, createdAt: iso(contact.createdAt), updatedAt: iso(contact.updatedAt), archived: false }
  }

  const ownerOfEmail = (email: string): StoredContact | undefined => {
    const wanted = email.toLowerCase()
    for (const c of contacts.values()) if (c.properties.get('email')?.toLowerCase() === wanted) return c
    return undefined
  }

  /**
   * [contacts] property values as HubSpot checks them on create/update: unknown properties,
   * read-only ones and values of the wrong type are refused, all problems at once. Values are
   * strings (numbers and booleans are accepted as their text); "" clears.
   */
  const checkProperties = (body: unknown): Map<string, string> => {
    if (!isRecord(body) || !isRecord(body['properties'])) {
      throw new HubSpotFailure(400, 'VALIDATION_ERROR', 'Invalid input JSON: the body must be an object with a "properties" object')
    }
    const out = new Map<string, string>()
    const problems: HubSpotErrorItem[] = []
    for (const [name, raw] of Object.entries(body['properties'])) {
      const definition = definitions.get(name)
      if ((READ_ONLY as readonly string[]).includes(name)) {
        problems.push(propertyError(name, 'READ_ONLY_VALUE', `Property "${name}" is read-only`))
        continue
      }
      if (definition === undefined) {
        problems.push(propertyError(name, 'PROPERTY_DOESNT_EXIST', `Property "${name}" does not exist`))
        continue
      }
      if (!(raw === null || typeof raw === 'string' || typeof raw === 'number' || typeof raw === 'boolean')) {
        problems.push(propertyError(name, 'INVALID_VALUE', `Property "${name}" must be a string`))
        continue
      }
      const value = raw === null ? '' : String(raw)
      if (value !== '') {
        const bad = valueProblem(definition, value)
        if (bad !== undefined) {
          problems.push(propertyError(name, bad.code, bad.message))
          continue
        }
      }
      out.set(name, value)
    }
    if (problems.length > 0) throw invalid(problems)
    return out
  }

  const valueProblem = (d: PropertyDefinition, value: string): { code: string; message: string } | undefined => {
    if (d.name === 'email' && !EMAIL.test(value)) return { code: 'INVALID_EMAIL', message: `Email address ${value} is invalid` }
    if (d.type === 'number' && !NUMBER.test(value)) return { code: 'INVALID_INTEGER', message: `${value} was not a valid number` }
    if (d.type === 'bool' && value !== 'true' && value !== 'false') return { code: 'INVALID_OPTION', message: `${value} was not one of the allowed options: [true, false]` }
    if (d.type === 'date' && !(DATE.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`)))) {
      return { code: 'INVALID_DATE', message: `${value} is not a valid date (YYYY-MM-DD)` }
    }
    if (d.type === 'enumeration' && d.options !== undefined && !d.options.includes(value)) {
      return { code: 'INVALID_OPTION', message: `${value} was not one of the allowed options` }
    }
    return undefined
  }

  /** [contacts] the e-mail is the unique identifier: a second contact with it is a 409. */
  const checkUniqueEmail = (props: Map<string, string>, self?: StoredContact): void => {
    const email = props.get('email')
    if (email === undefined || email === '') return
    const owner = ownerOfEmail(email)
    if (owner !== undefined && owner !== self) {
      throw new HubSpotFailure(409, 'CONFLICT', `Contact already exists. Existing ID: ${owner.id}`)
    }
  }

  const apply = (contact: StoredContact, props: Map<string, string>): void => {
    for (const [name, value] of props) {
      // [contacts] "Update contacts": an empty string clears the property's value.
      if (value === '') contact.properties.delete(name)
      else contact.properties.set(name, value)
    }
  }

  /** Sliding window per token; true when the request is over the limit. */
  const overLimit = (hits: number[], limit: RateLimit): boolean => {
    const at = now()
    while (hits.length > 0 && (hits[0] ?? 0) <= at - limit.windowMs) hits.shift()
    if (hits.length >= limit.max) return true
    hits.push(at)
    return false
  }

  const app = Fastify({ logger: false })

  // [private] every call carries the private app's access token as a Bearer token.
  const recorded = new WeakMap<FastifyRequest, number>()
  app.addHook('onRequest', async (request) => {
    recorded.set(request, requests.push({ method: request.method, url: request.url, body: undefined }) - 1)
    const header = request.headers.authorization ?? ''
    if (header !== `Bearer ${options.accessToken}`) {
      throw new HubSpotFailure(
        401,
        'INVALID_AUTHENTICATION',
        'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview'
      )
    }
  })
  app.addHook('preHandler', async (request, reply) => {
    const index = recorded.get(request)
    const entry = index === undefined ? undefined : requests[index]
    if (index !== undefined && entry !== undefined) requests[index] = { ...entry, body: request.body }
    // [usage] "Any app or integration exceeding its rate limits will receive a 429 error
    // response for all subsequent API calls"; the daily one's body, as the guide shows it:
    // message "You have reached your daily limit.", errorType RATE_LIMIT, policyName DAILY,
    // requestId (silent: headers — none sent, no Retry-After; it resets at the account's midnight).
    if (dailyLimitReached) {
      throw new HubSpotFailure(429, 'RATE_LIMITS', 'You have reached your daily limit.', undefined, { errorType: 'RATE_LIMIT', policyName: 'DAILY', requestId: randomUUID() })
    }
    if (request.url.startsWith('/crm/v3/objects/contacts/search')) {
      // [search] "rate limited to five requests per second": 429 (silent: which headers — as
      // developers report, search answers carry no X-HubSpot-RateLimit-* nor Retry-After).
      if (overLimit(searchHits, searchLimit)) {
        throw new HubSpotFailure(429, 'RATE_LIMITS', 'You have reached your secondly limit.', undefined, { errorType: 'RATE_LIMIT', policyName: 'SECONDLY' })
      }
      return
    }
    // [usage] the rolling ten-second limit, with its headers on every answer.
    const over = overLimit(burstHits, burstLimit)
    const remaining = Math.max(0, burstLimit.max - burstHits.length)
    const headers = {
      'X-HubSpot-RateLimit-Max': String(burstLimit.max),
      'X-HubSpot-RateLimit-Remaining': String(remaining),
      'X-HubSpot-RateLimit-Interval-Milliseconds': String(burstLimit.windowMs)
    }
    if (over) {
      throw new HubSpotFailure(429, 'RATE_LIMITS', 'You have reached your ten_secondly_rolling limit.', undefined, { errorType: 'RATE_LIMIT', policyName: 'TEN_SECONDLY_ROLLING' }, headers)
    }
    void reply.headers(headers)
  })

  // [errors] `{status, message, correlationId, category, errors?}` for every failure.
  app.setErrorHandler((err, _request, reply) => {
    const correlationId = randomUUID()
    void reply.header('X-HubSpot-Correlation-Id', correlationId)
    if (err instanceof HubSpotFailure) {
      return reply
        .code(err.status)
        .headers(err.headers)
        .type('application/json;charset=utf-8')
        .send({ status: 'error', message: err.message, correlationId, category: err.category, ...(err.errors ? { errors: err.errors } : {}), ...err.extra })
    }
    // A body Fastify could not parse: HubSpot answers 400 "Invalid input JSON".
    const status = typeof (err as { statusCode?: unknown }).statusCode === 'number' ? (err as { statusCode: number }).statusCode : 500
    return reply
      .code(status)
      .type('application/json;charset=utf-8')
      .send({ status: 'error', message: status === 400 ? 'Invalid input JSON' : 'internal error', correlationId, category: status === 400 ? 'VALIDATION_ERROR' : 'INTERNAL_ERROR' })
  })
  app.setNotFoundHandler((_request, reply) => {
    void reply.code(404).type('application/json;charset=utf-8').send({ status: 'error', message: 'resource not found', correlationId: randomUUID() })
  })

  const contactOr404 = (id: string): StoredContact => {
    const contact = contacts.get(id)
    // [contacts] 404 for an unknown id (silent: the body; "resource not found", category OBJECT_NOT_FOUND).
    if (contact === undefined) throw new HubSpotFailure(404, 'OBJECT_NOT_FOUND', 'resource not found')
    return contact
  }

  const send = (reply: FastifyReply, status: number, body: unknown) => reply.code(status).type('application/json;charset=utf-8').send(body)

  // [contacts] "Create contacts": POST /crm/v3/objects/contacts {properties} → 201.
  app.post('/crm/v3/objects/contacts', async (request, reply) => {
    const props = checkProperties(request.body)
    checkUniqueEmail(props)
    const at = now()
    const contact: StoredContact = { id: String(nextId++), properties: new Map(), createdAt: at, updatedAt: at }
    apply(contact, props)
    contacts.set(contact.id, contact)
    return send(reply, 201, answer(contact, [...props.keys(), ...ALWAYS_RETURNED], false))
  })

  // [contacts] "Retrieve contacts": GET …/{contactId}?properties=a,b → only those (plus defaults).
  app.get<{ Params: { id: string }; Querystring: Record<string, string | string[] | undefined> }>('/crm/v3/objects/contacts/:id', async (request, reply) => {
    const contact = contactOr404(request.params.id)
    const raw = request.query['properties']
    const requested = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).flatMap((p) => p.split(',')).map((p) => p.trim()).filter((p) => p !== '')
    // silent: requested properties without a value come back as null; unknown names are skipped.
    const names = requested.length === 0 ? DEFAULT_SEARCH_PROPERTIES : [...new Set([...requested, ...ALWAYS_RETURNED])]
    return send(reply, 200, answer(contact, names, requested.length > 0))
  })

  // [contacts] "Update contacts": PATCH …/{contactId} {properties} → 200; "" clears.
  app.patch<{ Params: { id: string } }>('/crm/v3/objects/contacts/:id', async (request, reply) => {
    const contact = contactOr404(request.params.id)
    const props = checkProperties(request.body)
    checkUniqueEmail(props, contact)
    apply(contact, props)
    contact.updatedAt = now()
    return send(reply, 200, answer(contact, [...props.keys(), ...ALWAYS_RETURNED], false))
  })

  // [search] POST …/contacts/search {filterGroups, properties, limit, after, sorts}.
  app.post('/crm/v3/objects/contacts/search', async (request: FastifyRequest, reply) => {
    const body = isRecord(request.body) ? request.body : {}
    const groups = parseFilterGroups(body['filterGroups'], definitions)
    const limit = body['limit'] === undefined ? DOUBLE_SEARCH_LIMITS.defaultLimit : Number(body['limit'])
    if (!Number.isInteger(limit) || limit < 1 || limit > DOUBLE_SEARCH_LIMITS.pageSize) {
      throw new HubSpotFailure(400, 'VALIDATION_ERROR', `limit must be between 1 and ${DOUBLE_SEARCH_LIMITS.pageSize}`)
    }
    const offset = body['after'] === undefined || body['after'] === null ? 0 : Number(body['after'])
    if (!Number.isInteger(offset) || offset < 0) throw new HubSpotFailure(400, 'VALIDATION_ERROR', 'after must be a paging cursor from a previous answer')
    // [search] "limited to 10,000 total results … paging beyond 10,000 will result in a 400 error".
    if (offset + limit > DOUBLE_SEARCH_LIMITS.results) {
      throw new HubSpotFailure(400, 'VALIDATION_ERROR', `The search endpoints are limited to ${DOUBLE_SEARCH_LIMITS.results} total results`)
    }
    const sorts = parseSorts(body['sorts'])
    const visible = [...contacts.values()].filter((c) => now() - c.createdAt >= indexLagMs)
    let matches = visible.filter((c) => groups.length === 0 || groups.some((g) => g.every((f) => matchFilter(f, (name) => valueOf(c, name)))))
    matches = matches.sort((a, b) => Number(a.id) - Number(b.id))
    if (sorts !== undefined) {
      const { propertyName, descending } = sorts
      matches.sort((a, b) => compareValues(valueOf(a, propertyName), valueOf(b, propertyName)) * (descending ? -1 : 1))
    }
    const requested = Array.isArray(body['properties']) ? body['properties'].filter((p): p is string => typeof p === 'string') : undefined
    // [search] "including a properties array will override the default returned properties".
    const names = requested === undefined ? DEFAULT_SEARCH_PROPERTIES : [...new Set([...requested, ...ALWAYS_RETURNED])]
    const page = matches.slice(offset, offset + limit)
    const next = offset + limit < matches.length ? String(offset + limit) : undefined
    return send(reply, 200, {
      total: matches.length,
      results: page.map((c) => answer(c, names, requested !== undefined)),
      ...(next === undefined ? {} : { paging: { next: { after: next, link: `?after=${next}` } } })
    })
  })

  const url = await app.listen({ host: '127.0.0.1', port: 0 })

  return {
    url,
    contacts,
    requests,
    setProperties(id, properties) {
      const contact = contacts.get(id)
      if (contact === undefined) throw new Error(`hubspot double: no contact ${id}`)
      apply(contact, new Map(Object.entries(properties)))
      contact.updatedAt = now()
    },
    setSearchRateLimit(limit) {
      searchLimit = limit
    },
    setBurstRateLimit(limit) {
      burstLimit = limit
    },
    resetRateWindows() {
      searchHits.length = 0
      burstHits.length = 0
    },
    setDailyLimitReached(reached) {
      dailyLimitReached = reached
    },
    close: () => app.close()
  }
}

// ---------------------------------------------------------------------------------------------
// Search semantics

interface Filter {
  readonly propertyName: string
  readonly operator: string
  readonly value?: string
  readonly highValue?: string
  readonly values?: readonly string[]
}

/**
 * [search] "Filter search results": filters in a group are ANDed, groups ORed; at most 5
 * groups, 6 filters per group, 18 in all (VALIDATION_ERROR otherwise); a filter names an
 * existing property and one of the documented operators.
 */
function parseFilterGroups(raw: unknown, definitions: ReadonlyMap<string, PropertyDefinition>): Filter[][] {
  if (raw === undefined) return []
  if (!Array.isArray(raw)) throw new HubSpotFailure(400, 'VALIDATION_ERROR', 'filterGroups must be a list')
  const L = DOUBLE_SEARCH_LIMITS
  if (raw.length > L.filterGroups) throw new HubSpotFailure(400, 'VALIDATION_ERROR', `Too many filter groups (${raw.length}). The maximum number of filter groups is ${L.filterGroups}.`)
  let total = 0
  const groups = raw.map((group: unknown) => {
    const filters: unknown = isRecord(group) ? group['filters'] : undefined
    if (!Array.isArray(filters)) throw new HubSpotFailure(400, 'VALIDATION_ERROR', 'each filter group needs a filters list')
    if (filters.length > L.filtersPerGroup) {
      throw new HubSpotFailure(400, 'VALIDATION_ERROR', `Too many filters in a group (${filters.length}). The maximum number of filters per group is ${L.filtersPerGroup}.`)
    }
    total += filters.length
    return filters.map((f: unknown): Filter => {
      if (!isRecord(f) || typeof f['propertyName'] !== 'string' || typeof f['operator'] !== 'string' || !OPERATORS.has(f['operator'])) {
        throw new HubSpotFailure(400, 'VALIDATION_ERROR', 'a filter needs a propertyName and one of the documented operators')
      }
      const name = f['propertyName']
      if (!definitions.has(name) && !(READ_ONLY as readonly string[]).includes(name)) {
        throw invalid([propertyError(name, 'PROPERTY_DOESNT_EXIST', `Property "${name}" does not exist`)])
      }
      const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined)
      const values = Array.isArray(f['values']) ? f['values'].map(text).filter((v): v is string => v !== undefined) : undefined
      const value = text(f['value'])
      const highValue = text(f['highValue'])
      return { propertyName: name, operator: f['operator'], ...(value === undefined ? {} : { value }), ...(highValue === undefined ? {} : { highValue }), ...(values === undefined ? {} : { values }) }
    })
  })
  if (total > L.filters) throw new HubSpotFailure(400, 'VALIDATION_ERROR', `Too many filters (${total}). The maximum number of filters is ${L.filters}.`)
  return groups
}

/** [search] "Sort search results": one sorting rule, `{propertyName, direction}` (or "-name"). */
function parseSorts(raw: unknown): { propertyName: string; descending: boolean } | undefined {
  if (raw === undefined || (Array.isArray(raw) && raw.length === 0)) return undefined
  if (!Array.isArray(raw) || raw.length > 1) throw new HubSpotFailure(400, 'VALIDATION_ERROR', 'You can only use one sorting rule per search')
  const [rule] = raw as unknown[]
  if (typeof rule === 'string') return { propertyName: rule.replace(/^-/, ''), descending: rule.startsWith('-') }
  if (isRecord(rule) && typeof rule['propertyName'] === 'string') return { propertyName: rule['propertyName'], descending: rule['direction'] === 'DESCENDING' }
  throw new HubSpotFailure(400, 'VALIDATION_ERROR', 'a sort needs a propertyName')
}

function compareValues(a: string | null, b: string | null): number {
  if (a === b) return 0
  if (a === null) return 1
  if (b === null) return -1
  if (NUMBER.test(a) && NUMBER.test(b)) return Number(a) - Number(b)
  return a.localeCompare(b)
}

/** silent: case. Text comparisons (EQ, IN, tokens) ignore case, as HubSpot's UI search does. */
const fold = (s: string): string => s.toLowerCase()

/**
 * CONTAINS_TOKEN: "contains a token"; `*` is a wildcard ("*@hubspot.com"). silent: how values
 * are cut into tokens — here at white space, the whole value counting as a token too.
 */
function tokenMatch(value: string, pattern: string): boolean {
  const glob = new RegExp(`^${fold(pattern).split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`)
  const tokens = [value, ...value.split(/\s+/)].map(fold)
  return tokens.some((t) => glob.test(t))
}

function matchFilter(f: Filter, valueOf: (name: string) => string | null): boolean {
  const v = valueOf(f.propertyName)
  const want = f.value ?? ''
  switch (f.operator) {
    case 'HAS_PROPERTY':
      return v !== null
    case 'NOT_HAS_PROPERTY':
      return v === null
    case 'EQ':
      return v !== null && fold(v) === fold(want)
    case 'NEQ':
      return v === null || fold(v) !== fold(want)
    case 'IN':
      return v !== null && (f.values ?? []).some((x) => fold(x) === fold(v))
    case 'NOT_IN':
      return v === null || !(f.values ?? []).some((x) => fold(x) === fold(v))
    case 'CONTAINS_TOKEN':
      return v !== null && tokenMatch(v, want)
    case 'NOT_CONTAINS_TOKEN':
      return v === null || !tokenMatch(v, want)
    case 'LT':
      return v !== null && compareValues(v, want) < 0
    case 'LTE':
      return v !== null && compareValues(v, want) <= 0
    case 'GT':
      return v !== null && compareValues(v, want) > 0
    case 'GTE':
      return v !== null && compareValues(v, want) >= 0
    case 'BETWEEN':
      return v !== null && compareValues(v, want) >= 0 && compareValues(v, f.highValue ?? '') <= 0
    default:
      return false
  }
}
