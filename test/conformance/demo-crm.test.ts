/**
 * The conformance kit (./adapter-conformance.ts) for the demo-crm adapter, against the real
 * embedded demo CRM (in-process, 127.0.0.1, a temp data file) and its shipped table; and a
 * check that adapters/README.md's table of the kit's assertions lists exactly the kit's ids.
 */
import { readFile } from 'node:fs/promises'
import t from 'tap'
import { createDemoCrmAdapter } from '../../adapters/demo-crm/index.js'
import { mappingFileFor } from '../../src/config/project-root.js'
import { loadMappingTable } from '../../src/mapping/index.js'
import { DEMO_CRM_TARGET, TEST_API_KEY, startDemoCrm } from '../demo-crm/fixtures/harness.js'
import { silentLogger } from '../helpers/silent-logger.js'
import { KIT_ASSERTIONS, adapterConformance } from './adapter-conformance.js'

const crm = await startDemoCrm(t)
const mapping = await loadMappingTable(mappingFileFor('demo-crm', ''))

await adapterConformance(t, {
  name: 'demo-crm',
  mapping,
  baseUrl: crm.baseUrl,
  ...DEMO_CRM_TARGET,
  makeAdapter: ({ baseUrl, requestTimeoutMs, badCredentials }) =>
    createDemoCrmAdapter({
      baseUrl,
      settings: { apiKey: badCredentials === true ? 'wrong-key' : TEST_API_KEY },
      requestTimeoutMs,
      log: silentLogger
    })
})

t.test('adapters/README.md lists every assertion of the kit, and no other', async (t) => {
  const readme = await readFile(new URL('../../adapters/README.md', import.meta.url), 'utf8')
  const rows = [...readme.matchAll(/^\| (K\d+) \|/gm)].map(([, id]) => id)
  t.same(rows, Object.keys(KIT_ASSERTIONS), 'the README table has one row per id, in order')
})
