/**
 * A HubSpot test double: the CRM v3 contacts and contact-properties endpoints the hubspot
 * adapter calls, as a Fastify app on 127.0.0.1 (port 0), persisting in memory. Written from
 * HubSpot's public reference; each behaviour names its source, and
 * test/fakes/hubspot-double.test.ts checks each one:
 *
 *   [contacts]  https://developers.hubspot.com/docs/api/crm/contacts
 *   [search]    https://developers.hubspot.com/docs/api/crm/search
 *               limits: https://developers.hubspot.com/docs/api-reference/search/guide#limitations
 *   [errors]    https://developers.hubspot.com/docs/api-reference/error-handling
 *   [usage]     https://developers.hubspot.com/docs/guides/apps/api-usage/usage-details (rate limits, headers)
 *   [private]   https://developers.hubspot.com/docs/api/private-apps (Bearer access token)
 *   [properties] https://developers.hubspot.com/docs/api/crm/properties (definitions, groups)
 *   [description] HubSpot's published OpenAPI description of CRM v3 contacts/properties, schema
 *               <Name> (the request shapes: ./hubspot-double-schemas.ts)
 *
 * Strictness: a request whose body or query breaks the description is answered 400
 * VALIDATION_ERROR and listed in `violations`, so a test can assert a whole run sent nothing a
 * real portal could refuse for its shape. Where the reference is silent, the double takes the
 * conservative reading and says so ("silent:" below). Deliberate simplifications: contacts
 * only, associations checked for shape and otherwise ignored, no archive, no property history;
 * search results come ordered by id unless sorted; `after` is an offset in text (clients must
 * treat it as opaque, as the adapter does).
 */
import { randomUUID } from 'node:crypto'
import Fastify from 'fastify'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { parsePhoneNumberFromString } from 'libphonenumber-js'
import type { CountryCode } from 'libphonenumber-js'
import { SHAPES } from './hubspot-double-schemas.js'
import type { PropertyCreate, PropertyGroupCreate, SearchFilter, SearchRequest, Shape } from './hubspot-double-schemas.js'
import type { RecordedRequest, Violation } from './recorded.js'
export type { RecordedRequest, Violation } from './recorded.js'

export type PropertyType = 'string' | 'number' | 'bool' | 'date' | 'datetime' | 'enumeration' | 'phone_number'

export interface PropertyDefinition {
  readonly name: string
  readonly type: PropertyType
  /** For enumerations (and single checkboxes: "true"/"false"): the option values. */
  readonly options?: readonly string[]
  /** [properties] how HubSpot shows it; default from the type (string → text, bool → booleancheckbox…). */
  readonly fieldType?: string
  /** [properties] no two contacts may hold the same value; usable as `idProperty`. Default false. */
  readonly hasUniqueValue?: boolean
  /** [properties] the property group; default `contactinformation` (created if missing). */
  readonly groupName?: string
  /** Default: the name, words capitalized. */
  readonly label?: string
  /** Read-only: HubSpot computes the value (writing it is READ_ONLY_VALUE). Default false. */
  readonly calculated?: boolean
  /** Read-only without being computed from other properties (the record id, the dates). Default false. */
  readonly readOnlyValue?: boolean
  /** HubSpot's own property, not the merchant's. Default false. */
  readonly hubspotDefined?: boolean
  readonly description?: string
}

/** [properties] a property group as the groups endpoints answer it. */
export interface PropertyGroup {
  readonly name: string
  readonly label: string
  readonly displayOrder: number
  readonly archived: boolean
}

/** A window of `max` requests per `windowMs`, per access token. */
export interface RateLimit {
  readonly max: number
  readonly windowMs: number
}

export interface HubSpotDoubleOptions {
  /** The private app's access token the double accepts. */
  readonly accessToken: string
  /**
   * Properties the merchant created, besides HubSpot's own (STANDARD_CONTACT_PROPERTIES). The
   * portal has nothing else: the gateway's custom properties exist only once a test lists them
   * here or creates them through the properties API.
   */
  readonly customProperties?: readonly PropertyDefinition[]
  /** [search] "rate limited to five requests per second" per account: default 5 per 1000 ms. */
  readonly searchRateLimit?: RateLimit
  /** [usage] burst limit of the other endpoints: default 100 per 10,000 ms (private app, lowest tier). */
  readonly burstRateLimit?: RateLimit
  /**
   * [search] "It may take a few moments for newly created or updated CRM objects to appear in
   * search results": search sees each contact as it was this long ago. Default 0.
   */
  readonly indexLagMs?: number
  /** The account's default country, for the calculated searchable phone numbers. Default 'US'. */
  readonly defaultCountry?: CountryCode
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

export interface HubSpotDouble {
  /** `http://127.0.0.1:<port>` */
  readonly url: string
  readonly contacts: ReadonlyMap<string, StoredContact>
  /** Every property definition of the portal, HubSpot's and the merchant's, by name. */
  readonly definitions: ReadonlyMap<string, PropertyDefinition>
  /** Every request received (authorized or not), in order. */
  readonly requests: readonly RecordedRequest[]
  /** Every authorized request whose body or query broke the description, in order (also when answered 429). */
  readonly violations: readonly Violation[]
  /** Writes properties as another HubSpot user or system would (a loyalty system, a workflow). */
  setProperties(id: string, properties: Readonly<Record<string, string>>): void
  setSearchRateLimit(limit: RateLimit): void
  setBurstRateLimit(limit: RateLimit): void
  /** Changes the search index lag from now on (writes older than the versions kept show their oldest kept version). */
  setIndexLag(ms: number): void
  /** Forgets the rate windows (a new second / ten seconds began). */
  resetRateWindows(): void
  /**
   * [usage] the account's daily allowance spent (`true`) or renewed at midnight (`false`): while
   * spent, every authorized call answers 429 with `policyName: "DAILY"`.
   */
  setDailyLimitReached(reached: boolean): void
  close(): Promise<void>
}

// ---------------------------------------------------------------------------------------------
// HubSpot's own contact properties and groups

/** [properties] the group HubSpot's contact details belong to, present in every portal. */
const STANDARD_GROUPS: readonly PropertyGroup[] = [{ name: 'contactinformation', label: 'Contact information', displayOrder: 0, archived: false }]

/**
 * [contacts] `hs_language`, "Preferred language": an option list of lowercase language tags.
 * A representative SUBSET of HubSpot's options (a real portal has many more); `ja-jp` is in it
 * because mappings/hubspot.yaml's samples write it.
 */
const LANGUAGE_OPTIONS = ['en', 'en-us', 'en-gb', 'en-au', 'en-ca', 'fr', 'fr-ca', 'de', 'es', 'es-mx', 'it', 'ja', 'ja-jp', 'ko', 'nl', 'pt', 'pt-br', 'sv', 'zh-cn', 'zh-tw']

const own = (name: string, label: string, type: PropertyType, fieldType: string, extra: Partial<PropertyDefinition> = {}): PropertyDefinition => ({
  name,
  label,
  type,
  fieldType,
  groupName: 'contactinformation',
  hubspotDefined: true,
  ...extra
})

/**
 * [contacts] HubSpot's default contact properties (a subset: those a clienteling integration
 * touches), in the group `contactinformation`. The record id and the dates are set by HubSpot;
 * the searchable phone numbers are computed by it ([search], "Search by phone number"): all
 * refused on write (READ_ONLY_VALUE).
 */
export const STANDARD_CONTACT_PROPERTIES: readonly PropertyDefinition[] = [
  own('email', 'Email', 'string', 'text'),
  own('firstname', 'First Name', 'string', 'text'),
  own('lastname', 'Last Name', 'string', 'text'),
  own('salutation', 'Salutation', 'string', 'text'),
  own('phone', 'Phone Number', 'string', 'phonenumber'),
  own('mobilephone', 'Mobile Phone Number', 'string', 'phonenumber'),
  own('fax', 'Fax Number', 'string', 'phonenumber'),
  own('address', 'Street Address', 'string', 'text'),
  own('city', 'City', 'string', 'text'),
  own('state', 'State/Region', 'string', 'text'),
  own('zip', 'Postal Code', 'string', 'text'),
  own('country', 'Country/Region', 'string', 'text'),
  own('date_of_birth', 'Date of birth', 'string', 'text'),
  own('gender', 'Gender', 'string', 'text'),
  own('hs_language', 'Preferred language', 'enumeration', 'select', { options: LANGUAGE_OPTIONS }),
  own('company', 'Company Name', 'string', 'text'),
  own('jobtitle', 'Job Title', 'string', 'text'),
  own('website', 'Website URL', 'string', 'text'),
  own('lifecyclestage', 'Lifecycle Stage', 'enumeration', 'radio', {
    options: ['subscriber', 'lead', 'marketingqualifiedlead', 'salesqualifiedlead', 'opportunity', 'customer', 'evangelist', 'other']
  }),
  own('hs_object_id', 'Record ID', 'number', 'number', { readOnlyValue: true }),
  own('createdate', 'Create Date', 'datetime', 'date', { readOnlyValue: true }),
  own('lastmodifieddate', 'Last Modified Date', 'datetime', 'date', { readOnlyValue: true }),
  own('hs_searchable_calculated_phone_number', 'Phone number (searchable)', 'string', 'text', { calculated: true }),
  own('hs_searchable_calculated_mobile_number', 'Mobile phone number (searchable)', 'string', 'text', { calculated: true })
]

/** Which stored property each calculated searchable number is computed from. */
const SEARCHABLE_NUMBER_OF: Readonly<Record<string, string>> = {
  hs_searchable_calculated_phone_number: 'phone',
  hs_searchable_calculated_mobile_number: 'mobilephone'
}

/**
 * [search] searching by phone number: HubSpot keeps, for `phone` and `mobilephone`, a
 * calculated copy holding the number's digits without the country code, and searches should
 * compare those. Here: the national significant number when the text is a possible number (an
 * international one, or a national one of the account's default country), else the text's
 * digits with leading zeros removed (silent: HubSpot's exact normalization).
 */
export function searchableNumber(text: string, defaultCountry: CountryCode = 'US'): string | null {
  const parsed = parsePhoneNumberFromString(text, defaultCountry)
  if (parsed?.isPossible() === true) return parsed.nationalNumber
  const digits = text.replace(/\D/g, '').replace(/^0+/, '')
  return digits === '' ? null : digits
}

// ---------------------------------------------------------------------------------------------
// Constants

/** [search] "a contacts search will return createdate, email, firstname, hs_object_id, lastmodifieddate, and lastname". */
const DEFAULT_SEARCH_PROPERTIES = ['createdate', 'email', 'firstname', 'hs_object_id', 'lastmodifieddate', 'lastname']
/** [contacts] a basic read without `properties` returns a few defaults; with it, these come too. */
const ALWAYS_RETURNED = ['createdate', 'hs_object_id', 'lastmodifieddate']
/** [search] "Search default searchable properties": what a `query` looks in, for contacts. */
const QUERY_SEARCHED = ['firstname', 'lastname', 'email', 'phone', 'mobilephone', 'fax', 'company']

/**
 * [search] limitations (see adapters/hubspot/wire.ts for why 6 / 18 rather than 10 / 25; the
 * description's prose allows six groups, the guide five: the stricter is kept). `bodyCharacters`:
 * the guide caps a search request's body at 3,000 characters.
 */
export const DOUBLE_SEARCH_LIMITS = { filterGroups: 5, filtersPerGroup: 6, filters: 18, pageSize: 200, results: 10_000, defaultLimit: 10, bodyCharacters: 3000 } as const

/** Versions of a contact kept for the index lag, at most (the oldest are dropped first). */
const MAX_VERSIONS = 32

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/
const NUMBER = /^-?\d+(?:\.\d+)?$/
const DATE = /^\d{4}-\d{2}-\d{2}$/
/** YYYY-MM-DD naming a day of the calendar (not 2024-02-30). */
const isDay = (value: string): boolean => {
  const at = Date.parse(`${value}T00:00:00Z`)
  return DATE.test(value) && !Number.isNaN(at) && new Date(at).toISOString().slice(0, 10) === value
}

/** [properties] "Property type and fieldType values": the field types an enumeration may have. */
const ENUMERATION_FIELD_TYPES: readonly string[] = ['booleancheckbox', 'checkbox', 'radio', 'select', 'calculation_equation']

const FIELD_TYPE_OF: Readonly<Record<PropertyType, string>> = {
  string: 'text',
  number: 'number',
  bool: 'booleancheckbox',
  date: 'date',
  datetime: 'date',
  enumeration: 'select',
  phone_number: 'phonenumber'
}

// ---------------------------------------------------------------------------------------------
// Errors

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
const validation = (message: string): HubSpotFailure => new HubSpotFailure(400, 'VALIDATION_ERROR', message)
const doesntExist = (name: string): HubSpotFailure => invalid([propertyError(name, 'PROPERTY_DOESNT_EXIST', `Property "${name}" does not exist`)])

/** [description] which shape each route's body and query must have. Keys: `METHOD route`. */
const SHAPE_OF: Readonly<Record<string, { readonly body?: Shape; readonly query?: Shape }>> = {
  'POST /crm/v3/objects/contacts': { body: SHAPES.contactCreate },
  'GET /crm/v3/objects/contacts/:id': { query: SHAPES.contactReadQuery },
  'PATCH /crm/v3/objects/contacts/:id': { body: SHAPES.contactUpdate, query: SHAPES.contactUpdateQuery },
  'POST /crm/v3/objects/contacts/search': { body: SHAPES.search },
  'GET /crm/v3/properties/contacts': { query: SHAPES.propertyListQuery },
  'POST /crm/v3/properties/contacts': { body: SHAPES.propertyCreate },
  'POST /crm/v3/properties/contacts/groups': { body: SHAPES.propertyGroupCreate }
}

// ---------------------------------------------------------------------------------------------
// The double

interface Held {
  readonly definition: PropertyDefinition & Required<Pick<PropertyDefinition, 'fieldType' | 'groupName' | 'label'>>
  readonly options: readonly { label: string; value: string; hidden: boolean; displayOrder: number; description?: string }[]
  readonly formField: boolean
  readonly displayOrder: number
  readonly createdAt: number
}

/** One state of a contact, as the search index may still see it. */
interface Version {
  readonly at: number
  readonly properties: ReadonlyMap<string, string>
  readonly updatedAt: number
}

const labelOf = (name: string): string => name.replaceAll('_', ' ').replace(/\b\w/g, (c) => c.toUpperCase())

export async function startHubSpotDouble(options: HubSpotDoubleOptions): Promise<HubSpotDouble> {
  const now = options.now ?? Date.now
  const defaultCountry = options.defaultCountry ?? 'US'
  let indexLagMs = options.indexLagMs ?? 0
  let searchLimit = options.searchRateLimit ?? { max: 5, windowMs: 1000 }
  let burstLimit = options.burstRateLimit ?? { max: 100, windowMs: 10_000 }
  const contacts = new Map<string, StoredContact>()
  const versions = new Map<string, Version[]>()
  const requests: RecordedRequest[] = []
  const violations: Violation[] = []
  const searchHits: number[] = []
  const burstHits: number[] = []
  let nextId = options.firstId ?? 1001
  let dailyLimitReached = false
  const iso = (ms: number): string => new Date(ms).toISOString()

  // ---- property definitions and groups ([properties])

  const groups = new Map<string, PropertyGroup>(STANDARD_GROUPS.map((g) => [g.name, g]))
  const held = new Map<string, Held>()
  const definitions = new Map<string, PropertyDefinition>()

  const define = (d: PropertyDefinition, extra: { options?: Held['options']; formField?: boolean; displayOrder?: number } = {}): Held => {
    const groupName = d.groupName ?? 'contactinformation'
    // Test set-up convenience: a listed property's group exists (a merchant made both).
    if (!groups.has(groupName)) groups.set(groupName, { name: groupName, label: labelOf(groupName), displayOrder: -1, archived: false })
    const values = d.options ?? (d.type === 'bool' ? ['true', 'false'] : undefined)
    const definition = { ...d, fieldType: d.fieldType ?? FIELD_TYPE_OF[d.type], groupName, label: d.label ?? labelOf(d.name), ...(values === undefined ? {} : { options: values }) }
    const optionList = extra.options ?? (values ?? []).map((value, i) => ({ label: d.type === 'bool' ? (value === 'true' ? 'Yes' : 'No') : value, value, hidden: false, displayOrder: i }))
    const entry: Held = { definition, options: optionList, formField: extra.formField ?? !(d.calculated === true || d.readOnlyValue === true), displayOrder: extra.displayOrder ?? -1, createdAt: now() }
    held.set(d.name, entry)
    definitions.set(d.name, definition)
    return entry
  }
  for (const d of [...STANDARD_CONTACT_PROPERTIES, ...(options.customProperties ?? [])]) define(d)

  const isReadOnly = (d: PropertyDefinition): boolean => d.calculated === true || d.readOnlyValue === true

  /** [description] schema Property, as the properties endpoints answer it. */
  const propertyAnswer = (h: Held) => {
    const d = h.definition
    return {
      name: d.name,
      label: d.label,
      type: d.type,
      fieldType: d.fieldType,
      groupName: d.groupName,
      description: d.description ?? '',
      options: h.options,
      hasUniqueValue: d.hasUniqueValue ?? false,
      hubspotDefined: d.hubspotDefined ?? false,
      calculated: d.calculated ?? false,
      formField: h.formField,
      displayOrder: h.displayOrder,
      hidden: false,
      archived: false,
      modificationMetadata: { archivable: d.hubspotDefined !== true, readOnlyDefinition: d.hubspotDefined === true, readOnlyValue: isReadOnly(d) },
      createdAt: iso(h.createdAt),
      updatedAt: iso(h.createdAt)
    }
  }

  // ---- values and answers

  /** A property's value as HubSpot answers it (stored values, and the ones HubSpot sets or computes). */
  const valueOf = (contact: StoredContact, name: string): string | null => {
    if (name === 'hs_object_id') return contact.id
    if (name === 'createdate') return iso(contact.createdAt)
    if (name === 'lastmodifieddate') return iso(contact.updatedAt)
    const source = SEARCHABLE_NUMBER_OF[name]
    if (source !== undefined) {
      const typed = contact.properties.get(source)
      return typed === undefined ? null : searchableNumber(typed, defaultCountry)
    }
    return contact.properties.get(name) ?? null
  }

  /** [contacts] SimplePublicObject. `names`: the properties to answer (unknown ones are skipped). */
  const answer = (contact: StoredContact, names: readonly string[], includeNull: boolean) => {
    const properties: Record<string, string | null> = {}
    for (const name of names) {
      if (!definitions.has(name)) continue
      const value = valueOf(contact, name)
      if (value !== null || includeNull) properties[name] = value
    }
    return { id: contact.id, properties, createdAt: iso(contact.createdAt), updatedAt: iso(contact.updatedAt), archived: false }
  }

  // ---- writes ([contacts] "Create contacts", "Update contacts")

  /**
   * Property values as HubSpot checks them on create/update: read-only and unknown properties
   * and values of the wrong type are refused, all problems at once. The shape (text values) is
   * already checked against the description; "" clears.
   */
  const checkProperties = (properties: Readonly<Record<string, string>>): Map<string, string> => {
    const out = new Map<string, string>()
    const problems: HubSpotErrorItem[] = []
    for (const [name, value] of Object.entries(properties)) {
      const definition = definitions.get(name)
      if (definition === undefined) {
        problems.push(propertyError(name, 'PROPERTY_DOESNT_EXIST', `Property "${name}" does not exist`))
        continue
      }
      if (isReadOnly(definition)) {
        problems.push(propertyError(name, 'READ_ONLY_VALUE', `Property "${name}" is read-only`))
        continue
      }
      const bad = value === '' ? undefined : valueProblem(definition, value)
      if (bad !== undefined) {
        problems.push(propertyError(name, bad.code, bad.message))
        continue
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
    // [properties] date values: a day, as ISO 8601 text or the epoch milliseconds of its midnight UTC.
    if (d.type === 'date' && !isDay(value) && !(/^\d+$/.test(value) && Number(value) % 86_400_000 === 0)) {
      return { code: 'INVALID_DATE', message: `${value} is not a valid date (YYYY-MM-DD, or epoch milliseconds at midnight UTC)` }
    }
    // [properties] datetime values: ISO 8601 text or epoch milliseconds.
    if (d.type === 'datetime' && !/^\d+$/.test(value) && Number.isNaN(Date.parse(value))) {
      return { code: 'INVALID_DATE', message: `${value} is not a valid date-time (ISO 8601 or epoch milliseconds)` }
    }
    if (d.type === 'enumeration' && d.options !== undefined) {
      // [properties] a multiple checkbox (fieldType checkbox) holds several options, separated by ";".
      const chosen = d.fieldType === 'checkbox' ? value.split(';') : [value]
      if (!chosen.every((v) => d.options?.includes(v))) return { code: 'INVALID_OPTION', message: `${value} was not one of the allowed options` }
    }
    return undefined
  }

  const ownerOf = (name: string, value: string): StoredContact | undefined => {
    // [contacts] e-mail addresses compare without regard to case.
    const same = name === 'email' ? (v: string | undefined) => v?.toLowerCase() === value.toLowerCase() : (v: string | undefined) => v === value
    for (const c of contacts.values()) if (same(c.properties.get(name))) return c
    return undefined
  }

  /**
   * [contacts] the e-mail is a contact's unique identifier: a second contact with it is a 409.
   * [properties] a property created with `hasUniqueValue` refuses a value another contact holds
   * (400, one error item per property; silent: the code — CONFLICTING_UNIQUE_VALUE here).
   */
  const checkUnique = (props: Map<string, string>, self?: StoredContact): void => {
    const email = props.get('email')
    const emailOwner = email === undefined || email === '' ? undefined : ownerOf('email', email)
    if (emailOwner !== undefined && emailOwner !== self) throw new HubSpotFailure(409, 'CONFLICT', `Contact already exists. Existing ID: ${emailOwner.id}`)
    const clashes: HubSpotErrorItem[] = []
    for (const [name, value] of props) {
      if (value === '' || definitions.get(name)?.hasUniqueValue !== true) continue
      const owner = ownerOf(name, value)
      if (owner !== undefined && owner !== self) {
        clashes.push(propertyError(name, 'CONFLICTING_UNIQUE_VALUE', `The value of "${name}" must be unique; contact ${owner.id} already has ${value}`))
      }
    }
    if (clashes.length > 0) throw invalid(clashes)
  }

  const apply = (contact: StoredContact, props: ReadonlyMap<string, string>): void => {
    for (const [name, value] of props) {
      // [contacts] "Update contacts": an empty string clears the property's value.
      if (value === '') contact.properties.delete(name)
      else contact.properties.set(name, value)
    }
  }

  // ---- the search index ([search] "a few moments" before new or changed records show)

  /** Keeps the contact's current state as a version; drops versions the index no longer needs. */
  const remember = (contact: StoredContact): void => {
    const list = versions.get(contact.id) ?? []
    list.push({ at: now(), properties: new Map(contact.properties), updatedAt: contact.updatedAt })
    const horizon = now() - indexLagMs
    while (list.length > MAX_VERSIONS || (list.length > 1 && (list[1]?.at ?? Infinity) <= horizon)) list.shift()
    versions.set(contact.id, list)
  }

  /**
   * The contact as the search index sees it: invisible until `indexLagMs` after its creation,
   * then as its last version at least `indexLagMs` old (the oldest kept, if that one was dropped).
   */
  const asIndexed = (contact: StoredContact): StoredContact | undefined => {
    const horizon = now() - indexLagMs
    if (contact.createdAt > horizon) return undefined
    const list = versions.get(contact.id) ?? []
    const latest = list.at(-1)
    if (latest === undefined || latest.at <= horizon) return contact
    const seen = list.filter((v) => v.at <= horizon).at(-1) ?? list[0] ?? latest
    return { id: contact.id, properties: new Map(seen.properties), createdAt: contact.createdAt, updatedAt: seen.updatedAt }
  }

  // ---- reads by id or unique value ([contacts] "Retrieve contacts")

  /**
   * The contact a path names: by record id, or with `idProperty` by the value of `email` (any
   * case) or another property whose values are unique. Never lagged: reads see every write.
   */
  const contactOr404 = (value: string, idProperty: string | undefined): StoredContact => {
    let contact: StoredContact | undefined
    if (idProperty === undefined || idProperty === 'hs_object_id') contact = contacts.get(value)
    else {
      const d = definitions.get(idProperty)
      if (d === undefined) throw validation(`idProperty ${idProperty} is not a property of contacts`)
      if (idProperty !== 'email' && d.hasUniqueValue !== true) throw validation(`idProperty ${idProperty} is not a property with unique values`)
      contact = ownerOf(idProperty, value)
    }
    // [contacts] 404 for an unknown id (silent: the body; "resource not found", category OBJECT_NOT_FOUND).
    if (contact === undefined) throw new HubSpotFailure(404, 'OBJECT_NOT_FOUND', 'resource not found')
    return contact
  }

  // ---- HTTP: parsing, auth, shape checks, rate limits, errors

  /** Sliding window per token; true when the request is over the limit. */
  const overLimit = (hits: number[], limit: RateLimit): boolean => {
    const at = now()
    while (hits.length > 0 && (hits[0] ?? 0) <= at - limit.windowMs) hits.shift()
    if (hits.length >= limit.max) return true
    hits.push(at)
    return false
  }

  const app = Fastify({ logger: false })

  // JSON bodies as Fastify parses them, keeping the raw text's length ([search] the 3,000-character cap).
  const rawLength = new WeakMap<FastifyRequest, number>()
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8')
    rawLength.set(request, text.length)
    parseJson(request, text, done)
  })

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

  /** [description] the route's body and query against their shapes; recorded as a violation, refused after the rate limits. */
  const shapeFailure = (request: FastifyRequest): HubSpotFailure | undefined => {
    const shapes = SHAPE_OF[`${request.method} ${request.routeOptions.url ?? ''}`]
    if (shapes === undefined) return undefined
    const messages: string[] = []
    const problems: string[] = []
    if (shapes.body !== undefined) {
      // [description] every body of these endpoints is required.
      const found = request.body === undefined ? ['a JSON body is required'] : shapes.body.check(request.body)
      if (found.length > 0) messages.push(`Invalid input JSON: it does not fit ${shapes.body.name}: ${found.join('; ')}`)
      problems.push(...found)
    }
    if (shapes.query !== undefined) {
      const found = shapes.query.check({ ...(request.query as object) }).map((p) => `query parameter ${p}`)
      if (found.length > 0) messages.push(`Invalid query parameters: ${found.join('; ')}`)
      problems.push(...found)
    }
    if (problems.length === 0) return undefined
    violations.push({ method: request.method, url: request.url, problems })
    return validation(messages.join('. '))
  }

  app.addHook('preHandler', async (request, reply) => {
    const index = recorded.get(request)
    const entry = index === undefined ? undefined : requests[index]
    if (index !== undefined && entry !== undefined) requests[index] = { ...entry, body: request.body }
    const misshapen = shapeFailure(request)
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
    } else {
      // [usage] the rolling ten-second limit of every other call (properties API included), with its headers on every answer.
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
    }
    if (misshapen !== undefined) throw misshapen
  })

  // [errors] `{status, message, correlationId, category, errors?}` for every failure.
  app.setErrorHandler((err, request, reply) => {
    const correlationId = randomUUID()
    void reply.header('X-HubSpot-Correlation-Id', correlationId)
    if (err instanceof HubSpotFailure) {
      return reply
        .code(err.status)
        .headers(err.headers)
        .type('application/json;charset=utf-8')
        .send({ status: 'error', message: err.message, correlationId, category: err.category, ...(err.errors ? { errors: err.errors } : {}), ...err.extra })
    }
    // A body Fastify could not parse: HubSpot answers 400 "Invalid input JSON" (a violation too).
    const status = typeof (err as { statusCode?: unknown }).statusCode === 'number' ? (err as { statusCode: number }).statusCode : 500
    const problem = `the body is not JSON (${err instanceof Error ? err.message : String(err)})`
    if (status === 400) violations.push({ method: request.method, url: request.url, problems: [problem] })
    return reply
      .code(status)
      .type('application/json;charset=utf-8')
      .send({ status: 'error', message: status === 400 ? `Invalid input JSON: ${problem}` : 'internal error', correlationId, category: status === 400 ? 'VALIDATION_ERROR' : 'INTERNAL_ERROR' })
  })
  app.setNotFoundHandler((_request, reply) => {
    void reply.code(404).type('application/json;charset=utf-8').send({ status: 'error', message: 'resource not found', correlationId: randomUUID() })
  })

  const send = (reply: FastifyReply, status: number, body: unknown) => reply.code(status).type('application/json;charset=utf-8').send(body)

  /** Query parameters as lists: repeated (`?properties=a&properties=b`) or comma-separated (`?properties=a,b`). */
  const listParam = (raw: unknown): string[] =>
    (Array.isArray(raw) ? raw : typeof raw === 'string' ? [raw] : [])
      .flatMap((p: unknown) => String(p).split(','))
      .map((p) => p.trim())
      .filter((p) => p !== '')

  type ContactRoute = { Params: { id: string }; Querystring: Record<string, unknown> }
  const idPropertyOf = (query: Record<string, unknown>): string | undefined => (typeof query['idProperty'] === 'string' ? query['idProperty'] : undefined)

  // ---- contacts

  // [contacts] "Create contacts": POST /crm/v3/objects/contacts {properties, associations} → 201.
  app.post('/crm/v3/objects/contacts', async (request, reply) => {
    const body = request.body as { properties: Record<string, string> }
    const props = checkProperties(body.properties)
    checkUnique(props)
    const at = now()
    const contact: StoredContact = { id: String(nextId++), properties: new Map(), createdAt: at, updatedAt: at }
    apply(contact, props)
    contacts.set(contact.id, contact)
    remember(contact)
    return send(reply, 201, answer(contact, [...props.keys(), ...ALWAYS_RETURNED], false))
  })

  // [contacts] "Retrieve contacts": GET …/{contactId}?properties=a,b → only those (plus defaults);
  // `archived=true` asks for archived records, which the double never has.
  app.get<ContactRoute>('/crm/v3/objects/contacts/:id', async (request, reply) => {
    if (request.query['archived'] === 'true') throw new HubSpotFailure(404, 'OBJECT_NOT_FOUND', 'resource not found')
    const contact = contactOr404(request.params.id, idPropertyOf(request.query))
    const requested = listParam(request.query['properties'])
    // silent: requested properties without a value come back as null; unknown names are skipped.
    const names = requested.length === 0 ? DEFAULT_SEARCH_PROPERTIES : [...new Set([...requested, ...ALWAYS_RETURNED])]
    return send(reply, 200, answer(contact, names, requested.length > 0))
  })

  // [contacts] "Update contacts": PATCH …/{contactId}[?idProperty=] {properties} → 200; "" clears.
  app.patch<ContactRoute>('/crm/v3/objects/contacts/:id', async (request, reply) => {
    const contact = contactOr404(request.params.id, idPropertyOf(request.query))
    const props = checkProperties((request.body as { properties: Record<string, string> }).properties)
    checkUnique(props, contact)
    apply(contact, props)
    contact.updatedAt = now()
    remember(contact)
    return send(reply, 200, answer(contact, [...props.keys(), ...ALWAYS_RETURNED], false))
  })

  // [search] POST …/contacts/search {filterGroups, properties, limit, after, sorts, query?}.
  app.post('/crm/v3/objects/contacts/search', async (request, reply) => {
    // [search] limitations: a request body of at most 3,000 characters.
    const length = rawLength.get(request) ?? 0
    if (length > DOUBLE_SEARCH_LIMITS.bodyCharacters) {
      throw validation(`The search request body is ${length} characters long; the maximum is ${DOUBLE_SEARCH_LIMITS.bodyCharacters}.`)
    }
    const body = request.body as SearchRequest
    const known = (name: string): boolean => definitions.has(name)
    const groups = checkFilterGroups(body.filterGroups, known)
    if (body.limit < 1 || body.limit > DOUBLE_SEARCH_LIMITS.pageSize) throw validation(`limit must be between 1 and ${DOUBLE_SEARCH_LIMITS.pageSize}`)
    // `after` is a text cursor: "0" is the start; the double's own cursors are offsets in text.
    if (!/^\d+$/.test(body.after)) throw validation('after must be a paging cursor from a previous answer, or "0"')
    const offset = Number(body.after)
    // [search] "limited to 10,000 total results … paging beyond 10,000 will result in a 400 error".
    if (offset + body.limit > DOUBLE_SEARCH_LIMITS.results) throw validation(`The search endpoints are limited to ${DOUBLE_SEARCH_LIMITS.results} total results`)
    const sort = checkSorts(body.sorts, known)

    const visible = [...contacts.values()].map(asIndexed).filter((c): c is StoredContact => c !== undefined)
    let matches = visible.filter((c) => groups.length === 0 || groups.some((g) => g.every((f) => matchFilter(f, (name) => valueOf(c, name)))))
    const query = body.query?.trim() ?? ''
    if (query !== '') {
      // [search] a `query` looks for the text in the default searchable properties (silent: how — here, words starting with it).
      matches = matches.filter((c) => QUERY_SEARCHED.some((name) => { const v = valueOf(c, name); return v !== null && tokenMatch(v, `${query}*`) }))
    }
    matches.sort((a, b) => Number(a.id) - Number(b.id))
    if (sort !== undefined) matches.sort((a, b) => compareValues(valueOf(a, sort.propertyName), valueOf(b, sort.propertyName)) * (sort.descending ? -1 : 1))
    // [search] "including a properties array will override the default returned properties" (an empty one does not).
    const names = body.properties.length === 0 ? DEFAULT_SEARCH_PROPERTIES : [...new Set([...body.properties, ...ALWAYS_RETURNED])]
    const page = matches.slice(offset, offset + body.limit)
    const next = offset + body.limit < matches.length ? String(offset + body.limit) : undefined
    return send(reply, 200, {
      total: matches.length,
      results: page.map((c) => answer(c, names, body.properties.length > 0)),
      ...(next === undefined ? {} : { paging: { next: { after: next, link: `?after=${next}` } } })
    })
  })

  // ---- properties ([properties])

  // GET /crm/v3/properties/contacts → every definition, HubSpot's and the merchant's (none archived).
  app.get<{ Querystring: Record<string, unknown> }>('/crm/v3/properties/contacts', async (request, reply) => {
    const results = request.query['archived'] === 'true' ? [] : [...held.values()].map(propertyAnswer)
    return send(reply, 200, { results })
  })

  app.get<{ Params: { name: string } }>('/crm/v3/properties/contacts/:name', async (request, reply) => {
    const h = held.get(request.params.name)
    if (h === undefined) throw new HubSpotFailure(404, 'OBJECT_NOT_FOUND', `Unable to find property ${request.params.name}`)
    return send(reply, 200, propertyAnswer(h))
  })

  // POST /crm/v3/properties/contacts PropertyCreate → 201 Property; usable by writes, reads and search at once.
  app.post('/crm/v3/properties/contacts', async (request, reply) => {
    const p = request.body as PropertyCreate
    if (definitions.has(p.name)) throw new HubSpotFailure(409, 'OBJECT_ALREADY_EXISTS', `Property named '${p.name}' already exists.`)
    if (!groups.has(p.groupName)) throw validation(`Property group '${p.groupName}' does not exist; create it first.`)
    const values = (p.options ?? []).map((o) => o.value)
    // [properties] "Property type and fieldType values": a bool is a single checkbox with the options true and false.
    if (p.type === 'bool' && (p.fieldType !== 'booleancheckbox' || values.length !== 2 || !values.includes('true') || !values.includes('false'))) {
      throw validation(`A bool property is a booleancheckbox with the two options "true" and "false"`)
    }
    // [properties] an enumeration needs its options, and one of the field types that offer options.
    if (p.type === 'enumeration' && values.length === 0) throw validation('An enumeration property needs options')
    if (p.type === 'enumeration' && !ENUMERATION_FIELD_TYPES.includes(p.fieldType)) throw validation(`An enumeration cannot have fieldType ${p.fieldType}`)
    // [properties] a date property is shown with the date picker.
    if (p.type === 'date' && p.fieldType !== 'date') throw validation(`A date property has fieldType date, not ${p.fieldType}`)
    const made = define(
      {
        name: p.name,
        label: p.label,
        type: p.type,
        fieldType: p.fieldType,
        groupName: p.groupName,
        hasUniqueValue: p.hasUniqueValue ?? false,
        ...(p.description === undefined ? {} : { description: p.description }),
        ...(values.length === 0 ? {} : { options: values })
      },
      {
        options: (p.options ?? []).map((o, i) => ({ ...o, displayOrder: o.displayOrder ?? i })),
        formField: p.formField ?? false,
        displayOrder: p.displayOrder ?? -1
      }
    )
    return send(reply, 201, propertyAnswer(made))
  })

  // Groups: GET list, POST PropertyGroupCreate → 201 (409 when the name exists), GET one → 200 | 404.
  app.get('/crm/v3/properties/contacts/groups', async (_request, reply) => send(reply, 200, { results: [...groups.values()] }))

  app.post('/crm/v3/properties/contacts/groups', async (request, reply) => {
    const g = request.body as PropertyGroupCreate
    if (groups.has(g.name)) throw new HubSpotFailure(409, 'OBJECT_ALREADY_EXISTS', `Property group named '${g.name}' already exists.`)
    const group: PropertyGroup = { name: g.name, label: g.label, displayOrder: g.displayOrder ?? -1, archived: false }
    groups.set(group.name, group)
    return send(reply, 201, group)
  })

  app.get<{ Params: { group: string } }>('/crm/v3/properties/contacts/groups/:group', async (request, reply) => {
    const group = groups.get(request.params.group)
    if (group === undefined) throw new HubSpotFailure(404, 'OBJECT_NOT_FOUND', `Unable to find property group ${request.params.group}`)
    return send(reply, 200, group)
  })

  const url = await app.listen({ host: '127.0.0.1', port: 0 })

  return {
    url,
    contacts,
    definitions,
    requests,
    violations,
    setProperties(id, properties) {
      const contact = contacts.get(id)
      if (contact === undefined) throw new Error(`hubspot double: no contact ${id}`)
      apply(contact, new Map(Object.entries(properties)))
      contact.updatedAt = now()
      remember(contact)
    },
    setSearchRateLimit(limit) {
      searchLimit = limit
    },
    setBurstRateLimit(limit) {
      burstLimit = limit
    },
    setIndexLag(ms) {
      indexLagMs = ms
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

/**
 * [search] "Filter search results": filters in a group are ANDed, groups ORed; at most 5
 * groups, 6 filters per group, 18 in all (VALIDATION_ERROR otherwise); a filter names an
 * existing property (PROPERTY_DOESNT_EXIST). Shapes and operators are checked by the description.
 */
function checkFilterGroups(groups: SearchRequest['filterGroups'], known: (name: string) => boolean): SearchFilter[][] {
  const L = DOUBLE_SEARCH_LIMITS
  if (groups.length > L.filterGroups) throw validation(`Too many filter groups (${groups.length}). The maximum number of filter groups is ${L.filterGroups}.`)
  let total = 0
  for (const { filters } of groups) {
    if (filters.length > L.filtersPerGroup) throw validation(`Too many filters in a group (${filters.length}). The maximum number of filters per group is ${L.filtersPerGroup}.`)
    total += filters.length
    for (const f of filters) if (!known(f.propertyName)) throw doesntExist(f.propertyName)
  }
  if (total > L.filters) throw validation(`Too many filters (${total}). The maximum number of filters is ${L.filters}.`)
  return groups.map((g) => g.filters)
}

/**
 * [search] "Sort search results": one sorting rule, as the description types it — a property
 * name, "-name" for descending. The property must exist (PROPERTY_DOESNT_EXIST).
 */
function checkSorts(sorts: readonly string[], known: (name: string) => boolean): { propertyName: string; descending: boolean } | undefined {
  if (sorts.length > 1) throw validation('You can only use one sorting rule per search')
  const [rule] = sorts
  if (rule === undefined) return undefined
  const propertyName = rule.replace(/^-/, '')
  if (!known(propertyName)) throw doesntExist(propertyName)
  return { propertyName, descending: rule.startsWith('-') }
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

function matchFilter(f: SearchFilter, valueOf: (name: string) => string | null): boolean {
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
  }
}
