/**
 * The conformance kit (./adapter-conformance.ts) for the hubspot adapter and
 * mappings/hubspot.yaml.
 *
 * By default it runs against the HubSpot test double (test/fakes/hubspot-double.ts). To run it
 * against a real HubSpot account (a developer test account or sandbox, never production):
 *
 *   HUBSPOT_CONFORMANCE_ACCESS_TOKEN=pat-…  npx tap --disable-coverage test/conformance/hubspot.test.ts
 *   (optional HUBSPOT_CONFORMANCE_BASE_URL, default https://api.hubapi.com)
 *
 * The private app needs crm.objects.contacts.read/write, and the account the table's custom
 * properties (`clienteling-gateway crm provision`, README § HubSpot). The kit archives the
 * contacts it creates.
 * Searches are paced (5 per second) and retried while HubSpot indexes fresh contacts.
 */
import t from 'tap'
import { createHubSpotAdapter } from '../../adapters/hubspot/index.js'
import { silentLogger } from '../helpers/silent-logger.js'
import { HUBSPOT_TOKEN, loadHubSpotTable, startHubSpot } from '../helpers/gateway-over-hubspot.js'
import { adapterConformance } from './adapter-conformance.js'
import type { ConformanceTarget, CrmCapabilities, CrmControl } from './adapter-conformance.js'

const mapping = await loadHubSpotTable()

/**
 * HubSpot's contacts, by its reference: the e-mail is a contact's unique identifier (409
 * "Contact already exists") and is checked (400 VALIDATION_ERROR, INVALID_EMAIL); search
 * filters EQ and CONTAINS_TOKEN with wildcards (equals, prefix, contains) and the calculated
 * phone numbers, ANDed within a filter group; no version or If-Match for contacts.
 */
const capabilities: CrmCapabilities = {
  uniqueEmail: true,
  validatesEmail: true,
  searchOperators: ['equals', 'prefix', 'contains', 'phone'],
  combinesCriteria: true,
  optimisticConcurrency: false
}
const realToken = process.env['HUBSPOT_CONFORMANCE_ACCESS_TOKEN']

const makeAdapter = (token: string): ConformanceTarget['makeAdapter'] => ({ baseUrl, requestTimeoutMs, badCredentials }) =>
  createHubSpotAdapter({
    baseUrl,
    settings: { accessToken: badCredentials === true ? 'pat-na1-refused' : token },
    requestTimeoutMs,
    log: silentLogger,
    readFields: () => mapping.readFields
  })

if (realToken === undefined || realToken === '') {
  // The kit makes a dozen searches in a burst; HubSpot's 5-per-second limit is tested on its
  // own (hubspot-double.test.ts, and throttleSearch below), so here it is raised.
  const double = await startHubSpot(t, { searchRateLimit: { max: 1000, windowMs: 1000 } })
  const control: CrmControl = {
    async throttleSearch() {
      double.setSearchRateLimit({ max: 0, windowMs: 1000 })
      return async () => {
        double.setSearchRateLimit({ max: 1000, windowMs: 1000 })
        double.resetRateWindows()
      }
    },
    // [usage] the daily allowance spent: 429 policyName DAILY until the account's midnight.
    async exhaustQuota() {
      double.setDailyLimitReached(true)
      return async () => double.setDailyLimitReached(false)
    },
    // The loyalty system writes the account number into HubSpot; the gateway only reads it.
    async assignLoyaltyId(id, loyaltyId) {
      double.setProperties(id, { loyalty_account_number: loyaltyId })
    }
  }
  await adapterConformance(t, {
    name: 'hubspot (double)',
    mapping,
    baseUrl: double.url,
    missingId: '999999999999',
    makeAdapter: makeAdapter(HUBSPOT_TOKEN),
    capabilities,
    crmControl: control
  })
  t.test("every request the kit's run made is valid under HubSpot's published description", async (t) => {
    t.same(double.violations, [])
    t.ok(double.requests.length > 30, `${double.requests.length} requests checked`)
  })
} else {
  const baseUrl = process.env['HUBSPOT_CONFORMANCE_BASE_URL'] ?? 'https://api.hubapi.com'
  const call = (method: string, path: string, body?: unknown) =>
    fetch(`${baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${realToken}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })
  await adapterConformance(t, {
    name: 'hubspot (real account)',
    mapping,
    baseUrl,
    missingId: '999999999999',
    makeAdapter: makeAdapter(realToken),
    capabilities,
    searchPaceMs: 250,
    searchSettle: { attempts: 20, delayMs: 1500 },
    crmControl: {
      async assignLoyaltyId(id, loyaltyId) {
        await call('PATCH', `/crm/v3/objects/contacts/${id}`, { properties: { loyalty_account_number: loyaltyId } })
      },
      // DELETE moves a contact to the recycling bin (contacts guide, "Delete contacts").
      async remove(id) {
        await call('DELETE', `/crm/v3/objects/contacts/${id}`)
      }
    }
  })
}
