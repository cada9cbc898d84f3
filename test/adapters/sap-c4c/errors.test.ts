/** adapters/sap-c4c/errors.ts: C4C's error answers → the port's failure kinds. */
import t from 'tap'
import type { AxiosResponse } from 'axios'
import { c4cFailure, clampRetryAfter, isCsrfRefusal } from '../../../adapters/sap-c4c/errors.js'

const answer = (status: number, body: unknown = '', headers: Record<string, string> = {}): AxiosResponse<string> =>
  ({ status, headers, data: typeof body === 'string' ? body : JSON.stringify(body) }) as unknown as AxiosResponse<string>

const odataError = (value: string, propertyref?: string) => ({
  error: { code: 'SY/530', message: { lang: 'en', value }, ...(propertyref === undefined ? {} : { innererror: { errordetails: [{ code: 'SY/530', propertyref, severity: 'error' }] } }) }
})

t.test('a refused write names the property, never the value', async (t) => {
  const f = c4cFailure(answer(400, odataError('E-mail address is invalid', 'Email')), 'createCustomer')
  t.match(f, { kind: 'rejected', field: 'Email' })
  t.notMatch(f.message, /invalid/, 'the message text stays out of the log detail')
  t.match(c4cFailure(answer(400, odataError('bad', 'IndividualCustomer/Email')), 'updateCustomer'), { kind: 'rejected', field: 'Email' })
  t.match(c4cFailure(answer(400, odataError('no detail')), 'createCustomer'), { kind: 'rejected', field: undefined })
  t.match(c4cFailure(answer(400, '<html>proxy</html>'), 'createCustomer'), { kind: 'rejected' })
  t.match(c4cFailure(answer(400, odataError('x')), 'searchCustomers'), { kind: 'failed' }, 'a refused query is ours to fix')
})

t.test('duplicate, conflict', async (t) => {
  t.match(c4cFailure(answer(409, odataError('Duplicate found: 1000123')), 'createCustomer'), { kind: 'duplicate' })
  t.notMatch(c4cFailure(answer(409, odataError('Duplicate found: 1000123')), 'createCustomer').message, /1000123/)
  t.match(c4cFailure(answer(412, odataError('Precondition failed')), 'updateCustomer'), { kind: 'conflict' })
})

t.test('throttling: 429, and 503 with a Retry-After; the wait clamped', async (t) => {
  t.match(c4cFailure(answer(429, '', { 'retry-after': '7' }), 'searchCustomers'), { kind: 'throttled', retryAfterSeconds: 7 })
  t.match(c4cFailure(answer(429), 'searchCustomers'), { kind: 'throttled', retryAfterSeconds: 5 }, 'none said: 5 s')
  t.match(c4cFailure(answer(429, '', { 'retry-after': '86400' }), 'getCustomer'), { kind: 'throttled', retryAfterSeconds: 3600 }, 'never hours')
  t.match(c4cFailure(answer(429, '', { 'retry-after': '0' }), 'getCustomer'), { kind: 'throttled', retryAfterSeconds: 1 })
  t.match(c4cFailure(answer(503, '', { 'retry-after': '30' }), 'getCustomer'), { kind: 'throttled', retryAfterSeconds: 30 })
  t.match(c4cFailure(answer(503), 'getCustomer'), { kind: 'failed' }, 'a 503 without a wait is a failure')
  t.equal(clampRetryAfter(undefined), 5)
})

t.test('403: the CSRF refusal told apart from a refused authorization', async (t) => {
  t.ok(isCsrfRefusal(answer(403, 'CSRF token validation failed', { 'x-csrf-token': 'Required' })))
  t.notOk(isCsrfRefusal(answer(403, odataError('Not authorized'))))
  t.notOk(isCsrfRefusal(answer(401, '', { 'x-csrf-token': 'Required' })))
  t.match(c4cFailure(answer(403, odataError('No authorization for IndividualCustomer')), 'getCustomer'), { kind: 'failed' })
  t.match(c4cFailure(answer(401), 'getCustomer'), { kind: 'failed' })
  t.match(c4cFailure(answer(500, odataError('dump')), 'getCustomer'), { kind: 'failed' })
})
