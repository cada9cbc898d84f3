/**
 * Configuration: defaults, file, environment, secrets by reference, and start-up errors that
 * name the key, where the value came from and what is allowed.
 */
import t from 'tap'
import { dirname, join } from 'node:path'
import { loadConfig } from '../../src/config/load-config.js'
import { configFileWriter, configProblems } from '../helpers/config-files.js'

const file = configFileWriter('gw-config-')
const problems = configProblems

t.test('defaults need no configuration at all', async (t) => {
  const c = loadConfig({})
  t.equal(c.server.port, 3000)
  t.equal(c.server.host, '127.0.0.1')
  t.equal(c.spi.prefix, '/endpoint/sa')
  t.equal(c.spi.envelope, 'wrapped')
  t.equal(c.crm.adapter, 'demo-crm')
  t.equal(c.spi.searchDefaultLimit, 20)
})

t.test('file, then environment (the environment wins)', async (t) => {
  const f = file('a.yaml', 'server:\n  port: 8080\nspi:\n  envelope: bare\n  prefix: /pos\ncrm:\n  requestTimeoutMs: 9000\n')
  const c = loadConfig({ GATEWAY_CONFIG: f, PORT: '9090', HOST: '0.0.0.0', LOG_LEVEL: 'warn' })
  t.equal(c.server.port, 9090, 'PORT from env, converted to an integer')
  t.equal(c.server.host, '0.0.0.0')
  t.equal(c.spi.envelope, 'bare', 'from the file')
  t.equal(c.spi.prefix, '/pos')
  t.equal(c.crm.requestTimeoutMs, 9000)
  t.equal(c.log.level, 'warn')
  const json = file('b.json', '{"server":{"port":7000}}')
  t.equal(loadConfig({ GATEWAY_CONFIG: json }).server.port, 7000, 'JSON files work too')
})

t.test('a bad value stops start-up naming the key, its origin and what is allowed', async (t) => {
  t.match(problems(() => loadConfig({ PORT: 'eighty' })), /server\.port \(env PORT\): must be an integer from 0 to 65535/)
  t.match(problems(() => loadConfig({ PORT: '70000' })), /server\.port \(env PORT\)/)
  t.match(problems(() => loadConfig({ SPI_ENVELOPE: 'xml' })), /spi\.envelope \(env SPI_ENVELOPE\): must be one of: wrapped, bare/)
  t.match(problems(() => loadConfig({ LOG_LEVEL: 'loud' })), /log\.level.*must be one of: fatal, error, warn/)
  t.match(problems(() => loadConfig({ CRM_BASE_URL: 'ftp://x' })), /crm\.baseUrl \(env CRM_BASE_URL\): must be a string matching/)
  const unknown = file('c.yaml', 'server:\n  prot: 1\n')
  t.match(problems(() => loadConfig({ GATEWAY_CONFIG: unknown })), /server: unknown key "prot" \(known: host, port/)
  const badType = file('d.yaml', 'spi:\n  docs: "maybe"\n')
  t.match(problems(() => loadConfig({ GATEWAY_CONFIG: badType })), /spi\.docs \(file .*d\.yaml\): must be true or false/)
  t.match(problems(() => loadConfig({ GATEWAY_CONFIG: join(dirname(file('probe.txt', '')), 'missing.yaml') })), /cannot read .*missing\.yaml \(ENOENT\)/)
  const broken = file('e.yaml', 'server: [\n')
  t.match(problems(() => loadConfig({ GATEWAY_CONFIG: broken })), /not valid YAML/)
  const two = problems(() => loadConfig({ PORT: 'x', SPI_ENVELOPE: 'y' }))
  t.match(two, /server\.port/, 'every problem is listed at once')
  t.match(two, /spi\.envelope/)
})

t.test('secrets are read from the environment or a file named in config', async (t) => {
  const secretFile = file('key.txt', 'from-a-file\n')
  const f = file('s.yaml', `crm:\n  options:\n    apiKey: { fromEnv: DEMO_KEY }\n    token: { fromFile: ${secretFile} }\n    region: eu\n`)
  const c = loadConfig({ GATEWAY_CONFIG: f, DEMO_KEY: 'from-env' })
  t.equal(c.crm.options['apiKey'], 'from-env')
  t.equal(c.crm.options['token'], 'from-a-file', 'trailing newline trimmed')
  t.equal(c.crm.options['region'], 'eu')
  const msg = problems(() => loadConfig({ GATEWAY_CONFIG: f }))
  t.match(msg, /crm\.options\.apiKey: the environment variable DEMO_KEY is missing or empty/)
  t.notMatch(msg, /from-a-file/, 'a secret value never appears in an error')
})

t.test('config keys cannot pollute prototypes', async (t) => {
  const f = file('p.json', '{"__proto__":{"polluted":1},"server":{"constructor":{"x":1}}}')
  const msg = problems(() => loadConfig({ GATEWAY_CONFIG: f }))
  t.equal(({} as Record<string, unknown>)['polluted'], undefined)
  t.equal(msg, '(no error)', 'forbidden keys are skipped, not merged')
})

t.test("the CRM's HTTP backstop may not cut an attempt's own budget short", async (t) => {
  const f = file('short.yaml', 'crm:\n  requestTimeoutMs: 2500\nresilience:\n  requestDeadlineMs: 4000\n')
  t.throws(() => loadConfig({ GATEWAY_CONFIG: f }), /crm\.requestTimeoutMs \(.*short\.yaml\): 2500 is below resilience\.requestDeadlineMs \(4000\)/)
  t.equal(loadConfig({ GATEWAY_CONFIG: f, REQUEST_DEADLINE_MS: '2500' }).crm.requestTimeoutMs, 2500, 'a deadline within it is fine')
})
