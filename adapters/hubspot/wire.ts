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
 * - results reachable through paging: 10,000 ("attempting to page beyond 10,000 will result in
 *   a 400 error").
 */
export const SEARCH_LIMITS = {
  maxFilterGroups: 5,
  maxFiltersPerGroup: 6,
  maxFilters: 18,
  maxPageSize: 200,
  maxResults: 10_000
} as const

export interface HubSpotFilter {
  readonly propertyName: string
  readonly operator: 'EQ' | 'CONTAINS_TOKEN'
  readonly value: string
}

export interface HubSpotFilterGroup {
  readonly filters: readonly HubSpotFilter[]
}

/** HubSpot internal property names: lowercase letters, digits and underscores. */
const PROPERTY_NAME = /^[a-z][a-z0-9_]*$/

/**
 * The filters of one criterion on one property.
 * - equals → `EQ` with the value as given.
 * - phone → `EQ` on the number in E.164 (`international`, else the value as given): no HubSpot
 *   operator compares digits only, and the gateway writes phones in E.164, so a number it wrote
 *   is found; one typed into HubSpot in another format is not.
 * - prefix → `CONTAINS_TOKEN` with a trailing `*` wildcard (the guide: "You can use wildcards (*)
 *   to complete a partial search", e.g. `*@hubspot.com`), one filter per word of the value, so
 *   `mary an` matches a value holding a word starting "mary" and one starting "an".
 * - contains → the same with `*` on both sides of each word.
 * HubSpot documents no escape for `*`: a `*` typed by the user is dropped (it would otherwise
 * widen the search), and a value with nothing else left is `unsupported` (reason `value`).
 */
function filtersFor(criterion: CrmCriterion, propertyName: string): HubSpotFilter[] {
  if (criterion.operator === 'equals') return [{ propertyName, operator: 'EQ', value: criterion.value }]
  // TODO(separate issue): search HubSpot's calculated searchable phone properties instead of EQ on E.164.
  if (criterion.operator === 'phone') return [{ propertyName, operator: 'EQ', value: criterion.international ?? criterion.value }]
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
 * The port pages by offset/limit, HubSpot by `limit` (≤ 200) and an `after` cursor taken from
 * the previous answer's `paging.next.after`. The guide does not say what the cursor holds, so
 * it is treated as opaque: a window at `offset` is reached by walking pages from the start,
 * as few and as small as possible — one call when `offset + limit` ≤ 200. The 10,000-result
 * ceiling is checked before any call: beyond it HubSpot answers 400, here `unsupported`
 * (reason `paging`, field `offset`), never sent.
 */
export function pageSizes(offset: number, limit: number): number[] {
  const end = offset + limit
  if (end > SEARCH_LIMITS.maxResults) {
    throw new CrmFailure('unsupported', {
      reason: 'paging',
      field: 'offset',
      detail: `hubspot searchCustomers: HubSpot search reaches at most ${SEARCH_LIMITS.maxResults} results`
    })
  }
  const sizes: number[] = []
  for (let fetched = 0; fetched < end; fetched += sizes[sizes.length - 1] ?? 0) {
    sizes.push(Math.min(SEARCH_LIMITS.maxPageSize, end - fetched))
  }
  return sizes
}
