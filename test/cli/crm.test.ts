/**
 * `crm check` and `crm provision` against the HubSpot double, configured as an operator
 * configures the gateway (a config file naming the adapter, the token by reference), and
 * `mapping check --crm`. A portal without the table's custom properties, one of which a
 * merchant already made with the wrong type.
 */
import t from 'tap'
import { runCrmCli } from '../../src/cli/crm.js'
import { runMappingCli } from '../../src/cli/mapping.js'
import { HUBSPOT_TOKEN, startHubSpot } from '../helpers/gateway-over-hubspot.js'
import { configFileWriter } from '../helpers/config-files.js'

const write = configFileWriter('crm-cli-')

async function run(cli: typeof runCrmCli, argv: string[], env: Record<string, string>): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const code = await cli(argv, { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) }, env })
  return { code, out, err }
}

t.test('check names what is missing; provision creates it once; a wrong-type property is reported, not altered', async (t) => {
  const double = await startHubSpot(t, {
    provisioned: false,
    customProperties: [{ name: 'loyalty_store_credit', type: 'string', fieldType: 'text', groupName: 'contactinformation' }]
  })
  const config = write('hubspot.yaml', `crm:\n  adapter: hubspot\n  baseUrl: ${double.url}\n  options:\n    accessToken: { fromEnv: TEST_HUBSPOT_TOKEN }\n`)
  const env = { GATEWAY_CONFIG: config, TEST_HUBSPOT_TOKEN: HUBSPOT_TOKEN }

  const before = await run(runCrmCli, ['check'], env)
  t.equal(before.code, 1, 'exit 1 while properties are missing')
  t.match(before.out, /^missing {5}consent_terms$/m, 'each missing property named')
  t.match(before.out, /^missing {5}clienteling_create_request_id$/m)
  t.notMatch(before.out, /missing {5}(email|firstname|hs_language|gender)$/m, "HubSpot's own properties are there")
  t.match(before.out, /^wrong type {2}loyalty_store_credit: the CRM has string, the table needs number$/m)
  t.notMatch(before.out + before.err, new RegExp(HUBSPOT_TOKEN), 'the token is never printed')

  const first = await run(runCrmCli, ['provision'], env)
  t.match(first.out, /^note {8}created the property group "clienteling"$/m)
  t.match(first.out, /^created {5}consent_terms$/m)
  t.match(first.out, /\d+ created, \d+ already present/)
  t.match(first.out, /wrong type {2}loyalty_store_credit/, 'still reported')
  t.equal(first.code, 1, 'exit 1: one property still does not fit')

  const second = await run(runCrmCli, ['provision'], env)
  t.match(second.out, /^0 created, \d+ already present$/m, 'a second run creates nothing')
  t.notMatch(second.out, /^created/m)

  const mapping = await run(runMappingCli, ['check', '--crm', 'mappings/hubspot.yaml'], env)
  t.match(mapping.out, /^OK mappings\/hubspot\.yaml/m)
  t.match(mapping.out, /wrong type {2}loyalty_store_credit/, 'mapping check --crm: the same check for a table being edited')
  t.equal(mapping.code, 1)
  t.same(double.violations, [], 'every request valid under HubSpot\'s description')
})

t.test('usage and configuration errors are said plainly', async (t) => {
  t.equal((await run(runCrmCli, [], {})).code, 2)
  t.match((await run(runCrmCli, ['--help'], {})).out, /provision {3}create the fields the CRM lacks/)
  const unknown = await run(runCrmCli, ['provison'], {})
  t.same([unknown.code, unknown.err.split('\n')[0]], [2, 'unknown command or argument: provison'])
  const demo = await run(runCrmCli, ['check'], { CRM_BASE_URL: 'http://127.0.0.1:9', GATEWAY_CONFIG: write('demo.yaml', 'crm:\n  options: { apiKey: k }\n') })
  t.same([demo.code, demo.out], [0, 'the demo-crm adapter takes any field: nothing to check\n'], 'an adapter without declared fields')
  const noUrl = await run(runCrmCli, ['check'], { CRM_ADAPTER: 'hubspot' })
  t.match(noUrl.err, /crm\.baseUrl \(env CRM_BASE_URL\) is required/)
  const down = await run(runCrmCli, ['check'], { CRM_ADAPTER: 'hubspot', CRM_BASE_URL: 'http://127.0.0.1:9', GATEWAY_CONFIG: write('down.yaml', 'crm:\n  options: { accessToken: pat-x }\n') })
  t.same([down.code, down.err], [1, 'the CRM could not be asked (unreachable): fieldSchema: CRM unreachable (ECONNREFUSED)\n'])
  const typo = await run(runCrmCli, ['check'], { CRM_ADAPTER: 'hubspot', CRM_BASE_URL: 'http://127.0.0.1:9', GATEWAY_CONFIG: write('typo.yaml', 'crm:\n  options: { accesToken: pat-x }\n') })
  t.same([typo.code, typo.err.trim()], [1, 'hubspot adapter: settings.accessToken is required; settings.accesToken is not a known setting (known: accessToken, searchRequestsPerSecond, propertyGroup)'])
})
