/**
 * The address list as C4C keeps it: one entity per address under the customer
 * (`IndividualCustomerAddress`, whose `ParentObjectID` is the customer's ObjectID). The table
 * sends the whole list it wants (the customer service appends to what it read); this file
 * works out the calls that make C4C's entities that list:
 *
 * - a wanted address equal to a stored one (every property the table writes) stays as it is;
 * - a wanted address with no equal is created;
 * - a stored address no wanted one equals is deleted.
 *
 * Addresses are matched by their content, not by an id: the SPI's address items carry no C4C
 * id (the vendor's examples answer none), and an address changed in place is a new address.
 * Safe under concurrency: the plan compares with what C4C holds now (an address someone else
 * just added is not created twice), and deletes only addresses the caller saw (`seen`, from the
 * version it read: index.ts `versionOf`), so one added meanwhile is never lost.
 */
import type { CrmRecord } from '../../src/core/port.js'
import { ID_PROPERTY } from './wire.js'

export interface AddressPlan {
  /** Address entries to create, in the list's order. */
  readonly create: readonly CrmRecord[]
  /** ObjectIDs of stored addresses to delete. */
  readonly remove: readonly string[]
}

const empty = (value: unknown): boolean => value === undefined || value === null || value === '' || value === false

/** Whether the stored address `have` holds what `want` says, over the table's properties `keys`. */
function sameAddress(want: CrmRecord, have: CrmRecord, keys: ReadonlySet<string>): boolean {
  for (const key of keys) {
    const wanted = want[key]
    const stored = have[key]
    if (empty(wanted) ? !empty(stored) : wanted !== stored) return false
  }
  return true
}

/**
 * `seen`: the ObjectIDs of the addresses the caller's list was made from (its version). A stored
 * address outside it was added after the caller read: it is kept, never deleted for being
 * absent from a list that could not know it. Without `seen`, every unmatched address goes.
 */
export function planAddresses(stored: readonly CrmRecord[], wanted: readonly CrmRecord[], seen?: ReadonlySet<string>): AddressPlan {
  const keys = new Set(wanted.flatMap((item) => Object.keys(item)))
  const unmatched = [...stored]
  const create: CrmRecord[] = []
  for (const item of wanted) {
    const at = unmatched.findIndex((have) => sameAddress(item, have, keys))
    if (at === -1) create.push(item)
    else unmatched.splice(at, 1)
  }
  const remove = unmatched
    .map((have) => have[ID_PROPERTY])
    .filter((id): id is string => typeof id === 'string' && (seen === undefined || seen.has(id)))
  return { create, remove }
}
