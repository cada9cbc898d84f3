/**
 * C4C's OData v2 JSON ("verbose" format) as the adapter reads and writes it: the answers'
 * shapes, checked at run time, and individual customers as the port's CRM records.
 *
 * Sources: the C4C OData developer's guide (https://github.com/SAP-archive/C4CODATAAPIDEVGUIDE):
 * "$inlinecount" (`{"d": {"__count": "39080", "results": [...]}}`), "ETag Support" (each entry's
 * `__metadata.etag`, and the `ETag` response header of a single read); the OData v2 JSON format
 * (https://www.odata.org/documentation/odata-version-2-0/json-format/): a single entry answers
 * `{"d": {...}}`, a deferred navigation `{"__deferred": {"uri"}}`, an expanded collection
 * `{"results": [...]}`; errors `{"error": {"code", "message": {"lang", "value"}}}` (SAP Gateway
 * adds `innererror.errordetails[]` with the `propertyref` of the refused property).
 *
 * Records: the customer's properties at the top level, by their OData names (mappings/sap-c4c.yaml
 * names them); `IndividualCustomerAddress` a list of the customer's address entities (each its
 * properties), the main address left out (it is the root's own address fields); the entry's
 * ETag under `__etag` (for `versionOf`). Edm.DateTime values read as `YYYY-MM-DD`.
 */
import { Type } from 'typebox'
import type { Static } from 'typebox'
import { Compile } from 'typebox/compile'
import type { AxiosResponse } from 'axios'
import { CrmFailure } from '../../src/core/port.js'
import type { CrmRecord } from '../../src/core/port.js'
import { badResponse, headerValue, parseJsonBody } from '../shared/http-failure.js'
import { fromODataDate, toODataDate } from './odata-values.js'

/** The entity set of individual customers, its key, and its navigation to addresses. */
export const CUSTOMERS = 'IndividualCustomerCollection'
export const ADDRESSES = 'IndividualCustomerAddressCollection'
export const ADDRESS_NAV = 'IndividualCustomerAddress'
export const ID_PROPERTY = 'ObjectID'
/** Assigned by C4C in sequence: the order searches are sorted by, stable between pages. */
export const NUMBER_PROPERTY = 'CustomerID'
export const ETAG_KEY = '__etag'

const Entry = Type.Object({
  __metadata: Type.Optional(Type.Object({ etag: Type.Optional(Type.String()) })),
  ObjectID: Type.String({ minLength: 1 })
})
const checkEntryAnswer = Compile(Type.Object({ d: Entry }))
const checkCollection = Compile(
  Type.Object({ d: Type.Object({ results: Type.Array(Entry), __count: Type.Optional(Type.String({ pattern: '^\\d{1,12}$' })) }) })
)
const checkAddressList = Compile(Type.Object({ results: Type.Array(Entry) }))

const ErrorBody = Type.Object({
  error: Type.Object({
    code: Type.Optional(Type.String()),
    message: Type.Optional(Type.Object({ lang: Type.Optional(Type.String()), value: Type.Optional(Type.String()) })),
    innererror: Type.Optional(
      Type.Object({
        errordetails: Type.Optional(
          Type.Array(Type.Object({ code: Type.Optional(Type.String()), propertyref: Type.Optional(Type.String()), severity: Type.Optional(Type.String()) }))
        )
      })
    )
  })
})
const checkErrorBody = Compile(ErrorBody)
export type C4cErrorBody = Static<typeof ErrorBody>['error']

/** The OData error of a failed call, or undefined when the body is none (a proxy's page…). */
export function readErrorBody(response: AxiosResponse<string>): C4cErrorBody | undefined {
  if (typeof response.data !== 'string' || response.data.length > 64 * 1024) return undefined
  try {
    const body: unknown = JSON.parse(response.data)
    return checkErrorBody.Check(body) ? body.error : undefined
  } catch {
    return undefined
  }
}

const REFUSED_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype', '__metadata', ETAG_KEY])

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

/** An entry's properties as a record: dates as `YYYY-MM-DD`, deferred navigations dropped. */
function properties(entry: Record<string, unknown>): CrmRecord {
  const record: CrmRecord = {}
  for (const [key, value] of Object.entries(entry)) {
    if (REFUSED_KEYS.has(key) || key === ADDRESS_NAV || isObject(value)) continue
    record[key] = fromODataDate(value) ?? value
  }
  return record
}

/** A customer entry (with its addresses expanded, or not) as the port's record. */
export function toRecord(entry: Record<string, unknown>, op: string, etagHeader?: string): CrmRecord {
  const record = properties(entry)
  const nav = entry[ADDRESS_NAV]
  if (isObject(nav) && !('__deferred' in nav)) {
    if (!checkAddressList.Check(nav)) return badResponse(op, 'the addresses are not a list of entries')
    // The main address is the customer's own address fields (the table's profile address).
    record[ADDRESS_NAV] = nav.results.filter((a) => (a as Record<string, unknown>)['MainIndicator'] !== true).map((a) => properties(a))
  }
  const etag = etagHeader ?? (isObject(entry['__metadata']) ? entry['__metadata']['etag'] : undefined)
  if (typeof etag === 'string' && etag !== '') record[ETAG_KEY] = etag
  return record
}

/** A 200/201 single-entry answer. */
export function readEntry(response: AxiosResponse<string>, op: string): Record<string, unknown> {
  const body = parseJsonBody(response, op)
  if (!checkEntryAnswer.Check(body)) return badResponse(op, 'the answer is not an entry with an ObjectID')
  return body.d
}

/** A 200 collection answer: the entries, and `__count` when asked for. */
export function readCollection(response: AxiosResponse<string>, op: string): { entries: Record<string, unknown>[]; count?: number } {
  const body = parseJsonBody(response, op)
  if (!checkCollection.Check(body)) return badResponse(op, 'the answer is not a collection of entries')
  const entries = body.d.results as Record<string, unknown>[]
  return body.d.__count === undefined ? { entries } : { entries, count: Number(body.d.__count) }
}

/** The ETag response header of a single read, if any. */
export const etagOf = (response: AxiosResponse): string | undefined => headerValue(response, 'etag')

/**
 * A record (or an address item) as an entry to send: primitive values only (a structure
 * needs `transform: json` in the table), Edm.DateTime properties from `YYYY-MM-DD` to
 * `/Date(ms)/` and `""` (the table's "clear") to null, which a date cannot hold as text.
 */
export function toEntry(record: CrmRecord, dateProperties: ReadonlySet<string>, op: string): Record<string, unknown> {
  const entry: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(record)) {
    if (REFUSED_KEYS.has(key) || key === ADDRESS_NAV) continue
    if (value !== null && typeof value === 'object') {
      throw new CrmFailure('misconfigured', { field: key, detail: `${op}: ${key} holds a structure; C4C properties hold values (use transform: json)` })
    }
    if (dateProperties.has(key) && typeof value === 'string') {
      if (value === '') entry[key] = null
      else {
        const date = toODataDate(value)
        if (date === undefined) throw new CrmFailure('rejected', { field: key, detail: `${op}: ${key} is not a YYYY-MM-DD date` })
        entry[key] = date
      }
    } else entry[key] = value
  }
  return entry
}

/** The address items a record carries (the table's addressList), or undefined when absent. */
export function addressItems(record: CrmRecord, op: string): CrmRecord[] | undefined {
  const list = record[ADDRESS_NAV]
  if (list === undefined) return undefined
  if (list === '') return [] // the table's "clear"
  if (!Array.isArray(list) || !list.every(isObject)) {
    throw new CrmFailure('misconfigured', { field: ADDRESS_NAV, detail: `${op}: ${ADDRESS_NAV} must be a list of address objects` })
  }
  return list
}
