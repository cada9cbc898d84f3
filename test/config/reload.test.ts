/**
 * The configuration reloaded without a restart (src/config/reload-config.ts, server.ts
 * startConfigReload), over real HTTP on a started gateway and the demo CRM: a POS client's
 * secret rotated in its `fromFile` secret file — the old secret refused, the new one in, tokens
 * obtained with the old secret refused (SECURITY.md § Rotating secrets); signing keys rotated;
 * invalid edits refused with every problem logged while the running configuration serves on;
 * what needs a restart named, never applied; logs never carry a secret.
 */
import t, { type Test } from 'tap'
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { reloadOnSignal, type StartedGateway, type ConfigReload } from '../../src/server.js'
import { validateConfig } from '../../src/config/load-config.js'
import { Authenticator } from '../../src/auth/authenticator.js'
import { TEST_API_KEY, startDemoCrm, tempDir } from '../demo-crm/fixtures/harness.js'
import { basicAuth } from '../helpers/auth-clients.js'
import type { SilentLogger } from '../helpers/silent-logger.js'
import { loggedEvents, startReloadableGateway } from '../helpers/reloadable-gateway.js'

const SPI = '/endpoint/sa/customers'
const S = {
  store: 'store-secret-0123456789-old',
  storeNext: 'store-secret-0123456789-new',
  oauth: 'oauth-secret-0123456789-old',
  oauthNext: 'oauth-secret-0123456789-new',
  key: 'signing-key-0123456789abcdef-0123456789-old',
  keyNext: 'signing-key-0123456789abcdef-0123456789-new'
}

interface Setup {
  readonly gw: StartedGateway
  readonly live: ConfigReload
  readonly log: SilentLogger
  readonly dir: string
  /** Writes the config file (JSON is YAML) from the parts that vary. */
  writeConfig(edit?: (config: Record<string, any>) => void): Promise<void>
  secret(name: string, value: string): Promise<void>
  search(headers: Record<string, string>): Promise<number>
  token(id: string, secret: string): Promise<{ status: number; token?: string }>
}

async function setup(t: Test): Promise<Setup> {
  const crm = await startDemoCrm(t)
  const dir = await tempDir(t)
  const file = (name: string): string => join(dir, name)
  const secret = (name: string, value: string): Promise<void> => writeFile(file(name), `${value}\n`)
  await secret('crm.key', TEST_API_KEY)
  await secret('store.secret', S.store)
  await secret('oauth.secret', S.oauth)
  await secret('signing.key', S.key)
  const base = (): Record<string, any> => ({
    server: { port: 0 },
    log: { level: 'silent' },
    crm: { adapter: 'demo-crm', baseUrl: crm.baseUrl, options: { apiKey: { fromFile: file('crm.key') } } },
    auth: {
      mode: 'production',
      clients: [
        { id: 'pos-store', method: 'header', header: 'x-api-key', secrets: [{ fromFile: file('store.secret') }] },
        { id: 'pos-oauth', method: 'oauth', secrets: [{ fromFile: file('oauth.secret') }] }
      ],
      signingKeys: [{ fromFile: file('signing.key') }]
    }
  })
  const configFile = file('gateway.yaml')
  const writeConfig = async (edit?: (config: Record<string, any>) => void): Promise<void> => {
    const config = base()
    edit?.(config)
    await writeFile(configFile, JSON.stringify(config, null, 2))
  }
  await writeConfig()
  const { gw, live, log } = await startReloadableGateway(t, configFile)
  const search = async (headers: Record<string, string>): Promise<number> =>
    (await fetch(`${gw.url}${SPI}?lastName=Okafor`, { headers })).status
  const token = async (id: string, secretValue: string): Promise<{ status: number; token?: string }> => {
    const res = await fetch(`${gw.url}/oauth2/token?grant_type=client_credentials`, { method: 'POST', headers: { authorization: basicAuth(id, secretValue) } })
    const body = (await res.json()) as { access_token?: string }
    return { status: res.status, ...(body.access_token ? { token: body.access_token } : {}) }
  }
  return { gw, live, log, dir, writeConfig, secret, search, token }
}

/** The log as one string, to prove no secret value is in it. */
function logText(log: SilentLogger): string {
  return JSON.stringify(log.records)
}

t.test('a secret rotated in its file: old secret and its tokens refused, the new one in', async (t) => {
  const s = await setup(t)
  t.equal(await s.search({ 'x-api-key': S.store }), 200, 'the store secret works')
  const before = await s.token('pos-oauth', S.oauth)
  t.equal(before.status, 200)
  const oldToken = { authorization: `Bearer ${before.token}` }
  t.equal(await s.search(oldToken), 200, 'and a token obtained with the OAuth secret')

  // The files change (an operator, or Kubernetes updating a Secret); the config file does not.
  await s.secret('store.secret', S.storeNext)
  await s.secret('oauth.secret', S.oauthNext)
  const outcome = s.live.reload()
  t.same(outcome, { status: 'applied', applied: ['auth.clients.0.secrets.0', 'auth.clients.1.secrets.0'], needsRestart: [] })

  t.equal(await s.search({ 'x-api-key': S.store }), 401, 'the old secret is refused at once')
  t.equal(await s.search({ 'x-api-key': S.storeNext }), 200, 'the new one is accepted')
  t.equal(await s.search(oldToken), 401, 'a token obtained with the old secret is refused (SECURITY.md)')
  t.equal((await s.token('pos-oauth', S.oauth)).status, 401, 'the old secret gets no token')
  const after = await s.token('pos-oauth', S.oauthNext)
  t.equal(after.status, 200)
  t.equal(await s.search({ authorization: `Bearer ${after.token}` }), 200, 'a token obtained with the new secret works')

  t.same(loggedEvents(s.log), ['config_reloaded'])
  t.same((s.log.records[0]?.obj as { applied?: string[] }).applied, ['auth.clients.0.secrets.0', 'auth.clients.1.secrets.0'], 'logged by key')
  for (const value of Object.values(S)) t.notOk(logText(s.log).includes(value), 'no secret value in the log')
})

t.test('zero-downtime rotation: two secrets, then the old one removed; signing keys likewise', async (t) => {
  const s = await setup(t)
  const oldToken = `Bearer ${(await s.token('pos-oauth', S.oauth)).token}`
  await s.secret('oauth-next.secret', S.oauthNext)
  await s.secret('signing-next.key', S.keyNext)
  // Step 1: the new secret beside the old; the new signing key first, the old one still verifying.
  await s.writeConfig((c) => {
    c['auth'].clients[1].secrets.push({ fromFile: join(s.dir, 'oauth-next.secret') })
    c['auth'].signingKeys.unshift({ fromFile: join(s.dir, 'signing-next.key') })
  })
  const step1 = s.live.reload()
  t.same(step1, { status: 'applied', applied: ['auth.clients.1.secrets.1', 'auth.signingKeys.0', 'auth.signingKeys.1'], needsRestart: [] })
  t.equal(await s.search({ authorization: oldToken }), 200, 'tokens obtained before keep working while both are configured')
  const newToken = `Bearer ${(await s.token('pos-oauth', S.oauthNext)).token}`
  t.equal(await s.search({ authorization: newToken }), 200)

  // Step 2: the old secret and the old signing key removed.
  await s.writeConfig((c) => {
    c['auth'].clients[1].secrets = [{ fromFile: join(s.dir, 'oauth-next.secret') }]
    c['auth'].signingKeys = [{ fromFile: join(s.dir, 'signing-next.key') }]
  })
  t.equal(s.live.reload().status, 'applied')
  t.equal(await s.search({ authorization: oldToken }), 401, 'a token of the removed secret (and key) is refused')
  t.equal(await s.search({ authorization: newToken }), 200, 'one obtained with the kept secret, signed with the kept key, is not')
  t.equal((await s.token('pos-oauth', S.oauth)).status, 401)
})

t.test('a signing key replaced, a client removed: their tokens are refused; no keys at all keeps the process key', async (t) => {
  const s = await setup(t)
  const first = `Bearer ${(await s.token('pos-oauth', S.oauth)).token}`
  await s.secret('signing.key', S.keyNext)
  t.same(s.live.reload(), { status: 'applied', applied: ['auth.signingKeys.0'], needsRestart: [] })
  t.equal(await s.search({ authorization: first }), 401, 'signed with the removed key: refused')
  const second = `Bearer ${(await s.token('pos-oauth', S.oauth)).token}`
  t.equal(await s.search({ authorization: second }), 200, 'the same secret gets a token signed with the new key')

  await s.writeConfig((c) => {
    c['auth'].clients.pop()
  })
  t.same(s.live.reload(), { status: 'applied', applied: ['auth.clients.1'], needsRestart: [] })
  t.equal(await s.search({ authorization: second }), 401, "a removed client's tokens are refused")
  t.equal((await s.token('pos-oauth', S.oauth)).status, 401)

  // Unconfigured keys: the process's own random key signs, and a reload keeps it.
  const auth = Authenticator.fromConfig(validateConfig({ auth: { clients: [{ id: 'pos-o', method: 'oauth', secrets: [S.oauth] }] } }).auth)
  const check = auth.checkClientSecret('pos-o', S.oauth)
  const token = check.ok ? (await auth.tokens.issue('pos-o', check.secretDigest)).accessToken : ''
  auth.reconfigure({ clients: [{ id: 'pos-o', method: 'oauth', secrets: [S.oauth] }], signingKeys: [] })
  t.ok(auth.tokens.ephemeralKey)
  t.match(await auth.authenticate({ headers: { authorization: `Bearer ${token}` }, query: {} }), { ok: true, clientId: 'pos-o' }, 'still valid after the reload')
  auth.reconfigure({ clients: [{ id: 'pos-o', method: 'oauth', secrets: [S.oauth] }], signingKeys: [S.key] })
  t.notOk(auth.tokens.ephemeralKey)
  t.match(await auth.authenticate({ headers: { authorization: `Bearer ${token}` }, query: {} }), { ok: false, reason: 'token_invalid' }, 'refused once a key is configured')
})

t.test('invalid edits are refused with every problem logged; the running configuration serves on', async (t) => {
  const s = await setup(t)
  await s.writeConfig((c) => {
    c['server'].port = 'eighty'
    c['auth'].clients[0].method = 'carrier-pigeon'
  })
  const bad = s.live.reload()
  t.equal(bad.status, 'refused')
  t.match(bad.status === 'refused' ? bad.problems : [], [/^server\.port \(file .*gateway\.yaml\)/, /^auth\.clients\.0\.method/], 'every problem, by key')
  t.equal(await s.search({ 'x-api-key': S.store }), 200, 'the running configuration stays')

  await s.writeConfig()
  await rm(join(s.dir, 'store.secret'))
  const missing = s.live.reload()
  t.match(missing, { status: 'refused', problems: [/^auth\.clients\.0\.secrets\.0: the file .*store\.secret is missing or empty$/] }, 'a secret file removed')
  t.equal(await s.search({ 'x-api-key': S.store }), 200, 'the secret read at the last good load still works')

  await s.secret('store.secret', 'short')
  t.match(s.live.reload(), { status: 'refused', problems: [/^auth\.clients\.0\.secrets\.0: must be at least 16 characters/] }, 'a secret too short')
  await s.secret('crm.key', '')
  await s.secret('store.secret', S.store)
  t.match(s.live.reload(), { status: 'refused', problems: [/^crm\.options\.apiKey: the file .*crm\.key is missing or empty$/] }, "the CRM's key file emptied")
  t.equal(await s.search({ 'x-api-key': S.store }), 200, 'the CRM is still called with the key in force')

  await writeFile(join(s.dir, 'gateway.yaml'), 'crm:\n  options: { apiKey: written-here-by-mistake-0123\n')
  const torn = s.live.reload()
  t.match(torn, { status: 'refused', problems: [/^GATEWAY_CONFIG: .*gateway\.yaml is not valid YAML\/JSON: [^\n]*$/] }, 'a file that does not parse: its first line only')
  t.notOk(logText(s.log).includes('written-here-by-mistake'), 'the YAML error does not quote the file into the log')

  t.same(loggedEvents(s.log), ['config_reload_refused', 'config_reload_refused', 'config_reload_refused', 'config_reload_refused', 'config_reload_refused'])
  t.ok(s.log.records.every((r) => r.level === 'error'), 'logged as errors')
  t.notOk(logText(s.log).includes('short'), 'never the refused value')
})

t.test('what cannot change live is named as needing a restart and not applied; the rest is', async (t) => {
  const s = await setup(t)
  await s.secret('store.secret', S.storeNext)
  await s.writeConfig((c) => {
    c['server'].port = 18_080
    c['cache'] = { maxBytes: 1_048_576 }
    c['auth'].tokenTtlSeconds = 60
  })
  const outcome = s.live.reload()
  t.same(outcome, { status: 'applied', applied: ['auth.clients.0.secrets.0'], needsRestart: ['server.port', 'auth.tokenTtlSeconds', 'cache.maxBytes'] })
  t.equal(await s.search({ 'x-api-key': S.storeNext }), 200, 'the rotation applied')
  t.equal(s.live.reload().status, 'applied', 'reloading again')
  const warned = s.log.records.filter((r) => r.level === 'warn')
  t.equal(warned.length, 2, 'needs-restart said on every reload until restarted')
  t.same((warned[0]?.obj as { keys?: string[] }).keys, ['server.port', 'auth.tokenTtlSeconds', 'cache.maxBytes'])
  t.same(s.live.reload(), { status: 'applied', applied: [], needsRestart: ['server.port', 'auth.tokenTtlSeconds', 'cache.maxBytes'] })
})

t.test('clients added and removed live; one with a credential header the log does not redact waits for a restart', async (t) => {
  const s = await setup(t)
  const other = 'other-store-secret-0123456789'
  await s.secret('other.secret', other)
  await s.writeConfig((c) => {
    // pos-store removed; pos-other added on the same header.
    c['auth'].clients[0] = { id: 'pos-other', method: 'header', header: 'x-api-key', secrets: [{ fromFile: join(s.dir, 'other.secret') }] }
  })
  t.same(s.live.reload(), { status: 'applied', applied: ['auth.clients.0.id', 'auth.clients.0.secrets.0'], needsRestart: [] })
  t.equal(await s.search({ 'x-api-key': S.store }), 401, 'the removed client is refused')
  t.equal(await s.search({ 'x-api-key': other }), 200, 'the added one is in')

  await s.secret('custom.secret', 'custom-secret-0123456789-abc')
  await s.writeConfig((c) => {
    // pos-store back (a secret the log redacts), and pos-custom on a header it does not.
    c['auth'].clients.push({ id: 'pos-custom', method: 'header', header: 'x-pos-secret', secrets: [{ fromFile: join(s.dir, 'custom.secret') }] })
  })
  t.same(s.live.reload(), { status: 'applied', applied: [], needsRestart: ['auth.clients.0.id', 'auth.clients.0.secrets.0', 'auth.clients.2'] }, 'the whole client list waits')
  t.equal(await s.search({ 'x-pos-secret': 'custom-secret-0123456789-abc' }), 401, 'not applied')
  t.equal(await s.search({ 'x-api-key': S.store }), 401, 'nor the rest of that edit')
  t.equal(await s.search({ 'x-api-key': other }), 200, 'the clients in force stay')
  t.ok(loggedEvents(s.log).includes('config_reload_new_credential_header'))
})

t.test('SIGHUP reloads the configuration with the mapping table', async (t) => {
  const s = await setup(t)
  reloadOnSignal(s.gw.mapping, s.live.reload, s.gw.app.log)
  t.teardown(() => process.removeAllListeners('SIGHUP'))
  await s.secret('store.secret', S.storeNext)
  process.emit('SIGHUP')
  t.equal(await s.search({ 'x-api-key': S.store }), 401)
  t.equal(await s.search({ 'x-api-key': S.storeNext }), 200)
})
