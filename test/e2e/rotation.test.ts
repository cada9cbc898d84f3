/**
 * The CRM's base URL and credentials swapped by a configuration reload while a request is in
 * flight (src/core/swappable-adapter.ts): the request already sent finishes on the old adapter,
 * the next one uses the new URL and key, nothing is dropped, and the old adapter is closed once
 * drained. The demo CRM takes one API key for its life, so the rotation is to a second demo CRM
 * with another key and data of its own — which also shows which CRM answered each request.
 */
import t from 'tap'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { buildDemoCrm } from '../../demo-crm/app.js'
import { TEST_API_KEY, startDemoCrm, tempDir } from '../demo-crm/fixtures/harness.js'
import { startFaultProxy } from '../fakes/fault-proxy.js'
import { loggedEvents, startReloadableGateway } from '../helpers/reloadable-gateway.js'
import { until } from '../helpers/until.js'

const SPI = '/endpoint/sa/customers'
const POS = { 'x-api-key': 'rotation-pos-secret-0123456789' }
const KEY_B = 'second-crm-key-7d41e0'

/** Writes the gateway's config file (JSON is YAML): the CRM at `baseUrl`, its key read from `keyFile`. */
function crmConfig(configFile: string, keyFile: string, baseUrl: string, more: Record<string, unknown> = {}): Promise<void> {
  return writeFile(
    configFile,
    JSON.stringify({
      server: { port: 0 },
      log: { level: 'silent' },
      crm: { adapter: 'demo-crm', baseUrl, options: { apiKey: { fromFile: keyFile } } },
      auth: { clients: [{ id: 'pos', method: 'header', secrets: [POS['x-api-key']] }] },
      ...more
    })
  )
}

t.test('a slow request in flight finishes on the old CRM settings; the next uses the new ones', async (t) => {
  const dir = await tempDir(t)
  const crmA = await startDemoCrm(t)
  const crmB = await buildDemoCrm({ apiKey: KEY_B, dataFile: join(dir, 'crm-b.json') })
  await crmB.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => crmB.close())
  const crmBUrl = `http://127.0.0.1:${(crmB.server.address() as AddressInfo).port}`
  const proxy = await startFaultProxy({ target: crmA.baseUrl })
  t.teardown(() => proxy.close())

  const keyFile = join(dir, 'crm.key')
  const configFile = join(dir, 'gateway.yaml')
  // Every GET reaches the CRM (no cache), and the held one has time to finish (the breaker's timeout).
  const writeConfig = (baseUrl: string): Promise<void> =>
    crmConfig(configFile, keyFile, baseUrl, { cache: { enabled: false }, resilience: { requestDeadlineMs: 4000, breaker: { timeoutMs: 3000 } } })
  await writeFile(keyFile, TEST_API_KEY)
  await writeConfig(proxy.url)
  const { gw, live, log } = await startReloadableGateway(t, configFile)

  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; customer?: { profile: Record<string, string> } }> => {
    const res = await fetch(`${gw.url}${SPI}${path}`, {
      method,
      headers: { ...POS, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })
    const answer = (await res.json()) as { customer?: { profile: Record<string, string> } }
    return { status: res.status, ...answer }
  }
  const onA = await call('POST', '', { profile: { firstName: 'Amelia', lastName: 'Okafor' } })
  t.equal(onA.status, 200)
  const id = onA.customer?.profile['customerId'] ?? ''

  // The read is held by the proxy in front of CRM A while the settings change.
  await proxy.setFault({ kind: 'slow', delayMs: 1000 }, { match: { method: 'GET' } })
  const inFlight = call('GET', `/${id}`)
  t.ok(await until(() => proxy.pending === 1, 3000), 'the read is on its way to CRM A')
  const forwardedBefore = proxy.received

  await writeFile(keyFile, KEY_B)
  await writeConfig(crmBUrl)
  t.same(live.reload(), { status: 'applied', applied: ['crm.baseUrl', 'crm.options.apiKey'], needsRestart: [] })
  t.equal(gw.live.adapter.draining, 1, 'the old adapter is draining, not closed')

  const onB = await call('POST', '', { profile: { firstName: 'Bea', lastName: 'Nakamura' } })
  t.equal(onB.status, 200, 'the next request uses the new URL and key')
  t.equal(proxy.received, forwardedBefore, 'and never reached CRM A')
  const direct = await fetch(`${crmBUrl}/api/v1/contacts/${onB.customer?.profile['customerId'] ?? ''}`, { headers: { 'x-api-key': KEY_B } })
  t.equal(direct.status, 200, 'the customer is in CRM B')

  const held = await inFlight
  t.equal(held.status, 200, 'the request in flight was not dropped')
  t.equal(held.customer?.profile['firstName'], 'Amelia', 'it was answered by CRM A, on the old adapter')
  t.ok(await until(() => gw.live.adapter.draining === 0, 3000), 'the old adapter is closed once drained')
  t.same(loggedEvents(log), ['config_reloaded'], 'the reload was logged')

  const again = await call('GET', `/${id}`)
  t.equal(again.customer?.profile['firstName'], 'Bea', 'reads go to CRM B now (its first customer has the same id)')
  t.equal(proxy.received, forwardedBefore)
})

t.test('new CRM settings the adapter refuses leave the running adapter in place', async (t) => {
  const dir = await tempDir(t)
  const crm = await startDemoCrm(t)
  const keyFile = join(dir, 'crm.key')
  const configFile = join(dir, 'gateway.yaml')
  const writeConfig = (baseUrl: string): Promise<void> => crmConfig(configFile, keyFile, baseUrl)
  await writeFile(keyFile, TEST_API_KEY)
  await writeConfig(crm.baseUrl)
  const { gw, live } = await startReloadableGateway(t, configFile)
  const running = gw.live.adapter.current

  await writeConfig('ftp://crm.example')
  t.match(live.reload(), { status: 'refused', problems: [/^crm\.baseUrl \(file .*\): /] }, 'a bad URL')
  await writeConfig('')
  t.match(live.reload(), { status: 'refused', problems: [/^crm\.baseUrl \(env CRM_BASE_URL\) is required/] }, 'no URL')
  t.equal(gw.live.adapter.current, running, 'the running adapter stays')
  const res = await fetch(`${gw.url}${SPI}?lastName=x`, { headers: POS })
  t.equal(res.status, 200)
})
