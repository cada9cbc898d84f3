/**
 * Dataverse's wire format for the `contacts` entity set: the answers' shapes (checked at run
 * time, so a proxy's HTML page or an API change is a `bad-response`, never a crash) and how the
 * port's records become request bodies.
 *
 * Sources (Microsoft's public Dataverse Web API documentation):
 * - retrieve:  https://learn.microsoft.com/power-apps/developer/data-platform/webapi/retrieve-entity-using-web-api
 * - query:     https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/overview
 * - paging:    https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/page-results
 * - errors:    https://learn.microsoft.com/power-apps/developer/data-platform/webapi/compose-http-requests-handle-errors
 * - metadata:  https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query-metadata-web-api
 * - token:     https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow
 */
import { Type } from 'typebox'
import type { Static } from 'typebox'
import { Compile } from 'typebox/compile'
import type { AxiosResponse } from 'axios'
import { CrmFailure } from '../../src/core/port.js'
import type { CrmRecord } from '../../src/core/port.js'
import { badResponse, parseJsonBody } from '../shared/http-failure.js'

/** The contact's primary key column (Uniqueidentifier): the record id the table reads. */
export const ID_COLUMN = 'contactid'

/** Every retrieved row carries its version as this annotation (conditional operations doc). */
export const ETAG = '@odata.etag'

/** Dataverse ids are GUIDs; anything else names no contact (answered "not found" without a call). */
export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

// ---------------------------------------------------------------------------------------------
// Answers

/**
 * A contact as retrieved: its selected columns at the top level (null for a column without a
 * value), its id, and the `@odata.etag` annotation ("automatically returned with each
 * retrieved entity record", conditional operations doc). Other members are tolerated.
 */
const ContactSchema = Type.Object({
  [ID_COLUMN]: Type.String({ pattern: GUID.source }),
  [ETAG]: Type.String({ minLength: 1 })
})
const checkContact = Compile(ContactSchema)
export type DataverseContact = Static<typeof ContactSchema> & Record<string, unknown>

/**
 * A page of a query (page-results doc): `value`, and `@odata.nextLink` while more rows follow;
 * `@odata.count` with `$count=true` (at most 5,000, with
 * `@Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded: true` beyond).
 */
const PageSchema = Type.Object({
  value: Type.Array(ContactSchema),
  '@odata.nextLink': Type.Optional(Type.String({ minLength: 1 })),
  '@odata.count': Type.Optional(Type.Integer({ minimum: 0 })),
  '@Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded': Type.Optional(Type.Boolean())
})
const checkPage = Compile(PageSchema)
export interface DataversePage {
  readonly value: readonly DataverseContact[]
  readonly nextLink?: string
  readonly count?: number
}

/** The error body (compose-http-requests-handle-errors): `{error: {code, message}}`; both may be empty. */
const ErrorBodySchema = Type.Object({
  error: Type.Object({ code: Type.Optional(Type.String()), message: Type.Optional(Type.String()) })
})
const checkErrorBody = Compile(ErrorBodySchema)
export type DataverseError = Static<typeof ErrorBodySchema>['error']

/**
 * The token endpoint's success answer (client credentials flow, "Successful response"):
 * `{token_type: "Bearer", expires_in, access_token}` (`ext_expires_in` too, unused).
 */
const TokenSchema = Type.Object({
  token_type: Type.String({ pattern: '^[Bb][Ee][Aa][Rr][Ee][Rr]$' }),
  expires_in: Type.Integer({ minimum: 1 }),
  access_token: Type.String({ minLength: 1 })
})
const checkToken = Compile(TokenSchema)
export type TokenAnswer = Static<typeof TokenSchema>

/** The token endpoint's error answer ("Error response"): `{error, error_description, error_codes}`. */
const TokenErrorSchema = Type.Object({
  error: Type.String(),
  error_codes: Type.Optional(Type.Array(Type.Integer()))
})
const checkTokenError = Compile(TokenErrorSchema)
export type TokenError = Static<typeof TokenErrorSchema>

/**
 * A column's definition from `EntityDefinitions(LogicalName='contact')/Attributes` (query
 * metadata doc): what the readiness check relies on. Other members are tolerated.
 */
const AttributeSchema = Type.Object({
  LogicalName: Type.String({ minLength: 1 }),
  AttributeType: Type.String(),
  IsValidForCreate: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
  IsValidForUpdate: Type.Optional(Type.Union([Type.Boolean(), Type.Null()]))
})
const checkAttributes = Compile(Type.Object({ value: Type.Array(AttributeSchema) }))
export type AttributeDefinition = Static<typeof AttributeSchema>

export function readContact(response: AxiosResponse<string>, op: string): DataverseContact {
  const body = parseJsonBody(response, op)
  if (!checkContact.Check(body)) return badResponse(op, 'the answer is not a contact with a contactid and an @odata.etag')
  return body
}

export function readPage(response: AxiosResponse<string>, op: string): DataversePage {
  const body = parseJsonBody(response, op)
  if (!checkPage.Check(body)) return badResponse(op, 'the answer is not a page of contacts (value)')
  const next = body['@odata.nextLink']
  const exceeded = body['@Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded'] === true
  const count = exceeded ? undefined : body['@odata.count']
  return {
    value: body.value,
    ...(next === undefined ? {} : { nextLink: next }),
    ...(count === undefined ? {} : { count })
  }
}

export function readToken(response: AxiosResponse<string>, op: string): TokenAnswer {
  const body = parseJsonBody(response, op)
  if (!checkToken.Check(body)) return badResponse(op, 'the token answer has no bearer access_token and expires_in')
  return body
}

export function readAttributes(response: AxiosResponse<string>, op: string): readonly AttributeDefinition[] {
  const body = parseJsonBody(response, op)
  if (!checkAttributes.Check(body)) return badResponse(op, 'the answer is not a list of column definitions')
  return body.value
}

/** A readable JSON error body of `check`'s shape, else undefined (a proxy may have replaced it). */
function readBody<T>(response: AxiosResponse<string>, check: { Check(value: unknown): value is T }): T | undefined {
  try {
    const body: unknown = JSON.parse(response.data)
    return check.Check(body) ? body : undefined
  } catch {
    return undefined
  }
}

export const readErrorBody = (response: AxiosResponse<string>): DataverseError | undefined => readBody(response, checkErrorBody)?.error
export const readTokenError = (response: AxiosResponse<string>): TokenError | undefined => readBody(response, checkTokenError)

// ---------------------------------------------------------------------------------------------
// Records and bodies

const REFUSED_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype'])

/**
 * A contact as the port's record: its columns at the top level, as Dataverse spells them (the
 * table names logical names), and `@odata.etag` kept for `versionOf`. Other annotations
 * (`@odata.context`, formatted values) are dropped. Built key by key: a hostile key never
 * reaches a prototype.
 */
export function toRecord(contact: DataverseContact): CrmRecord {
  const record: CrmRecord = {}
  for (const [key, value] of Object.entries(contact)) {
    if (REFUSED_KEYS.has(key) || value === undefined) continue
    if (key.includes('@') && key !== ETAG) continue
    record[key] = value
  }
  return record
}

/**
 * A port record (or patch) as a create/update body. Columns keep their JSON types (text,
 * numbers, booleans; a Date Only column takes `YYYY-MM-DD`). `""` becomes `null`: the update
 * doc clears a column by setting it to null, and a choice, number or date column would refuse
 * an empty string. The id and annotations never travel in a body (the URL names the row). A
 * structure has no column type: the table must keep it as JSON text (`transform: json`).
 */
export function toBody(record: CrmRecord, op: string): Record<string, string | number | boolean | null> {
  const out: Record<string, string | number | boolean | null> = {}
  for (const [name, value] of Object.entries(record)) {
    if (REFUSED_KEYS.has(name) || value === undefined || name === ID_COLUMN || name.includes('@')) continue
    if (value === '' || value === null) out[name] = null
    else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') out[name] = value
    else {
      throw new CrmFailure('misconfigured', {
        detail: `dynamics365 ${op}: column "${name}" holds a structure; give its mapping row "transform: json"`
      })
    }
  }
  return out
}
