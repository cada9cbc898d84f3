/**
 * A SAP Cloud for Customer test double: the OData v2 service `c4codataapi` as far as the
 * sap-c4c adapter uses it — individual customers and their addresses, the CSRF token, $metadata
 * — on 127.0.0.1 (port 0), in memory. Written from SAP's public documentation; each rule names
 * its source, and test/fakes/sap-c4c-double.test.ts checks each one:
 *
 *   [guide]    SAP Cloud for Customer OData API Developer's Guide,
 *              https://github.com/SAP-archive/C4CODATAAPIDEVGUIDE (sections named in brackets)
 *   [odata2]   OData v2: URI conventions and JSON format, https://www.odata.org/documentation/odata-version-2-0/
 *   [gateway]  SAP Gateway conventions C4C's OData follows: CSRF refusal `x-csrf-token: Required`,
 *              errors `{"error": {"code", "message": {"lang", "value"}, "innererror": {"errordetails"}}}`
 *   [ref]      the C4C OData API reference of IndividualCustomer (SAP API Business Hub): property
 *              names, code lists (RoleCode, TitleCode, GenderCode), lengths
 *
 * Strictness: a request the real service would refuse for its form (a filter outside the
 * subset, an unknown query option, a property that does not exist, a wrong value type) is
 * answered as the service answers it (400, an OData error) and listed in `violations`, so a
 * test can assert that a whole run sent nothing C4C could refuse. Deliberate simplifications
 * ("simplified:"): one entity set of customers and one of addresses; the main address is the
 * customer's own address properties, not an address entity of its own; $batch, Atom XML
 * bodies and $skiptoken paging are not served.
 */
import { randomBytes } from 'node:crypto'
import http from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { crossPropertyOr, evaluate, parseFilter, propertiesOf } from './sap-c4c-double-filter.js'
import type { FilterError } from './sap-c4c-double-filter.js'
import type { RecordedRequest, Violation } from './recorded.js'
export type { RecordedRequest, Violation } from './recorded.js'

export const SERVICE = '/sap/c4c/odata/v1/c4codataapi'

export type EdmType = 'Edm.String' | 'Edm.Boolean' | 'Edm.DateTime' | 'Edm.DateTimeOffset' | 'Edm.Decimal'

export interface PropertyDef {
  readonly name: string
  readonly type: EdmType
  readonly maxLength?: number
  /** [ref] sap:creatable / sap:updatable; default both true. */
  readonly creatable?: boolean
  readonly updatable?: boolean
  /** [ref] the code list, for code properties. */
  readonly codes?: readonly string[]
}

const text = (name: string, maxLength: number, extra: Partial<PropertyDef> = {}): PropertyDef => ({ name, type: 'Edm.String', maxLength, ...extra })
const readOnly = { creatable: false, updatable: false } as const
const flag = (name: string): PropertyDef => ({ name, type: 'Edm.Boolean' })

/** [ref] The postal address and phone properties a customer and each of its addresses have alike. */
const POSTAL_ADDRESS: readonly PropertyDef[] = [
  text('CountryCode', 3),
  text('StateCode', 6),
  text('City', 40),
  text('StreetPostalCode', 10),
  text('Street', 60),
  text('HouseNumber', 10),
  text('AddressLine4', 40),
  text('Phone', 40),
  text('NormalisedPhone', 40, readOnly),
]

/** [ref] IndividualCustomer: the standard properties the double keeps. */
const STANDARD_CUSTOMER: readonly PropertyDef[] = [
  text('ObjectID', 70, readOnly),
  text('CustomerID', 10, readOnly),
  text('ExternalID', 20),
  // [ref] RoleCode: CRM000 customer, BUP002 prospect; given at creation only.
  text('RoleCode', 6, { codes: ['CRM000', 'BUP002'], updatable: false }),
  text('LifeCycleStatusCode', 2, readOnly),
  // [ref] TitleCode (form of address): 0001 Ms., 0002 Mr., 0003 Company, 0004 Mr. and Mrs.
  text('TitleCode', 4, { codes: ['0001', '0002', '0003', '0004'] }),
  text('FirstName', 40),
  text('LastName', 40),
  // [ref] GenderCode: 0 gender not known, 1 male, 2 female.
  text('GenderCode', 1, { codes: ['0', '1', '2'] }),
  { name: 'BirthDate', type: 'Edm.DateTime' },
  // [ref] LanguageCode: SAP's two-letter language codes (a subset).
  text('LanguageCode', 2, { codes: ['EN', 'FR', 'DE', 'ES', 'JA', 'IT', 'NL', 'PT', 'ZH'] }),
  ...POSTAL_ADDRESS,
  text('Mobile', 40),
  text('NormalisedMobile', 40, readOnly),
  text('Email', 255),
  { name: 'CreatedOn', type: 'Edm.DateTimeOffset', ...readOnly },
  { name: 'EntityLastChangedOn', type: 'Edm.DateTimeOffset', ...readOnly },
  { name: 'ETag', type: 'Edm.DateTimeOffset', ...readOnly }
]

/** The extension fields mappings/sap-c4c.yaml names on the customer (a tenant's administrator adds them). */
export const TABLE_CUSTOMER_EXTENSIONS: readonly PropertyDef[] = [
  text('HomePhone_KUT', 40),
  text('LoyaltyAccountNumber_KUT', 40),
  flag('ConsentTerms_KUT'),
  flag('ConsentDirectMail_KUT'),
  flag('ConsentEReceipt_KUT'),
  flag('ConsentNewsletter_KUT'),
  flag('ConsentPhone_KUT'),
  flag('ConsentSMS_KUT'),
  flag('ConsentLoyalty_KUT'),
  text('LoyaltyFirstName_KUT', 40),
  text('LoyaltyLastName_KUT', 40),
  text('LoyaltyAddress_KUT', 255),
  { name: 'LoyaltyPoints_KUT', type: 'Edm.Decimal' },
  text('LoyaltyTier_KUT', 40),
  { name: 'LoyaltyTierStartDate_KUT', type: 'Edm.DateTime' },
  { name: 'LoyaltyTierEndDate_KUT', type: 'Edm.DateTime' },
  text('HomeStore_KUT', 40),
  text('EnrolledBy_KUT', 40),
  text('ClientelingCreateRequestID_KUT', 80)
]

/** [ref] IndividualCustomerAddress: its properties, and the table's two extension fields. */
const ADDRESS_PROPERTIES: readonly PropertyDef[] = [
  text('ObjectID', 70, readOnly),
  text('ParentObjectID', 70, { updatable: false }),
  flag('MainIndicator'),
  flag('ShipTo'),
  flag('DefaultShipTo'),
  flag('BillTo'),
  flag('DefaultBillTo'),
  ...POSTAL_ADDRESS,
  text('Email', 255),
  { name: 'ETag', type: 'Edm.DateTimeOffset', ...readOnly },
  text('RecipientFirstName_KUT', 40),
  text('RecipientLastName_KUT', 40)
]

export const ADDRESS_NAV = 'IndividualCustomerAddress'
const CUSTOMERS = 'IndividualCustomerCollection'
const ADDRESSES = 'IndividualCustomerAddressCollection'

/** [guide "Server side paging"] the server's page size. */
export const PAGE_SIZE = 1000

export interface SapC4cDoubleOptions {
  /** The technical user (Basic authentication). */
  readonly username: string
  readonly password: string
  /** An OAuth access token also accepted as `Bearer`. */
  readonly accessToken?: string
  /** Extension fields the tenant has on the customer; default the table's (TABLE_CUSTOMER_EXTENSIONS). */
  readonly customerExtensions?: readonly PropertyDef[]
  /**
   * How long a CSRF token (its session) lives. silent: the guide gives no figure; SAP's
   * sessions time out after inactivity. Default 30 minutes.
   */
  readonly csrfTtlMs?: number
  /** The clock (ms since the epoch) of ETags, token lifetimes and timestamps. */
  readonly now?: () => number
  /** First CustomerID given out. Default 1000100. */
  readonly firstCustomerId?: number
}

export interface StoredCustomer {
  readonly objectId: string
  readonly properties: Map<string, unknown>
  /** ObjectIDs of its address entities, in creation order. */
  readonly addresses: string[]
  changedAt: number
}

export interface StoredAddress {
  readonly objectId: string
  readonly parent: string
  readonly properties: Map<string, unknown>
  changedAt: number
}

export interface SapC4cDouble {
  /** `http://127.0.0.1:<port>`: the tenant's URL (the service is under SERVICE). */
  readonly url: string
  readonly customers: ReadonlyMap<string, StoredCustomer>
  readonly addresses: ReadonlyMap<string, StoredAddress>
  readonly requests: readonly RecordedRequest[]
  readonly violations: readonly Violation[]
  /** CSRF tokens handed out so far. */
  readonly csrfFetches: number
  /** Writes properties as another C4C user or system would (the loyalty system). Moves the ETag. */
  setProperties(objectId: string, properties: Readonly<Record<string, unknown>>): void
  /** Ends every session: each token handed out is refused from now on (a session timeout). */
  expireCsrfTokens(): void
  /** While set, collection queries answer 429 with this Retry-After (a tenant protecting itself). */
  setThrottle(retryAfterSeconds: number | undefined): void
  close(): Promise<void>
}

interface ODataErrorOptions {
  readonly status: number
  readonly code: string
  readonly message: string
  readonly propertyref?: string
  readonly headers?: Record<string, string>
  /** A value the tenant refuses (an e-mail's form, a code, a length), not a malformed request: not a violation. */
  readonly valueRefused?: boolean
}

class ODataError extends Error {
  constructor(readonly options: ODataErrorOptions) {
    super(options.message)
  }
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/
const ODATA_DATE = /^\/Date\((-?\d{1,15})\)\/$/
const DECIMAL = /^-?\d{1,25}(?:\.\d{1,6})?$/
const KEY = /^\('((?:[^']|'')*)'\)$/

/** [guide "ETag Support"] `W/"datetimeoffset'2015-02-03T21%3A07%3A03.5328420Z'"`. */
function etagOf(changedAt: number): string {
  const iso = new Date(changedAt).toISOString().replace(/\.(\d{3})Z$/, '.$10000Z')
  return `W/"datetimeoffset'${iso.replaceAll(':', '%3A')}'"`
}

const odataDate = (ms: number): string => `/Date(${ms})/`

/** A stored value as the text $filter and $orderby compare. */
const textOf = (value: unknown): string => (typeof value === 'string' ? value : typeof value === 'boolean' || typeof value === 'number' ? String(value) : '')

/** [guide "ETag Support", sample answers] normalised numbers: `+` and the digits as typed. */
function normalised(phone: unknown): string {
  if (typeof phone !== 'string' || phone === '') return ''
  const digits = phone.replace(/\D/g, '')
  return phone.trim().startsWith('+') ? `+${digits}` : digits
}

export async function startSapC4cDouble(options: SapC4cDoubleOptions): Promise<SapC4cDouble> {
  const now = options.now ?? Date.now
  const csrfTtlMs = options.csrfTtlMs ?? 30 * 60_000
  const customerDefs = new Map([...STANDARD_CUSTOMER, ...(options.customerExtensions ?? TABLE_CUSTOMER_EXTENSIONS)].map((p) => [p.name, p]))
  const addressDefs = new Map(ADDRESS_PROPERTIES.map((p) => [p.name, p]))
  const customers = new Map<string, StoredCustomer>()
  const addresses = new Map<string, StoredAddress>()
  const sessions = new Map<string, { token: string; issuedAt: number }>()
  const requests: RecordedRequest[] = []
  const violations: Violation[] = []
  let nextCustomerId = options.firstCustomerId ?? 1000100
  let lastChange = 0
  let csrfFetches = 0
  let throttle: number | undefined

  /** A moment later than every change before: each write moves the ETag. */
  const changeTime = (): number => {
    lastChange = Math.max(now(), lastChange + 1)
    return lastChange
  }
  const newObjectId = (): string => randomBytes(16).toString('hex').toUpperCase()

  // ------------------------------------------------------------------------------------------
  // Values

  /** [ref, odata2] one property value of a write, checked against its definition. */
  const checkValue = (def: PropertyDef | undefined, name: string, value: unknown, creating: boolean): unknown => {
    const refuse = (message: string): never => {
      throw new ODataError({ status: 400, code: 'SY/530', message, propertyref: name })
    }
    const refuseValue = (message: string): never => {
      throw new ODataError({ status: 400, code: 'SY/530', message, propertyref: name, valueRefused: true })
    }
    if (def === undefined) return refuse(`Property '${name}' is invalid`)
    if (creating ? def.creatable === false : def.updatable === false) return refuse(`Property '${name}' is read-only`)
    if (value === null) return null
    switch (def.type) {
      case 'Edm.Boolean':
        return typeof value === 'boolean' ? value : refuse(`Property '${name}' expects Edm.Boolean`)
      case 'Edm.DateTime':
      case 'Edm.DateTimeOffset':
        // [odata2 JSON] "/Date(<ticks>)/"
        return typeof value === 'string' && ODATA_DATE.test(value) ? value : refuse(`Property '${name}' expects /Date(ms)/`)
      case 'Edm.Decimal':
        // [odata2 JSON] Edm.Decimal travels as a string.
        return typeof value === 'string' && DECIMAL.test(value) ? value : refuse(`Property '${name}' expects a decimal in a string`)
      case 'Edm.String': {
        if (typeof value !== 'string') return refuse(`Property '${name}' expects Edm.String`)
        if (def.maxLength !== undefined && value.length > def.maxLength) return refuseValue(`Property '${name}' is longer than ${def.maxLength}`)
        if (def.codes !== undefined && value !== '' && !def.codes.includes(value)) return refuseValue(`Code '${value}' is not valid for '${name}'`)
        // [ref] C4C checks an e-mail address's form.
        if (name === 'Email' && value !== '' && !EMAIL.test(value)) return refuseValue('E-mail address is invalid')
        return value
      }
    }
  }

  const applyProperties = (target: Map<string, unknown>, body: Record<string, unknown>, defs: ReadonlyMap<string, PropertyDef>, creating: boolean, skip: ReadonlySet<string>): void => {
    const checked: Array<[string, unknown]> = []
    for (const [name, value] of Object.entries(body)) {
      if (skip.has(name)) continue
      checked.push([name, checkValue(defs.get(name), name, value, creating)])
    }
    for (const [name, value] of checked) target.set(name, value)
    // [ref] the normalised numbers follow the numbers.
    if (defs.has('NormalisedPhone')) target.set('NormalisedPhone', normalised(target.get('Phone')))
    if (defs.has('NormalisedMobile')) target.set('NormalisedMobile', normalised(target.get('Mobile')))
  }

  // ------------------------------------------------------------------------------------------
  // Answers

  const customerEtag = (c: StoredCustomer): string => etagOf(c.changedAt)

  const addressEntry = (a: StoredAddress): Record<string, unknown> => {
    const entry: Record<string, unknown> = {
      __metadata: { uri: `${SERVICE}/${ADDRESSES}('${a.objectId}')`, type: 'c4codataapi.IndividualCustomerAddress', etag: etagOf(a.changedAt) }
    }
    for (const def of ADDRESS_PROPERTIES) entry[def.name] = a.properties.get(def.name) ?? (def.type === 'Edm.Boolean' ? false : def.type === 'Edm.String' ? '' : null)
    entry['ObjectID'] = a.objectId
    entry['ParentObjectID'] = a.parent
    entry['ETag'] = odataDate(a.changedAt)
    return entry
  }

  /** [odata2 JSON] an entry: `__metadata` (uri, type, etag), its properties, its navigation. */
  const customerEntry = (c: StoredCustomer, select: ReadonlySet<string> | undefined, expand: boolean): Record<string, unknown> => {
    const entry: Record<string, unknown> = {
      __metadata: { uri: `${SERVICE}/${CUSTOMERS}('${c.objectId}')`, type: 'c4codataapi.IndividualCustomer', etag: customerEtag(c) }
    }
    for (const def of customerDefs.values()) {
      if (select !== undefined && !select.has(def.name)) continue
      let value = c.properties.get(def.name)
      if (def.name === 'ObjectID') value = c.objectId
      if (def.name === 'ETag' || def.name === 'EntityLastChangedOn') value = odataDate(c.changedAt)
      entry[def.name] = value ?? (def.type === 'Edm.Boolean' ? false : def.type === 'Edm.String' ? '' : null)
    }
    if (select === undefined || select.has(ADDRESS_NAV)) {
      entry[ADDRESS_NAV] = expand
        ? { results: c.addresses.map((id) => addresses.get(id)).filter((a): a is StoredAddress => a !== undefined).map(addressEntry) }
        : { __deferred: { uri: `${SERVICE}/${CUSTOMERS}('${c.objectId}')/${ADDRESS_NAV}` } }
    }
    return entry
  }

  const metadataXml = (): string => {
    const property = (p: PropertyDef): string =>
      `<Property Name="${p.name}" Type="${p.type}" Nullable="true"${p.maxLength === undefined ? '' : ` MaxLength="${p.maxLength}"`}` +
      ` sap:creatable="${p.creatable !== false}" sap:updatable="${p.updatable !== false}" sap:filterable="true"/>`
    return [
      '<?xml version="1.0" encoding="utf-8"?>',
      '<edmx:Edmx Version="1.0" xmlns:edmx="http://schemas.microsoft.com/ado/2007/06/edmx" xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata" xmlns:sap="http://www.sap.com/Protocols/SAPData">',
      '<edmx:DataServices m:DataServiceVersion="2.0"><Schema Namespace="c4codataapi" xmlns="http://schemas.microsoft.com/ado/2008/09/edm">',
      '<EntityType Name="IndividualCustomer"><Key><PropertyRef Name="ObjectID"/></Key>',
      ...[...customerDefs.values()].map(property),
      `<NavigationProperty Name="${ADDRESS_NAV}" Relationship="c4codataapi.IndividualCustomer_IndividualCustomerAddress" FromRole="IndividualCustomer" ToRole="IndividualCustomerAddress"/>`,
      '</EntityType>',
      '<EntityType Name="IndividualCustomerAddress"><Key><PropertyRef Name="ObjectID"/></Key>',
      ...ADDRESS_PROPERTIES.map(property),
      '</EntityType>',
      '</Schema></edmx:DataServices></edmx:Edmx>'
    ].join('\n')
  }

  // ------------------------------------------------------------------------------------------
  // Requests

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string | string[]> = {}): void => {
    const payload = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body)
    res.writeHead(status, {
      ...(body === undefined ? {} : { 'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8' }),
      dataserviceversion: '2.0',
      ...headers
    })
    res.end(payload)
  }

  /** [gateway] the OData v2 error body. */
  const sendError = (res: ServerResponse, e: ODataErrorOptions): void =>
    send(
      res,
      e.status,
      {
        error: {
          code: e.code,
          message: { lang: 'en', value: e.message },
          ...(e.propertyref === undefined ? {} : { innererror: { errordetails: [{ code: e.code, message: e.message, propertyref: e.propertyref, severity: 'error' }] } })
        }
      },
      e.headers ?? {}
    )

  /** The raw query, decoded as a form-reading server decodes it (`+` is a space); undecodable → 400. */
  const queryOf = (raw: string): Map<string, string> => {
    const query = new Map<string, string>()
    if (raw === '') return query
    for (const part of raw.split('&')) {
      const eq = part.indexOf('=')
      const name = eq === -1 ? part : part.slice(0, eq)
      const value = eq === -1 ? '' : part.slice(eq + 1)
      try {
        query.set(decodeURIComponent(name.replaceAll('+', ' ')), decodeURIComponent(value.replaceAll('+', ' ')))
      } catch {
        throw new ODataError({ status: 400, code: 'SY/530', message: 'Malformed URI: invalid percent-encoding' })
      }
    }
    return query
  }

  const authorized = (req: IncomingMessage): boolean => {
    const header = req.headers.authorization ?? ''
    if (options.accessToken !== undefined && header === `Bearer ${options.accessToken}`) return true
    return header === `Basic ${Buffer.from(`${options.username}:${options.password}`).toString('base64')}`
  }

  const cookies = (req: IncomingMessage): Map<string, string> =>
    new Map(
      (req.headers.cookie ?? '')
        .split(';')
        .map((c) => c.trim().split('='))
        .filter((kv): kv is [string, string] => kv.length === 2 && kv[0] !== undefined && kv[1] !== undefined)
        .map(([k, v]) => [k, v])
    )

  const SESSION_COOKIE = 'SAP_SESSIONID_C4C_100'

  /** [guide "CSRF Token"] a GET with `x-csrf-token: fetch` opens a session and answers its token. */
  const csrfFetch = (): Record<string, string | string[]> => {
    csrfFetches++
    const sid = randomBytes(18).toString('base64url')
    const token = randomBytes(16).toString('base64')
    sessions.set(sid, { token, issuedAt: now() })
    return { 'x-csrf-token': token, 'set-cookie': [`${SESSION_COOKIE}=${sid}; path=/; secure; HttpOnly`, 'sap-usercontext=sap-client=100; path=/'] }
  }

  /** [guide "CSRF Token", gateway] a write must carry its session's live token, else 403 Required. */
  const csrfValid = (req: IncomingMessage): boolean => {
    const token = req.headers['x-csrf-token']
    const session = sessions.get(cookies(req).get(SESSION_COOKIE) ?? '')
    if (session === undefined || typeof token !== 'string' || token !== session.token) return false
    if (now() - session.issuedAt > csrfTtlMs) return false
    return true
  }

  const readBody = async (req: IncomingMessage): Promise<string> => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    return Buffer.concat(chunks).toString('utf8')
  }

  const jsonBody = (raw: string): Record<string, unknown> => {
    try {
      const body: unknown = JSON.parse(raw)
      if (typeof body === 'object' && body !== null && !Array.isArray(body)) return body as Record<string, unknown>
    } catch {
      // answered below
    }
    throw new ODataError({ status: 400, code: 'SY/530', message: 'The request body is not a JSON object' })
  }

  const wantsJson = (req: IncomingMessage, query: Map<string, string>): boolean =>
    query.get('$format') === 'json' || /application\/json/.test(req.headers.accept ?? '')

  const selectOf = (query: Map<string, string>): Set<string> | undefined => {
    const raw = query.get('$select')
    if (raw === undefined) return undefined
    const names = new Set(raw.split(','))
    for (const name of names) {
      if (!customerDefs.has(name) && name !== ADDRESS_NAV) throw new ODataError({ status: 400, code: 'SY/530', message: `Property '${name}' in $select is invalid` })
    }
    return names
  }

  const expandOf = (query: Map<string, string>): boolean => {
    const raw = query.get('$expand')
    if (raw === undefined) return false
    if (raw !== ADDRESS_NAV) throw new ODataError({ status: 400, code: 'SY/530', message: `Navigation '${raw}' in $expand is invalid` })
    return true
  }

  const KNOWN_OPTIONS = new Set(['$filter', '$select', '$expand', '$top', '$skip', '$inlinecount', '$orderby', '$format'])

  const nonNegative = (query: Map<string, string>, name: string): number | undefined => {
    const raw = query.get(name)
    if (raw === undefined) return undefined
    if (!/^\d{1,9}$/.test(raw)) throw new ODataError({ status: 400, code: 'SY/530', message: `${name} must be a non-negative integer` })
    return Number(raw)
  }

  /** [guide "Supported System Query Options", "$filter", "$inlinecount", "Server side paging"] */
  const queryCustomers = (query: Map<string, string>): unknown => {
    for (const name of query.keys()) {
      if (!KNOWN_OPTIONS.has(name)) throw new ODataError({ status: 400, code: 'SY/530', message: `Query option '${name}' is not supported` })
    }
    const select = selectOf(query)
    const expand = expandOf(query)
    let list = [...customers.values()]
    const filter = query.get('$filter')
    if (filter !== undefined) {
      let tree
      try {
        tree = parseFilter(filter)
      } catch (err) {
        throw new ODataError({ status: 400, code: 'SY/530', message: `Invalid $filter: ${(err as FilterError).message}` })
      }
      for (const name of propertiesOf(tree)) {
        if (!customerDefs.has(name)) throw new ODataError({ status: 400, code: 'SY/530', message: `Property '${name}' in $filter is invalid` })
      }
      if (crossPropertyOr(tree)) throw new ODataError({ status: 400, code: 'SY/530', message: 'Logical OR is only supported for the same property' })
      list = list.filter((c) => evaluate(tree, (name) => (name === 'ObjectID' ? c.objectId : textOf(c.properties.get(name)))))
    }
    const orderby = query.get('$orderby')
    if (orderby !== undefined) {
      const m = /^([A-Za-z_][A-Za-z0-9_]*)(?: (asc|desc))?$/.exec(orderby)
      if (!m || !customerDefs.has(m[1] ?? '')) throw new ODataError({ status: 400, code: 'SY/530', message: 'Invalid $orderby' })
      const key = m[1] ?? ''
      const sign = m[2] === 'desc' ? -1 : 1
      const v = (c: StoredCustomer): string => (key === 'ObjectID' ? c.objectId : textOf(c.properties.get(key)))
      list.sort((a, b) => (v(a) < v(b) ? -sign : v(a) > v(b) ? sign : 0))
    }
    const inlinecount = query.get('$inlinecount')
    if (inlinecount !== undefined && inlinecount !== 'allpages' && inlinecount !== 'none') {
      throw new ODataError({ status: 400, code: 'SY/530', message: 'Invalid $inlinecount' })
    }
    const total = list.length
    const skip = nonNegative(query, '$skip') ?? 0
    const top = Math.min(nonNegative(query, '$top') ?? PAGE_SIZE, PAGE_SIZE)
    const page = list.slice(skip, skip + top).map((c) => customerEntry(c, select, expand))
    return { d: { ...(inlinecount === 'allpages' ? { __count: String(total) } : {}), results: page } }
  }

  const customerOf = (key: string): StoredCustomer => {
    const found = customers.get(key)
    if (found === undefined) throw new ODataError({ status: 404, code: 'SY/530', message: 'Resource not found for the segment' })
    return found
  }

  /** [guide "Supported HTTP operations", "Deep Insert"] a customer, its addresses inline. */
  const createCustomer = (body: Record<string, unknown>): StoredCustomer => {
    const inline = body[ADDRESS_NAV]
    if (inline !== undefined && (!Array.isArray(inline) || !inline.every((a) => typeof a === 'object' && a !== null && !Array.isArray(a)))) {
      throw new ODataError({ status: 400, code: 'SY/530', message: `${ADDRESS_NAV} must be a list of entries`, propertyref: ADDRESS_NAV })
    }
    const properties = new Map<string, unknown>()
    applyProperties(properties, body, customerDefs, true, new Set([ADDRESS_NAV]))
    const at = changeTime()
    const customer: StoredCustomer = { objectId: newObjectId(), properties, addresses: [], changedAt: at }
    // Checked whole before anything is stored: a deep insert is one unit.
    const children = ((inline ?? []) as Record<string, unknown>[]).map((a) => {
      const p = new Map<string, unknown>()
      applyProperties(p, a, addressDefs, true, new Set(['ParentObjectID']))
      return p
    })
    properties.set('CustomerID', String(nextCustomerId++))
    properties.set('LifeCycleStatusCode', '2')
    properties.set('CreatedOn', odataDate(at))
    if (!properties.has('RoleCode')) properties.set('RoleCode', 'CRM000')
    customers.set(customer.objectId, customer)
    for (const p of children) {
      const address: StoredAddress = { objectId: newObjectId(), parent: customer.objectId, properties: p, changedAt: at }
      addresses.set(address.objectId, address)
      customer.addresses.push(address.objectId)
    }
    return customer
  }

  /** [guide "Optimistic Concurrency Control with ETag"] If-Match, when sent, must be current: else 412. */
  const checkIfMatch = (req: IncomingMessage, c: StoredCustomer): void => {
    const ifMatch = req.headers['if-match']
    if (ifMatch === undefined || ifMatch === '*') return
    if (ifMatch !== customerEtag(c)) throw new ODataError({ status: 412, code: 'SY/530', message: 'Precondition failed: the entity was changed by someone else' })
  }

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = req.url ?? '/'
    const q = url.indexOf('?')
    const path = q === -1 ? url : url.slice(0, q)
    const raw = await readBody(req)
    let body: unknown
    try {
      body = raw === '' ? undefined : JSON.parse(raw)
    } catch {
      body = raw
    }
    requests.push({ method: req.method ?? '', url, body })
    const violation = (problem: string): void => {
      violations.push({ method: req.method ?? '', url, problems: [problem] })
    }
    if (!authorized(req)) {
      // [guide "Authentication"] every request carries Basic or Bearer credentials.
      send(res, 401, undefined, { 'www-authenticate': 'Basic realm="SAP NetWeaver Application Server [C4C/100]"' })
      return
    }
    if (!path.startsWith(`${SERVICE}/`)) {
      sendError(res, { status: 404, code: 'SY/530', message: 'No service found' })
      return
    }
    const resource = path.slice(SERVICE.length + 1)
    const method = req.method ?? 'GET'
    try {
      const query = queryOf(q === -1 ? '' : url.slice(q + 1))
      const fetchToken = method === 'GET' && /^fetch$/i.test(String(req.headers['x-csrf-token'] ?? ''))
      const tokenHeaders = fetchToken ? csrfFetch() : {}
      if (method !== 'GET' && !csrfValid(req)) {
        // [gateway] the CSRF refusal: 403, `x-csrf-token: Required`, a text body.
        send(res, 403, 'CSRF token validation failed', { 'x-csrf-token': 'Required' })
        return
      }
      if (method === 'GET' && resource === '') {
        // [guide "OData Service Document"]
        send(res, 200, { d: { EntitySets: [CUSTOMERS, ADDRESSES] } }, tokenHeaders)
        return
      }
      if (method === 'GET' && resource === '$metadata') {
        res.writeHead(200, { 'content-type': 'application/xml', dataserviceversion: '2.0', ...tokenHeaders })
        res.end(metadataXml())
        return
      }
      if (method === 'GET' && !wantsJson(req, query)) {
        // [guide "Supported Formats"] Atom XML unless JSON is asked for: not what a JSON client reads.
        violation('JSON not asked for ($format=json or Accept: application/json)')
        res.writeHead(200, { 'content-type': 'application/atom+xml;type=feed', dataserviceversion: '2.0' })
        res.end('<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"/>')
        return
      }
      if (resource === CUSTOMERS && method === 'GET') {
        if (throttle !== undefined) {
          sendError(res, { status: 429, code: 'TOO_MANY_REQUESTS', message: 'Too many requests', headers: { 'retry-after': String(throttle) } })
          return
        }
        send(res, 200, queryCustomers(query), tokenHeaders)
        return
      }
      if (resource === CUSTOMERS && method === 'POST') {
        const created = createCustomer(jsonBody(raw))
        const entry = customerEntry(created, undefined, created.addresses.length > 0)
        send(res, 201, { d: entry }, { location: `${SERVICE}/${CUSTOMERS}('${created.objectId}')`, etag: customerEtag(created) })
        return
      }
      if (resource === ADDRESSES && method === 'POST') {
        // [guide "$batch" sample] a child created in its own collection, naming its ParentObjectID.
        const input = jsonBody(raw)
        const parent = typeof input['ParentObjectID'] === 'string' ? customers.get(input['ParentObjectID']) : undefined
        if (parent === undefined) throw new ODataError({ status: 400, code: 'SY/530', message: 'ParentObjectID does not name a customer', propertyref: 'ParentObjectID' })
        const p = new Map<string, unknown>()
        applyProperties(p, input, addressDefs, true, new Set(['ParentObjectID']))
        const address: StoredAddress = { objectId: newObjectId(), parent: parent.objectId, properties: p, changedAt: changeTime() }
        addresses.set(address.objectId, address)
        parent.addresses.push(address.objectId)
        // silent: the guide gives each entity the ETag of its last change; the double takes the
        // customer (the business object's root) to change with its addresses. The adapter does
        // not rely on it: its versions name the addresses they saw.
        parent.changedAt = address.changedAt
        send(res, 201, { d: addressEntry(address) })
        return
      }
      const single = /^(IndividualCustomerCollection|IndividualCustomerAddressCollection)(\(.*\))$/.exec(resource)
      const keyMatch = single ? KEY.exec(single[2] ?? '') : null
      if (!single || !keyMatch) {
        sendError(res, { status: 404, code: 'SY/530', message: 'Resource not found for the segment' })
        return
      }
      const key = (keyMatch[1] ?? '').replaceAll("''", "'")
      if (single[1] === ADDRESSES) {
        if (method !== 'DELETE') throw new ODataError({ status: 405, code: 'SY/530', message: 'Method not allowed' })
        const address = addresses.get(key)
        if (address === undefined) throw new ODataError({ status: 404, code: 'SY/530', message: 'Resource not found for the segment' })
        addresses.delete(key)
        const parent = customers.get(address.parent)
        if (parent) {
          parent.addresses.splice(parent.addresses.indexOf(key), 1)
          parent.changedAt = changeTime()
        }
        send(res, 204, undefined)
        return
      }
      const customer = customerOf(key)
      if (method === 'GET') {
        for (const name of query.keys()) {
          if (!['$select', '$expand', '$format'].includes(name)) throw new ODataError({ status: 400, code: 'SY/530', message: `Query option '${name}' is not supported here` })
        }
        // [guide "ETag Support"] a single read answers the ETag as a header too.
        send(res, 200, { d: customerEntry(customer, selectOf(query), expandOf(query)) }, { etag: customerEtag(customer), ...tokenHeaders })
        return
      }
      if (method === 'PATCH') {
        checkIfMatch(req, customer)
        const input = jsonBody(raw)
        if (ADDRESS_NAV in input) throw new ODataError({ status: 400, code: 'SY/530', message: 'Navigation properties cannot be updated', propertyref: ADDRESS_NAV })
        const next = new Map(customer.properties)
        applyProperties(next, input, customerDefs, false, new Set())
        for (const [k, v] of next) customer.properties.set(k, v)
        customer.changedAt = changeTime()
        // [guide "Optimistic Concurrency Control with ETag"] success is 204 No Content.
        send(res, 204, undefined)
        return
      }
      throw new ODataError({ status: 405, code: 'SY/530', message: 'Method not allowed' })
    } catch (err) {
      if (!(err instanceof ODataError)) throw err
      if (err.options.status === 400 && err.options.valueRefused !== true) violation(err.options.message)
      sendError(res, err.options)
    }
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendError(res, { status: 500, code: 'SY/500', message: err instanceof Error ? err.message : 'internal error' })
      else res.destroy()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port

  return {
    url: `http://127.0.0.1:${port}`,
    customers,
    addresses,
    requests,
    violations,
    get csrfFetches() {
      return csrfFetches
    },
    setProperties(objectId, properties) {
      const c = customers.get(objectId)
      if (c === undefined) throw new Error(`no customer ${objectId}`)
      for (const [k, v] of Object.entries(properties)) c.properties.set(k, v)
      c.changedAt = changeTime()
    },
    expireCsrfTokens() {
      sessions.clear()
    },
    setThrottle(seconds) {
      throttle = seconds
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}
