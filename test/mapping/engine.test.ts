/**
 * What src/mapping/engine.ts adds for real CRM shapes: keyed list items that keep the stored
 * list's other items, and composed fields completed from the stored record. Through the public
 * entry (compileMappingTable), as the gateway uses it.
 */
import t from 'tap'
import { compileMappingTable, MappingTableError, MappingValueError } from '../../src/mapping/index.js'
import type { Customer } from '../../src/spi/customer-schema.js'

const table = (body: string) => compileMappingTable(`version: 1\n${body}`, 'inline.yaml')

/** The SPI field a refused write names. */
function refusedField(write: () => unknown): string {
  try {
    write()
  } catch (err) {
    if (err instanceof MappingValueError) return err.field
    throw err
  }
  throw new Error('the write was not refused')
}

const PHONES = table(`fields:
  - { spi: profile.phoneMobile, crm: "phones[label=mobile].value" }
  - { spi: profile.phoneHome, crm: "phones[label=home].value" }
  - { spi: profile.email, crm: "emails[primary=true].value" }
`)

t.test('keyed items: a create writes a list without holes, whatever is sent', async (t) => {
  t.same(PHONES.toCrm({ profile: { phoneHome: '+14155550100' } }, {}), { phones: [{ label: 'home', value: '+14155550100' }] })
  t.same(PHONES.toCrm({ profile: { phoneMobile: '1', phoneHome: '2', email: 'a@example.com' } }, {}), {
    phones: [{ label: 'mobile', value: '1' }, { label: 'home', value: '2' }],
    emails: [{ primary: true, value: 'a@example.com' }]
  })
  t.same(PHONES.toCrm({ profile: {} }, {}), {}, 'nothing sent, no list')
})

t.test('keyed items: an update keeps the stored items the table does not touch, in place', async (t) => {
  const stored = {
    phones: [
      { label: 'work', value: '+100', primary: true },
      { label: 'mobile', value: '+200', primary: false },
      { label: 'home', value: '+300', primary: false }
    ],
    emails: [{ label: 'work', value: 'old@example.com', primary: true }, { label: 'other', value: 'x@example.com', primary: false }]
  }
  const before = structuredClone(stored)
  t.same(PHONES.toCrm({ profile: { phoneMobile: '+201' } }, stored), {
    phones: [
      { label: 'work', value: '+100', primary: true },
      { label: 'mobile', value: '+201', primary: false },
      { label: 'home', value: '+300', primary: false }
    ]
  }, 'the whole list is sent (a CRM replaces it), the mobile item changed')
  t.same(PHONES.toCrm({ profile: { email: 'new@example.com' } }, stored), {
    emails: [{ label: 'work', value: 'new@example.com', primary: true }, { label: 'other', value: 'x@example.com', primary: false }]
  })
  t.same(PHONES.toCrm({ profile: { phoneHome: '' } }, stored), {
    phones: [{ label: 'work', value: '+100', primary: true }, { label: 'mobile', value: '+200', primary: false }]
  }, '"" clears: the item is removed, the others kept')
  t.same(PHONES.toCrm({ profile: { phoneHome: '+301', phoneMobile: '' } }, stored).phones, [
    { label: 'work', value: '+100', primary: true },
    { label: 'home', value: '+301', primary: false }
  ], 'two rows on one list: one copy, both changes')
  t.same(stored, before, 'the stored record is not changed')
  t.same(PHONES.toCrm({ profile: { phoneHome: '+301' } }, { phones: 'garbage' }), { phones: [{ label: 'home', value: '+301' }] }, 'a stored non-list starts an empty list')
})

t.test('keyed items: a read finds the item by its key, wherever it is', async (t) => {
  t.same(PHONES.fromCrm({ phones: [{ label: 'home', value: '2' }, { label: 'mobile', value: '1' }], emails: [{ value: 'b@x.io', primary: false }, { value: 'a@x.io', primary: true }] }), {
    profile: { phoneHome: '2', phoneMobile: '1', email: 'a@x.io' }
  })
  t.same(PHONES.fromCrm({ phones: [{ label: 'work', value: '9' }] }), {}, 'no item with the key: nothing read')
})

const NAMES = table(`fields:
  - { spi: [profile.firstName, profile.lastName], crm: name, transform: full-name, direction: write }
  - { spi: profile.firstName, crm: first_name, direction: read }
  - { spi: profile.lastName, crm: last_name, direction: read }
`)

t.test('composed fields: a partial update takes the other parts from the stored record as the table reads it', async (t) => {
  const stored = { name: 'Mary Ann Smith', first_name: 'Mary Ann', last_name: 'Smith' }
  t.same(NAMES.toCrm({ profile: { lastName: 'Jones' } }, stored), { name: 'Mary Ann Jones' }, 'first_name, not a split of name')
  t.same(NAMES.toCrm({ profile: { firstName: 'Ann' } }, stored), { name: 'Ann Smith' })
  t.same(NAMES.toCrm({ profile: { firstName: 'Ann', lastName: '' } }, stored), { name: 'Ann' }, '"" clears that part')
  t.same(NAMES.toCrm({ profile: { firstName: 'Ann' } }, {}), { name: 'Ann' }, 'a create: nothing stored, the parts sent')
  t.same(NAMES.toCrm({ profile: {} }, stored), {}, 'no part sent, nothing written')
  t.equal(refusedField(() => NAMES.toCrm({ profile: { firstName: 'Ann' } })), 'profile.lastName', 'without a stored record a part alone is refused, as before')
})

t.test('composed fields: a join that reads itself back completes from its own split', async (t) => {
  const m = table(`fields:
  - { spi: [profile.firstName, profile.lastName], crm: FULL_NAME, transform: full-name }
`)
  t.same(m.toCrm({ profile: { firstName: 'Jo' } }, { FULL_NAME: 'Ann Lee' }), { FULL_NAME: 'Jo Lee' })
  t.same(m.warnings, [], 'nothing to warn about')
})

t.test('composed fields: a part the table never reads back cannot be completed, and mapping check says so', async (t) => {
  const m = table(`fields:
  - { spi: [profile.firstName, profile.lastName], crm: name, transform: full-name, direction: write }
  - { spi: profile.firstName, crm: first_name, direction: read }
`)
  t.same(m.toCrm({ profile: { lastName: 'Lee' } }, { first_name: 'Ann' }), { name: 'Ann Lee' }, 'the part read back is taken')
  t.equal(refusedField(() => m.toCrm({ profile: { firstName: 'Jo' } }, { first_name: 'Ann', name: 'Ann Lee' })), 'profile.lastName')
  t.equal(m.warnings.length, 1)
  t.match(m.warnings[0], { line: 3, path: 'fields[0].spi[1]', message: /no row reads profile.lastName back/ })
})

t.test('keyed items in tables: mistakes named at their line', async (t) => {
  const issues = (body: string): string[] => {
    try {
      table(body)
    } catch (err) {
      if (err instanceof MappingTableError) return err.issues.map((i) => `${i.line} ${i.path}: ${i.message}`)
      throw err
    }
    return []
  }
  t.same(issues(`fields:
  - { spi: "addressList[isDefault=true].city", crm: CITY }
  - { spi: profile.phoneMobile, crm: "phones[label=mobile]" }
  - { spi: profile.phoneHome, crm: "phones.0.value" }
  - { spi: profile.phone, crm: "phones[label=work].value" }
search:
  - { param: phone, crm: "phones[label=mobile].value" }
`).map((line) => line.replace(/ \(.*$/, '')), [
    '3 fields[0].spi: "addressList[isDefault=true].city": a keyed item [member=value] selects an item of a CRM list; an SPI path names the customer\'s own fields',
    '4 fields[1].crm: "phones[label=mobile]" ends with a keyed item: name the member the row maps after it, e.g. phones[label=mobile].value',
    '6 fields[3].crm: CRM field "phones[label=work].value" uses "phones" as a list by key, but fields[2]',
    '8 search[0].crm: "phones[label=mobile].value": a search field is a field the CRM searches by its name; a keyed item [member=value] is not one'
  ])
})

t.test('samples with keyed items: the key member is covered by the row, and a wrong sample is named', async (t) => {
  const good = `fields:
  - { spi: profile.phoneMobile, crm: "phones[label=mobile].value" }
  - { spi: profile.phoneHome, crm: "phones[label=home].value" }
samples:
  - name: both phones
    spi: { profile: { phoneMobile: "1", phoneHome: "2" } }
    crm: { phones: [{ label: mobile, value: "1" }, { label: home, value: "2" }] }
`
  t.equal(table(good).samples.length, 1, 'the sample round-trips')
  t.throws(() => table(good.replace('label: home, value: "2"', 'label: home, value: "3"')), { name: 'MappingTableError', message: /toCrm\(spi\) gives "2" for phones\[1\]\.value, the sample has "3"/ })
  const customer: Customer = { profile: { phoneMobile: '1' } }
  t.same(table(good).toCrm(customer), { phones: [{ label: 'mobile', value: '1' }] })
})
