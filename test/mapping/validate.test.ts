import t from 'tap'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { formatIssue, loadMappingTable, mappingSchemaJson, MappingTableError, type TableIssue } from '../../src/mapping/index.js'

const dir = await mkdtemp(join(tmpdir(), 'mapping-validate-'))
t.teardown(() => rm(dir, { recursive: true, force: true }))

let counter = 0
/** Writes a table to a real temp file, loads it, returns the issues as `line:col path: message`. */
async function problems(yaml: string): Promise<string[]> {
  const file = join(dir, `table-${++counter}.yaml`)
  await writeFile(file, yaml)
  try {
    await loadMappingTable(file)
  } catch (err) {
    if (!(err instanceof MappingTableError)) throw err
    for (const issue of err.issues) if (issue.file !== file) throw new Error(`issue names ${issue.file}`, { cause: err })
    return err.issues.map((i) => formatIssue(i).slice(file.length + 1))
  }
  throw new Error('expected the table to be refused')
}

t.test('YAML syntax errors come with their line', async (t) => {
  t.match(await problems('version: 1\nfields:\n  - { spi: a, crm: B\n'), [/^4:1 \(yaml\): .*(flow|Flow)/])
  t.match(await problems('version: 1\nfields: []\nfields: []\n'), [/^3:1 \(yaml\): Map keys must be unique/])
})

t.test('schema errors: one precise message per place, at the key or value', async (t) => {
  const lines = await problems(`version: 2
fields:
  - spi: profile.firstName
    crm: FNAME
    tranform: trim
  - spi: profile.lastName
  - { spi: profile.email, crm: EMAIL, direction: sideways }
  - { spi: 42, crm: X }
  - { spi: [profile.a], crm: X }
search:
  - { param: zip, crm: ZIP }
`)
  t.same(lines, [
    '1:10 version: must be 1 (got 2)',
    '5:5 fields[0].tranform: unknown key "tranform" (expected one of: spi, crm, direction, transform, values, unmapped, default, table)',
    '6:5 fields[1]: missing required key "crm"',
    '7:50 fields[2].direction: must be one of read, write, both (got "sideways")',
    '8:12 fields[3].spi: must be a path or a list of paths (got 42)',
    '9:12 fields[4].spi: must hold at least 2 items',
    '11:14 search[0].param: must be one of firstName, lastName, email, phone, customerId, loyaltyId (got "zip")'
  ])
  t.same(await problems(''), ['1:1 (root): must be a mapping (key: value)'], 'an empty file')
  t.same(await problems('version: 1\n'), ['1:1 (root): missing required key "fields"'])
  t.same(await problems('version: 1\nfields: []\ntables:\n  1bad: []\n'), ['4:3 tables.1bad: bad table name "1bad": start with a letter, then letters, digits, _ or -'])
})

t.test('paths: bad syntax and refused segments', async (t) => {
  const lines = await problems(`version: 1
fields:
  - { spi: profile..city, crm: CITY }
  - { spi: profile.__proto__.x, crm: X }
  - { spi: profile.x, crm: constructor }
  - { spi: 0.x, crm: Y }
  - { spi: profile.first name, crm: Z }
`)
  t.same(lines, [
    '3:12 fields[0].spi: bad path "profile..city": empty segment (two dots, or a leading/trailing dot)',
    '4:12 fields[1].spi: bad path "profile.__proto__.x": segment "__proto__" is refused',
    '5:28 fields[2].crm: bad path "constructor": segment "constructor" is refused',
    '6:12 fields[3].spi: bad path "0.x": a path must start with a key, not an index',
    '7:12 fields[4].spi: bad path "profile.first name": segment "first name" must be a key (letters, digits, _ $ -; not digits only), "quoted text" or a position (0, 1, …)'
  ])
})

t.test('transforms: unknown names and bad parameters, at the transform', async (t) => {
  const lines = await problems(`version: 1
fields:
  - { spi: profile.a, crm: A, transform: shout }
  - { spi: profile.b, crm: B, transform: "date:XX" }
  - { spi: profile.c, crm: C, transform: [trim, "e164:ZZ"] }
  - { spi: profile.d, crm: D, transform: full-name }
  - { spi: [profile.e, profile.f], crm: E }
  - { spi: [profile.g, profile.h], crm: G, transform: [trim, full-name] }
search:
  - { param: firstName, crm: FNAME, transform: full-name }
`)
  t.same(lines, [
    '3:42 fields[0].transform: unknown transform "shout" (known: trim, lowercase, uppercase, e164, date, epoch-ms, birthday, boolean, number, json, language-tag, full-name)',
    '4:42 fields[1].transform: bad date pattern "XX": unknown token "X" at position 1 (tokens: YYYY, SSS, MM, DD, HH, mm, ss, M, D, H; put other letters in [brackets])',
    '5:49 fields[2].transform[1]: unknown phone region "ZZ" (expected an ISO country code such as US, GB, FR)',
    '6:42 fields[3].transform: "full-name" needs a list of SPI paths, e.g. spi: [profile.firstName, profile.lastName]',
    '7:12 fields[4].spi: a list of SPI paths needs a join transform such as full-name',
    '8:62 fields[5].transform[1]: "full-name" joins several SPI fields and cannot be chained with other transforms',
    '10:48 search[0].transform: "full-name" joins several fields: not usable on a search value'
  ])
})

t.test('targets: duplicates in one direction, nesting and list/object clashes', async (t) => {
  const lines = await problems(`version: 1
fields:
  - { spi: profile.firstName, crm: FNAME }
  - { spi: profile.firstName, crm: FIRST, direction: read }
  - { spi: profile.firstName, crm: FN2, direction: write }
  - { spi: profile.lastName, crm: FNAME }
  - { spi: profile.address, crm: ADDR }
  - { spi: profile.address.city, crm: CITY, direction: read }
  - { spi: profile.x, crm: ADDR.CITY, direction: write }
  - { spi: profile.p0, crm: PHONES.0 }
  - { spi: profile.p1, crm: PHONES.main }
`)
  t.same(lines, [
    '4:12 fields[1].spi: duplicate SPI field "profile.firstName": also mapped by fields[0] (line 3)',
    '6:35 fields[3].crm: duplicate CRM field "FNAME": also mapped by fields[0] (line 3)',
    '8:12 fields[5].spi: SPI field "profile.address.city" is inside "profile.address", already mapped by fields[4] (line 7)',
    '9:28 fields[6].crm: CRM field "ADDR.CITY" is inside "ADDR", already mapped by fields[4] (line 7)',
    '11:29 fields[8].crm: CRM field "PHONES.main" uses "PHONES" as an object, but fields[7] (line 10) uses it as a list by position'
  ], 'a read row and a write row for the same SPI field (fields[2]) are fine')
})

t.test('tables, value maps, defaults, search rows', async (t) => {
  const lines = await problems(`version: 1
tables:
  loop:
    - { spi: inner, crm: INNER, table: loop }
fields:
  - { spi: profile.address, crm: ADDR, table: address }
  - { spi: profile.gender, crm: GENDER, values: { male: M, man: M } }
  - { spi: profile.x, crm: X, unmapped: pass }
  - { spi: consents.eReceipt, crm: E, transform: boolean:Y/N, default: "yes" }
  - { spi: profile.y, crm: Y, table: loop, transform: trim }
  - { spi: profile.z, crm: Z, values: {} }
search:
  - { param: email, crm: EMAIL }
  - { param: email, crm: MAIL }
`)
  t.same(lines, [
    '4:40 tables.loop[0].table: table "loop" includes itself (loop → loop)',
    '6:47 fields[0].table: unknown table "address" (tables: loop)',
    '7:60 fields[1].values.man: CRM value "M" is also the value of "male", so reading it back is ambiguous (a many-to-one map needs direction: write)',
    '8:41 fields[2].unmapped: "unmapped" only applies to a "values" map',
    '9:72 fields[3].default: the default cannot be written to the CRM: expected true or false',
    '10:38 fields[4].table: a row with a table maps a whole object: it cannot also have transform, values or default',
    '11:39 fields[5].values: empty value map',
    '14:14 search[1].param: duplicate search row for "email": also search[0] (line 13)'
  ])
  t.same(
    await problems('version: 1\nfields:\n  - { spi: profile.g, crm: G, values: { male: M, man: M }, direction: write }\n  - { spi: profile.h, crm: H, default: null }\n'),
    ['4:40 fields[1].default: a default must be a value (not null or "")'],
    'a many-to-one map is fine for a write-only row'
  )
})

t.test('digitsOnly is gone: the error says to write operator: phone, at the key', async (t) => {
  const lines = await problems(`version: 1
fields:
  - { spi: profile.phone, crm: PHONE }
search:
  - { param: phone, crm: [PHONE], operator: equals, digitsOnly: true, transform: e164:US }
  - param: email
    crm: EMAIL
    digitsOnly: false
`)
  const fix = '"digitsOnly" is no longer supported: replace it (and the row\'s operator) with "operator: phone", which compares phone numbers by their national number'
  t.same(lines, [`5:53 search[0].digitsOnly: ${fix}`, `8:5 search[1].digitsOnly: ${fix}`])
})

t.test('meta: only meta.createRequestId, on one top-level write row holding one value', async (t) => {
  const lines = await problems(`version: 1
tables:
  item:
    - { spi: meta.createRequestId, crm: ITEM_MARKER }
fields:
  - { spi: meta.createRequestId, crm: MARKER }
  - { spi: meta.createRequestId, crm: MARKER2, direction: read }
  - { spi: meta.createRequestId, crm: MARKER3, direction: both, values: { a: b } }
  - { spi: meta.requestId, crm: OTHER, direction: write }
  - { spi: meta, crm: META, direction: write }
  - { spi: [meta.createRequestId, profile.firstName], crm: JOINED, transform: full-name, direction: write }
  - { spi: meta.createRequestId, crm: SUB, direction: write, table: item }
  - { spi: meta.createRequestId, crm: M4, direction: write, default: x }
  - { spi: metadata.x, crm: FINE }
arrays:
  - { spi: meta.createRequestId, crm: LIST, table: item, direction: write }
  - { spi: meta.list, crm: LIST2, table: item }
`)
  const notSpi = (path: string): string => `"${path}" is not an SPI field: the only meta path a table may map is meta.createRequestId (the creation marker, see mappings/README.md)`
  const writeOnly = 'the creation marker is written, never read into answers: it needs direction: write'
  t.same(lines, [
    `6:5 fields[0]: ${writeOnly}`,
    '7:12 fields[1].spi: a second creation marker row: also fields[0] (line 6)',
    '7:12 fields[1].spi: duplicate SPI field "meta.createRequestId": also mapped by fields[0] (line 6)',
    `7:59 fields[1].direction: ${writeOnly}`,
    '8:12 fields[2].spi: a second creation marker row: also fields[0] (line 6)',
    '8:12 fields[2].spi: duplicate SPI field "meta.createRequestId": also mapped by fields[0] (line 6)',
    `8:59 fields[2].direction: ${writeOnly}`,
    '8:73 fields[2].values: the creation marker cannot have a value map: each create has its own marker',
    `9:12 fields[3].spi: ${notSpi('meta.requestId')}`,
    `10:12 fields[4].spi: ${notSpi('meta')}`,
    '11:13 fields[5].spi[0]: the creation marker cannot be part of a join: map it alone, to its own CRM field',
    '12:12 fields[6].spi: a second creation marker row: also fields[0] (line 6)',
    '12:69 fields[6].table: the creation marker is one text value: it cannot have a table',
    '13:12 fields[7].spi: a second creation marker row: also fields[0] (line 6)',
    '13:70 fields[7].default: the creation marker cannot have a default: every update would overwrite the stored marker with it',
    '16:12 arrays[0].spi: the creation marker is one text value, not a list: map it with a field row (direction: write)',
    `17:12 arrays[1].spi: ${notSpi('meta.list')}`
  ], 'a sub-table\'s meta is relative to its object; metadata is not meta')
})

t.test('samples and the creation marker: the POS never sends it, a stored record may show it', async (t) => {
  const file = join(dir, 'marker-samples.yaml')
  await writeFile(file, `version: 1
fields:
  - { spi: profile.firstName, crm: FNAME }
  - { spi: meta.createRequestId, crm: MARKER, direction: write, transform: trim }
samples:
  - name: a stored record shows its marker; the customer has none
    spi: { profile: { firstName: Amelia } }
    crm: { FNAME: Amelia, MARKER: m-1 }
  - name: without a marker on either side
    spi: { profile: { firstName: Amelia } }
    crm: { FNAME: Amelia }
  - name: a create carrying its marker
    spi: { profile: { firstName: Amelia }, meta: { createRequestId: " m-2 " } }
    crm: { FNAME: Amelia, MARKER: m-2 }
`)
  const mapping = await loadMappingTable(file)
  t.equal(mapping.samples.length, 3, 'every sample round-trips')
  const lines = await problems(`version: 1
fields:
  - { spi: profile.firstName, crm: FNAME }
  - { spi: meta.createRequestId, crm: MARKER, direction: write }
samples:
  - name: a marker given is written as the sample says
    spi: { profile: { firstName: Amelia }, meta: { createRequestId: m-2 } }
    crm: { FNAME: Amelia, MARKER: m-3 }
  - name: and is expected in crm
    spi: { profile: { firstName: Amelia }, meta: { createRequestId: m-2 } }
    crm: { FNAME: Amelia }
`)
  t.same(lines, [
    '8:35 samples[0].crm.MARKER: toCrm(spi) gives "m-2" for MARKER, the sample has "m-3"',
    '11:10 samples[1].crm.MARKER: toCrm(spi) gives "m-2" for MARKER, the sample has nothing'
  ])
})

t.test('samples must round-trip, and may only hold mapped fields', async (t) => {
  const broken = await problems(`version: 1
fields:
  - { spi: profile.firstName, crm: FNAME }
  - { spi: profile.birthday, crm: BIRTH, transform: birthday:MM/DD/YYYY }
  - { spi: profile.customerId, crm: ID, direction: read }
samples:
  - name: broken
    spi:
      profile: { firstName: Amelia, birthday: "1990-04-17", nickname: Ami, customerId: C1 }
    crm:
      FNAME: Amelia
      BIRTH: "04/18/1990"
      ID: C2
      EXTRA: 1
`)
  t.same(broken, [
    '9:47 samples[0].spi.profile.birthday: fromCrm(crm) gives "1990-04-18" for profile.birthday, the sample has "1990-04-17"',
    '9:71 samples[0].spi.profile.nickname: no row maps this field (samples may only hold mapped fields)',
    '9:88 samples[0].spi.profile.customerId: fromCrm(crm) gives "C2" for profile.customerId, the sample has "C1"',
    '12:14 samples[0].crm.BIRTH: toCrm(spi) gives "04/17/1990" for BIRTH, the sample has "04/18/1990"',
    '14:14 samples[0].crm.EXTRA: no row maps this field (samples may only hold mapped fields)'
  ], 'the read-only ID is compared on read only')
  const unconvertible = await problems(`version: 1
fields:
  - { spi: profile.birthday, crm: BIRTH, transform: birthday:MM/DD/YYYY }
samples:
  - name: unwritable
    spi: { profile: { birthday: someday } }
    crm: { BIRTH: "13/45/1990" }
`)
  t.same(unconvertible, [
    '6:33 samples[0].spi.profile.birthday: toCrm(spi) fails: not a birthday (expected YYYY-MM-DD, --MM-DD, MM-DD or epoch milliseconds)',
    '7:19 samples[0].crm.BIRTH: fromCrm(crm) cannot read this value: not a date in MM/DD/YYYY or MM/DD'
  ], 'an unreadable value is reported once, on the CRM side')
  t.same(
    await problems('version: 1\nfields:\n  - { spi: a, crm: A }\nsamples:\n  - name: hostile\n    spi: { a: x }\n    crm: { A: x, __proto__: { polluted: 1 } }\n'),
    ['7:18 samples[0].crm.__proto__: key "__proto__" is refused'],
    'refused keys are refused even in samples'
  )
  t.equal(({} as Record<string, unknown>)['polluted'], undefined)
})

t.test('the error lists every problem with file, line and column', async (t) => {
  const file = join(dir, 'many.yaml')
  await writeFile(file, 'version: 1\nfields:\n  - { spi: a, crm: A, transform: nope }\n  - { spi: b, crm: B, transform: nada }\n')
  const err = await loadMappingTable(file).then(() => undefined, (e: unknown) => e)
  t.ok(err instanceof MappingTableError)
  const issues = (err as MappingTableError).issues
  t.same(issues.map((i: TableIssue) => [i.file, i.line, i.column, i.path]), [[file, 3, 34, 'fields[0].transform'], [file, 4, 34, 'fields[1].transform']])
  t.match((err as Error).message, new RegExp(`invalid mapping table .*many\\.yaml \\(2 errors\\):\\n  .*many\\.yaml:3:34 fields\\[0\\]\\.transform: unknown transform "nope".*\\n  .*many\\.yaml:4:34 fields\\[1\\]\\.transform: unknown transform "nada"`))
  const missing = await loadMappingTable(join(dir, 'absent.yaml')).then(() => undefined, (e: unknown) => e)
  t.match((missing as MappingTableError).issues, [{ line: 0, path: '(file)', message: 'cannot read the table (ENOENT)' }])
})

t.test('mappings/schema.json is the generated schema', async (t) => {
  const committed = await readFile(fileURLToPath(new URL('../../mappings/schema.json', import.meta.url)), 'utf8')
  t.equal(committed, mappingSchemaJson(), 'stale: run "mapping schema" to regenerate mappings/schema.json')
  const schema = JSON.parse(committed) as Record<string, unknown>
  t.equal(schema['$schema'], 'http://json-schema.org/draft-07/schema#', 'a draft editors understand')
})
