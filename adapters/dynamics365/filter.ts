/**
 * The port's search criteria as an OData `$filter`, and the query strings of the `contacts`
 * entity set. Values are raw user input; every one goes through `literal` (OData's string
 * literal: `'` doubled) and, in the URL, through `encodeURIComponent`, so no value can close a
 * literal, add a clause, a query option or a fragment.
 *
 * Sources:
 * - filter rows: https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/filter-rows
 *   ("Filter using string values": filters on text are case-insensitive; a single quote in a
 *   value is written as two; special characters are URL-encoded; `%`, `_`, `[]` and `[^]` are
 *   wildcards in the text functions)
 * - wildcards: https://learn.microsoft.com/power-apps/developer/data-platform/wildcard-characters
 *   (they are T-SQL LIKE wildcards; a literal one is enclosed in brackets: `[%]`, `[_]`, `[[]`)
 * - OData v4 URL conventions, string literals and `startswith`/`contains`:
 *   https://docs.oasis-open.org/odata/odata/v4.01/odata-v4.01-part2-url-conventions.html
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js'
import { CrmFailure } from '../../src/core/port.js'
import type { CrmCriterion } from '../../src/core/port.js'
import { GUID, ID_COLUMN } from './wire.js'

/** Dataverse logical names: lower-case letters, digits and underscores (a custom one has its publisher's prefix). */
const LOGICAL_NAME = /^[a-z][a-z0-9_]{0,99}$/

/**
 * The longest URL the adapter sends. Dataverse documents 32 KB for a GET's URL (batch doc,
 * "URL length limit": longer queries must go in a $batch); a search longer than that is
 * refused as `unsupported` (reason `criteria`) before any call.
 */
export const MAX_URL_CHARACTERS = 32_768

/** An OData string literal: in single quotes, a quote inside doubled (`O'Brian` → `'O''Brian'`). */
export function literal(value: string): string {
  return `'${value.replaceAll("'", "''")}'`
}

/**
 * A literal for `startswith`/`contains`, which Dataverse evaluates with T-SQL LIKE: its
 * wildcards typed by a user are made literal by brackets, so `50%` finds "50%", not "50…".
 * `[` first: the brackets added for the others must not be escaped again.
 */
export function likeLiteral(value: string): string {
  return literal(value.replaceAll('[', '[[]').replaceAll('%', '[%]').replaceAll('_', '[_]'))
}

/**
 * How a number may have been typed into a phone column (Dataverse keeps phone columns as
 * text, as typed, and has no digits-only comparison): E.164 as the gateway writes it, the
 * international and national formats, the digits bare or grouped by spaces, dashes or dots,
 * with or without the country code. Compared with `eq` (whole values, case-insensitive); the
 * core re-checks every record found against the searched number.
 */
export function phoneSpellings(criterion: CrmCriterion): string[] {
  const parsed = criterion.international === undefined ? undefined : parsePhoneNumberFromString(criterion.international)
  if (parsed === undefined) return [criterion.value]
  const groups = parsed.formatNational().match(/\d+/g) ?? []
  const code = parsed.countryCallingCode
  return [
    ...new Set([
      parsed.number,
      parsed.formatInternational(),
      parsed.formatNational(),
      criterion.value,
      `${code}${criterion.value}`,
      ...[' ', '-', '.'].map((separator) => groups.join(separator)),
      `+${code} ${groups.join('-')}`
    ])
  ]
}

/** One criterion on one column, or `false` when no row can match (a contact id that is no GUID). */
function condition(criterion: CrmCriterion, column: string): string | false {
  const value = criterion.value
  switch (criterion.operator) {
    case 'equals':
      // The primary key is a Uniqueidentifier: OData writes a GUID unquoted, and anything else
      // names no contact (a quoted string would be refused by the service, 400).
      if (column === ID_COLUMN) return GUID.test(value) ? `${column} eq ${value.toLowerCase()}` : false
      return `${column} eq ${literal(value)}`
    case 'prefix':
      return `startswith(${column},${likeLiteral(value)})`
    case 'contains':
      return `contains(${column},${likeLiteral(value)})`
    case 'phone': {
      const spellings = phoneSpellings(criterion).map((s) => `${column} eq ${literal(s)}`)
      return spellings.length === 1 ? (spellings[0] ?? false) : `(${spellings.join(' or ')})`
    }
  }
}

/**
 * The `$filter` of a search: the criteria ANDed, each criterion's columns ORed (the port's
 * meaning). `undefined` when no contact can match (the search answers an empty page without
 * a call). Column names come from the mapping table: one that is no logical name is our
 * configuration's fault (`misconfigured`); a prefix/contains value with nothing in it would
 * list every contact, and is `unsupported` (reason `value`).
 */
export function toFilter(criteria: readonly CrmCriterion[]): string | undefined {
  if (criteria.length === 0) {
    // The service never searches without a criterion: an empty filter would list everyone.
    throw new CrmFailure('misconfigured', { detail: 'dynamics365 searchCustomers: no criterion' })
  }
  const clauses: string[] = []
  for (const criterion of criteria) {
    if (criterion.fields.length === 0 || !criterion.fields.every((f) => LOGICAL_NAME.test(f))) {
      throw new CrmFailure('misconfigured', {
        detail: `dynamics365 searchCustomers: search fields must be Dataverse logical names, got "${criterion.fields.join('|')}" (check the mapping table)`
      })
    }
    if ((criterion.operator === 'prefix' || criterion.operator === 'contains') && criterion.value.trim() === '') {
      throw new CrmFailure('unsupported', {
        reason: 'value',
        field: criterion.fields.join(', '),
        detail: 'dynamics365 searchCustomers: a prefix/contains value without any character'
      })
    }
    const alternatives = criterion.fields.map((column) => condition(criterion, column)).filter((c): c is string => c !== false)
    if (alternatives.length === 0) return undefined
    clauses.push(alternatives.length === 1 ? (alternatives[0] ?? '') : `(${alternatives.join(' or ')})`)
  }
  return clauses.join(' and ')
}

/**
 * A query string from its options, each value encoded whole with encodeURIComponent: `&`, `#`,
 * `%`, `+` (which a server may read as a space), `/`, `?`, `=` and every non-ASCII character
 * become %XX, as the filter doc asks ("URL encode special characters"). The option names
 * (`$filter`…) are OData's own and travel as written.
 */
export function queryString(options: ReadonlyArray<readonly [string, string]>): string {
  return options.map(([name, value]) => `${name}=${encodeURIComponent(value)}`).join('&')
}

/**
 * `$select`: the table's columns, the id always among them. A name that is no logical name
 * (a schema name in capitals, a path) would be refused by the service: the table is wrong.
 */
export function selectList(columns: readonly string[]): string {
  const names = [...new Set([ID_COLUMN, ...columns])]
  const wrong = names.find((c) => !LOGICAL_NAME.test(c))
  if (wrong !== undefined) {
    throw new CrmFailure('misconfigured', { detail: `dynamics365: "${wrong}" is not a Dataverse logical name (lower case); check the mapping table's crm: columns` })
  }
  return names.join(',')
}
