/**
 * The demo CRM's persistence (API.md § Persistence): survives restarts, atomic and serialized
 * writes under concurrency, leftover temp files, corrupt files refused loudly.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { buildDemoCrm } from '../../demo-crm/app.js'
import { DataFileError } from '../../demo-crm/store.js'
import { FIXED_NOW, TEST_API_KEY, call, startDemoCrm, tempDir } from './fixtures/harness.js'

/** Reads the data file in a loop until `work` settles; counts reads that were not valid JSON. */
async function watchFile(file: string, work: Promise<unknown>): Promise<{ reads: number; invalid: number }> {
  let settled = false
  const done = work.finally(() => {
    settled = true
  })
  let reads = 0
  let invalid = 0
  while (!settled) {
    try {
      JSON.parse(await readFile(file, 'utf8'))
      reads++
    } catch (err) {
      // Before the very first write the file does not exist yet: not a torn write.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') invalid++
    }
  }
  await done
  return { reads, invalid }
}

t.test('contacts survive closing and rebuilding the app on the same file', async (t) => {
  const crm = await startDemoCrm(t)
  const a = await call(crm, 'POST', '/api/v1/contacts', { body: { FNAME: 'Ana', LOYALTY_OPT_IN: 'Y', ADDRESSES: [{ LINE1: 'x' }] } })
  await call(crm, 'PATCH', `/api/v1/contacts/${String(a.body.CONTACT_ID)}`, { body: { LNAME: 'Okafor' } })
  await crm.close()

  const file = JSON.parse(await readFile(crm.dataFile, 'utf8')) as Record<string, unknown>
  t.same(file.counters, { contact: 1, loyalty: 1, address: 1 }, 'the counters are persisted in the file')

  const again = await startDemoCrm(t, crm.dataFile)
  const got = await call(again, 'GET', `/api/v1/contacts/${String(a.body.CONTACT_ID)}`)
  t.same([got.status, got.body.FNAME, got.body.LNAME, got.body.VERSION], [200, 'Ana', 'Okafor', 2], 'the contact and its patch survive')
  const b = await call(again, 'POST', '/api/v1/contacts', { body: { LOYALTY_OPT_IN: 'Y', ADDRESSES: [{ LINE1: 'y' }] } })
  t.same(
    [b.body.CONTACT_ID, b.body.LOYALTY.ACCT_NO, b.body.ADDRESSES[0].ADDR_ID],
    ['C00000002', 'LY0000000002', 'A000002'],
    'ids continue after a restart, never reused'
  )
})

t.test('a missing file is an empty CRM; its directory is created on start', async (t) => {
  const dir = await tempDir(t)
  const crm = await startDemoCrm(t, join(dir, 'deep', 'er', 'crm.json'))
  const list = await call(crm, 'GET', '/api/v1/contacts')
  t.same([list.status, list.body.total], [200, 0], 'empty')
  await call(crm, 'POST', '/api/v1/contacts', { body: { FNAME: 'A' } })
  const file = JSON.parse(await readFile(crm.dataFile, 'utf8')) as { contacts: unknown[] }
  t.equal(file.contacts.length, 1, 'the first write creates the file')
})

t.test('50 concurrent creates: 50 distinct ids, the file valid JSON throughout, all there after a restart', async (t) => {
  const crm = await startDemoCrm(t)
  const creates = Promise.all(
    Array.from({ length: 50 }, (_, i) => call(crm, 'POST', '/api/v1/contacts', { body: { FNAME: `N${i}`, EMAIL: `n${i}@example.com` } }))
  )
  const watch = await watchFile(crm.dataFile, creates)
  const answers = await creates
  t.ok(answers.every((a) => a.status === 201), 'every create → 201')
  const ids = new Set(answers.map((a) => a.body.CONTACT_ID as string))
  t.equal(ids.size, 50, '50 distinct ids')
  t.equal(watch.invalid, 0, `the data file was valid JSON at each of ${watch.reads} reads during the writes`)
  t.ok(watch.reads > 0, 'the file was read while writes ran')

  await crm.close()
  const again = await startDemoCrm(t, crm.dataFile)
  const all = await call(again, 'GET', '/api/v1/contacts?size=100')
  t.same(
    new Set((all.body.data as { CONTACT_ID: string }[]).map((c) => c.CONTACT_ID)),
    ids,
    'all 50 are present after a restart'
  )
})

t.test('50 concurrent PATCHes of one contact: no lost update', async (t) => {
  const crm = await startDemoCrm(t)
  const created = await call(crm, 'POST', '/api/v1/contacts', { body: { FNAME: 'A' } })
  const path = `/api/v1/contacts/${String(created.body.CONTACT_ID)}`
  const patches = Promise.all(Array.from({ length: 50 }, (_, i) => call(crm, 'PATCH', path, { body: { [`F_${i}`]: `v${i}` } })))
  const watch = await watchFile(crm.dataFile, patches)
  const answers = await patches
  t.same(
    answers.map((a) => a.body.VERSION as number).sort((x, y) => x - y),
    Array.from({ length: 50 }, (_, i) => i + 2),
    'each PATCH saw its own version'
  )
  t.equal(watch.invalid, 0, 'the data file stayed valid JSON')

  await crm.close()
  const again = await startDemoCrm(t, crm.dataFile)
  const got = await call(again, 'GET', path)
  t.equal(got.body.VERSION, 51, 'the last version is on disk')
  t.ok(
    Array.from({ length: 50 }, (_, i) => got.body[`F_${i}`] === `v${i}`).every(Boolean),
    'every one of the 50 fields was kept'
  )
})

t.test('a leftover temp file from a crashed write leaves the data readable', async (t) => {
  const crm = await startDemoCrm(t)
  await call(crm, 'POST', '/api/v1/contacts', { body: { FNAME: 'Kept' } })
  await crm.close()
  // write-file-atomic writes `<file>.<hash>` then renames it; a crash leaves such a file.
  await writeFile(`${crm.dataFile}.1234567890`, '{"contacts": [ {"CONTACT_ID": "C0000')
  const again = await startDemoCrm(t, crm.dataFile)
  const got = await call(again, 'GET', '/api/v1/contacts/C00000001')
  t.same([got.status, got.body.FNAME], [200, 'Kept'], 'the previous complete state is served')
  const next = await call(again, 'POST', '/api/v1/contacts', { body: { FNAME: 'More' } })
  t.equal(next.status, 201, 'and writes go on')
})

t.test('a seeded file without counters continues after the highest ids', async (t) => {
  const file = join(await tempDir(t), 'seed.json')
  await writeFile(
    file,
    JSON.stringify({
      contacts: [
        { CONTACT_ID: 'C00000040', FNAME: 'Seed', ORDER_COUNT: 3, LOYALTY: { ACCT_NO: 'LY0000000007' }, ADDRESSES: [{ ADDR_ID: 'A000009' }] }
      ]
    })
  )
  const crm = await startDemoCrm(t, file)
  const seeded = await call(crm, 'GET', '/api/v1/contacts/C00000040')
  t.equal(seeded.body.ORDER_COUNT, 3, 'seeded read-only fields are served')
  const c = await call(crm, 'POST', '/api/v1/contacts', { body: { LOYALTY_OPT_IN: 'Y', ADDRESSES: [{ LINE1: 'x' }] } })
  t.same([c.body.CONTACT_ID, c.body.LOYALTY.ACCT_NO, c.body.ADDRESSES[0].ADDR_ID], ['C00000041', 'LY0000000008', 'A000010'])
})

t.test('a corrupt data file is a clear start-up error and is never wiped', async (t) => {
  const dir = await tempDir(t)
  const cases: [string, string, RegExp][] = [
    ['torn.json', '{"contacts": [ {"CONTACT_ID": "C0000', /not valid JSON/],
    ['empty.json', '', /not valid JSON/],
    ['array.json', '[]', /top level must be a JSON object/],
    ['contacts.json', '{"contacts": {}}', /"contacts" must be an array/],
    ['badid.json', '{"contacts": [{"CONTACT_ID": "42"}]}', /contacts\[0\]/],
    ['dupid.json', '{"contacts": [{"CONTACT_ID": "C00000001"}, {"CONTACT_ID": "C00000001"}]}', /repeats C00000001/],
    ['counters.json', '{"counters": {"contact": -1}, "contacts": []}', /counters\.contact/]
  ]
  for (const [name, content, reason] of cases) {
    const file = join(dir, name)
    await writeFile(file, content)
    const err = await buildDemoCrm({ apiKey: TEST_API_KEY, dataFile: file, now: FIXED_NOW }).then(
      () => undefined,
      (e: unknown) => e
    )
    t.ok(err instanceof DataFileError, `${name}: a DataFileError`)
    t.match((err as Error).message, file, `${name}: the message names the file`)
    t.match((err as Error).message, reason, `${name}: the message says what is wrong`)
    t.equal(await readFile(file, 'utf8'), content, `${name}: the file is left untouched`)
  }
  const dirAsFile = await buildDemoCrm({ apiKey: TEST_API_KEY, dataFile: dir }).then(
    () => undefined,
    (e: unknown) => e
  )
  t.ok(dirAsFile instanceof DataFileError, 'an unreadable path (a directory) is refused too')
  await t.rejects(buildDemoCrm({ apiKey: '', dataFile: join(dir, 'x.json') }), /apiKey/, 'an empty API key is refused')
})
