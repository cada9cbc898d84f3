import t from 'tap'
import { compileMappingTable, MappingValueError, type ReadIssue } from '../../src/mapping/index.js'
import { GatewayError } from '../../src/spi/error-catalogue.js'
import type { Customer } from '../../src/spi/customer-schema.js'

const table = (body: string) => compileMappingTable(`version: 1\n${body}`, 'inline.yaml')

/** The MappingValueError a call throws. */
function valueError(fn: () => unknown): MappingValueError {
  try {
    fn()
  } catch (err) {
    if (err instanceof MappingValueError) return err
    throw err
  }
  throw new Error('expected a MappingValueError')
}

function readWithIssues(m: ReturnType<typeof table>, record: Record<string, unknown>): { spi: Customer; issues: ReadIssue[] } {
  const issues: ReadIssue[] = []
  return { spi: m.fromCrm(record, (i) => issues.push(i)), issues }
}

t.test('absent, null and "" follow the mapper contract', async (t) => {
  const m = table(`fields:
  - { spi: profile.firstName, crm: FNAME }
  - { spi: profile.lastName, crm: LNAME }
  - { spi: profile.email, crm: EMAIL }
`)
  t.same(m.toCrm({ profile: { firstName: 'Amelia' } }), { FNAME: 'Amelia' }, 'a partial customer gives a partial patch')
  t.same(m.toCrm({ profile: { firstName: 'Amelia', lastName: '', email: null } as unknown as Customer['profile'] }), { FNAME: 'Amelia', LNAME: '' }, '"" clears, null is absent')
  t.same(m.toCrm({}), {})
  t.same(m.fromCrm({ FNAME: 'Amelia', LNAME: '', EMAIL: null }), { profile: { firstName: 'Amelia' } }, 'no null, no "" in answers')
  t.same(m.fromCrm({ OTHER: 'x' }), {}, 'no empty objects in answers')
  t.same(m.toCrm({ profile: { firstName: 'A', nickname: 'Ami' } } as Customer), { FNAME: 'A' }, 'unmapped extra SPI fields never reach the CRM')
})

t.test('a custom SPI field reaches the CRM by adding one row', async (t) => {
  const m = table(`fields:
  - { spi: profile.nickname, crm: NICKNAME, transform: trim }
  - { spi: profile.preferences, crm: PREFS_JSON, transform: json }
`)
  const crm = m.toCrm({ profile: { nickname: ' Ami ', preferences: { channel: 'sms' } } } as Customer)
  t.same(crm, { NICKNAME: 'Ami', PREFS_JSON: '{"channel":"sms"}' })
  t.same(m.fromCrm(crm), { profile: { nickname: 'Ami', preferences: { channel: 'sms' } } })
})

t.test('directions: read rows never write, write rows never read', async (t) => {
  const m = table(`fields:
  - { spi: profile.customerId, crm: CONTACT_ID, direction: read }
  - { spi: storeAttribution.storeId, crm: HOME_STORE, direction: write }
  - { spi: profile.firstName, crm: FNAME, direction: both }
`)
  t.same(m.toCrm({ profile: { customerId: 'C1', firstName: 'A' }, storeAttribution: { storeId: 'S1' } }), { HOME_STORE: 'S1', FNAME: 'A' })
  t.same(m.fromCrm({ CONTACT_ID: 'C1', HOME_STORE: 'S1', FNAME: 'A' }), { profile: { customerId: 'C1', firstName: 'A' } })
  t.same(m.readFields, ['CONTACT_ID', 'FNAME'], 'readFields lists what a read needs')
})

t.test('one SPI field may be read from and written to different CRM fields', async (t) => {
  const m = table(`fields:
  - { spi: profile.phone, crm: PHONE_E164, direction: write, transform: e164:US }
  - { spi: profile.phone, crm: PHONE_RAW, direction: read }
`)
  t.same(m.toCrm({ profile: { phone: '(415) 555-0142' } }), { PHONE_E164: '+14155550142' })
  t.same(m.fromCrm({ PHONE_RAW: '415 555 0142', PHONE_E164: '+1' }), { profile: { phone: '415 555 0142' } })
})

t.test('value maps apply both ways, case-insensitively as a fallback', async (t) => {
  const m = table(`fields:
  - { spi: profile.gender, crm: GENDER, values: { male: M, female: F, other: X, unknown: U } }
  - { spi: profile.customerGroup, crm: TIER_NO, values: { gold: 1, silver: 2 }, unmapped: pass }
`)
  t.same(m.toCrm({ profile: { gender: 'female', customerGroup: 'gold' } }), { GENDER: 'F', TIER_NO: 1 })
  t.same(m.toCrm({ profile: { gender: 'Male' } }), { GENDER: 'M' })
  t.same(m.fromCrm({ GENDER: 'X', TIER_NO: 2 }), { profile: { gender: 'other', customerGroup: 'silver' } })
  t.same(m.fromCrm({ GENDER: 'f' }), { profile: { gender: 'female' } })
  const err = valueError(() => m.toCrm({ profile: { gender: 'M' } }))
  t.equal(err.field, 'profile.gender')
  t.equal(err.reason, 'not one of male, female, other, unknown')
  t.same(m.toCrm({ profile: { customerGroup: 'bronze' } }), { TIER_NO: 'bronze' }, 'unmapped: pass keeps other values')
  const { spi, issues } = readWithIssues(m, { GENDER: 'Q', TIER_NO: 9 })
  t.same(spi, { profile: { customerGroup: 9 } })
  t.same(issues, [{ field: 'profile.gender', crmField: 'GENDER', reason: 'a CRM value missing from the value map' }])
})

t.test('transforms run before the value map on write, after it on read', async (t) => {
  const m = table(`fields:
  - { spi: profile.salutation, crm: TITLE, transform: [trim, lowercase], values: { mr: "1", ms: "2" } }
`)
  t.same(m.toCrm({ profile: { salutation: ' MS ' } }), { TITLE: '2' })
  t.same(m.fromCrm({ TITLE: '1' }), { profile: { salutation: 'mr' } })
})

t.test('defaults apply where the source value is absent, in the row direction', async (t) => {
  const m = table(`fields:
  - { spi: profile.preferredLanguage, crm: LANG, direction: read, default: en-US }
  - { spi: profile.customerGroup, crm: SOURCE, direction: write, default: pos }
  - { spi: consents.eReceipt, crm: OPT_ERECEIPT, transform: boolean:Y/N, default: false }
  - { spi: loyaltyProfile.customLoyaltyAttributes, crm: ATTRS, direction: read, default: { TIER: NONE } }
`)
  t.same(m.toCrm({}), { SOURCE: 'pos', OPT_ERECEIPT: 'N' }, 'write defaults go through the transform')
  t.same(m.toCrm({ profile: { customerGroup: 'web' }, consents: { eReceipt: true } }), { SOURCE: 'web', OPT_ERECEIPT: 'Y' })
  const first = m.fromCrm({})
  t.same(first, { profile: { preferredLanguage: 'en-US' }, consents: { eReceipt: false }, loyaltyProfile: { customLoyaltyAttributes: { TIER: 'NONE' } } })
  const attrs = first.loyaltyProfile?.customLoyaltyAttributes as Record<string, unknown>
  attrs['TIER'] = 'changed'
  t.same(m.fromCrm({}).loyaltyProfile?.customLoyaltyAttributes, { TIER: 'NONE' }, 'an object default is never shared between answers')
  t.same(m.fromCrm({ LANG: 'fr-FR', OPT_ERECEIPT: 'Y' }).profile, { preferredLanguage: 'fr-FR' })
  const { spi, issues } = readWithIssues(m, { OPT_ERECEIPT: '?' })
  t.equal(spi.consents?.eReceipt, false, 'an unreadable value falls back to the default')
  t.equal(issues.length, 1)
})

t.test('paths with indexes address list items on either side', async (t) => {
  const m = table(`fields:
  - { spi: profile.phoneMobile, crm: PHONES.0.NUMBER }
  - { spi: profile.phoneHome, crm: PHONES.1.NUMBER }
  - { spi: profile.taxInfo.taxId, crm: IDS.0 }
`)
  const crm = m.toCrm({ profile: { phoneMobile: '+14155550142', phoneHome: '+14155550123', taxInfo: { taxId: 'T1' } } })
  t.same(crm, { PHONES: [{ NUMBER: '+14155550142' }, { NUMBER: '+14155550123' }], IDS: ['T1'] })
  t.ok(Array.isArray(crm['PHONES']), 'an index creates a list')
  t.same(m.fromCrm(crm), { profile: { phoneMobile: '+14155550142', phoneHome: '+14155550123', taxInfo: { taxId: 'T1' } } })
  t.same(m.fromCrm({ PHONES: 'not a list' }), {}, 'a wrong shape reads as absent')
})

t.test('sub-table rows map an object as a unit', async (t) => {
  const m = table(`tables:
  address:
    - { spi: addressLine1, crm: LINE1 }
    - { spi: city, crm: CITY }
    - { spi: isDefault, crm: DEF, transform: boolean:Y/N }
fields:
  - { spi: profile.address, crm: PRIMARY_ADDR, table: address }
  - { spi: loyaltyProfile.address, crm: LOYALTY.MAIL_ADDR, table: address }
`)
  const address = { addressLine1: '1 Main St', city: 'Springfield' }
  t.same(m.toCrm({ profile: { address } }), { PRIMARY_ADDR: { LINE1: '1 Main St', CITY: 'Springfield' } })
  t.same(m.toCrm({ profile: { address: '' as unknown as typeof address } }), { PRIMARY_ADDR: '' }, '"" clears the whole object')
  t.same(m.toCrm({ profile: { address: { addressId: 'A1' } } }), {}, 'an object with nothing mapped does not replace the CRM object')
  t.same(m.fromCrm({ PRIMARY_ADDR: {}, LOYALTY: { MAIL_ADDR: { CITY: 'X' } } }), { loyaltyProfile: { address: { city: 'X' } } })
  const err = valueError(() => m.toCrm({ loyaltyProfile: { address: { isDefault: 'yes' as unknown as boolean } } }))
  t.equal(err.field, 'loyaltyProfile.address.isDefault', 'errors inside a sub-table name the full SPI field')
  t.equal(valueError(() => m.toCrm({ profile: { address: 'Main St' as unknown as typeof address } })).reason, 'expected an object')
  const { issues } = readWithIssues(m, { PRIMARY_ADDR: { DEF: 'maybe' }, LOYALTY: { MAIL_ADDR: 'text' } })
  t.same(issues, [
    { field: 'profile.address.isDefault', crmField: 'PRIMARY_ADDR.DEF', reason: 'expected Y or N' },
    { field: 'loyaltyProfile.address', crmField: 'LOYALTY.MAIL_ADDR', reason: 'expected an object' }
  ])
})

t.test('array rows map each item through the item table', async (t) => {
  const m = table(`tables:
  address:
    - { spi: addressLine1, crm: LINE1 }
  item:
    - { spi: addressId, crm: ADDR_ID, direction: read }
    - { spi: isDefault, crm: IS_DEFAULT, transform: boolean:Y/N }
fields: []
arrays:
  - { spi: addressList, crm: ADDRESSES, table: [address, item] }
`)
  const list = [{ addressId: 'A1', addressLine1: '1 Main St', isDefault: true }, { addressLine1: '2 Elm St' }]
  t.same(m.toCrm({ addressList: list }), { ADDRESSES: [{ LINE1: '1 Main St', IS_DEFAULT: 'Y' }, { LINE1: '2 Elm St' }] })
  t.same(m.toCrm({ addressList: [] }), { ADDRESSES: [] }, 'an empty list is still sent (it is present)')
  t.same(m.toCrm({ addressList: [{ addressId: 'A9' }, { addressLine1: '3 Oak St' }] }), { ADDRESSES: [{ LINE1: '3 Oak St' }] }, 'items with nothing mapped are not sent')
  t.same(
    m.fromCrm({ ADDRESSES: [{ ADDR_ID: 'A1', LINE1: '1 Main St', IS_DEFAULT: 'N' }, {}, null, { OTHER: 1 }] }),
    { addressList: [{ addressLine1: '1 Main St', addressId: 'A1', isDefault: false }] },
    'empty items are dropped'
  )
  t.same(m.fromCrm({ ADDRESSES: [] }), {}, 'no empty list in answers')
  const err = valueError(() => m.toCrm({ addressList: [{ addressLine1: 'x' }, { isDefault: 'Y' as unknown as boolean }] }))
  t.equal(err.field, 'addressList[1].isDefault')
  t.equal(err.reason, 'expected true or false')
  t.equal(valueError(() => m.toCrm({ addressList: ['x'] as unknown as [] })).field, 'addressList[0]')
  t.equal(valueError(() => m.toCrm({ addressList: {} as unknown as [] })).reason, 'expected a list')
  const { spi, issues } = readWithIssues(m, { ADDRESSES: [{ LINE1: 'a' }, 'junk', { LINE1: 'b', IS_DEFAULT: 'Q' }] })
  t.same(spi, { addressList: [{ addressLine1: 'a' }, { addressLine1: 'b' }] })
  t.same(issues.map((i) => `${i.field} ← ${i.crmField}`), ['addressList[1] ← ADDRESSES[1]', 'addressList[2].isDefault ← ADDRESSES[2].IS_DEFAULT'])
})

t.test('join rows: full name split and joined', async (t) => {
  const m = table(`fields:
  - { spi: [profile.firstName, profile.lastName], crm: FULL_NAME, transform: full-name }
`)
  t.same(m.toCrm({ profile: { firstName: 'Amelia', lastName: 'Okafor' } }), { FULL_NAME: 'Amelia Okafor' })
  t.same(m.toCrm({ profile: { firstName: '', lastName: '' } }), { FULL_NAME: '' }, 'all parts cleared clears the field')
  t.same(m.toCrm({}), {})
  const err = valueError(() => m.toCrm({ profile: { firstName: 'Amelia' } }))
  t.equal(err.field, 'profile.lastName', 'a partial name would erase the other part: refused, naming the missing one')
  t.match(err.reason, /must be sent together with profile.firstName/)
  t.same(m.fromCrm({ FULL_NAME: 'Mary Ann Smith' }), { profile: { firstName: 'Mary Ann', lastName: 'Smith' } })
  const { spi, issues } = readWithIssues(m, { FULL_NAME: 42 })
  t.same(spi, {})
  t.same(issues, [{ field: 'profile.firstName', crmField: 'FULL_NAME', reason: 'expected text' }])
})

t.test('write failures are 400-ready GatewayErrors without the value; read failures are reported', async (t) => {
  const m = table(`fields:
  - { spi: profile.birthday, crm: BIRTH_DATE, transform: birthday:MM/DD/YYYY }
  - { spi: profile.firstName, crm: FNAME }
`)
  const err = valueError(() => m.toCrm({ profile: { birthday: '17/04/1990' } }))
  t.ok(err instanceof GatewayError)
  t.equal(err.code, 'INVALID_REQUEST')
  t.equal(err.status, 400)
  t.same(err.params, { field: 'profile.birthday', reason: err.reason })
  t.notMatch(err.message, /17\/04/, 'the message never carries the value')
  const { spi, issues } = readWithIssues(m, { BIRTH_DATE: '1990-04-17', FNAME: 'Amelia' })
  t.same(spi, { profile: { firstName: 'Amelia' } }, 'the bad value is dropped, the customer is still answered')
  t.same(issues, [{ field: 'profile.birthday', crmField: 'BIRTH_DATE', reason: 'not a date in MM/DD/YYYY or MM/DD' }])
  t.notMatch(JSON.stringify(issues), /1990/, 'issues carry no value')
  t.same(m.fromCrm({ BIRTH_DATE: 'garbage' }), {}, 'without a handler the value is silently dropped')
  const seen: ReadIssue[] = []
  const withDefault = compileMappingTable('version: 1\nfields:\n  - { spi: profile.birthday, crm: B, transform: "date:MM/DD/YYYY" }\n', 'x.yaml', { onReadIssue: (i) => seen.push(i) })
  withDefault.fromCrm({ B: 'x' })
  t.equal(seen.length, 1, 'the handler given at load is used when a call passes none')
})

t.test('search rows give CRM criteria', async (t) => {
  const m = table(`fields: []
search:
  - { param: firstName, crm: FNAME, operator: prefix }
  - { param: email, crm: EMAIL, transform: [trim, lowercase] }
  - { param: phone, crm: [MOBILE_PHONE, HOME_PHONE], operator: phone, transform: e164:US }
  - { param: loyaltyId, crm: LOYALTY.ACCT_NO, operator: contains }
`)
  t.same(m.criterion('firstName', 'Ame'), { fields: ['FNAME'], operator: 'prefix', value: 'Ame' })
  t.same(m.criterion('email', ' A@B.COM '), { fields: ['EMAIL'], operator: 'equals', value: 'a@b.com' })
  t.same(m.criterion('loyaltyId', 'LY1'), { fields: ['LOYALTY.ACCT_NO'], operator: 'contains', value: 'LY1' })
  t.equal(m.criterion('customerId', 'C1'), undefined, 'no row: the CRM cannot filter on it')
  t.same(m.searchParams, ['firstName', 'email', 'phone', 'loyaltyId'])
})

t.test('a phone row searches by national number, whatever form was typed', async (t) => {
  const m = table(`fields: []
search:
  - { param: phone, crm: [MOBILE_PHONE, HOME_PHONE], operator: phone, transform: e164:US }
`)
  const expected = { fields: ['MOBILE_PHONE', 'HOME_PHONE'], operator: 'phone', value: '4155550142', international: '+14155550142' }
  for (const typed of ['(415) 555-0142', '415.555.0142', '4155550142', '+1 415 555 0142', '+14155550142', '1-415-555-0142']) {
    t.strictSame(m.criterion('phone', typed), expected, `${typed}: national, international and punctuated forms are one number`)
  }
  t.strictSame(m.criterion('phone', '+44 20 7946 0958'), { fields: ['MOBILE_PHONE', 'HOME_PHONE'], operator: 'phone', value: '2079460958', international: '+442079460958' }, 'a typed country code wins over the row\'s region')

  const impossible = valueError(() => m.criterion('phone', '12'))
  t.ok(impossible instanceof GatewayError)
  t.same([impossible.code, impossible.status], ['INVALID_REQUEST', 400], 'the transform\'s refusal is a 400')
  t.same([impossible.field, impossible.reason], ['phone', 'not a possible phone number'], 'naming the parameter')
  t.notMatch(impossible.message, /12/, 'without the value')

  const plain = table(`fields: []
search:
  - { param: phone, crm: PHONE, operator: phone, transform: trim }
`)
  t.strictSame(plain.criterion('phone', ' (415) 555-0142 '), { fields: ['PHONE'], operator: 'phone', value: '4155550142' }, 'no region: the digits, and no E.164 form to offer')
  t.strictSame(plain.criterion('phone', '+1 415 555 0142'), { fields: ['PHONE'], operator: 'phone', value: '4155550142', international: '+14155550142' })
  t.strictSame(plain.criterion('phone', '0415 555 0142'), { fields: ['PHONE'], operator: 'phone', value: '4155550142' }, 'a trunk prefix is dropped')
  for (const typed of ['call me', '', '  ']) {
    const none = valueError(() => plain.criterion('phone', typed))
    t.same([none.field, none.reason, none.status], ['phone', 'not a phone number (no digit)', 400], `${JSON.stringify(typed)}: no digit at all is refused`)
  }
})

t.test('the creation marker row: written by toCrm, never read, found by markerCriterion', async (t) => {
  const m = table(`fields:
  - { spi: profile.firstName, crm: FNAME }
  - { spi: meta.createRequestId, crm: META.CREATE_ID, direction: write, transform: [trim, uppercase] }
`)
  t.same(m.toCrm({ profile: { firstName: 'Amelia' }, meta: { createRequestId: ' c1-abc ' } }), { FNAME: 'Amelia', META: { CREATE_ID: 'C1-ABC' } }, 'toCrm writes the marker through the row\'s transforms')
  t.same(m.toCrm({ profile: { firstName: 'Amelia' } }), { FNAME: 'Amelia' }, 'an update without a marker leaves the stored one alone')
  t.same(m.fromCrm({ FNAME: 'Amelia', META: { CREATE_ID: 'C1-ABC' } }), { profile: { firstName: 'Amelia' } }, 'fromCrm never reads it into an answer')
  t.notOk(m.readFields.includes('META'), 'nor asks the CRM for it on reads')
  t.strictSame(m.markerCriterion(' c1-abc '), { fields: ['META.CREATE_ID'], operator: 'equals', value: 'C1-ABC' }, 'the criterion compares the marker as toCrm wrote it')

  const bare = table(`fields:
  - { spi: meta.createRequestId, crm: CREATE_REQUEST_ID, direction: write }
`)
  const marker = 'f3a9c1d2e4b5'
  const written = bare.toCrm({ meta: { createRequestId: marker } })
  const criterion = bare.markerCriterion(marker)
  t.same(written, { CREATE_REQUEST_ID: marker })
  t.strictSame(criterion, { fields: ['CREATE_REQUEST_ID'], operator: 'equals', value: marker })
  t.equal(criterion?.fields[0] === undefined ? undefined : written[criterion.fields[0]], criterion?.value, 'the criterion finds what toCrm stored')

  t.equal(table('fields:\n  - { spi: profile.firstName, crm: FNAME }\n').markerCriterion(marker), undefined, 'no marker row: undefined')
  const numeric = table('fields:\n  - { spi: meta.createRequestId, crm: N, direction: write, transform: number }\n')
  const err = valueError(() => numeric.markerCriterion('abc'))
  t.same([err.field, err.status], ['meta.createRequestId', 400], 'a marker the row refuses is a MappingValueError naming the path')
})

t.test('hostile CRM records and customers cannot pollute prototypes', async (t) => {
  const m = table(`fields:
  - { spi: loyaltyProfile.customLoyaltyAttributes, crm: LOYALTY.ATTRS }
  - { spi: profile.firstName, crm: FNAME }
  - { spi: profile.toString, crm: TO_STRING }
`)
  const record = JSON.parse('{"__proto__":{"polluted":1},"FNAME":"A","LOYALTY":{"__proto__":{"polluted":2},"ATTRS":{"__proto__":{"polluted":3},"constructor":{"prototype":{"polluted":4}},"ok":1}}}') as Record<string, unknown>
  const spi = m.fromCrm(record)
  t.same(spi, { profile: { firstName: 'A' }, loyaltyProfile: { customLoyaltyAttributes: { ok: 1 } } })
  t.same(Object.keys(spi.loyaltyProfile?.customLoyaltyAttributes ?? {}), ['ok'])
  const customer = JSON.parse('{"__proto__":{"polluted":5},"loyaltyProfile":{"customLoyaltyAttributes":{"__proto__":{"polluted":6},"prototype":1,"ok":2}}}') as Customer
  const crm = m.toCrm(customer)
  t.same(crm, { LOYALTY: { ATTRS: { ok: 2 } } })
  t.same(m.toCrm({ profile: {} }), {}, 'an inherited method is not a value (toString is never read from a prototype)')
  t.equal(({} as Record<string, unknown>)['polluted'], undefined, 'Object.prototype is untouched')
  t.equal(Object.getPrototypeOf(crm), Object.prototype)
})

t.test('a flag mapped to a CRM\'s option ids: booleans both ways (Pipedrive enum options)', async (t) => {
  const m = table(`fields:
  - { spi: consents.agreeToTC, crm: TC_OPTION, values: { true: "101", false: "102" } }
  - { spi: consents.smsSignUp, crm: SMS, values: { true: 1, false: 0 } }
`)
  t.same(m.toCrm({ consents: { agreeToTC: true, smsSignUp: false } }), { TC_OPTION: '101', SMS: 0 })
  t.strictSame(m.fromCrm({ TC_OPTION: '102', SMS: 1 }), { consents: { agreeToTC: false, smsSignUp: true } }, 'read back as booleans, not "true"/"false"')
  const words = table(`fields:
  - { spi: profile.gender, crm: G, values: { male: M, true: T } }
`)
  t.strictSame(words.fromCrm({ G: 'T' }), { profile: { gender: 'true' } }, 'a map with other keys keeps text')
})

t.test('a birthday without a year: the row says write it, drop it or refuse it', async (t) => {
  const m = table(`fields:
  - { spi: profile.birthday, crm: KEEP, transform: "birthday:YYYY-MM-DD|MM-DD" }
  - { spi: profile.birthday, crm: DROP, transform: "birthday:YYYY-MM-DD|drop", direction: write }
`)
  t.same(m.toCrm({ profile: { birthday: '1990-04-17' } }), { KEEP: '1990-04-17', DROP: '1990-04-17' }, 'a full date: written everywhere')
  t.same(m.toCrm({ profile: { birthday: '--04-17' } }), { KEEP: '04-17' }, 'no year: drop leaves the field out (the CRM keeps what it has)')
  t.same(m.toCrm({ profile: { birthday: '' } }), { KEEP: '', DROP: '' }, '"" still clears')
  const refuse = table(`fields:
  - { spi: profile.birthday, crm: BDAY, transform: "birthday:YYYY-MM-DD|refuse" }
`)
  const err = valueError(() => refuse.toCrm({ profile: { birthday: '--04-17' } }))
  t.same([err.field, err.reason], ['profile.birthday', 'this CRM field cannot hold a birthday without a year'], 'refuse: the POS is told which field')
  t.same(refuse.fromCrm({ BDAY: '1990-04-17' }), { profile: { birthday: '1990-04-17' } })
  t.throws(() => table(`fields:
  - { spi: profile.birthday, crm: BDAY, transform: "birthday:YYYY-MM-DD|ignore" }
`), /bad date pattern "ignore": unknown token "i"/, 'a policy word it does not know is read as a pattern, and refused as one')
  t.throws(() => table(`fields:
  - { spi: profile.birthday, crm: BDAY, transform: "birthday:YYYY-MM-DD|DD.MM.YYYY" }
`), /the second pattern "DD.MM.YYYY" is for dates without a year and must not contain YYYY \(or say drop or refuse\)/)
})

t.test("rows name a CRM's hex custom-field keys as they are", async (t) => {
  const key = '9a1f2c3d4e5f60718293a4b5c6d7e8f901234567'
  const m = table(`fields:
  - { spi: profile.loyaltyId, crm: ${key} }
  - { spi: profile.customerGroup, crm: custom.${key}.value }
`)
  t.same(m.toCrm({ profile: { loyaltyId: 'LY1', customerGroup: 'VIP' } }), { [key]: 'LY1', custom: { [key]: { value: 'VIP' } } })
  t.same(m.fromCrm({ [key]: 'LY1', custom: { [key]: { value: 'VIP' } } }), { profile: { loyaltyId: 'LY1', customerGroup: 'VIP' } })
})
