import t from 'tap'
import { GatewayError, isClientError, ERROR_CATALOGUE } from '../../src/spi/error-catalogue.js'

t.test('catalogue entries carry status and class', async (t) => {
  const e = new GatewayError('CUSTOMER_NOT_FOUND')
  t.equal(e.status, 404)
  t.ok(isClientError(e))
  t.notOk(isClientError(new GatewayError('CRM_TIMEOUT')))
  for (const [code, entry] of Object.entries(ERROR_CATALOGUE)) {
    t.ok(entry.status >= 400 && entry.status < 600, code)
  }
})
