import t from 'tap'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runMappingCli } from '../../src/cli/mapping.js'
import { mappingSchemaJson } from '../../src/mapping/index.js'

const repo = fileURLToPath(new URL('../../', import.meta.url))
const dir = await mkdtemp(join(tmpdir(), 'mapping-cli-'))
t.teardown(() => rm(dir, { recursive: true, force: true }))

async function run(argv: string[], cwd = dir): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const code = await runMappingCli(argv, {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    cwd
  })
  return { code, out, err }
}

const good = `version: 1
fields:
  - { spi: profile.firstName, crm: FNAME, transform: trim }
  - { spi: profile.birthday, crm: BIRTH, transform: birthday:MM/DD/YYYY }
  - { spi: profile.customerId, crm: ID, direction: read }
search:
  - { param: firstName, crm: FNAME, operator: prefix }
`
const broken = `version: 1
fields:
  - { spi: profile.firstName, crm: FNAME }
  - { spi: profile.lastName, crm: LNAME, transform: "date:XX" }
  - { spi: profile.email, crm: FNAME }
`

await mkdir(join(dir, 'mappings'))
await writeFile(join(dir, 'mappings', 'good.yaml'), good)
await writeFile(join(dir, 'mappings', 'broken.yaml'), broken)
await writeFile(join(dir, 'mappings', 'notes.txt'), 'not a table')

t.test('check: every mappings/*.yaml by default; precise errors; exit code 1 on any', async (t) => {
  const { code, out, err } = await run(['check'])
  t.equal(code, 1)
  t.equal(out, 'OK mappings/good.yaml (3 CRM fields read, no samples, search: firstName)\n', 'one OK line per valid table')
  t.same(err.trim().split('\n'), [
    'mappings/broken.yaml:4:53 fields[1].transform: bad date pattern "XX": unknown token "X" at position 1 (tokens: YYYY, SSS, MM, DD, HH, mm, ss, M, D, H; put other letters in [brackets])',
    'mappings/broken.yaml:5:32 fields[2].crm: duplicate CRM field "FNAME": also mapped by fields[0] (line 3)'
  ])
})

t.test('check: named files; 0 when all are valid', async (t) => {
  const ok = await run(['check', 'mappings/good.yaml'])
  t.same([ok.code, ok.err], [0, ''])
  t.match(ok.out, /^OK mappings\/good\.yaml/)
  const missing = await run(['check', 'mappings/nope.yaml'])
  t.equal(missing.code, 1)
  t.equal(missing.err, 'mappings/nope.yaml (file): cannot read the table (ENOENT)\n')
  const empty = await mkdtemp(join(tmpdir(), 'mapping-cli-empty-'))
  const none = await run(['check'], empty)
  await rm(empty, { recursive: true, force: true })
  t.equal(none.code, 1)
  t.match(none.err, /no mapping tables/)
})

t.test('check: a list written by position is valid but warned about, at its line', async (t) => {
  const file = join(dir, 'positional.yaml')
  await writeFile(file, `version: 1
fields:
  - { spi: profile.customerId, crm: ID, direction: read }
  - { spi: profile.phoneMobile, crm: PHONES.0.NUMBER }
  - { spi: profile.phoneHome, crm: PHONES.1.NUMBER }
  - { spi: profile.phone, crm: PHONES.2.NUMBER }
`)
  const { code, out } = await run(['check', file])
  t.equal(code, 0, 'a warning does not fail the check')
  t.same(out.trim().split('\n').slice(1), [
    `warning ${file}:5:36 fields[2].crm: writes item 1 of the list "PHONES" by position: a customer without the values of the items before it writes a list with a hole, and the list is sent whole, replacing the CRM's other items`
  ], 'one warning per list, at the first row that can leave a hole')
  const table = await run(['check', 'mappings/good.yaml'])
  t.notMatch(table.out, /warning/, 'none for a table without positional lists')
})

t.test('check: the shipped tables are valid', async (t) => {
  const { code, out, err } = await run(['check'], repo)
  t.equal(err, '')
  t.equal(code, 0)
  t.match(out, /^OK mappings\/demo-crm\.yaml \(\d+ CRM fields read, 2 samples round-trip, search: firstName, lastName, email, phone, customerId, loyaltyId\)\n/)
})

t.test('check: a table written for digitsOnly is told to use operator: phone, at its line', async (t) => {
  await mkdir(join(dir, 'older'), { recursive: true })
  await writeFile(join(dir, 'older', 'phones.yaml'), `version: 1
fields:
  - { spi: profile.phoneMobile, crm: MOBILE, transform: e164:US }
  - { spi: meta.createRequestId, crm: MARKER, direction: write }
search:
  - { param: phone, crm: MOBILE, operator: equals, digitsOnly: true, transform: e164:US }
`)
  const old = await run(['check', 'older/phones.yaml'])
  t.same([old.code, old.out], [1, ''])
  t.equal(old.err, 'older/phones.yaml:6:52 search[0].digitsOnly: "digitsOnly" is no longer supported: replace it (and the row\'s operator) with "operator: phone", which compares phone numbers by their national number\n')
  await writeFile(join(dir, 'older', 'phones.yaml'), (await readFile(join(dir, 'older', 'phones.yaml'), 'utf8')).replace('operator: equals, digitsOnly: true', 'operator: phone'))
  const fixed = await run(['check', 'older/phones.yaml'])
  t.same([fixed.code, fixed.err], [0, ''])
  t.equal(fixed.out, 'OK older/phones.yaml (1 CRM fields read, no samples, search: phone)\n', 'the marker is written, never read')
})

t.test('preview: the CRM record a customer becomes and what reads back', async (t) => {
  const request = join(repo, 'test/fixtures/spi-examples/1-create-with-loyalty.request.json')
  const text = await run(['preview', join(repo, 'mappings/demo-crm.yaml'), request])
  t.equal(text.code, 0)
  t.match(text.out, /^CRM record \(toCrm\):\n\{\n {2}"TITLE": "Ms",/)
  t.match(text.out, /"BIRTH_DATE": "04\/17\/1990"/)
  t.match(text.out, /\n\nSPI customer read back \(fromCrm\):\n\{\n {2}"profile": \{/)
  t.match(text.out, /"birthday": "1990-04-17"/)

  const wrapped = JSON.parse(await readFile(request, 'utf8')) as { customer: Record<string, unknown> }
  await writeFile(join(dir, 'bare.json'), JSON.stringify({ ...wrapped.customer, profile: { firstName: ' Ada ', birthday: '--12-10', customerId: 'C9' } }))
  const json = await run(['preview', '--json', 'mappings/good.yaml', 'bare.json'])
  t.equal(json.code, 0, 'the bare form is accepted too')
  t.same(JSON.parse(json.out), {
    crm: { FNAME: 'Ada', BIRTH: '12/10' },
    spi: { profile: { firstName: 'Ada', birthday: '--12-10' } },
    readIssues: []
  }, 'read-only fields are not sent, so they do not read back')
})

t.test('preview --stored: an update as the gateway makes it, keyed items and composed fields completed', async (t) => {
  await writeFile(join(dir, 'mappings', 'lists.yaml'), `version: 1
fields:
  - { spi: [profile.firstName, profile.lastName], crm: name, transform: full-name, direction: write }
  - { spi: profile.firstName, crm: first_name, direction: read }
  - { spi: profile.lastName, crm: last_name, direction: read }
  - { spi: profile.phoneMobile, crm: "phones[label=mobile].value" }
`)
  await writeFile(join(dir, 'update.json'), JSON.stringify({ profile: { lastName: 'Jones', phoneMobile: '+14155550199' } }))
  await writeFile(join(dir, 'stored.json'), JSON.stringify({ first_name: 'Mary Ann', last_name: 'Smith', phones: [{ label: 'work', value: '+14155550100' }, { label: 'mobile', value: '+14155550101' }] }))
  const out = await run(['preview', '--json', '--stored', 'stored.json', 'mappings/lists.yaml', 'update.json'])
  t.same([out.code, out.err], [0, ''])
  t.same((JSON.parse(out.out) as { crm: unknown }).crm, {
    name: 'Mary Ann Jones',
    phones: [{ label: 'work', value: '+14155550100' }, { label: 'mobile', value: '+14155550199' }]
  })
  const alone = await run(['preview', 'mappings/lists.yaml', 'update.json'])
  t.same([alone.code, alone.err], [1, 'update.json: profile.firstName: must be sent together with profile.lastName (both are kept in one CRM field)\n'], 'without the stored record a part alone is refused')
  const missing = await run(['preview', 'mappings/lists.yaml', 'update.json', '--stored'])
  t.equal(missing.code, 2, '--stored needs its file')
  await writeFile(join(dir, 'list.json'), '[]')
  const notRecord = await run(['preview', '--stored', 'list.json', 'mappings/lists.yaml', 'update.json'])
  t.same([notRecord.code, notRecord.err], [1, 'list.json: a CRM record is a JSON object\n'])
})

t.test('preview: invalid customers and values are reported with the field', async (t) => {
  await writeFile(join(dir, 'bad-value.json'), JSON.stringify({ customer: { profile: { birthday: '31/12/1990' } } }))
  const value = await run(['preview', 'mappings/good.yaml', 'bad-value.json'])
  t.same([value.code, value.out], [1, ''])
  t.equal(value.err, 'bad-value.json: profile.birthday: not a birthday (expected YYYY-MM-DD, --MM-DD, MM-DD or epoch milliseconds)\n')
  await writeFile(join(dir, 'bad-type.json'), JSON.stringify({ consents: { agreeToTC: 'yes' } }))
  const type = await run(['preview', 'mappings/good.yaml', 'bad-type.json'])
  t.equal(type.code, 1)
  t.match(type.err, /^bad-type\.json: \/consents\/agreeToTC: /, 'the SPI schema is checked first')
  await writeFile(join(dir, 'not-json.json'), '{')
  const notJson = await run(['preview', 'mappings/good.yaml', 'not-json.json'])
  t.equal(notJson.code, 1)
  t.match(notJson.err, /^not-json\.json: cannot read a JSON customer/)
  const badTable = await run(['preview', 'mappings/broken.yaml', 'bad-value.json'])
  t.equal(badTable.code, 1)
  t.match(badTable.err, /^mappings\/broken\.yaml:4:53 /)
  const usage = await run(['preview', 'mappings/good.yaml'])
  t.equal(usage.code, 2)
  t.match(usage.err, /usage: mapping preview/)
})

t.test('schema writes the generated editor schema', async (t) => {
  const { code, out } = await run(['schema', '--out', 'schema.json'])
  t.same([code, out], [0, 'wrote schema.json\n'])
  t.equal(await readFile(join(dir, 'schema.json'), 'utf8'), mappingSchemaJson())
  const usage = await run(['schema', 'extra'])
  t.equal(usage.code, 2)
})

t.test('help and usage', async (t) => {
  for (const command of ['check', 'preview', 'schema']) {
    const { code, out } = await run([command, '--help'])
    t.equal(code, 0, `${command} --help`)
    t.match(out, new RegExp(`^usage: mapping ${command}`))
  }
  t.match((await run(['--help'])).out, /commands:\n {2}check/)
  const none = await run([])
  t.equal(none.code, 2, 'no command is a usage error')
  const unknown = await run(['lint'])
  t.equal(unknown.code, 2)
  t.match(unknown.err, /^unknown command "lint"/)
})
