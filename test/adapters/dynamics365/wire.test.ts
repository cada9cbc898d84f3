/** Records ⇄ bodies and answer shapes (adapters/dynamics365/wire.ts). */
import t from 'tap'
import type { AxiosResponse } from 'axios'
import { readPage, toBody, toRecord } from '../../../adapters/dynamics365/wire.js'
import { crmFailure } from '../../helpers/expect-failure.js'

const ID = '3f2b8c1e-5a4d-4e6f-9b7a-0c1d2e3f4a5b'
const json = (body: unknown): AxiosResponse<string> => ({ status: 200, data: JSON.stringify(body), headers: { 'content-type': 'application/json; odata.metadata=minimal' } }) as unknown as AxiosResponse<string>

t.test('a body: "" and null clear (null), the id and annotations never travel, a structure is misconfigured', async (t) => {
  t.same(toBody({ contactid: ID, '@odata.etag': 'W/"1"', firstname: 'Ada', salutation: '', birthdate: null, cg_consentterms: true, cg_loyaltypoints: 3 }, 'updateCustomer'), {
    firstname: 'Ada',
    salutation: null,
    birthdate: null,
    cg_consentterms: true,
    cg_loyaltypoints: 3
  })
  t.equal((await crmFailure(Promise.resolve().then(() => toBody({ cg_addresslist: [{ city: 'x' }] }, 'createCustomer')))).kind, 'misconfigured')
})

t.test('a record keeps the columns and the ETag, drops other annotations and hostile keys', async (t) => {
  const contact = JSON.parse(`{"contactid":"${ID}","@odata.etag":"W/\\"5\\"","@odata.context":"x","firstname":"Ada","firstname@OData.Community.Display.V1.FormattedValue":"Ada","__proto__":{"polluted":true}}`)
  const record = toRecord(contact)
  t.same(record, { contactid: ID, '@odata.etag': 'W/"5"', firstname: 'Ada' })
  t.equal(({} as Record<string, unknown>)['polluted'], undefined)
})

t.test('a page: count only when within the limit; rows without an id or ETag are garbage', async (t) => {
  t.same(readPage(json({ value: [], '@odata.count': 5000, '@Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded': true }), 'searchCustomers'), { value: [] }, 'a capped count is no total')
  t.same(readPage(json({ value: [], '@odata.count': 0 }), 'searchCustomers'), { value: [], count: 0 })
  t.equal((await crmFailure(Promise.resolve().then(() => readPage(json({ value: [{ firstname: 'Ada' }] }), 'searchCustomers')))).kind, 'bad-response')
})
