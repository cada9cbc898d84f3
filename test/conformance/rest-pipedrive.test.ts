/**
 * The conformance kit (./adapter-conformance.ts) for Pipedrive persons (API v2) served by the
 * declarative REST adapter — mappings/pipedrive.rest.yaml and mappings/pipedrive.yaml, no
 * TypeScript of Pipedrive's own — against the Pipedrive double (test/fakes/pipedrive-double.ts).
 * The adapter is built through the registry from configuration only.
 */
import t from 'tap'
import { PERSON_FIELD_KEYS } from '../fakes/pipedrive-double.js'
import { loadPipedriveTable, pipedriveAdapter, startPipedrive } from '../helpers/gateway-over-pipedrive.js'
import { adapterConformance } from './adapter-conformance.js'
import type { CrmCapabilities, CrmControl } from './adapter-conformance.js'

const mapping = await loadPipedriveTable()

/**
 * Pipedrive, by its reference (https://developers.pipedrive.com/docs/api/v2/Persons): no field
 * is unique (duplicates are found only on import:
 * https://support.pipedrive.com/hc/en-us/articles/208048865-How-does-Pipedrive-avoid-duplicates-)
 * and e-mails are free text; search is one free-text term matching parts of values, so every
 * operator is compared on the gateway's side on the persons it finds, and criteria are ANDed
 * there too; persons have no version or If-Match.
 */
const capabilities: CrmCapabilities = {
  uniqueEmail: false,
  validatesEmail: false,
  searchOperators: ['equals', 'prefix', 'contains', 'phone'],
  combinesCriteria: true,
  optimisticConcurrency: false
}

const double = await startPipedrive(t)
const control: CrmControl = {
  // The search endpoints' own window (10 requests per 2 seconds per token) spent by another
  // integration: 429 with x-ratelimit-reset.
  async throttleSearch() {
    double.setSearchRateLimit({ max: 0, windowMs: 2000 })
    return async () => {
      double.setSearchRateLimit({ max: 1000, windowMs: 2000 })
      double.resetRateWindows()
    }
  },
  // The loyalty system writes the account number into its custom field; the gateway only reads it.
  async assignLoyaltyId(id, loyaltyId) {
    double.setFieldValue(Number(id), PERSON_FIELD_KEYS.loyaltyAccountNumber, loyaltyId)
  }
  // No exhaustQuota: Pipedrive answers a spent daily budget with the same 429 as a full
  // 2-second window (its reference documents nothing that tells them apart), so the definition
  // reports both as throttling and K51 has nothing to check.
}

await adapterConformance(t, {
  name: 'rest (Pipedrive double)',
  mapping,
  baseUrl: double.url,
  missingId: '999999999',
  makeAdapter: ({ baseUrl, requestTimeoutMs, badCredentials }) =>
    pipedriveAdapter(t, baseUrl, mapping, { requestTimeoutMs, ...(badCredentials === true ? { apiToken: 'f'.repeat(40) } : {}) }),
  capabilities,
  crmControl: control
})

t.test('every request of the kit’s run is one Pipedrive’s reference allows', async (t) => {
  t.same(double.violations, [])
  t.ok(double.requests.length > 40, `${double.requests.length} requests checked`)
  const paths = new Set(double.requests.map((r) => `${r.method} ${r.url.split('?')[0] ?? ''}`.replace(/\/\d+$/, '/{id}')))
  t.ok(paths.has('GET /api/v2/persons/search') && paths.has('GET /api/v2/persons'), 'searches, and the hits read by ids')
  t.notOk([...paths].some((p) => p.includes('/v1/')), 'API v2 only')
})
