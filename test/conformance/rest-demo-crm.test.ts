/**
 * The conformance kit (./adapter-conformance.ts) for the declarative REST adapter
 * (`crm.adapter: rest`), against the real embedded demo CRM (in-process, 127.0.0.1, a temp data
 * file), described by mappings/demo-crm.rest.yaml and mapped by the demo CRM's own table
 * mappings/demo-crm.yaml. Nothing here is specific to the demo CRM but its key and an id no
 * contact has: the adapter is built through the registry, from configuration only.
 */
import t from 'tap'
import { resolveAdapterFactory } from '../../adapters/index.js'
import { mappingFileFor } from '../../src/config/project-root.js'
import { loadMappingTable } from '../../src/mapping/index.js'
import { DEMO_CRM_TARGET, TEST_API_KEY, startDemoCrm } from '../demo-crm/fixtures/harness.js'
import { silentLogger } from '../helpers/silent-logger.js'
import { adapterConformance } from './adapter-conformance.js'

const crm = await startDemoCrm(t)
const mapping = await loadMappingTable(mappingFileFor('demo-crm', ''))
const createAdapter = resolveAdapterFactory('rest')

await adapterConformance(t, {
  name: 'rest (demo CRM)',
  mapping,
  baseUrl: crm.baseUrl,
  ...DEMO_CRM_TARGET,
  makeAdapter: ({ baseUrl, requestTimeoutMs, badCredentials }) =>
    createAdapter({
      baseUrl,
      settings: { definition: 'mappings/demo-crm.rest.yaml', apiKey: badCredentials === true ? 'wrong-key' : TEST_API_KEY },
      requestTimeoutMs,
      log: silentLogger,
      readFields: () => mapping.readFields
    })
})
