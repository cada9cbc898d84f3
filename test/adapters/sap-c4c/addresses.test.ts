/** adapters/sap-c4c/addresses.ts: the wanted list → address entities to create and delete. */
import t from 'tap'
import { planAddresses } from '../../../adapters/sap-c4c/addresses.js'

const home = { Street: '500 Howard St', AddressLine4: 'Apt 12', City: 'San Francisco' }
const stored = (id: string, a: Record<string, unknown>) => ({ ObjectID: id, ParentObjectID: 'P', DefaultShipTo: false, NormalisedPhone: '', ...a })

t.test('an append creates the new address only', async (t) => {
  const ferry = { Street: '1 Ferry Building', City: 'San Francisco' }
  t.same(planAddresses([stored('A1', home)], [home, ferry]), { create: [ferry], remove: [] })
})

t.test('an address no longer wanted is deleted; a changed one is replaced', async (t) => {
  const moved = { ...home, AddressLine4: '' }
  t.same(planAddresses([stored('A1', home)], [moved]), { create: [moved], remove: ['A1'] }, 'the cleared line makes it another address')
  t.same(planAddresses([stored('A1', home), stored('A2', home)], [home]), { create: [], remove: ['A2'] }, 'duplicates matched one for one')
  t.same(planAddresses([stored('A1', home)], []), { create: [], remove: ['A1'] })
})

t.test("C4C's own properties the table does not write do not matter; the table's do", async (t) => {
  t.same(planAddresses([stored('A1', { ...home, Phone: '' })], [home]), { create: [], remove: [] })
  const withPhone = { ...home, Phone: '+14155550142' }
  t.same(planAddresses([stored('A1', home)], [home, withPhone]), { create: [withPhone], remove: [] })
})

t.test('with the addresses the caller saw, one it did not see is kept', async (t) => {
  const added = { Street: 'Added meanwhile' }
  t.same(planAddresses([stored('A1', home), stored('A2', added)], [home], new Set(['A1'])), { create: [], remove: [] })
  t.same(planAddresses([stored('A1', home), stored('A2', added)], [], new Set(['A1'])), { create: [], remove: ['A1'] })
})
