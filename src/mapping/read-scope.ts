/**
 * Where a read is, for the fields a read issue names (`addressList[1].isDefault` ←
 * `ADDRESSES[1].IS_DEFAULT`). The text is only built when an issue is reported: a read that
 * goes well (nearly all of them) pays one small object per sub-object or list item instead
 * of two concatenated prefix strings.
 */
import type { ReadIssue } from './errors.js'

export type IssueSink = (issue: ReadIssue) => void

export interface ReadScope {
  readonly sink: IssueSink
  /** Undefined at the customer's top level. */
  readonly parent: ReadScope | undefined
  /** The row paths this scope is under, as written in the table. */
  readonly spi: string
  readonly crm: string
  /** The list index for an item of an array row; -1 for a sub-object. */
  readonly index: number
}

export function rootScope(sink: IssueSink): ReadScope {
  return { sink, parent: undefined, spi: '', crm: '', index: -1 }
}

export function childScope(parent: ReadScope, spi: string, crm: string, index: number): ReadScope {
  return { sink: parent.sink, parent, spi, crm, index }
}

/** `addressList[1].` for the scope of an item; `''` at the top level. */
function prefix(scope: ReadScope, side: 'spi' | 'crm'): string {
  if (scope.parent === undefined) return ''
  const at = scope.index < 0 ? '' : `[${scope.index}]`
  return `${prefix(scope.parent, side)}${scope[side]}${at}.`
}

/** Reports that the value of a row (`spi` ← `crm`, relative to the scope) was left out. */
export function report(scope: ReadScope, spi: string, crm: string, reason: string): void {
  scope.sink({ field: prefix(scope, 'spi') + spi, crmField: prefix(scope, 'crm') + crm, reason })
}
