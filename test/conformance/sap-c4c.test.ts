/**
 * The conformance kit (./adapter-conformance.ts) for the sap-c4c adapter and
 * mappings/sap-c4c.yaml, against the C4C test double (test/fakes/sap-c4c-double.ts).
 *
 * To run it against a C4C test tenant instead (never production; the tenant needs the table's
 * extension fields, adapters/sap-c4c/README.md):
 *
 *   SAP_C4C_CONFORMANCE_BASE_URL=https://my000000.crm.ondemand.com \
 *   SAP_C4C_CONFORMANCE_USER=… SAP_C4C_CONFORMANCE_PASSWORD=… \
 *   npx tap --disable-coverage test/conformance/sap-c4c.test.ts
 */
import t from 'tap'
import { createSapC4cAdapter } from '../../adapters/sap-c4c/index.js'
import { silentLogger } from '../helpers/silent-logger.js'
import { C4C_USER, loadSapC4cTable, startSapC4c } from '../helpers/gateway-over-sap-c4c.js'
import { adapterConformance } from './adapter-conformance.js'
import type { ConformanceTarget, CrmCapabilities } from './adapter-conformance.js'

const mapping = await loadSapC4cTable()

/**
 * C4C's individual customers, by SAP's documentation: no uniqueness of the e-mail (C4C's
 * duplicate check is a tenant configuration that warns, and is off for the API by default), the
 * e-mail's form checked; equals, prefix (startswith), contains (`eq` with `*` wildcards) and the
 * phone (endswith on the normalised numbers), criteria ANDed in $filter; ETags with If-Match
 * and 412 (guide, "Optimistic Concurrency Control with ETag").
 */
const capabilities: CrmCapabilities = {
  uniqueEmail: false,
  validatesEmail: true,
  searchOperators: ['equals', 'prefix', 'contains', 'phone'],
  combinesCriteria: true,
  optimisticConcurrency: true
}

const makeAdapter =
  (settings: Record<string, unknown>): ConformanceTarget['makeAdapter'] =>
  ({ baseUrl, requestTimeoutMs, badCredentials }) =>
    createSapC4cAdapter({
      baseUrl,
      settings: badCredentials === true ? { ...settings, password: 'refused-password' } : settings,
      requestTimeoutMs,
      log: silentLogger,
      readFields: () => mapping.readFields
    })

const realUrl = process.env['SAP_C4C_CONFORMANCE_BASE_URL']

if (realUrl === undefined || realUrl === '') {
  const double = await startSapC4c(t)
  await adapterConformance(t, {
    name: 'sap-c4c (double)',
    mapping,
    baseUrl: double.url,
    missingId: '00000000000000000000000000000000',
    makeAdapter: makeAdapter({ ...C4C_USER }),
    capabilities,
    crmControl: {
      async throttleSearch() {
        double.setThrottle(3)
        return async () => double.setThrottle(undefined)
      },
      // The loyalty system writes the account number into C4C; the gateway only reads it.
      async assignLoyaltyId(id, loyaltyId) {
        double.setProperties(id, { LoyaltyAccountNumber_KUT: loyaltyId })
      }
    }
  })
  t.test('every request of the kit was one C4C takes', async (t) => {
    t.same(double.violations, [])
    t.ok(double.requests.length > 30, `${double.requests.length} requests checked`)
  })
} else {
  await adapterConformance(t, {
    name: 'sap-c4c (tenant)',
    mapping,
    baseUrl: realUrl,
    missingId: '00000000000000000000000000000000',
    makeAdapter: makeAdapter({ username: process.env['SAP_C4C_CONFORMANCE_USER'] ?? '', password: process.env['SAP_C4C_CONFORMANCE_PASSWORD'] ?? '' }),
    capabilities,
    searchSettle: { attempts: 10, delayMs: 1000 }
  })
}
