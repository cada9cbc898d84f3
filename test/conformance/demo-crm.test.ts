/**
 * The conformance kit (./adapter-conformance.ts) for the demo-crm adapter, against the real
 * embedded demo CRM (in-process, 127.0.0.1, a temp data file) and its shipped table.
 */
import t from 'tap'
import { createDemoCrmAdapter } from '../../adapters/demo-crm/index.js'
import { mappingFileFor } from '../../src/config/project-root.js'
import { loadMappingTable } from '../../src/mapping/index.js'
import { TEST_API_KEY, startDemoCrm } from '../demo-crm/fixtures/harness.js'
import { silentLogger } from '../helpers/silent-logger.js'
import { adapterConformance } from './adapter-conformance.js'

const crm = await startDemoCrm(t)
const mapping = await loadMappingTable(mappingFileFor('demo-crm', ''))

await adapterConformance(t, {
  name: 'demo-crm',
  mapping,
  baseUrl: crm.baseUrl,
  // CONTACT_IDs are C + 8 digits (demo-crm/API.md); this one is never given out in a test.
  missingId: 'C99999999',
  makeAdapter: ({ baseUrl, requestTimeoutMs, badCredentials }) =>
    createDemoCrmAdapter({
      baseUrl,
      settings: { apiKey: badCredentials === true ? 'wrong-key' : TEST_API_KEY },
      requestTimeoutMs,
      log: silentLogger
    })
})
