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

t.test('the codes for what Fastify, its plugins and Node refuse keep their HTTP status', async (t) => {
  const expected: Record<string, number> = {
    BAD_REQUEST: 400, FORBIDDEN: 403, METHOD_NOT_ALLOWED: 405, REQUEST_TIMEOUT: 408, PRECONDITION_FAILED: 412,
    RANGE_NOT_SATISFIABLE: 416, HEADERS_TOO_LARGE: 431
  }
  for (const [code, status] of Object.entries(expected)) {
    const entry = (ERROR_CATALOGUE as Record<string, { status: number; class: string }>)[code]
    t.same(entry, { status, class: 'client' }, `${code}: ${status}, the caller's error`)
  }
})
