/**
 * `reload.watchSecretFiles` (src/config/secret-file-watch.ts): a secret file replaced the way
 * Kubernetes updates a Secret volume — a new timestamped directory, a `..data` symlink renamed
 * over the old one — triggers the configuration reload, after the debounce (on a fake clock);
 * and through a started gateway, the rotated POS secret is in force without a signal.
 */
import t from 'tap'
import FakeTimers from '@sinonjs/fake-timers'
import { mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { SecretFileWatch } from '../../src/config/secret-file-watch.js'
import { loggedEvents, startReloadableGateway } from '../helpers/reloadable-gateway.js'
import type { Timers } from '../../src/core/timers.js'
import { TEST_API_KEY, startDemoCrm, tempDir } from '../demo-crm/fixtures/harness.js'
import { createSilentLogger, silentLogger } from '../helpers/silent-logger.js'

const DEBOUNCE_MS = 1000

/**
 * A Secret volume as the kubelet writes it (its AtomicWriter): the files in `..<timestamp>/`,
 * `..data` → that directory, and each name → `..data/<name>`. Each call is one update.
 */
async function writeSecretVolume(dir: string, files: Record<string, string>, version: number): Promise<void> {
  const data = `..2026_12_04_10_00_0${version}.000000001`
  await mkdir(join(dir, data))
  for (const [name, value] of Object.entries(files)) await writeFile(join(dir, data, name), value)
  await symlink(data, join(dir, '..data_tmp'))
  await rename(join(dir, '..data_tmp'), join(dir, '..data'))
  for (const name of Object.keys(files)) {
    if (!existsSync(join(dir, name))) await symlink(join('..data', name), join(dir, name))
  }
  if (version > 1) await rm(join(dir, `..2026_12_04_10_00_0${version - 1}.000000001`), { recursive: true })
}

/** A fake clock whose `scheduled()` resolves when the watch next sets its debounce timer (a file event arrived). */
function observedClock() {
  const clock = FakeTimers.createClock()
  let notify: (() => void) | undefined
  const timers: Timers = {
    setTimeout: (fn, ms) => {
      const handle = clock.setTimeout(fn, ms)
      notify?.()
      return handle
    },
    clearTimeout: (handle) => clock.clearTimeout(handle as FakeTimers.TimerId)
  }
  const scheduled = (): Promise<void> => new Promise((resolve) => (notify = resolve))
  return { clock, timers, scheduled }
}

t.test('a Kubernetes-style symlink swap triggers the reload, after the debounce', async (t) => {
  const dir = await tempDir(t)
  await writeSecretVolume(dir, { 'pos.secret': 'first-secret-0123456789' }, 1)
  const { clock, timers, scheduled } = observedClock()
  let changes = 0
  const watch = new SecretFileWatch([join(dir, 'pos.secret')], { debounceMs: DEBOUNCE_MS, onChange: () => changes++, log: silentLogger, timers })
  t.teardown(() => watch.close())
  t.same(watch.directories, [dir], 'the directory is watched, not the file')

  const event = scheduled()
  await writeSecretVolume(dir, { 'pos.secret': 'second-secret-0123456789' }, 2)
  await event
  clock.tick(DEBOUNCE_MS - 1)
  t.equal(changes, 0, 'nothing before the debounce has passed')
  clock.tick(DEBOUNCE_MS)
  t.ok(changes >= 1, 'the reload ran')

  watch.update([])
  t.same(watch.directories, [], 'a reload naming no secret files stops watching')
})

t.test('other files written in the directory (a log, say) do not reload', async (t) => {
  const dir = await tempDir(t)
  await writeFile(join(dir, 'pos.secret'), 'first-secret-0123456789')
  const secretWatch = observedClock()
  let changes = 0
  const watch = new SecretFileWatch([join(dir, 'pos.secret')], { debounceMs: DEBOUNCE_MS, onChange: () => changes++, log: silentLogger, timers: secretWatch.timers })
  t.teardown(() => watch.close())
  // A second watch on the log file itself: when it hears the write, the first has heard it too
  // (one inotify read dispatches an event to every watch of the directory).
  const logWatch = observedClock()
  const sentinel = new SecretFileWatch([join(dir, 'gateway.log')], { debounceMs: DEBOUNCE_MS, onChange: () => {}, log: silentLogger, timers: logWatch.timers })
  t.teardown(() => sentinel.close())
  const heard = logWatch.scheduled()
  await writeFile(join(dir, 'gateway.log'), '{"event":"config_reloaded"}\n')
  await heard
  t.equal(secretWatch.clock.countTimers(), 0, 'no reload scheduled for another file')
  secretWatch.clock.tick(DEBOUNCE_MS)
  t.equal(changes, 0)
})

t.test('a directory that cannot be watched is logged, not thrown', async (t) => {
  const dir = await tempDir(t)
  const log = createSilentLogger()
  const watch = new SecretFileWatch([join(dir, 'missing', 'pos.secret')], { debounceMs: DEBOUNCE_MS, onChange: () => {}, log })
  t.teardown(() => watch.close())
  t.same(watch.directories, [])
  t.match(log.records, [{ level: 'warn', obj: { event: 'secret_watch_failed', code: 'ENOENT' } }])
})

t.test('through the gateway: the POS secret rotated in a Secret volume is in force, no signal sent', async (t) => {
  const crm = await startDemoCrm(t)
  const dir = await tempDir(t)
  const secrets = join(dir, 'secrets')
  await mkdir(secrets)
  await writeSecretVolume(secrets, { 'pos.secret': 'pos-secret-0123456789-first', 'crm.key': TEST_API_KEY }, 1)
  const configFile = join(dir, 'gateway.yaml')
  await writeFile(
    configFile,
    JSON.stringify({
      server: { port: 0 },
      log: { level: 'silent' },
      reload: { watchSecretFiles: true, debounceMs: DEBOUNCE_MS },
      crm: { adapter: 'demo-crm', baseUrl: crm.baseUrl, options: { apiKey: { fromFile: join(secrets, 'crm.key') } } },
      auth: { mode: 'production', clients: [{ id: 'pos', method: 'header', secrets: [{ fromFile: join(secrets, 'pos.secret') }] }] }
    })
  )
  const { clock, timers, scheduled } = observedClock()
  const { gw, live, log } = await startReloadableGateway(t, configFile, timers)
  t.same(live.watch?.directories, [secrets])
  const search = async (secret: string): Promise<number> =>
    (await fetch(`${gw.url}/endpoint/sa/customers?lastName=x`, { headers: { 'x-api-key': secret } })).status
  t.equal(await search('pos-secret-0123456789-first'), 200)

  const event = scheduled()
  await writeSecretVolume(secrets, { 'pos.secret': 'pos-secret-0123456789-second', 'crm.key': TEST_API_KEY }, 2)
  await event
  clock.tick(DEBOUNCE_MS)
  t.equal(await search('pos-secret-0123456789-first'), 401, 'the old secret is refused')
  t.equal(await search('pos-secret-0123456789-second'), 200, 'the new one is in force')
  t.ok(loggedEvents(log).includes('config_reloaded'), 'reloaded as SIGHUP would')
})
