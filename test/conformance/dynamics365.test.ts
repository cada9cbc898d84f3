/**
 * The conformance kit (./adapter-conformance.ts) for the dynamics365 adapter and
 * mappings/dynamics365.yaml, against the Dataverse test double (test/fakes/dataverse-double.ts).
 *
 * Capabilities, by Microsoft's documentation:
 * - uniqueEmail: true — with `MSCRM.SuppressDuplicateDetection: false` (which the adapter sends
 *   on create) the environment's published duplicate detection rules refuse a contact with
 *   another's e-mail ("Contacts with the same e-mail address" ships with Dataverse; the
 *   administrator keeps it published: adapters/dynamics365/README.md);
 * - validatesEmail: false — emailaddress1 is text; the Web API stores what it is sent;
 * - searchOperators: all four — eq, startswith, contains (case-insensitive for text), and
 *   phone as the number's spellings compared with eq;
 * - combinesCriteria: true — `and` in $filter;
 * - optimisticConcurrency: true — @odata.etag and If-Match, 412 when stale.
 * Dataverse documents no daily quota answer (its limits are the service protection 429s), so
 * K51 is not run.
 */
import t from 'tap'
import { createDynamics365Adapter } from '../../adapters/dynamics365/index.js'
import { silentLogger } from '../helpers/silent-logger.js'
import { dynamicsSettings, loadDynamicsTable, startDataverse } from '../helpers/gateway-over-dynamics365.js'
import { adapterConformance } from './adapter-conformance.js'
import type { CrmCapabilities } from './adapter-conformance.js'

const mapping = await loadDynamicsTable()
const capabilities: CrmCapabilities = {
  uniqueEmail: true,
  validatesEmail: false,
  searchOperators: ['equals', 'prefix', 'contains', 'phone'],
  combinesCriteria: true,
  optimisticConcurrency: true
}

const double = await startDataverse(t)
await adapterConformance(t, {
  name: 'dynamics365 (double)',
  mapping,
  baseUrl: double.url,
  missingId: '00000000-0000-4000-8000-00000000dead',
  // The token comes from the authority (never through the fault proxy the kit puts in front of
  // the Web API), for the environment's scope, whatever URL the Web API is reached at.
  makeAdapter: ({ baseUrl, requestTimeoutMs, badCredentials }) =>
    createDynamics365Adapter({
      baseUrl,
      settings: dynamicsSettings(double, badCredentials === true ? { clientSecret: 'a-revoked-secret' } : {}),
      requestTimeoutMs,
      log: silentLogger,
      readFields: () => mapping.readFields
    }),
  capabilities,
  crmControl: {
    // [limits] the user's allowance of the 300-second window spent: every request 429s.
    async throttleSearch() {
      double.setServiceProtection({ maxRequests: 0, windowMs: 300_000 })
      return async () => double.setServiceProtection({ maxRequests: 6000, windowMs: 300_000 })
    },
    // The loyalty system writes the account number into Dataverse; the gateway only reads it.
    async assignLoyaltyId(id, loyaltyId) {
      double.setColumns(id, { cg_loyaltyaccountnumber: loyaltyId })
    }
  }
})

t.test('the kit made no request against documented practice (no PATCH without If-Match, no upsert create)', async (t) => {
  t.same(double.violations, [])
  t.equal(double.upsertCreates, 0)
  t.ok(double.requests.length > 30, `${double.requests.length} requests checked`)
})
