/**
 * Dataverse's error answers as the port's kinds (adapters/dynamics365/errors.ts), each as the
 * documentation shows it.
 */
import t from 'tap'
import type { AxiosResponse } from 'axios'
import { RETRY_AFTER_BOUNDS, dataverseFailure, retryAfterSeconds } from '../../../adapters/dynamics365/errors.js'

const answer = (status: number, error?: { code: string; message: string }, headers: Record<string, string> = {}): AxiosResponse<string> =>
  ({
    status,
    data: error === undefined ? '' : JSON.stringify({ error }),
    headers: { 'content-type': 'application/json; odata.metadata=minimal', ...headers }
  }) as unknown as AxiosResponse<string>

t.test('duplicates: the detection rule (500 0x80040333) and an alternate key, never passing on the other row', async (t) => {
  const detected = dataverseFailure(answer(500, { code: '0x80040333', message: 'A record was not created or updated because a duplicate of the current record already exists.' }), 'createCustomer')
  t.same([detected.kind, detected.message], ['duplicate', 'createCustomer: HTTP 500 0x80040333'])
  t.equal(dataverseFailure(answer(412, { code: '', message: 'A record with matching key values already exists.' }), 'createCustomer').kind, 'duplicate')
  t.equal(dataverseFailure(answer(500, { code: '0x80040216', message: 'An unexpected error occurred.' }), 'createCustomer').kind, 'failed', 'another 500 is the CRM failing')
})

t.test('412 on an update at a stale version is a conflict', async (t) => {
  const stale = answer(412, { code: '', message: "The version of the existing record doesn't match the RowVersion property provided." })
  t.equal(dataverseFailure(stale, 'updateCustomer').kind, 'conflict')
})

t.test('400 on a write is rejected, naming the column only when it was sent; on a read it is ours', async (t) => {
  const unknown = answer(400, { code: '0x80060888', message: "The property 'cg_consentterms' does not exist on type 'Microsoft.Dynamics.CRM.contact'." })
  t.match(dataverseFailure(unknown, 'createCustomer', ['firstname', 'cg_consentterms']), { kind: 'rejected', field: 'cg_consentterms' })
  const quoting = answer(400, { code: '0x80044331', message: "The length of the 'firstname' attribute … value 'Amelia Okafor'" })
  t.equal(dataverseFailure(quoting, 'updateCustomer', ['lastname']).field, undefined, 'nothing of the message but a sent column name')
  t.equal(dataverseFailure(unknown, 'searchCustomers').kind, 'failed', 'a refused query is not the customer’s values')
})

t.test('service protection 429: Retry-After passed on, clamped to 1..300; 5 s when absent', async (t) => {
  const limited = (retryAfter?: string) => answer(429, { code: '0x80072322', message: 'Number of requests exceeded the limit of 6000 over time window of 300 seconds.' }, retryAfter === undefined ? {} : { 'retry-after': retryAfter })
  t.match(dataverseFailure(limited('7'), 'searchCustomers'), { kind: 'throttled', retryAfterSeconds: 7 })
  t.equal(retryAfterSeconds(limited('0')), RETRY_AFTER_BOUNDS.min, 'never an immediate retry')
  t.equal(retryAfterSeconds(limited('86400')), RETRY_AFTER_BOUNDS.max, 'never beyond the window')
  t.equal(retryAfterSeconds(limited()), RETRY_AFTER_BOUNDS.absent)
  t.equal(retryAfterSeconds(limited('Thu, 01 Jan 2026 00:00:30 GMT'), Date.parse('2026-01-01T00:00:00Z')), 30, 'an HTTP-date')
})

t.test('the rest as any HTTP failure; only a code of the documented shape reaches the log', async (t) => {
  t.equal(dataverseFailure(answer(401), 'getCustomer').kind, 'failed')
  t.equal(dataverseFailure(answer(403, { code: '0x80040220', message: 'Principal user is missing prvReadContact privilege' }), 'getCustomer').kind, 'failed')
  t.equal(dataverseFailure(answer(503), 'getCustomer').kind, 'failed')
  t.equal(dataverseFailure(answer(302), 'getCustomer').kind, 'bad-response')
  t.equal(dataverseFailure(answer(500, { code: 'amelia@example.com', message: 'x' }), 'getCustomer').message, 'getCustomer: HTTP 500')
})
