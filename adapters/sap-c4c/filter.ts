/**
 * The port's criteria as C4C `$filter` expressions, built from structures with OData's own
 * escaping (./odata-values.ts), never by pasting text. What C4C's OData API takes, by its
 * developer's guide (https://github.com/SAP-archive/C4CODATAAPIDEVGUIDE, "$filter" and "Known
 * Limitations"):
 *
 * - `eq`, and `*` inside an `eq` literal as a wildcard (`UserID eq '*ADMIN*'`): equals is
 *   `F eq 'v'`, contains is `F eq '*v*'`;
 * - `startswith(F,'v')` and `endswith(F,'v')`, the property first: prefix and phone;
 * - no other string function ("DOES NOT support usage of String, Date and Math Functions"
 *   beyond those): `substringof` is never sent;
 * - "Logical OR only works for the same property": a criterion over several properties (the
 *   phone over the mobile and the phone number) cannot be one expression. The guide's answer is
 *   one query per `or` branch, results collated: `branches` below (criteria ANDed in each).
 *
 * A `*` typed by the user cannot be escaped (the guide documents it as the wildcard and no
 * escape for it), so a value holding one is refused (`unsupported`, reason `value`) rather than
 * matched as a pattern. Phone criteria compare C4C's normalised numbers (`NormalisedMobile`,
 * `NormalisedPhone`: `+` and the digits, whatever was typed), so `endswith` with the national
 * number is exactly the port's "digits end with" rule.
 */
import { CrmFailure } from '../../src/core/port.js'
import type { CrmCriterion } from '../../src/core/port.js'
import { stringLiteral } from './odata-values.js'

/** A property name as OData takes it: an identifier, nothing that could alter the expression. */
const PROPERTY = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/

/** At most this many queries for one search (each an `or` branch). */
export const MAX_BRANCHES = 4

/**
 * Longest value put in a literal: C4C's text properties hold at most 255 characters (names
 * 40, e-mails 255), so a longer value matches nothing a customer can hold.
 */
export const MAX_VALUE_LENGTH = 255

function refuse(criterion: CrmCriterion, reason: 'value' | 'criteria', why: string): never {
  throw new CrmFailure('unsupported', { reason, field: criterion.fields[0] ?? '', detail: `searchCustomers: ${why}` })
}

/** One property compared as the operator says. */
function predicate(field: string, criterion: CrmCriterion): string {
  if (!PROPERTY.test(field)) {
    throw new CrmFailure('misconfigured', { field, detail: 'searchCustomers: a search field is not an OData property name' })
  }
  const value = criterion.value
  switch (criterion.operator) {
    case 'equals':
      return `${field} eq ${stringLiteral(value)}`
    case 'prefix':
      return `startswith(${field},${stringLiteral(value)})`
    case 'contains':
      return `${field} eq ${stringLiteral(`*${value}*`)}`
    case 'phone':
      return `endswith(${field},${stringLiteral(value)})`
  }
}

function checkValue(criterion: CrmCriterion): void {
  const value = criterion.value
  if (value.trim() === '') refuse(criterion, 'value', 'an empty value')
  if (value.length > MAX_VALUE_LENGTH) refuse(criterion, 'value', 'a value longer than any C4C text property')
  if (value.includes('*')) refuse(criterion, 'value', 'a "*" cannot be searched for (C4C reads it as a wildcard)')
  if (criterion.operator === 'phone' && !/^\d{1,17}$/.test(value)) refuse(criterion, 'value', 'a phone criterion without digits')
}

/**
 * The `$filter` of each query a search needs: the cross product of the criteria's fields
 * (each branch ANDs one field per criterion). More than MAX_BRANCHES: `unsupported`.
 */
export function filterBranches(criteria: readonly CrmCriterion[]): string[] {
  if (criteria.length === 0) throw new CrmFailure('unsupported', { reason: 'criteria', detail: 'searchCustomers: no criterion' })
  let branches: string[][] = [[]]
  for (const criterion of criteria) {
    checkValue(criterion)
    if (criterion.fields.length === 0) refuse(criterion, 'criteria', 'a criterion without fields')
    const next: string[][] = []
    for (const branch of branches) for (const field of criterion.fields) next.push([...branch, predicate(field, criterion)])
    if (next.length > MAX_BRANCHES) refuse(criterion, 'criteria', `more than ${MAX_BRANCHES} queries (C4C ORs only one property)`)
    branches = next
  }
  return branches.map((parts) => parts.join(' and '))
}
