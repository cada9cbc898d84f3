/**
 * OData v2 values as C4C's JSON format spells them, and the query string the adapter sends.
 *
 * - Strings in $filter are literals in single quotes, a quote inside doubled (OData v2 URI
 *   conventions, §2.2.2 "Abstract Type System", literal form of Edm.String:
 *   https://www.odata.org/documentation/odata-version-2-0/overview/ ; C4C's guide shows
 *   `$filter=AccountID eq '1001910'`).
 * - Edm.DateTime in JSON is `/Date(<ms since the epoch>)/` (OData v2 JSON format, "Primitive
 *   types"; C4C answers e.g. `"CreatedOn": "/Date(1351534600660)/"`, developer's guide
 *   https://github.com/SAP-archive/C4CODATAAPIDEVGUIDE#etag-support). A birthday is a date:
 *   midnight UTC of that day.
 * - Query options are percent-encoded by the adapter itself, every character outside the
 *   URI's unreserved set and `'`, `(`, `)`, `,` (encodeURIComponent): `&`, `#`, `%`, `+`, `/`
 *   and spaces in a value never change the query (a space is %20, never `+`, which servers
 *   reading form encoding would take for a space).
 */

/** An Edm.String literal: `O'Brien` → `'O''Brien'`. */
export function stringLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`
}

const ODATA_DATE = /^\/Date\((-?\d{1,15})(?:[+-]\d{4})?\)\/$/
const YMD = /^(\d{4})-(\d{2})-(\d{2})$/

/** `/Date(1492387200000)/` → `2017-04-17` (its UTC day); anything else → undefined. */
export function fromODataDate(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined
  const m = ODATA_DATE.exec(value)
  if (!m) return undefined
  const ms = Number(m[1])
  const date = new Date(ms)
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString().slice(0, 10)
}

/** `2017-04-17` → `/Date(1492387200000)/`; undefined for anything that is no calendar day. */
export function toODataDate(value: string): string | undefined {
  const m = YMD.exec(value)
  if (!m) return undefined
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))
  // Date.UTC rolls 02-30 over to March: a day that does not exist is refused.
  return new Date(ms).toISOString().slice(0, 10) === value ? `/Date(${ms})/` : undefined
}

/** A query string: `$filter=…&$top=…`, names and values percent-encoded (see above). */
export function queryString(options: ReadonlyArray<readonly [string, string]>): string {
  return options.map(([name, value]) => `${name}=${encodeURIComponent(value)}`).join('&')
}

/** An entity's key in a resource path: `('00163E…')`, the id a quoted, encoded literal. */
export function keyPredicate(id: string): string {
  return `(${encodeURIComponent(stringLiteral(id))})`
}
