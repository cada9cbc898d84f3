/** adapters/sap-c4c/wire.ts: OData v2 JSON answers ⇄ records. */
import t from 'tap'
import type { AxiosResponse } from 'axios'
import { CrmFailure } from '../../../src/core/port.js'
import { thrown } from './thrown.js'
import { addressItems, readCollection, readEntry, toEntry, toRecord } from '../../../adapters/sap-c4c/wire.js'

const json = (status: number, body: unknown): AxiosResponse<string> =>
  ({ status, headers: { 'content-type': 'application/json; charset=utf-8' }, data: JSON.stringify(body) }) as unknown as AxiosResponse<string>

t.test('an entry as a record: dates as days, deferred links dropped, the main address left out, the ETag kept', async (t) => {
  const record = toRecord(
    {
      __metadata: { uri: 'x', etag: 'W/"datetimeoffset\'2024\'"' },
      ObjectID: 'ABC',
      BirthDate: '/Date(640310400000)/',
      ConsentTerms_KUT: true,
      Other: { __deferred: { uri: 'y' } },
      IndividualCustomerAddress: { results: [{ ObjectID: 'M', MainIndicator: true, Street: 'Main' }, { ObjectID: 'S', MainIndicator: false, Street: 'Saved' }] }
    },
    'getCustomer'
  )
  t.same(record, { ObjectID: 'ABC', BirthDate: '1990-04-17', ConsentTerms_KUT: true, IndividualCustomerAddress: [{ ObjectID: 'S', MainIndicator: false, Street: 'Saved' }], __etag: 'W/"datetimeoffset\'2024\'"' })
  t.notOk('IndividualCustomerAddress' in toRecord({ ObjectID: 'A', IndividualCustomerAddress: { __deferred: { uri: 'x' } } }, 'getCustomer'), 'deferred: no list')
  t.equal(toRecord({ ObjectID: 'A' }, 'getCustomer', 'W/"header"')['__etag'], 'W/"header"', "the header's ETag wins")
})

t.test('answers of the wrong shape are bad responses', async (t) => {
  t.match(thrown(() => readEntry(json(200, { d: { FirstName: 'no key' } }), 'getCustomer')), { kind: 'bad-response' })
  t.match(thrown(() => readCollection(json(200, { d: [] }), 'searchCustomers')), { kind: 'bad-response' })
  t.match(thrown(() => readCollection(json(200, { d: { results: [], __count: 'many' } }), 'searchCustomers')), { kind: 'bad-response' })
  t.same(readCollection(json(200, { d: { results: [{ ObjectID: 'A' }], __count: '12' } }), 'searchCustomers'), { entries: [{ ObjectID: 'A' }], count: 12 })
  t.match(thrown(() => toRecord({ ObjectID: 'A', IndividualCustomerAddress: { results: [{ Street: 'no key' }] } }, 'getCustomer')), { kind: 'bad-response' })
})

t.test('a record as an entry: dates to /Date(ms)/, a cleared date to null, structures refused', async (t) => {
  const dates = new Set(['BirthDate'])
  t.same(toEntry({ FirstName: 'Ada', BirthDate: '1990-04-17', ConsentTerms_KUT: false, IndividualCustomerAddress: [], __etag: 'x' }, dates, 'createCustomer'), {
    FirstName: 'Ada',
    BirthDate: '/Date(640310400000)/',
    ConsentTerms_KUT: false
  })
  t.same(toEntry({ BirthDate: '' }, dates, 'updateCustomer'), { BirthDate: null })
  t.match(thrown(() => toEntry({ BirthDate: '17/04/1990' }, dates, 'updateCustomer')), { kind: 'rejected', field: 'BirthDate' })
  t.throws(() => toEntry({ Loyalty: { a: 1 } }, dates, 'updateCustomer'), CrmFailure)
  t.same(addressItems({ IndividualCustomerAddress: '' }, 'updateCustomer'), [])
  t.equal(addressItems({}, 'updateCustomer'), undefined)
  t.match(thrown(() => addressItems({ IndividualCustomerAddress: ['x'] }, 'updateCustomer')), { kind: 'misconfigured' })
})
