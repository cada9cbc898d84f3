/**
 * HubSpot's wire format for CRM v3 contacts: the answers' shapes (checked at run time), the
 * published search limits, and how the port's criteria are spelled as HubSpot `filterGroups`.
 *
 * Sources (HubSpot's public developer reference):
 * - contacts: https://developers.hubspot.com/docs/api/crm/contacts
 * - search:   https://developers.hubspot.com/docs/api/crm/search
 *             (limits: https://developers.hubspot.com/docs/api-reference/search/guide#limitations)
 * - errors:   https://developers.hubspot.com/docs/api-reference/error-handling
 *
 * Why check answers at all: a proxy or an API change can answer 200 with an HTML page or a
 * different shape. The checks cover what the adapter relies on (a contact has an `id` and a
 * `properties` object; a search page has `total` and `results`); additions never break us.
 */
import { Type } from 'typebox'
import type { Static } from 'typebox'
import { Compile } from 'typebox/compile'
import type { AxiosResponse } from 'axios'
import { CrmFailure } from '../../src/core/port.js'
import type { CrmCriterion, CrmRecord } from '../../src/core/port.js'
import { parsePhoneNumberFromString } from 'libphonenumber-js'
import { badResponse, parseJsonBody } from '../shared/http-failure.js'

// ---------------------------------------------------------------------------------------------
// Answers

/**
 * A contact (SimplePublicObject): `{id, properties: {name: value|null}, createdAt, updatedAt,
 * archived}`. Property values are strings, or null for a requested property without a value
 * (contacts guide, "Retrieve contacts"). Other value types are tolerated and passed on.
 */
const ContactSchema = Type.Object({
  id: Type.String({ minLength: 1 }),
  properties: Type.Record(Type.String(), Type.Unknown())
})
const checkContact = Compile(ContactSchema)
export type HubSpotContact = Static<typeof ContactSchema>

/** Search answer (search guide): `{total, results: [contacts], paging?: {next?: {after}}}`. */
const SearchPageSchema = Type.Object({
  total: Type.Integer({ minimum: 0 }),
  results: Type.Array(ContactSchema),
  paging: Type.Optional(Type.Object({ next: Type.Optional(Type.Object({ after: Type.String({ minLength: 1 }) })) }))
})
const checkSearchPage = Compile(SearchPageSchema)
export type HubSpotSearchPage = Static<typeof SearchPageSchema>

/**
 * The error body (error-handling guide): `{status, message, correlationId, category,
 * subCategory?, context?, errors?: [{message, code?, in?, context?}]}`; a 429 adds `errorType`
 * and `policyName` (usage guide, https://developers.hubspot.com/docs/guides/apps/api-usage/usage-details:
 * `DAILY`, `SECONDLY`…). The guide asks to treat every field as optional; so do we.
 */
const ErrorBodySchema = Type.Object({
  status: Type.Optional(Type.String()),
  message: Type.Optional(Type.String()),
  correlationId: Type.Optional(Type.String()),
  category: Type.Optional(Type.String()),
  policyName: Type.Optional(Type.String()),
  errors: Type.Optional(
    Type.Array(
      Type.Object({
        message: Type.Optional(Type.String()),
        code: Type.Optional(Type.String()),
        context: Type.Optional(Type.Object({ propertyName: Type.Optional(Type.Array(Type.String())) }))
      })
    )
  )
})
const checkErrorBody = Compile(ErrorBodySchema)
export type HubSpotErrorBody = Static<typeof ErrorBodySchema>

/**
 * A property definition (properties guide https://developers.hubspot.com/docs/api/crm/properties;
 * the description's `Property`): what the adapter relies on — the name, `type` (string, number,
 * bool, date, datetime, enumeration, phone_number), `fieldType`, whether values are unique, and
 * whether HubSpot computes it. Other members are tolerated.
 */
const PropertySchema = Type.Object({
  name: Type.String({ minLength: 1 }),
  type: Type.String(),
  fieldType: Type.String(),
  hasUniqueValue: Type.Optional(Type.Boolean()),
  calculated: Type.Optional(Type.Boolean()),
  hubspotDefined: Type.Optional(Type.Boolean()),
  modificationMetadata: Type.Optional(Type.Object({ readOnlyValue: Type.Optional(Type.Boolean()) }))
})
export type HubSpotProperty = Static<typeof PropertySchema>
const checkPropertyList = Compile(Type.Object({ results: Type.Array(PropertySchema) }))
const checkProperty = Compile(PropertySchema)
const checkGroupList = Compile(Type.Object({ results: Type.Array(Type.Object({ name: Type.String({ minLength: 1 }) })) }))

/** GET /crm/v3/properties/contacts → 200 `{results: [Property]}`. */
export function readPropertyList(response: AxiosResponse<string>, op: string): readonly HubSpotProperty[] {
  const body = parseJsonBody(response, op)
  if (!checkPropertyList.Check(body)) return badResponse(op, 'the answer is not a list of property definitions')
  return body.results
}

/** POST /crm/v3/properties/contacts → 201 Property. */
export function readProperty(response: AxiosResponse<string>, op: string): HubSpotProperty {
  const body = parseJsonBody(response, op)
  if (!checkProperty.Check(body)) return badResponse(op, 'the answer is not a property definition')
  return body
}

/** GET /crm/v3/properties/contacts/groups → 200 `{results: [PropertyGroup]}`: the names. */
export function readGroupNames(response: AxiosResponse<string>, op: string): ReadonlySet<string> {
  const body = parseJsonBody(response, op)
  if (!checkGroupList.Check(body)) return badResponse(op, 'the answer is not a list of property groups')
  return new Set(body.results.map((g) => g.name))
}

/** The record key the adapter stores the contact id under (HubSpot's own `hs_object_id`). */
export const ID_PROPERTY = 'hs_object_id'

const REFUSED_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype'])

/**
 * A contact as the port's CRM record: its properties at the top level (the mapping table
 * names HubSpot properties directly) and the id as `hs_object_id`, which HubSpot also keeps as
 * a property. Built key by key into a fresh object: a hostile key never reaches a prototype.
 */
export function toRecord(contact: HubSpotContact, base: CrmRecord = {}): CrmRecord {
  const record: CrmRecord = {}
  for (const source of [base, contact.properties]) {
    for (const [key, value] of Object.entries(source)) {
      if (!REFUSED_KEYS.has(key) && value !== undefined) record[key] = value
    }
  }
  record[ID_PROPERTY] = contact.id
  return record
}

/** A 200/201 contact answer (create, read, update). */
export function readContact(response: AxiosResponse<string>, op: string): HubSpotContact {
  const body = parseJsonBody(response, op)
  if (!checkContact.Check(body)) return badResponse(op, 'the answer is not a contact with an id and properties')
  return body
}

/** A 200 search answer. */
export function readSearchPage(response: AxiosResponse<string>, op: string): HubSpotSearchPage {
  const body = parseJsonBody(response, op)
  if (!checkSearchPage.Check(body)) return badResponse(op, 'the answer has no total and results list of contacts')
  return body
}

/** HubSpot's error body when there is a readable one (a proxy may have replaced it). */
export function readErrorBody(response: AxiosResponse<string>): HubSpotErrorBody | undefined {
  try {
    const body: unknown = JSON.parse(response.data)
    return checkErrorBody.Check(body) ? body : undefined
  } catch {
    return undefined
  }
}

// ---------------------------------------------------------------------------------------------
// Writes

/**
 * A port record (or patch) as HubSpot `properties`: every value a string. The contacts guide
 * writes all values as strings ("" clears a property); numbers and booleans are sent as their
 * text. A structure (object, list) has no HubSpot property type: the mapping table must keep it
 * as JSON text (`transform: json`), so an object here is `misconfigured`, the property named.
 */
export function toProperties(record: CrmRecord, op: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(record)) {
    if (REFUSED_KEYS.has(name) || value === undefined) continue
    if (name === ID_PROPERTY) continue // read-only in HubSpot: the id selects, never writes
    if (typeof value === 'string') out[name] = value
    else if (typeof value === 'number' || typeof value === 'boolean') out[name] = String(value)
    else if (value === null) out[name] = ''
    else {
      throw new CrmFailure('misconfigured', {
        detail: `hubspot ${op}: property "${name}" holds a structure; give its mapping row "transform: json"`
      })
    }
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// Search

/**
 * Published search limits (search guide, "Limitations", and the changelog
 * https://developers.hubspot.com/changelog/breaking-change-expanded-filtering-capabilities-and-error-messaging-in-hubspots-search-api):
 * - filter groups: 5 (both sources agree);
 * - filters per group / in total: the changelog of 2024 raised them to 10 / 25, the guide's
 *   limitations list 6 per group and 18 in total. We keep to the stricter pair (6 / 18): a query
 *   within it is accepted under either reading;
 * - page size (`limit`): at most 200;
 * - request body: at most 3,000 characters.
 * The gateway reaches only the first page: an SPI search at `offset` asks HubSpot for
 * `offset + limit` results in one call, and a window past 200 is refused before any call
 * (`unsupported`, reason `paging`). Walking HubSpot's opaque `after` cursors to a deep offset
 * would spend one call of the account's five per second per page, for results no associate
 * scrolls to; README § HubSpot documents the maximum.
 */
export const SEARCH_LIMITS = {
  maxFilterGroups: 5,
  maxFiltersPerGroup: 6,
  maxFilters: 18,
  maxPageSize: 200,
  maxBodyCharacters: 3000,
  /** offset + limit of an SPI search. */
  maxReachable: 200
} as const

export interface HubSpotFilter {
  readonly propertyName: string
  readonly operator: 'EQ' | 'IN' | 'CONTAINS_TOKEN'
  readonly value?: string
  readonly values?: readonly string[]
}

export interface HubSpotFilterGroup {
  readonly filters: readonly HubSpotFilter[]
}

/**
 * The search body, with every member HubSpot's published description of the endpoint
 * requires (`PublicObjectSearchRequest`: filterGroups, properties, limit, after, sorts) — its
 * SDKs are generated from it. `after: "0"` is the first page; `sorts` are strings there
 * (`"name"` ascending): by record id, so a window at an offset is the same between two calls.
 */
export interface SearchBody {
  readonly filterGroups: readonly HubSpotFilterGroup[]
  readonly properties: readonly string[]
  readonly limit: number
  readonly after: string
  readonly sorts: readonly string[]
}

export function searchBody(filterGroups: readonly HubSpotFilterGroup[], properties: readonly string[], limit: number): SearchBody {
  const body: SearchBody = { filterGroups, properties, limit, after: '0', sorts: [ID_PROPERTY] }
  const size = JSON.stringify(body).length
  if (size > SEARCH_LIMITS.maxBodyCharacters) {
    throw new CrmFailure('unsupported', {
      reason: 'criteria',
      detail: `hubspot searchCustomers: the search body would be ${size} characters; HubSpot takes ${SEARCH_LIMITS.maxBodyCharacters} (long values, or a table reading many properties)`
    })
  }
  return body
}

/** HubSpot internal property names: lowercase letters, digits and underscores. */
const PROPERTY_NAME = /^[a-z][a-z0-9_]*$/

/**
 * Properties HubSpot computes from `phone` and `mobilephone` for searching: the number's
 * digits without the country code. The search guide advises searching phone numbers through
 * them, leaving the country code out, so a number typed in any form is found.
 */
const CALCULATED_PHONE = /^hs_searchable_calculated_/

/**
 * How a number may have been typed into a text property HubSpot does not normalize (a custom
 * `home_phone`): E.164 as the gateway writes it, the international and national formats, the
 * national digits bare, grouped with spaces, dashes or dots, with the country code, and the
 * country code before dash-grouped digits (`+1 415-555-0142`). Compared
 * with `IN` (exact values): HubSpot has no digits-only comparison for other properties.
 */
function phoneSpellings(criterion: CrmCriterion): string[] {
  const parsed = criterion.international === undefined ? undefined : parsePhoneNumberFromString(criterion.international)
  if (parsed === undefined) return [criterion.value]
  const national = parsed.formatNational()
  const groups = national.match(/\d+/g) ?? []
  return [
    ...new Set([
      parsed.number,
      parsed.formatInternational(),
      national,
      criterion.value,
      `${parsed.countryCallingCode}${criterion.value}`,
      groups.join(' '),
      groups.join('-'),
      groups.join('.'),
      `+${parsed.countryCallingCode} ${groups.join('-')}`
    ])
  ]
}

/**
 * The filters of one criterion on one property.
 * - equals → `EQ` with the value as given.
 * - phone → on HubSpot's calculated searchable numbers, `EQ` on the national number (digits, no
 *   country code); on any other property, `IN` the number's common spellings (phoneSpellings).
 *   The core re-checks every record found against the searched number.
 * - prefix → `CONTAINS_TOKEN` with a trailing `*` wildcard (the guide: "You can use wildcards (*)
 *   to complete a partial search", e.g. `*@hubspot.com`), one filter per word of the value, so
 *   `mary an` matches a value holding a word starting "mary" and one starting "an".
 * - contains → the same with `*` on both sides of each word.
 * HubSpot documents no escape for `*`: a `*` typed by the user is dropped (it would otherwise
 * widen the search), and a value with nothing else left is `unsupported` (reason `value`).
 */
function filtersFor(criterion: CrmCriterion, propertyName: string): HubSpotFilter[] {
  if (criterion.operator === 'equals') return [{ propertyName, operator: 'EQ', value: criterion.value }]
  if (criterion.operator === 'phone') {
    if (CALCULATED_PHONE.test(propertyName)) return [{ propertyName, operator: 'EQ', value: criterion.value }]
    return [{ propertyName, operator: 'IN', values: phoneSpellings(criterion) }]
  }
  const words = criterion.value
    .replaceAll('*', ' ')
    .split(/\s+/)
    .filter((w) => w !== '')
  if (words.length === 0) {
    throw new CrmFailure('unsupported', {
      reason: 'value',
      field: criterion.fields.join(', '),
      detail: 'hubspot searchCustomers: a prefix/contains value without any searchable character'
    })
  }
  const wrap = criterion.operator === 'prefix' ? (w: string) => `${w}*` : (w: string) => `*${w}*`
  return words.map((w) => ({ propertyName, operator: 'CONTAINS_TOKEN', value: wrap(w) }))
}

/**
 * The port's criteria as `filterGroups`, built as JSON structures (never as strings). HubSpot
 * ANDs the filters of a group and ORs the groups (search guide, "Filter search results"). The
 * port ANDs its criteria and ORs the fields of one criterion, so the groups are the cross
 * product of the criteria's fields: `phone` over 3 properties and `lastName` make 3 groups of 2
 * filters. When the product exceeds the published limits the search is `unsupported` (reason
 * `criteria`), naming the criterion's fields, rather than silently dropping a criterion.
 */
export function toFilterGroups(criteria: readonly CrmCriterion[]): HubSpotFilterGroup[] {
  if (criteria.length === 0) {
    // The service never searches without a criterion (an empty filter list would list
    // everyone): reaching here means the gateway's wiring is wrong, not the POS's request.
    throw new CrmFailure('misconfigured', { detail: 'hubspot searchCustomers: no criterion' })
  }
  let groups: HubSpotFilter[][] = [[]]
  for (const criterion of criteria) {
    if (criterion.fields.length === 0 || !criterion.fields.every((f) => PROPERTY_NAME.test(f))) {
      // Property names come from the mapping table, never from users: a bad one is our config.
      throw new CrmFailure('misconfigured', {
        detail: `hubspot searchCustomers: search fields must be HubSpot property names, got "${criterion.fields.join('|')}" (check the mapping table)`
      })
    }
    const alternatives = criterion.fields.map((field) => filtersFor(criterion, field))
    groups = groups.flatMap((group) => alternatives.map((filters) => [...group, ...filters]))
    const total = groups.reduce((n, g) => n + g.length, 0)
    const widest = Math.max(...groups.map((g) => g.length))
    if (groups.length > SEARCH_LIMITS.maxFilterGroups || widest > SEARCH_LIMITS.maxFiltersPerGroup || total > SEARCH_LIMITS.maxFilters) {
      throw new CrmFailure('unsupported', {
        reason: 'criteria',
        field: criterion.fields.join(', '),
        detail:
          `hubspot searchCustomers: these criteria need ${groups.length} filter groups of up to ${widest} filters (${total} in all); ` +
          `HubSpot accepts ${SEARCH_LIMITS.maxFilterGroups} groups, ${SEARCH_LIMITS.maxFiltersPerGroup} filters per group, ${SEARCH_LIMITS.maxFilters} in all`
      })
    }
  }
  return groups.map((filters) => ({ filters }))
}

/**
 * How many results to ask for: the whole window `offset + limit` in one call (the port's
 * limit is at most 100). A window past SEARCH_LIMITS.maxReachable is `unsupported` (reason
 * `paging`, field `offset`) before any call.
 */
export function searchWindow(offset: number, limit: number): number {
  const end = offset + limit
  if (end > SEARCH_LIMITS.maxReachable) {
    throw new CrmFailure('unsupported', {
      reason: 'paging',
      field: 'offset',
      detail: `hubspot searchCustomers: the gateway reaches the first ${SEARCH_LIMITS.maxReachable} results of a HubSpot search (offset + limit)`
    })
  }
  return end
}
