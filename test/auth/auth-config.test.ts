/**
 * The auth and rateLimit config: defaults, secrets by reference, production mode (references
 * only, at least one client), start-up errors naming the key and never the secret, and the
 * development client `npm start` makes when none is configured.
 */
import t from 'tap'
import { loadConfig, validateConfig } from '../../src/config/load-config.js'
import { describeDevelopmentClient, withDevelopmentClient } from '../../src/auth/development-client.js'
import { buildApp } from '../../src/app.js'
import { MemoryCrm, identityMapper } from '../helpers/memory-crm.js'
import { configFileWriter, configProblems } from '../helpers/config-files.js'

const file = configFileWriter('gw-auth-config-')
const problems = configProblems

t.test('defaults: development mode, no clients, short tokens, a rate limit', async (t) => {
  const c = loadConfig({})
  t.same(c.auth, { mode: 'development', clients: [], tokenPath: '/oauth2/token', tokenTtlSeconds: 300, signingKeys: [] })
  t.same(c.rateLimit, { enabled: true, maxRequests: 1200, windowSeconds: 60 })
  const e = loadConfig({ RATE_LIMIT_ENABLED: 'false', RATE_LIMIT_MAX_REQUESTS: '50', RATE_LIMIT_WINDOW_SECONDS: '10', AUTH_TOKEN_TTL_SECONDS: '120' })
  t.same(e.rateLimit, { enabled: false, maxRequests: 50, windowSeconds: 10 }, 'from the environment')
  t.equal(e.auth.tokenTtlSeconds, 120)
  t.match(problems(() => loadConfig({ AUTH_TOKEN_TTL_SECONDS: '86400' })), /auth\.tokenTtlSeconds \(env AUTH_TOKEN_TTL_SECONDS\): must be an integer from 30 to 3600/)
})

t.test('clients and signing keys from a file, secrets from the environment or files', async (t) => {
  const secretFile = file('oauth.secret', 'oauth-secret-from-a-file-0001\n')
  const f = file('auth.yaml', [
    'auth:',
    '  signingKeys: [{ fromEnv: SIGNING_KEY }]',
    '  clients:',
    '    - { id: pos-eu, method: header, secrets: [{ fromEnv: POS_EU_KEY }, { fromEnv: POS_EU_KEY_NEXT }] }',
    '    - { id: pos-us, method: query, secrets: [{ fromEnv: POS_US_KEY }] }',
    `    - { id: pos-oauth, method: oauth, header: X-POS-Token, secrets: [{ fromFile: ${secretFile} }] }`,
    'rateLimit: { maxRequests: 600 }',
    ''
  ].join('\n'))
  const env = {
    GATEWAY_CONFIG: f,
    NODE_ENV: 'production',
    SIGNING_KEY: 'k'.repeat(40),
    POS_EU_KEY: 'eu-current-secret-000001',
    POS_EU_KEY_NEXT: 'eu-next-secret-000000001',
    POS_US_KEY: 'us-secret-00000000000001'
  }
  const c = loadConfig(env)
  t.equal(c.auth.mode, 'production', 'NODE_ENV=production selects production mode')
  t.same(c.auth.clients[0]?.secrets, ['eu-current-secret-000001', 'eu-next-secret-000000001'], 'two secrets while rotating')
  t.same(c.auth.clients[2]?.secrets, ['oauth-secret-from-a-file-0001'], 'from a file, trimmed')
  t.same(c.auth.signingKeys, ['k'.repeat(40)])
  t.equal(c.rateLimit.maxRequests, 600)
  t.equal(loadConfig({ ...env, GATEWAY_MODE: 'development' }).auth.mode, 'development', 'GATEWAY_MODE overrides NODE_ENV')
  const missing = problems(() => loadConfig({ ...env, POS_US_KEY: '' }))
  t.match(missing, /auth\.clients\.1\.secrets\.0: the environment variable POS_US_KEY is missing or empty/)
})

t.test('production mode: secrets only by reference, and at least one client', async (t) => {
  const literal = file('literal.yaml', [
    'auth:',
    '  signingKeys: [the-signing-key-written-in-the-file-0000]',
    '  clients:',
    '    - { id: pos, method: header, secrets: [{ fromEnv: POS_KEY }, literal-secret-in-the-file-01] }',
    'crm:',
    '  options: { apiKey: crm-key-written-in-the-file, region: eu, tokenUrl: "https://x" }',
    ''
  ].join('\n'))
  const env = { GATEWAY_CONFIG: literal, GATEWAY_MODE: 'production', POS_KEY: 'from-the-environment-0001' }
  const msg = problems(() => loadConfig(env))
  t.match(msg, /auth\.clients\.0\.secrets\.1: production mode \(auth\.mode\) takes secrets only as \{fromEnv\} or \{fromFile\} references/)
  t.match(msg, /auth\.signingKeys\.0: production mode/)
  t.match(msg, /crm\.options\.apiKey: production mode/)
  t.notMatch(msg, /region|tokenUrl|auth\.clients\.0\.secrets\.0/, 'only the literal secrets are named')
  t.notMatch(msg, /literal-secret-in-the-file|the-signing-key-written|crm-key-written|from-the-environment/, 'and no value')
  t.equal(loadConfig({ ...env, GATEWAY_MODE: 'development' }).auth.clients[0]?.secrets[1], 'literal-secret-in-the-file-01', 'development mode accepts them')

  t.match(problems(() => loadConfig({ NODE_ENV: 'production' })), /auth\.clients: production mode \(auth\.mode\) needs at least one POS client/)
  t.match(problems(() => loadConfig({ GATEWAY_MODE: 'staging' })), /auth\.mode \(env GATEWAY_MODE\): must be one of: development, production/)
})

t.test('bad client entries stop start-up, naming the key', async (t) => {
  const cases: Array<[unknown, RegExp]> = [
    [[{ id: 'a', method: 'header', secrets: ['short'] }], /auth\.clients\.0\.secrets\.0: must be at least 16 characters/],
    [[{ id: 'a', method: 'header', secrets: [] }], /auth\.clients\.0\.secrets/],
    [[{ id: 'a', method: 'header', secrets: ['s'.repeat(16), 't'.repeat(16), 'u'.repeat(16)] }], /auth\.clients\.0\.secrets/],
    [[{ id: 'a', method: 'basic', secrets: ['s'.repeat(16)] }], /auth\.clients\.0\.method: must be one of: header, query, oauth/],
    [[{ id: 'has space', method: 'header', secrets: ['s'.repeat(16)] }], /auth\.clients\.0\.id: must be a string matching/],
    [[{ id: 'a', method: 'header', secrets: ['s'.repeat(16)], colour: 'red' }], /auth\.clients\.0: unknown key "colour"/],
    [[{ id: 'a', method: 'header', secrets: ['s'.repeat(16)] }, { id: 'a', method: 'oauth', secrets: ['t'.repeat(16)] }], /auth\.clients\.1\.id: "a" is already the id of auth\.clients\.0/],
    [[{ id: 'a', method: 'header', secrets: ['s'.repeat(16)] }, { id: 'b', method: 'header', header: 'x-other', secrets: ['s'.repeat(16)] }], /auth\.clients\.1\.secrets\.0: the same secret as auth\.clients\.0\.secrets\.0/],
    [[{ id: 'a', method: 'query', header: 'x-api-key', secrets: ['s'.repeat(16)] }], /auth\.clients\.0\.header: only for method header/],
    [[{ id: 'a', method: 'oauth', queryParam: 'key', secrets: ['s'.repeat(16)] }], /auth\.clients\.0\.queryParam: only for method query/],
    [[{ id: 'a', method: 'header', header: 'Cookie', secrets: ['s'.repeat(16)] }], /auth\.clients\.0\.header: Cookie has another purpose/],
    [[{ id: 'a', method: 'header', header: 'bad header', secrets: ['s'.repeat(16)] }], /auth\.clients\.0\.header: must be a string matching/]
  ]
  for (const [clients, expected] of cases) {
    const msg = problems(() => validateConfig({ auth: { clients } }))
    t.match(msg, expected, expected.source)
    t.notMatch(msg, /s{16}|t{16}/, 'no secret in the message')
  }
  t.match(problems(() => validateConfig({ auth: { signingKeys: ['too-short-a-key'] } })), /auth\.signingKeys\.0: must be at least 32 characters/)
  t.match(problems(() => validateConfig({ auth: { signingKeys: ['k'.repeat(32), 'l'.repeat(32), 'm'.repeat(32)] } })), /auth\.signingKeys/)
  t.match(problems(() => validateConfig({ rateLimit: { maxRequests: 0 } })), /rateLimit\.maxRequests: must be an integer from 1/)
  t.equal(problems(() => validateConfig({ auth: { clients: [{ id: 'a', method: 'header', secrets: ['s'.repeat(16), 's'.repeat(16)] }] } })), '(no error)', 'one client may repeat its own secret')
})

t.test('npm start without clients: a development client for this run, never an open gateway', async (t) => {
  const dev = withDevelopmentClient(loadConfig({}))
  t.ok(dev.client, 'development mode without clients: one is made')
  const client = dev.client!
  t.equal(client.id, 'dev-pos')
  t.match(client.secret, /^[A-Za-z0-9_-]{32}$/, 'a random secret')
  t.not(withDevelopmentClient(loadConfig({})).client?.secret, client.secret, 'a new one at every start')
  t.same(dev.config.auth.clients, [{ id: 'dev-pos', method: 'header', header: 'x-api-key', secrets: [client.secret] }])
  const text = describeDevelopmentClient(client, 'http://127.0.0.1:3000/endpoint/sa/customers')
  t.match(text, `curl -H 'x-api-key: ${client.secret}' 'http://127.0.0.1:3000/endpoint/sa/customers?lastName=a'`)

  const configured = loadConfig({}, { auth: { clients: [{ id: 'pos', method: 'header', secrets: ['s'.repeat(16)] }] } })
  t.equal(withDevelopmentClient(configured).client, undefined, 'configured clients: nothing added')
  t.equal(withDevelopmentClient(configured).config, configured)
  const production = { ...configured, auth: { ...configured.auth, mode: 'production' as const, clients: [] } }
  t.equal(withDevelopmentClient(production).client, undefined, 'never in production mode')

  const app = await buildApp({ config: dev.config, adapter: new MemoryCrm(), mapper: identityMapper, logger: false })
  t.teardown(() => app.close())
  const url = '/endpoint/sa/customers?lastName=a'
  t.equal((await app.inject({ method: 'GET', url })).statusCode, 401, 'without the printed secret: 401')
  t.equal((await app.inject({ method: 'GET', url, headers: { 'x-api-key': client.secret } })).statusCode, 200, 'with it: in')
})
