/**
 * Rows sharing an object (src/mapping/engine.ts): several rows filling one object, reading from
 * one, under an absent one, with defaults. Each test states what the rows do one by one:
 * values, key order, errors. (These were written for the row groups an earlier engine ran;
 * the plain engine must give the same answers.)
 */
import t from 'tap'
import { compileMappingTable, MappingValueError, type ReadIssue } from '../../src/mapping/index.js'
import type { Customer } from '../../src/spi/customer-schema.js'

const table = (body: string) => compileMappingTable(`version: 1\n${body}`, 'inline.yaml')
const json = (value: unknown) => JSON.stringify(value)
const anyCustomer = (value: unknown) => value as Customer

t.test('rows under an absent object write only their defaults', async (t) => {
  const m = table(`fields:
  - { spi: profile.firstName, crm: FNAME }
  - { spi: profile.lastName, crm: LNAME }
  - { spi: profile.customerGroup, crm: SOURCE, default: pos }
  - { spi: consents.a, crm: A }
  - { spi: consents.b, crm: B }
`)
  t.equal(json(m.toCrm({})), json({ SOURCE: 'pos' }))
  t.equal(json(m.toCrm(anyCustomer({ profile: 'text', consents: () => 1 }))), json({ SOURCE: 'pos' }), 'a non-object is absent')
  t.equal(json(m.toCrm(anyCustomer({ profile: { firstName: 'A', customerGroup: 'web' }, consents: { b: 'y' } }))), json({ FNAME: 'A', SOURCE: 'web', B: 'y' }))
  t.equal(json(m.fromCrm({ FNAME: 'A', B: 'y' })), json({ profile: { firstName: 'A', customerGroup: 'pos' }, consents: { b: 'y' } }))
  t.equal(json(m.fromCrm({ B: 'y' })), json({ profile: { customerGroup: 'pos' }, consents: { b: 'y' } }))
})

t.test('an object filled by rows in several places is one object, keys in first-write order', async (t) => {
  const m = table(`fields:
  - { spi: profile.a, crm: OBJ.A }
  - { spi: profile.b, crm: OBJ.B }
  - { spi: profile.c, crm: OTHER }
  - { spi: profile.d, crm: OBJ.D }
  - { spi: profile.e, crm: OBJ.E }
  - { spi: consents.x, crm: X }
  - { spi: profile.f, crm: LAST }
`)
  const crm = m.toCrm(anyCustomer({ profile: { a: 1, b: 2, c: 3, d: 4, e: 5, f: 6 }, consents: { x: 7 } }))
  t.equal(json(crm), json({ OBJ: { A: 1, B: 2, D: 4, E: 5 }, OTHER: 3, X: 7, LAST: 6 }))
  t.equal(json(m.toCrm(anyCustomer({ profile: { d: 4 } }))), json({ OBJ: { D: 4 } }), 'the object appears where its first value is written')
  t.equal(json(m.toCrm(anyCustomer({ profile: { c: 3, e: 5 } }))), json({ OTHER: 3, OBJ: { E: 5 } }))
  t.equal(json(m.fromCrm({ OBJ: { E: 5, A: 1 }, LAST: 6 })), json({ profile: { a: 1, e: 5, f: 6 } }), 'reads follow the table order too')
})

t.test('rows under one list create the list once', async (t) => {
  const m = table(`fields:
  - { spi: profile.phoneMobile, crm: PHONES.0.NUMBER }
  - { spi: profile.phoneHome, crm: PHONES.1.NUMBER }
  - { spi: profile.phone, crm: PHONES.1.KIND }
  - { spi: profile.a, crm: CODES.1 }
  - { spi: profile.b, crm: CODES.0 }
`)
  const crm = m.toCrm(anyCustomer({ profile: { phoneMobile: '+1', phoneHome: '+2', phone: 'home', a: 'x', b: 'y' } }))
  t.ok(Array.isArray(crm['PHONES']))
  t.equal(json(crm), json({ PHONES: [{ NUMBER: '+1' }, { NUMBER: '+2', KIND: 'home' }], CODES: ['y', 'x'] }))
  t.equal(json(m.toCrm(anyCustomer({ profile: { phone: 'home' } }))), json({ PHONES: [undefined, { KIND: 'home' }] }))
  t.equal(json(m.fromCrm(crm)), json({ profile: { phoneMobile: '+1', phoneHome: '+2', phone: 'home', a: 'x', b: 'y' } }))
})

t.test('a join row inside a run of rows on one object keeps the order and its checks', async (t) => {
  const m = table(`fields:
  - { spi: profile.salutation, crm: P.TITLE }
  - { spi: [profile.firstName, profile.lastName], crm: P.FULL, transform: full-name }
  - { spi: profile.email, crm: P.EMAIL }
  - { spi: profile.phone, crm: P.PHONE }
`)
  t.equal(json(m.toCrm({ profile: { salutation: 'Ms', firstName: 'Amelia', lastName: 'Okafor', email: 'a@b.c', phone: '+1' } })), json({ P: { TITLE: 'Ms', FULL: 'Amelia Okafor', EMAIL: 'a@b.c', PHONE: '+1' } }))
  t.equal(json(m.toCrm({ profile: { email: 'a@b.c' } })), json({ P: { EMAIL: 'a@b.c' } }))
  t.throws(() => m.toCrm({ profile: { lastName: 'Okafor' } }), MappingValueError)
  t.equal(json(m.fromCrm({ P: { FULL: 'Mary Ann Smith', PHONE: '+1' } })), json({ profile: { firstName: 'Mary Ann', lastName: 'Smith', phone: '+1' } }))
  t.equal(json(m.fromCrm({ P: { FULL: '   ' } })), json({}), 'a name of spaces gives no part')
})

t.test('long transform chains and value maps convert in order both ways', async (t) => {
  const m = table(`fields:
  - { spi: profile.salutation, crm: TITLE, transform: [trim, uppercase, lowercase], values: { mr: "1", ms: "2" } }
  - { spi: profile.customerGroup, crm: GROUP, transform: [trim, lowercase, trim] }
`)
  t.equal(json(m.toCrm({ profile: { salutation: ' Ms ', customerGroup: ' VIP ' } })), json({ TITLE: '2', GROUP: 'vip' }))
  // Read runs the chain backwards: value map, then lowercase, uppercase, trim.
  t.equal(json(m.fromCrm({ TITLE: '1', GROUP: ' VIP ' })), json({ profile: { salutation: 'MR', customerGroup: 'vip' } }))
})

t.test('read issues deep inside lists and objects name the full path on both sides', async (t) => {
  const m = table(`tables:
  flag:
    - { spi: on, crm: ON, transform: boolean:Y/N }
  item:
    - { spi: name, crm: NAME }
    - { spi: flags, crm: FLAGS, table: flag }
fields: []
arrays:
  - { spi: addressList, crm: ITEMS, table: item }
`)
  const issues: ReadIssue[] = []
  const spi = m.fromCrm({ ITEMS: [{ NAME: 'a', FLAGS: { ON: 'Y' } }, { NAME: 'b', FLAGS: { ON: '?' } }] }, (i) => issues.push(i))
  t.equal(json(spi), json({ addressList: [{ name: 'a', flags: { on: true } }, { name: 'b' }] }))
  t.same(issues, [{ field: 'addressList[1].flags.on', crmField: 'ITEMS[1].FLAGS.ON', reason: 'expected Y or N' }])
})

t.test('wide records are built the same, shape after shape', async (t) => {
  const keys = Array.from({ length: 30 }, (_, i) => `F${i}`)
  const m = table(`fields:\n${keys.map((k) => `  - { spi: profile.${k.toLowerCase()}, crm: ${k} }`).join('\n')}\n`)
  for (let skip = -1; skip < keys.length; skip += 3) {
    const profile = Object.fromEntries(keys.filter((_, i) => i !== skip).map((k) => [k.toLowerCase(), k]))
    for (let call = 0; call < 3; call++) {
      const crm = m.toCrm(anyCustomer({ profile }))
      t.equal(json(crm), json(Object.fromEntries(keys.filter((_, i) => i !== skip).map((k) => [k, k]))), `without F${skip}, call ${call}`)
      t.equal(Object.getPrototypeOf(crm), Object.prototype)
      t.equal(json(m.fromCrm(crm)), json({ profile }))
    }
  }
  const list = table(`fields:\n${Array.from({ length: 20 }, (_, i) => `  - { spi: profile.p${i}, crm: PHONES.${i} }`).join('\n')}\n`)
  const phones = list.toCrm(anyCustomer({ profile: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`p${i}`, i])) }))['PHONES']
  t.same(phones, Array.from({ length: 20 }, (_, i) => i), 'a wide list is a list')
})

t.test('list and join rows: "" clears, a wrong shape is refused or reported', async (t) => {
  const m = table(`tables:
  item:
    - { spi: city, crm: CITY }
fields:
  - { spi: [profile.firstName, profile.lastName], crm: FULL_NAME, transform: full-name }
arrays:
  - { spi: addressList, crm: ADDRESSES, table: item }
`)
  t.equal(json(m.toCrm(anyCustomer({ addressList: '' }))), json({ ADDRESSES: '' }), '"" clears the list')
  const issues: ReadIssue[] = []
  t.equal(json(m.fromCrm({ ADDRESSES: 'text' }, (i) => issues.push(i))), json({}))
  t.same(issues, [{ field: 'addressList', crmField: 'ADDRESSES', reason: 'expected a list' }])
  t.equal(json(m.fromCrm({ ADDRESSES: 'text' })), json({}), 'silently without a handler')
  try {
    m.toCrm(anyCustomer({ profile: { firstName: 7, lastName: 'Okafor' } }))
    t.fail('expected a MappingValueError')
  } catch (err) {
    t.ok(err instanceof MappingValueError)
    t.same([(err as MappingValueError).field, (err as MappingValueError).reason], ['profile.firstName', 'expected text'])
  }
})
