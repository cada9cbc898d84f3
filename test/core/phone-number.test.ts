/**
 * Phone numbers as the SPI searches them: by national significant number, whatever the form.
 */
import t from 'tap'
import { phoneMatches, phoneQuery } from '../../src/core/phone-number.js'

t.test('phoneQuery: the national number of any common form', async (t) => {
  for (const typed of ['4155550177', '(415) 555-0177', '415.555.0177', '+1 415 555 0177', '14155550177', '1-415-555-0177']) {
    t.same(phoneQuery(typed, 'US'), { nationalNumber: '4155550177', countryCallingCode: '1', international: '+14155550177' }, typed)
  }
  t.same(phoneQuery('020 7946 0958', 'GB'), { nationalNumber: '2079460958', countryCallingCode: '44', international: '+442079460958' }, 'a trunk prefix is not part of it')
  t.same(phoneQuery('020 7946 0958'), { nationalNumber: '2079460958' }, 'no region: digits, leading zeros dropped')
  t.equal(phoneQuery('no digits'), undefined)
})

t.test('phoneMatches: same national number (and country, when both say)', async (t) => {
  const us = phoneQuery('4155550177', 'US')!
  for (const stored of ['(415) 555-0177', '+1 415 555 0177', '415.555.0177', '+14155550177']) t.ok(phoneMatches(stored, us, 'US'), stored)
  t.notOk(phoneMatches('+44 4155 550177', us), 'the same digits in another country')
  t.notOk(phoneMatches('+14155550100', us), 'another number')
  t.notOk(phoneMatches(undefined, us), 'no number')
  t.ok(phoneMatches('ext. 4155550177', us), 'an unreadable text matches when its digits end with the number')
  const bare = phoneQuery('14155550177')!
  t.ok(phoneMatches('+1 (415) 555-0177', bare), 'bare digits may spell the country code')
  t.ok(phoneMatches('+14155550177', phoneQuery('4155550177')!), 'or leave it out')
})
