import t from 'tap'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MappingTableError } from '../../src/mapping/index.js'
import { LiveMapping } from '../../src/mapping/live-mapping.js'

const dir = await mkdtemp(join(tmpdir(), 'mapping-live-'))
t.teardown(() => rm(dir, { recursive: true, force: true }))

const table = (marker: string): string => `version: 1
fields:
  - { spi: profile.firstName, crm: FNAME }
  - { spi: profile.phoneMobile, crm: MOBILE, transform: e164:US }
  - { spi: meta.createRequestId, crm: ${marker}, direction: write }
search:
  - { param: phone, crm: MOBILE, operator: phone, transform: e164:US }
`

t.test('every CustomerMapper method goes to the current table, reloads included', async (t) => {
  const file = join(dir, 'live.yaml')
  await writeFile(file, table('MARKER'))
  const live = await LiveMapping.load(file)
  t.same(live.toCrm({ profile: { firstName: 'Amelia' }, meta: { createRequestId: 'm1' } }), { FNAME: 'Amelia', MARKER: 'm1' })
  t.same(live.fromCrm({ FNAME: 'Amelia', MARKER: 'm1' }), { profile: { firstName: 'Amelia' } })
  t.strictSame(live.criterion('phone', '415 555 0142'), { fields: ['MOBILE'], operator: 'phone', value: '4155550142', international: '+14155550142' })
  t.strictSame(live.markerCriterion('m1'), { fields: ['MARKER'], operator: 'equals', value: 'm1' })

  await writeFile(file, table('CREATE_ID'))
  await live.reload()
  t.strictSame(live.markerCriterion('m1'), { fields: ['CREATE_ID'], operator: 'equals', value: 'm1' }, 'the reloaded table answers')

  await writeFile(file, table('CREATE_ID').replace('operator: phone', 'digitsOnly: true'))
  await t.rejects(live.reload(), MappingTableError, 'an invalid edit is refused')
  t.strictSame(live.markerCriterion('m1'), { fields: ['CREATE_ID'], operator: 'equals', value: 'm1' }, 'and the running table stays')
})
