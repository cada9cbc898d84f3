/**
 * Starting the gateway from a config (what npm start does after loading it): the adapter from
 * the registry, the mapping table from mappings/, listening; start-up refusals; and a mapping
 * table reloaded by SIGHUP without a restart (an invalid edit keeps the running table); traces
 * when `tracing.endpoint` is set.
 */
import t from 'tap'
import { copyFile, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createServer } from 'node:http'
import type { FastifyInstance } from 'fastify'
import { startGateway, reloadOnSignal } from '../src/server.js'
import { validateConfig } from '../src/config/load-config.js'
import { mappingFileFor } from '../src/config/project-root.js'
import { MappingTableError } from '../src/mapping/index.js'
import type { Customer } from '../src/spi/customer-schema.js'
import { TEST_API_KEY, startDemoCrm, tempDir } from './demo-crm/fixtures/harness.js'
import { AUTH_HEADERS, TEST_CLIENT_ID, TEST_SECRET } from './helpers/build-test-app.js'
import { listenOnLoopback } from './helpers/loopback-server.js'
import { attributesOf, startCollector } from './helpers/otlp-collector.js'

const auth = { clients: [{ id: TEST_CLIENT_ID, method: 'header', header: 'x-api-key', secrets: [TEST_SECRET] }] }

function config(crmUrl: string, crm: Record<string, unknown> = {}) {
  return validateConfig({
    server: { port: 0 },
    log: { level: 'silent' },
    auth,
    crm: { adapter: 'demo-crm', baseUrl: crmUrl, options: { apiKey: TEST_API_KEY }, ...crm }
  })
}

t.test('starts on the configured adapter and table, and serves the SPI over HTTP', async (t) => {
  const crm = await startDemoCrm(t)
  const gw = await startGateway(config(crm.baseUrl))
  t.teardown(() => gw.app.close())
  t.match(gw.url, /^http:\/\/127\.0\.0\.1:\d+$/)
  t.equal(gw.mappingFile, mappingFileFor('demo-crm', ''))
  const res = await fetch(`${gw.url}/endpoint/sa/customers`, {
    method: 'POST',
    headers: { ...AUTH_HEADERS, 'content-type': 'application/json' },
    body: JSON.stringify({ profile: { firstName: 'Hedy', email: 'hedy@example.com' } })
  })
  t.equal(res.status, 200)
  t.match(((await res.json()) as { customer: { profile: { customerId: string } } }).customer.profile.customerId, /^C\d{8}$/)
})

t.test('start-up refuses an unknown adapter, a missing base URL and an invalid table', async (t) => {
  const dir = await tempDir(t)
  await t.rejects(startGateway(config('http://127.0.0.1:1', { adapter: 'nosuchcrm' })), /unknown CRM adapter "nosuchcrm"; known adapters: demo-crm/)
  await t.rejects(startGateway(config('')), /crm\.baseUrl \(env CRM_BASE_URL\) is required/)
  await t.rejects(startGateway(config('http://127.0.0.1:1', { adapter: 'rest' })), /crm\.mappingFile \(env CRM_MAPPING_FILE\) is required with the "rest" adapter/, 'the REST adapter serves any CRM: its table must be named')
  const broken = join(dir, 'broken.yaml')
  await writeFile(broken, 'version: 1\nfields:\n  - { spi: profile.firstName, crm: FNAME, transform: nosuch }\n')
  const err = await startGateway(config('http://127.0.0.1:1', { mappingFile: broken })).catch((e: unknown) => e)
  t.ok(err instanceof MappingTableError, 'an invalid table stops start-up')
  t.match(String((err as Error).message), /broken\.yaml:3:\d+ fields\[0\]\.transform/, 'naming file, line and field')
})

t.test('SIGHUP reloads the mapping table; an invalid edit keeps the running one', async (t) => {
  const crm = await startDemoCrm(t)
  const dir = await tempDir(t)
  const table = join(dir, 'demo-crm.yaml')
  await copyFile(mappingFileFor('demo-crm', ''), table)
  const gw = await startGateway(config(crm.baseUrl, { mappingFile: table }))
  t.teardown(() => gw.app.close())

  const events: string[] = []
  let settle: () => void = () => {}
  const log = {
    info: (_o: object, msg: string) => {
      events.push(msg)
      settle()
    },
    error: (_o: object, msg: string) => {
      events.push(msg)
      settle()
    }
  } as unknown as FastifyInstance['log']
  const next = (): Promise<void> => new Promise((resolve) => (settle = resolve))
  // The signal as main.ts installs it, with no configuration reload: the table's part alone.
  reloadOnSignal(gw.mapping, () => undefined, log)
  t.teardown(() => process.removeAllListeners('SIGHUP'))

  const before = gw.mapping.current
  t.notOk(before.readFields.includes('NICKNAME'))
  const original = await readFile(table, 'utf8')
  await writeFile(table, original.replace(/^fields:\n/m, 'fields:\n  - { spi: profile.nickname, crm: NICKNAME }\n'))
  let done = next()
  process.emit('SIGHUP')
  await done
  t.same(events, ['mapping table reloaded'])
  t.ok(gw.mapping.current.readFields.includes('NICKNAME'), 'the edited table is in force')
  // A field the SPI schema does not name passes through to whatever row maps it.
  const withNickname = JSON.parse('{"profile":{"nickname":"Ada"}}') as Customer
  t.same(gw.mapping.toCrm(withNickname), { NICKNAME: 'Ada' }, 'a new field by a YAML edit only')

  await writeFile(table, 'version: 1\nfields: [ { spi: profile.x } ]\n')
  done = next()
  process.emit('SIGHUP')
  await done
  t.equal(events.at(-1), 'mapping table reload refused; the previous table stays in force')
  t.ok(gw.mapping.current.readFields.includes('NICKNAME'), 'the running table stayed')
})

t.test('traces when configured: a value the table cannot read is an event on its request', async (t) => {
  const collector = await startCollector(t)
  // A CRM (the demo CRM's API, demo-crm/API.md) holding a birth date no table row can read.
  const crmUrl = await listenOnLoopback(
    t,
    createServer((req, res) => {
      req.resume()
      res.writeHead(200, { 'content-type': 'application/json', etag: '"1"' }).end(JSON.stringify({ CONTACT_ID: 'C00000042', FIRST_NAME: 'Ines', EMAIL: 'ines@example.com', BIRTH_DATE: '31st of May', VERSION: 1 }))
    })
  )
  // As loadConfig sets it from OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (test/config/otel-env.test.ts).
  const gw = await startGateway({ ...config(crmUrl), tracing: { endpoint: collector.url, serviceName: 'clienteling-gateway' } })
  const res = await fetch(`${gw.url}/endpoint/sa/customers/C00000042`, { headers: AUTH_HEADERS })
  t.equal(res.status, 200)
  t.notOk(((await res.json()) as { customer: { profile: Record<string, unknown> } }).customer.profile['birthday'], 'the unreadable value is left out')
  await gw.app.close() // the app's close exports what is buffered
  const [span] = collector.spans().filter((s) => s.name === 'GET /endpoint/sa/customers/:customerId')
  const events = span?.events?.map((e) => ({ name: e.name, ...attributesOf(e) }))
  t.match(events, [{ name: 'mapping.read_issue', 'mapping.field': 'profile.birthday', 'mapping.crm_field': 'BIRTH_DATE', 'mapping.reason': String }])
  t.equal(events?.length, 1)
  t.notMatch(collector.bodies().join(''), /31st of May/, 'without the value')
})
