/**
 * The demo CRM's wire format (demo-crm/API.md): the shapes of its answers, checked at run
 * time, and how our queries are spelled in its query language.
 *
 * Why check answers at all: a CRM (or a proxy in front of it) can answer 200 with an HTML
 * login page, an empty body or a different API version. Passing such a thing on as a
 * "customer" would be far worse than failing: anything that is not what API.md promises
 * is a `bad-response` (http-failure.ts), never a record. The checks are kept
 * to what the adapter relies on (a contact has a CONTACT_ID; a search page has `data` and
 * `total`), so additions on the CRM's side never break us.
 */
import { Type } from 'typebox'
import type { Static } from 'typebox'
import { Compile } from 'typebox/compile'
import type { AxiosResponse } from 'axios'
import { CrmFailure } from '../../src/core/port.js'
import type { CrmCriterion, CrmRecord, SearchOperator } from '../../src/core/port.js'
import { badResponse, parseJsonBody } from '../shared/http-failure.js'

// ---------------------------------------------------------------------------------------------
// Answers

/** API.md § Contact record: any object with a CONTACT_ID; other fields are passed on as is. */
const ContactSchema = Type.Object({ CONTACT_ID: Type.String({ minLength: 1 }) })
const checkContact = Compile(ContactSchema)
export type DemoContact = Static<typeof ContactSchema> & CrmRecord

/** API.md § Endpoints, search: `{"data":[contacts…],"page":1,"size":20,"total":N}`. */
const SearchPageSchema = Type.Object({
  data: Type.Array(ContactSchema),
  total: Type.Integer({ minimum: 0 })
})
const checkSearchPage = Compile(SearchPageSchema)
export interface DemoSearchPage {
  readonly data: readonly DemoContact[]
  readonly total: number
}

/** API.md § Errors: `{"error":{"code":"…","message":"…", …more keys}}`. */
const ErrorBodySchema = Type.Object({
  error: Type.Object({
    code: Type.String(),
    message: Type.Optional(Type.String()),
    fields: Type.Optional(Type.Array(Type.String())),
    existing_id: Type.Optional(Type.String()),
    current_version: Type.Optional(Type.Number())
  })
})
const checkErrorBody = Compile(ErrorBodySchema)
export type DemoErrorBody = Static<typeof ErrorBodySchema>['error']

/** A 200/201 contact answer (POST, GET, PATCH). */
export function readContact(response: AxiosResponse<string>, op: string): DemoContact {
  const body = parseJsonBody(response, op)
  if (!checkContact.Check(body)) return badResponse(op, 'the answer is not a contact object with a CONTACT_ID')
  return body
}

/** A 200 search answer. */
export function readSearchPage(response: AxiosResponse<string>, op: string): DemoSearchPage {
  const body = parseJsonBody(response, op)
  if (!checkSearchPage.Check(body)) return badResponse(op, 'the answer has no data array of contacts and total')
  return body
}

/**
 * The CRM's error body, when there is a readable one. Lenient on purpose: an error status
 * keeps its meaning even when a proxy replaced the body with HTML.
 */
export function readErrorBody(response: AxiosResponse<string>): DemoErrorBody | undefined {
  try {
    const body: unknown = JSON.parse(response.data)
    return checkErrorBody.Check(body) ? body.error : undefined
  } catch {
    return undefined
  }
}

// ---------------------------------------------------------------------------------------------
// Queries

/**
 * API.md § Search filters: our operators in the CRM's words. `phone` is `ewd` ("ends with,
 * comparing digits only"): the port's value is the national significant number, and a stored
 * `+1 415 555 0177`, `(415) 555-0177` or `14155550177` ends with its digits. (`eqd`, whole
 * digits equal, would miss every number stored with its country code or trunk prefix.)
 */
const OPERATORS: Readonly<Record<SearchOperator, string>> = { equals: 'eq', prefix: 'sw', contains: 'co', phone: 'ewd' }

/** The CRM's field names: `NAME` or dotted `NAME.SUB` (API.md § Contact record). */
const FIELD_PATH = /^[A-Z][A-Z0-9_]*(?:\.[A-Z][A-Z0-9_]*)*$/

/**
 * One criterion as one `filter` value: `FIELD|FIELD:op:value` (API.md § Search filters).
 * The value needs no escaping in the filter language (it is "the rest of the string", `:`
 * included); URL encoding is left to URLSearchParams. Field names come from the mapping
 * table, not from users; a malformed one is our configuration's fault (`misconfigured`),
 * refused here rather than sent, as the CRM's 400 would read as refused values.
 */
export function toFilter(criterion: CrmCriterion): string {
  if (criterion.fields.length === 0 || !criterion.fields.every((f) => FIELD_PATH.test(f))) {
    // Field names are configuration, not customer data: safe to name in the log detail.
    throw new CrmFailure('misconfigured', {
      detail: `demo-crm: search fields must be CRM field names, got "${criterion.fields.join('|')}" (check the mapping table)`
    })
  }
  return `${criterion.fields.join('|')}:${OPERATORS[criterion.operator]}:${criterion.value}`
}

/** API.md § Search filters: `size` is 1..100. */
export const MAX_PAGE_SIZE = 100

/** The CRM pages to fetch for a window of records, and where the window starts in them. */
export interface PagePlan {
  readonly pages: readonly { readonly page: number; readonly size: number }[]
  /** Records to drop from the start of the concatenated pages. */
  readonly skip: number
}

/**
 * Maps the port's offset/limit onto the CRM's page/size (1-based pages):
 * - offset a multiple of limit: exactly one page, `page = offset / limit + 1`, `size = limit`;
 * - otherwise one larger page that holds the whole window when there is one no bigger than
 *   two pages' worth (one round trip, no more data than the fallback), else the two
 *   `limit`-sized pages that straddle the window.
 */
export function planPages(offset: number, limit: number): PagePlan {
  if (offset % limit === 0) return { pages: [{ page: offset / limit + 1, size: limit }], skip: 0 }
  const last = offset + limit - 1
  for (let size = limit + 1; size <= Math.min(2 * limit, MAX_PAGE_SIZE); size++) {
    const index = Math.floor(offset / size)
    if (Math.floor(last / size) === index) return { pages: [{ page: index + 1, size }], skip: offset - index * size }
  }
  const index = Math.floor(offset / limit)
  return {
    pages: [
      { page: index + 1, size: limit },
      { page: index + 2, size: limit }
    ],
    skip: offset - index * limit
  }
}
