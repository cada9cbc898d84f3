import t from 'tap'
import { readdir, readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import { compileMappingTable, loadMappingTable, type CompiledMapping } from '../../src/mapping/index.js'
import { project } from '../../src/mapping/samples.js'
import { parseYaml } from '../../src/mapping/parse-yaml.js'
import { buildModel } from '../../src/mapping/validate.js'
import type { MappingTableSource } from '../../src/mapping/table-schema.js'

const mappingsDir = fileURLToPath(new URL('../../mappings/', import.meta.url))
const examplesDir = fileURLToPath(new URL('../fixtures/spi-examples/', import.meta.url))
// REST definitions (*.rest.yaml) sit beside the tables; they are not tables (adapters/rest/README.md).
const tables = (await readdir(mappingsDir)).filter((f) => f.endsWith('.yaml') && !f.endsWith('.rest.yaml')).sort()

t.ok(tables.includes('demo-crm.yaml'), 'the demo table ships')

for (const name of tables) {
  t.test(`${name} loads and round-trips its samples`, async (t) => {
    const file = join(mappingsDir, name)
    const mapping = await loadMappingTable(file)
    t.ok(mapping.samples.length > 0, 'a shipped table carries at least one sample')
    // The rule of src/mapping/samples.ts, applied here explicitly: write rows must produce the
    // CRM record minus read-only fields; read rows must produce the customer minus write-only ones.
    const source = await readFile(file, 'utf8')
    const parsed = parseYaml(source, file)
    const model = buildModel(parsed.value as MappingTableSource, file, parsed).model
    if (model === undefined) throw new Error('the model of a loaded table exists')
    for (const sample of mapping.samples) {
      const issues: unknown[] = []
      t.same(mapping.toCrm(sample.spi), project(sample.crm, model.root, 'crm', 'write'), `${sample.name}: toCrm`)
      t.same(mapping.fromCrm(sample.crm, (i) => issues.push(i)), project(sample.spi, model.root, 'spi', 'read'), `${sample.name}: fromCrm`)
      t.same(issues, [], `${sample.name}: nothing unreadable`)
    }
  })
}

const demo: CompiledMapping = await loadMappingTable(join(mappingsDir, 'demo-crm.yaml'))
const readJson = async (name: string): Promise<Record<string, unknown>> =>
  JSON.parse(await readFile(join(examplesDir, name), 'utf8')) as Record<string, unknown>

t.test('demo table: read-only and write-only fields are handled honestly', async (t) => {
  for (const { name, spi, crm } of demo.samples) {
    const { CONTACT_ID: _id, ORDER_COUNT: _orders, LOYALTY, ...writable } = crm as Record<string, unknown> & { LOYALTY?: Record<string, unknown> }
    const expectedWrite = LOYALTY === undefined ? writable : { ...writable, LOYALTY: Object.fromEntries(Object.entries(LOYALTY).filter(([k]) => k !== 'ACCT_NO')) }
    t.same(demo.toCrm(spi), expectedWrite, `${name}: toCrm sends everything but CONTACT_ID, ORDER_COUNT, LOYALTY.ACCT_NO`)
    const { storeAttribution: _store, ...readable } = spi
    t.same(demo.fromCrm(crm), readable, `${name}: fromCrm answers everything but storeAttribution`)
  }
  t.notOk(demo.readFields.includes('HOME_STORE'), 'write-only fields are not requested on read')
  t.same(
    [...demo.readFields].sort(),
    ['ADDRESSES', 'ALT_ID', 'BIRTH_DATE', 'CONTACT_ID', 'COUNTRY', 'EMAIL', 'FNAME', 'GENDER', 'HOME_PHONE', 'LANG', 'LNAME', 'LOYALTY', 'LOYALTY_OPT_IN', 'MOBILE_PHONE', 'OPT_DIRECT_MAIL', 'OPT_ERECEIPT', 'OPT_NEWSLETTER', 'OPT_PHONE', 'OPT_SMS', 'OPT_TC', 'ORDER_COUNT', 'PRIMARY_ADDR', 'SEGMENT', 'SMS_OK', 'TAX_ID', 'TITLE', 'WORK_PHONE', 'ZIP']
  )
})

t.test('demo table: vendor scenario 1', async (t) => {
  const request = (await readJson('1-create-with-loyalty.request.json'))['customer'] as Parameters<CompiledMapping['toCrm']>[0]
  const patch = demo.toCrm(request)
  t.same(patch, {
    TITLE: 'Ms', FNAME: 'Amelia', LNAME: 'Okafor', EMAIL: 'amelia.okafor@example.com', MOBILE_PHONE: '+14155550142',
    BIRTH_DATE: '04/17/1990', LANG: 'en-US',
    PRIMARY_ADDR: { LINE1: '500 Howard St', LINE2: 'Apt 12', CITY: 'San Francisco', STATE_PROV: 'CA', POSTCODE: '94105', COUNTRY_CD: 'US' },
    OPT_TC: 'Y', LOYALTY_OPT_IN: 'Y', OPT_ERECEIPT: 'Y', OPT_NEWSLETTER: 'N', OPT_SMS: 'N',
    HOME_STORE: 'SF-UNION-SQ', ENROLLED_BY: 'A-1043'
  }, 'the create request becomes the demo CRM contact')
  // The scenario's answer, with the CRM-assigned ids the placeholders stand for, is what the
  // sample's stored record reads back as (plus the loyalty id mirrored into the profile and
  // the address id the CRM gives each list item).
  const response = structuredClone((await readJson('1-create-with-loyalty.response.json'))['customer']) as Record<string, Record<string, unknown>>
  const [sample] = demo.samples
  if (sample === undefined || response['profile'] === undefined || response['loyaltyProfile'] === undefined) throw new Error('fixtures')
  response['profile']['customerId'] = 'C00000042'
  response['profile']['loyaltyId'] = 'LY0000000042'
  response['loyaltyProfile']['accountNumber'] = 'LY0000000042'
  ;(response['addressList'] as unknown as Record<string, unknown>[]).forEach((a, i) => (a['addressId'] = `A00000${i + 1}`))
  t.same(demo.fromCrm(sample.crm), response)
})

t.test('demo table: search rows', async (t) => {
  t.same(demo.criterion('firstName', ' Ame'), { fields: ['FNAME'], operator: 'prefix', value: 'Ame' })
  t.same(demo.criterion('lastName', 'Oka'), { fields: ['LNAME'], operator: 'prefix', value: 'Oka' })
  t.same(demo.criterion('email', 'Amelia.Okafor@Example.com'), { fields: ['EMAIL'], operator: 'equals', value: 'amelia.okafor@example.com' })
  const phone = { fields: ['MOBILE_PHONE', 'HOME_PHONE', 'WORK_PHONE'], operator: 'phone', value: '4155550142', international: '+14155550142' }
  for (const typed of ['415-555-0142', '(415) 555-0142', '+1 415 555 0142']) t.strictSame(demo.criterion('phone', typed), phone, `phone: ${typed}`)
  t.throws(() => demo.criterion('phone', '555'), { name: 'MappingValueError', field: 'phone', status: 400 }, 'an impossible number is a 400')
  t.same(demo.criterion('customerId', 'C00000042'), { fields: ['CONTACT_ID'], operator: 'equals', value: 'C00000042' })
  t.same(demo.criterion('loyaltyId', 'LY0000000042'), { fields: ['LOYALTY.ACCT_NO'], operator: 'equals', value: 'LY0000000042' })
})

t.test('both shipped tables store a creation marker, written only', async (t) => {
  const hubspot = await loadMappingTable(join(mappingsDir, 'hubspot.yaml'))
  const marker = 'c0ffee0123456789'
  for (const [mapping, field] of [[demo, 'CREATE_REQUEST_ID'], [hubspot, 'clienteling_create_request_id']] as const) {
    t.same(mapping.toCrm({ meta: { createRequestId: marker } }), { [field]: marker }, `${field}: written by toCrm`)
    t.strictSame(mapping.markerCriterion(marker), { fields: [field], operator: 'equals', value: marker }, `${field}: found with equals`)
    t.same(mapping.fromCrm({ [field]: marker }), {}, `${field}: never read into answers`)
    t.notOk(mapping.readFields.includes(field), `${field}: not requested on reads`)
  }
  t.strictSame(
    hubspot.criterion('phone', '(415) 555-0142'),
    { fields: ['hs_searchable_calculated_mobile_number', 'hs_searchable_calculated_phone_number', 'home_phone'], operator: 'phone', value: '4155550142', international: '+14155550142' },
    "hubspot: HubSpot's calculated numbers (digits) and home_phone (spellings from the E.164 form)"
  )
})

t.test('the CRM fields a table uses, and how: what a CRM with declared fields must have', async (t) => {
  const hubspot = await loadMappingTable(join(mappingsDir, 'hubspot.yaml'))
  const byName = new Map(hubspot.fields.map((f) => [f.name, f]))
  t.match(byName.get('consent_terms'), { kind: 'boolean', read: true, write: true, search: false, unique: false, spi: 'consents.agreeToTC' }, 'boolean:true/false → boolean')
  t.match(byName.get('loyalty_points'), { kind: 'number' }, 'number:string → number')
  t.match(byName.get('loyalty_tier_start_date'), { kind: 'date' }, 'epoch-ms:YYYY-MM-DD → date')
  t.match(byName.get('date_of_birth'), { kind: 'text' }, 'a birthday may have no year: text')
  t.match(byName.get('clienteling_addresses'), { kind: 'long-text' }, 'json → long text')
  t.match(byName.get('mobilephone'), { kind: 'phone', search: false })
  t.match(byName.get('home_phone'), { kind: 'phone', search: true })
  t.match(byName.get('hs_language'), { kind: 'text', write: true })
  t.match(byName.get('loyalty_account_number'), { read: true, write: false, search: true, spi: 'profile.loyaltyId, loyaltyProfile.accountNumber' }, 'two read rows, one field')
  t.match(byName.get('clienteling_create_request_id'), { write: true, read: false, unique: true }, 'the creation marker: unique values')
  t.match(byName.get('hs_searchable_calculated_phone_number'), { read: false, write: false, search: true, spi: 'search phone' }, 'a field only searched')
  t.equal(hubspot.fields.filter((f) => f.name === 'email').length, 1, 'one entry per field')
  t.same(hubspot.crmFields(), hubspot.fields)
  const demo = await loadMappingTable(join(mappingsDir, 'demo-crm.yaml'))
  t.match(demo.fields.find((f) => f.name === 'FNAME'), { kind: 'text', read: true, write: true, search: true })
  t.match(demo.fields.find((f) => f.name === 'ADDRESSES'), { kind: 'long-text' }, 'a list of sub-records: a structure')
  t.match(demo.fields.find((f) => f.name === 'LOYALTY'), { kind: 'long-text' }, 'nested paths (LOYALTY.ACCT_NO): a structure')
})

t.test('demo table: carrying one more field is a YAML-only change', async (t) => {
  const source = await readFile(join(mappingsDir, 'demo-crm.yaml'), 'utf8')
  const extended = compileMappingTable(
    source.replace('\nfields:\n', '\nfields:\n  - { spi: profile.nickname, crm: NICKNAME, transform: trim }\n'),
    'demo-crm+nickname.yaml'
  )
  t.same(extended.toCrm({ profile: { nickname: ' Ami ' } } as Parameters<CompiledMapping['toCrm']>[0]), { NICKNAME: 'Ami' })
  t.same(extended.fromCrm({ NICKNAME: 'Ami' }), { profile: { nickname: 'Ami' } })
  t.same(demo.toCrm({ profile: { nickname: 'Ami' } } as Parameters<CompiledMapping['toCrm']>[0]), {}, 'the shipped table does not carry it')
})
