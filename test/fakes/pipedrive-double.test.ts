/**
 * The Pipedrive test double against Pipedrive's published reference, one behaviour per test,
 * each naming the section it comes from (the tags of ./pipedrive-double.ts):
 *   [persons]     https://developers.pipedrive.com/docs/api/v2/Persons
 *   [search]      https://developers.pipedrive.com/docs/api/v2/Persons#searchPersons
 *   [list]        https://developers.pipedrive.com/docs/api/v2/Persons#getPersons
 *   [fields]      https://developers.pipedrive.com/docs/api/v2/PersonFields
 *   [v1-fields]   https://developers.pipedrive.com/docs/api/v1/PersonFields
 *   [migration]   https://pipedrive.readme.io/docs/pipedrive-api-v2-migration-guide
 *   [description] Pipedrive's published OpenAPI 3 description of API v2, operation <id>
 *   [auth]        https://pipedrive.readme.io/docs/core-api-concepts-authentication
 *   [responses]   https://pipedrive.readme.io/docs/core-api-concepts-responses
 *   [pagination]  https://pipedrive.readme.io/docs/core-api-concepts-pagination
 *   [rate-limits] https://pipedrive.readme.io/docs/core-api-concepts-rate-limiting
 *   [search-limit] https://developers.pipedrive.com/changelog/post/announcing-search-api-rate-limit
 *   [deprecation] https://developers.pipedrive.com/changelog/post/deprecation-of-selected-api-v1-endpoints
 *   [duplicates]  https://support.pipedrive.com/hc/en-us/articles/208048865-How-does-Pipedrive-avoid-duplicates-
 *
 * Every test talks HTTP (global fetch) to a double of its own; no adapter is involved, and no
 * test sleeps (rate windows and the daily budget run on an injected clock).
 */
import t from 'tap'
import type { Test } from 'tap'
import { CONSENT_OPTION_IDS, DEFAULT_PERSON_FIELDS, DOCUMENTED_LIMITS, PERSON_FIELD_KEYS, TOKEN_COSTS, startPipedriveDouble } from './pipedrive-double.js'
import type { PipedriveDouble, PipedriveDoubleOptions } from './pipedrive-double.js'

const TOKEN = '0123456789abcdef0123456789abcdef01234567'
const ACCESS = 'oauth-access-token-for-the-double'
const K = PERSON_FIELD_KEYS
const YES = CONSENT_OPTION_IDS.consentTerms.yes
const NO = CONSENT_OPTION_IDS.consentTerms.no

async function start(t: Test, options: Partial<PipedriveDoubleOptions> = {}): Promise<PipedriveDouble> {
  const double = await startPipedriveDouble({ apiToken: TOKEN, ...options })
  t.teardown(() => double.close())
  return double
}

interface Answer {
  readonly status: number
  readonly headers: Headers
  readonly body: any
}

type Auth = { header: string } | { query: string } | { bearer: string } | 'none'

function client(base: string, auth: Auth = { header: TOKEN }) {
  return async (method: string, path: string, body?: unknown): Promise<Answer> => {
    const headers: Record<string, string> = {}
    let url = `${base}${path}`
    if (typeof auth === 'object' && 'header' in auth) headers['x-api-token'] = auth.header
    if (typeof auth === 'object' && 'bearer' in auth) headers['authorization'] = `Bearer ${auth.bearer}`
    if (typeof auth === 'object' && 'query' in auth) url += `${path.includes('?') ? '&' : '?'}api_token=${encodeURIComponent(auth.query)}`
    if (body !== undefined) headers['content-type'] = 'application/json'
    const res = await fetch(url, { method, headers, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }) })
    const text = await res.text()
    return { status: res.status, headers: res.headers, body: text === '' ? undefined : JSON.parse(text) }
  }
}

/** [v2-errors] a refused request: 400 `{success: false, error: "Validation failed: …", code}`. */
function isRefused(t: Test, answer: Answer, pattern: RegExp, what: string): void {
  t.equal(answer.status, 400, `${what}: 400`)
  t.match(answer.body, { success: false, error: /^Validation failed: /, code: 'ERR_SCHEMA_VALIDATION_FAILED' }, `${what}: Pipedrive's validation body`)
  t.match(answer.body?.error, pattern, `${what}: the message names the problem`)
  t.match(answer.headers.get('content-type'), /^application\/json/)
}

/** A documented-shape violation: refused, and one more entry in `violations` naming it too. */
async function violates(t: Test, double: PipedriveDouble, send: () => Promise<Answer>, pattern: RegExp, what: string): Promise<void> {
  const before = double.violations.length
  isRefused(t, await send(), pattern, what)
  t.equal(double.violations.length, before + 1, `${what}: recorded as a violation`)
  t.match(double.violations.at(-1), { method: String, url: String, problems: [pattern] }, `${what}: the violation names the problem`)
}

/** A refused value (account data): refused, but not a shape violation. */
async function refusesValue(t: Test, double: PipedriveDouble, send: () => Promise<Answer>, pattern: RegExp, what: string): Promise<void> {
  const before = double.violations.length
  isRefused(t, await send(), pattern, what)
  t.equal(double.violations.length, before, `${what}: not a shape violation`)
}

const amelia = { name: 'Amelia Okafor', emails: [{ value: 'amelia@example.com' }], phones: [{ value: '+14155550142', label: 'mobile' }] }

// ---------------------------------------------------------------------------------------------
// The default fields

t.test('[fields] the default clienteling fields: 40-hex keys (most start with a digit), consents as Yes/No options', async (t) => {
  const keys = Object.values(PERSON_FIELD_KEYS)
  t.ok(keys.every((k) => /^[0-9a-f]{40}$/.test(k)), 'every key is 40 lowercase hex digits')
  t.equal(new Set(keys).size, keys.length, 'distinct')
  const digitFirst = keys.filter((k) => /^\d/.test(k)).length
  t.ok(digitFirst >= keys.length / 2 && digitFirst < keys.length, `${digitFirst} of ${keys.length} start with a digit, as about 10 in 16 real keys do`)
  t.same(DEFAULT_PERSON_FIELDS.map((f) => f.key).sort(), [...keys].sort(), 'one field per key')
  const consents = DEFAULT_PERSON_FIELDS.filter((f) => f.name.match(/sign-up|terms|receipt/i))
  t.equal(consents.length, 7)
  t.ok(consents.every((f) => f.field_type === 'enum' && f.options?.map((o) => o.label).join('/') === 'Yes/No'), 'each consent: a single option field with Yes and No')
  const types = new Set(DEFAULT_PERSON_FIELDS.map((f) => f.field_type))
  t.same([...types].sort(), ['address', 'date', 'double', 'enum', 'monetary', 'phone', 'set', 'text', 'varchar'], 'every modelled type but autocomplete is used')
  await t.rejects(startPipedriveDouble({ apiToken: TOKEN, personFields: [{ key: 'loyalty', name: 'x', field_type: 'varchar' }] }), /40 lowercase hex/, 'a made-up key is refused at start')
  await t.rejects(startPipedriveDouble({ apiToken: TOKEN, personFields: [{ key: K.loyaltyTier, name: 'x', field_type: 'enum' }] }), /needs options/, 'an enum without options too')
})

// ---------------------------------------------------------------------------------------------
// Authentication

t.test('[auth] the API token in x-api-token (or ?api_token=), an OAuth bearer token; 401 "unauthorized access" otherwise', async (t) => {
  const double = await start(t, { accessToken: ACCESS })
  t.equal((await client(double.url, { header: TOKEN })('GET', '/api/v2/personFields')).status, 200, 'x-api-token header')
  t.equal((await client(double.url, { query: TOKEN })('GET', '/api/v2/personFields')).status, 200, '?api_token= query parameter')
  t.equal((await client(double.url, { bearer: ACCESS })('GET', '/api/v2/personFields')).status, 200, 'OAuth access token as Bearer')
  for (const [auth, what] of [
    [{ header: 'wrong' }, 'a wrong token'],
    ['none', 'no token'],
    [{ bearer: TOKEN }, 'the API token sent as a Bearer token'],
    [{ query: 'wrong' }, 'a wrong query token']
  ] as const) {
    const answer = await client(double.url, auth)('POST', '/api/v2/persons', amelia)
    t.equal(answer.status, 401, `${what}: 401`)
    t.match(answer.body, { success: false, error: 'unauthorized access', errorCode: 401, error_info: /developers\.pipedrive\.com/, data: null, additional_data: null }, `${what}: the documented body`)
    t.same(Object.keys(answer.body).sort(), ['additional_data', 'data', 'error', 'errorCode', 'error_info', 'success'], `${what}: nothing else`)
    t.equal(answer.headers.get('x-ratelimit-limit'), null, `${what}: no rate headers`)
  }
  t.equal(double.persons.size, 0, 'nothing created')
  t.same(double.violations, [], 'unauthorized requests are not checked for shape')
  t.equal(double.requests.length, 7, 'but every request is logged')
})

t.test('[auth] acceptQueryToken: false — only the header (and OAuth) authenticate', async (t) => {
  const double = await start(t, { acceptQueryToken: false })
  t.equal((await client(double.url, { query: TOKEN })('GET', '/api/v2/personFields')).status, 401, 'the query token refused')
  t.equal((await client(double.url, { header: TOKEN })('GET', '/api/v2/personFields')).status, 200, 'the header accepted')
})

// ---------------------------------------------------------------------------------------------
// Create

t.test('[persons] addPerson: 200 and the v2 person; name split; e-mail/phone labels default to work, first primary', async (t) => {
  let clock = Date.UTC(2026, 0, 5, 9, 30, 0)
  const double = await start(t, { firstId: 101, userId: 7, now: () => clock })
  const call = client(double.url)
  const created = await call('POST', '/api/v2/persons', {
    ...amelia,
    emails: [{ value: 'amelia@example.com' }, { value: 'a.okafor@work.example', label: 'work' }],
    custom_fields: { [K.loyaltyAccountNumber]: 'LOY-0001', [K.consentTerms]: YES, [K.birthday]: '1990-04-17' }
  })
  t.equal(created.status, 200, '[description] addPerson answers 200')
  t.same(Object.keys(created.body).sort(), ['data', 'success'])
  const p = created.body.data
  t.match(p, {
    id: 101,
    name: 'Amelia Okafor',
    first_name: 'Amelia',
    last_name: 'Okafor',
    owner_id: 7,
    org_id: null,
    add_time: '2026-01-05T09:30:00Z',
    update_time: '2026-01-05T09:30:00Z',
    is_deleted: false,
    visible_to: 3,
    label_ids: [],
    picture_id: null
  }, 'the v2 person object: plain ids, RFC 3339 times, is_deleted')
  t.same(p.emails, [{ value: 'amelia@example.com', label: 'work', primary: true }, { value: 'a.okafor@work.example', label: 'work', primary: false }], '[migration] label defaults to work; none primary → the first is')
  t.same(p.phones, [{ value: '+14155550142', label: 'mobile', primary: true }])
  t.same(Object.keys(p.custom_fields).sort(), [...Object.values(K)].sort(), 'custom_fields lists every custom field')
  t.equal(p.custom_fields[K.loyaltyAccountNumber], 'LOY-0001')
  t.equal(p.custom_fields[K.consentTerms], YES, 'a single option as its numeric id')
  t.equal(p.custom_fields[K.consentSms], null, 'an unset field is null')
  clock += 1000
  const second = await call('POST', '/api/v2/persons', { name: 'Madonna', phones: [{ value: '1', primary: false }, { value: '2', primary: true, label: 'home' }] })
  t.match(second.body.data, { id: 102, first_name: 'Madonna', last_name: null, add_time: '2026-01-05T09:30:01Z' }, 'one word: the first name, no last name; ids count up')
  t.same(second.body.data.phones.map((e: any) => e.primary), [false, true], 'the one marked primary stays primary')
  t.equal(double.persons.get(101)?.custom_fields.get(K.birthday), '1990-04-17', 'persons map holds the stored person')
  t.same(double.violations, [])
})

t.test('[migration] name, or first_name and last_name; the name is made from them', async (t) => {
  const double = await start(t)
  const create = (body: unknown) => () => client(double.url)('POST', '/api/v2/persons', body)
  const made = await create({ first_name: 'Ada', last_name: 'Lovelace' })()
  t.match(made.body.data, { name: 'Ada Lovelace', first_name: 'Ada', last_name: 'Lovelace' }, 'first_name + last_name → name')
  t.match((await create({ first_name: '', last_name: 'Cher' })()).body.data, { name: 'Cher', first_name: null, last_name: 'Cher' }, 'one of them may be empty')
  await violates(t, double, create({ emails: [{ value: 'x@example.com' }] }), /name: Either name or both first_name and last_name must be provided/, 'no name at all')
  await violates(t, double, create({ first_name: 'Ada' }), /Either name or both first_name and last_name/, 'first_name alone')
  await violates(t, double, create({ first_name: ' ', last_name: '' }), /can not both be empty/, 'both empty')
  await violates(t, double, create({ name: '   ' }), /name: must not be empty/, 'a blank name')
  t.equal(double.persons.size, 2, 'nothing else created')
})

t.test('[description] addPerson body shape: typed members, no coercion, no unknown members, one primary per list', async (t) => {
  const double = await start(t)
  const create = (body: unknown) => () => client(double.url)('POST', '/api/v2/persons', body)
  await violates(t, double, create({ ...amelia, email: 'amelia@example.com' }), /email: Parameter 'email' is not allowed for this request/, 'a v1 member (email)')
  await violates(t, double, create({ ...amelia, [K.loyaltyAccountNumber]: 'LOY-1' }), /Parameter '18f60802d8b7e72d1f0ee89c2a7963645e9a5860' is not allowed/, 'a custom field at the root (v1 style)')
  await violates(t, double, create({ ...amelia, owner_id: '5' }), /owner_id: must be an integer/, 'a numeric member as text (no coercion)')
  await violates(t, double, create({ ...amelia, visible_to: 3.5 }), /visible_to: must be an integer/, 'a fractional visible_to')
  await violates(t, double, create({ ...amelia, emails: 'amelia@example.com' }), /emails: must be of type array/, 'emails as a string (v1 style)')
  await violates(t, double, create({ ...amelia, emails: [{ primary: true }] }), /emails\[0\]\.value: is required/, 'an e-mail without value')
  await violates(t, double, create({ ...amelia, phones: [{ value: '1', primary: 'true' }] }), /phones\[0\]\.primary: must be of type boolean/, 'primary as text')
  await violates(t, double, create({ ...amelia, phones: [{ value: '1', type: 'mobile' }] }), /phones\[0\]\.type: Parameter 'type' is not allowed/, 'an unknown member of an entry')
  await violates(t, double, create({ ...amelia, emails: [{ value: 'a@x.io', primary: true }, { value: 'b@x.io', primary: true }] }), /emails: at most one value can be marked as primary/, 'two primary e-mails')
  await violates(t, double, create({ ...amelia, marketing_status: 'yes' }), /marketing_status: must be one of no_consent, unsubscribed, subscribed, archived/, 'a marketing status outside the list')
  await violates(t, double, create({ ...amelia, custom_fields: [] }), /custom_fields: must be of type object/, 'custom_fields as a list')
  await violates(t, double, create({ ...amelia, org_id: 'ACME' }), /org_id: must be an integer or null/, 'org_id as text')
  await violates(t, double, create([amelia]), /body: must be of type object/, 'a list as the body')
  await violates(t, double, create('{"name": "Amelia"'), /not a JSON request body/, 'a body that is not JSON')
  await violates(t, double, () => client(double.url)('POST', '/api/v2/persons'), /body: a JSON object is required/, 'no body')
  await violates(t, double, () => client(double.url)('POST', '/api/v2/persons?fields=name', amelia), /fields: Parameter 'fields' is not allowed/, 'a query parameter the operation does not have')
  t.equal(double.persons.size, 0, 'nothing stored')
  const ok = await create({ ...amelia, owner_id: 5, org_id: null, visible_to: 1, label_ids: [3], marketing_status: 'subscribed', add_time: '2025-12-31T23:00:00Z' })()
  t.equal(ok.status, 200, 'every documented member, well typed: accepted')
  t.match(ok.body.data, { owner_id: 5, visible_to: 1, label_ids: [3], add_time: '2025-12-31T23:00:00Z' })
  t.equal(double.violations.length, 16, 'and no violation for it')
  await refusesValue(t, double, create({ ...amelia, visible_to: 2 }), /visible_to: must be one of 1, 3, 5, 7/, 'a visibility no plan has')
  await refusesValue(t, double, create({ ...amelia, add_time: 'yesterday' }), /add_time: must be an RFC 3339 date-time/, 'add_time not RFC 3339')
  await refusesValue(t, double, create({ ...amelia, emails: [{ value: ' ' }] }), /emails\[0\]\.value: must not be empty/, 'a blank e-mail value')
})

t.test('[duplicates] no uniqueness and no syntax check: same e-mail twice, an invalid e-mail, a free-text phone', async (t) => {
  const double = await start(t)
  const call = client(double.url)
  const first = await call('POST', '/api/v2/persons', amelia)
  const second = await call('POST', '/api/v2/persons', { ...amelia, name: 'Amelia O.' })
  t.equal(second.status, 200, 'a second person with the same e-mail and phone is created')
  t.not(second.body.data.id, first.body.data.id, 'a new id')
  const loose = await call('POST', '/api/v2/persons', { name: 'Loose', emails: [{ value: 'not-an-email' }], phones: [{ value: 'call reception, ext. 12' }] })
  t.equal(loose.status, 200, 'an e-mail that is no address and a phone that is no number are stored as sent')
  t.same([loose.body.data.emails[0].value, loose.body.data.phones[0].value], ['not-an-email', 'call reception, ext. 12'])
  const same = await call('GET', '/api/v2/persons/search?term=amelia@example.com&fields=email&exact_match=true')
  t.equal(same.body.data.items.length, 2, 'a search by the e-mail finds both: an adapter must choose')
})

// ---------------------------------------------------------------------------------------------
// Custom field values

t.test('[migration] custom field values in the v2 format, by field type; null clears', async (t) => {
  const double = await start(t)
  const call = client(double.url)
  await call('POST', '/api/v2/persons', { name: 'Typed' })
  const set = (key: string, value: unknown) => () => call('PATCH', '/api/v2/persons/1', { custom_fields: { [key]: value } })
  const accepted = async (key: string, value: unknown, stored: unknown, what: string) => {
    const answer = await set(key, value)()
    t.equal(answer.status, 200, `${what}: accepted`)
    t.same(answer.body.data.custom_fields[key], stored, `${what}: answered as stored`)
  }
  await accepted(K.homeStore, 'SF-UNION-SQ', 'SF-UNION-SQ', 'varchar: text')
  await accepted(K.addressList, '[{"addressLine1":"500 Howard St"}]', '[{"addressLine1":"500 Howard St"}]', 'text: JSON kept as text')
  await accepted(K.loyaltyPoints, 1250.5, 1250.5, 'double: a number')
  await accepted(K.storeCredit, { value: 20, currency: 'USD' }, { value: 20, currency: 'USD' }, 'monetary: {value, currency}')
  await accepted(K.birthday, '2000-02-29', '2000-02-29', 'date: YYYY-MM-DD (a leap day)')
  await accepted(K.consentSms, CONSENT_OPTION_IDS.consentSms.no, CONSENT_OPTION_IDS.consentSms.no, 'enum: the "No" option id')
  await accepted(K.interests, [52, 51, 52], [52, 51], 'set: option ids (repeats dropped)')
  await accepted(K.homePhone, '+1 (415) 555-0100', '+1 (415) 555-0100', 'phone: free text')
  const address = await set(K.postalAddress, { value: '500 Howard St, San Francisco', locality: 'San Francisco', postal_code: '94105' })()
  t.match(address.body.data.custom_fields[K.postalAddress], { value: '500 Howard St, San Francisco', locality: 'San Francisco', postal_code: '94105', route: null, country: null }, 'address: only value required, other subfields null')
  await accepted(K.homeStore, null, null, 'null clears')
  await accepted(K.interests, null, null, 'null clears a set')
  await accepted(K.loyaltyAccountNumber, '', null, 'an empty text clears too')

  const refused = (key: string, value: unknown, pattern: RegExp, what: string) => refusesValue(t, double, set(key, value), pattern, what)
  await refused(K.homeStore, 42, /custom_fields\.d8ce69\w+: must be a string/, 'a number for text')
  await refused(K.homeStore, 'x'.repeat(256), /at most 255 characters/, 'varchar over 255 characters')
  await refused(K.loyaltyPoints, '1250', /must be a number/, 'a numeric text for a double (no coercion)')
  await refused(K.storeCredit, 20, /must be an object \{value, currency\}/, 'a bare number for monetary')
  await refused(K.storeCredit, { value: 20, currency: 'dollars' }, /currency: must be a 3-letter currency code/, 'monetary with a bad currency')
  await refused(K.birthday, '17/04/1990', /must be a date in the format YYYY-MM-DD/, 'a date in another format')
  await refused(K.birthday, '2001-02-29', /2001-02-29 is not a valid date/, 'a day that does not exist')
  await refused(K.consentTerms, 99, /99 is not a valid option id/, 'an option id the field does not have')
  await refused(K.consentTerms, String(YES), /must be an option id \(integer\)/, 'the option id as text (v1 style)')
  await refused(K.consentTerms, 'Yes', /must be an option id/, 'the option label')
  await refused(K.consentTerms, true, /must be an option id/, 'a boolean for a Yes/No field')
  await refused(K.interests, [], /an empty array is not supported; use null to clear/, 'an empty set ([persons]: null clears)')
  await refused(K.interests, [51, 77], /77 not valid option ids/, 'a set with an unknown option')
  await refused(K.interests, '51,52', /must be an array of option ids/, 'a set as concatenated ids (v1 style)')
  await refused(K.postalAddress, { locality: 'Paris' }, /value: is required/, 'an address without value')
  await refused(K.postalAddress, { value: 'x', city: 'Paris' }, /unknown subfield city/, 'an address subfield Pipedrive does not have')
  await refused('0000000000000000000000000000000000000000', 'x', /is not a custom field of persons/, 'a key that is no field of the company')

  const many = await call('PATCH', '/api/v2/persons/1', { name: 'Renamed', custom_fields: { [K.homeStore]: 'NY-1', [K.loyaltyPoints]: 'many', [K.birthday]: '1990-13-01' } })
  isRefused(t, many, /eaf8c6\w+: must be a number; custom_fields\.0f014f\w+: 1990-13-01 is not a valid date/, 'every problem at once')
  const after = await call('GET', '/api/v2/persons/1')
  t.same([after.body.data.name, after.body.data.custom_fields[K.homeStore]], ['Typed', null], 'a refused request changes nothing (not even the valid members)')
})

// ---------------------------------------------------------------------------------------------
// Read

t.test('[persons] getPerson: the person; custom_fields= selects keys; include_option_labels; 404 for an unknown id', async (t) => {
  const double = await start(t)
  const call = client(double.url)
  await call('POST', '/api/v2/persons', { ...amelia, marketing_status: 'subscribed', custom_fields: { [K.consentTerms]: YES, [K.interests]: [51, 53], [K.loyaltyTier]: 43 } })
  const got = await call('GET', '/api/v2/persons/1')
  t.equal(got.status, 200)
  t.match(got.body, { success: true, data: { id: 1, name: 'Amelia Okafor', emails: [{ value: 'amelia@example.com' }] } })
  t.notOk('marketing_status' in got.body.data, '[migration] marketing_status only with include_fields')
  const some = await call('GET', `/api/v2/persons/1?custom_fields=${K.consentTerms},${K.homeStore}`)
  t.same(some.body.data.custom_fields, { [K.consentTerms]: YES, [K.homeStore]: null }, 'only the keys asked for')
  const labels = await call('GET', '/api/v2/persons/1?include_option_labels=true')
  t.same(labels.body.data.custom_fields[K.consentTerms], { id: YES, label: 'Yes' }, 'an option as {id, label}')
  t.same(labels.body.data.custom_fields[K.interests], [{ id: 51, label: 'Shoes' }, { id: 53, label: 'Jewelry' }], 'options as [{id, label}]')
  const included = await call('GET', '/api/v2/persons/1?include_fields=marketing_status,open_deals_count')
  t.match(included.body.data, { marketing_status: 'subscribed', open_deals_count: 0 }, 'include_fields adds the optional members')

  const missing = await call('GET', '/api/v2/persons/999')
  t.equal(missing.status, 404, 'an unknown id: 404')
  t.same(missing.body, { success: false, error: 'Entity was not found', error_info: 'Object was not found.', data: null, additional_data: null }, '[description] the v2 not-found body')
  t.same(double.violations, [], 'a 404 is no violation')

  const sixteen = Array.from({ length: 16 }, (_, i) => `${String(i).padStart(2, '0')}${'a'.repeat(38)}`).join(',')
  await violates(t, double, () => call('GET', `/api/v2/persons/1?custom_fields=${sixteen}`), /custom_fields: A maximum of 15 keys is allowed/, 'sixteen custom field keys')
  await violates(t, double, () => call('GET', '/api/v2/persons/1?include_fields=favourite_color'), /include_fields: 'favourite_color' not among/, 'an unknown include_fields value')
  await violates(t, double, () => call('GET', '/api/v2/persons/1?include_option_labels=1'), /include_option_labels: must be true or false/, '1 for a boolean ([migration] true/false only)')
  await violates(t, double, () => call('GET', '/api/v2/persons/abc'), /id: must be a positive integer/, 'a non-numeric id')
  await violates(t, double, () => call('GET', '/api/v2/persons/1?fields=name&fields=email'), /fields: Parameter 'fields' is not allowed/, 'a parameter getPerson does not have')
})

// ---------------------------------------------------------------------------------------------
// Update

t.test('[list] getPersons by ids: up to 100, unknown and deleted ids left out, in sort_by order, cursor paging', async (t) => {
  let clock = Date.UTC(2026, 3, 1, 8, 0, 0)
  const double = await start(t, { now: () => clock })
  const call = client(double.url)
  for (let i = 1; i <= 5; i++) {
    await call('POST', '/api/v2/persons', { name: `Client ${i}`, org_id: i % 2 === 0 ? 7 : null, custom_fields: { [K.homeStore]: `S${i}` } })
    clock += 60_000
  }
  double.deletePerson(4)
  const before = double.tokensSpent
  const listed = await call('GET', '/api/v2/persons?ids=5,3,999,4,1')
  t.equal(listed.status, 200)
  t.same(Object.keys(listed.body).sort(), ['additional_data', 'data', 'success'], '[responses] the envelope')
  t.same(listed.body.data.map((p: any) => p.id), [1, 3, 5], 'the unknown id (999) and the deleted person (4) left out; by id, not in the order asked')
  t.same(listed.body.additional_data, { next_cursor: null })
  t.match(listed.body.data[0], { id: 1, name: 'Client 1', emails: [], phones: [], is_deleted: false, custom_fields: { [K.homeStore]: 'S1', [K.consentTerms]: null } }, 'whole v2 persons, every custom field')
  t.equal(double.tokensSpent - before, TOKEN_COSTS['GET /api/v2/persons'], '[list] costs 10 tokens')
  t.equal(TOKEN_COSTS['GET /api/v2/persons'], 10)

  const desc = await call('GET', '/api/v2/persons?sort_by=add_time&sort_direction=desc')
  t.same(desc.body.data.map((p: any) => p.id), [5, 3, 2, 1], 'every person (no ids), newest first')
  t.same((await call('GET', '/api/v2/persons?org_id=7')).body.data.map((p: any) => p.id), [2], 'org_id filters')
  t.same((await call('GET', '/api/v2/persons?owner_id=2')).body.data, [], 'owner_id filters')
  const since = await call('GET', `/api/v2/persons?updated_since=${encodeURIComponent('2026-04-01T08:02:00Z')}&updated_until=${encodeURIComponent('2026-04-01T08:04:00Z')}`)
  t.same(since.body.data.map((p: any) => p.id), [3], 'updated_since (inclusive) and updated_until (exclusive)')
  const some = await call('GET', `/api/v2/persons?ids=1&custom_fields=${K.homeStore}&include_fields=marketing_status`)
  t.same([some.body.data[0].custom_fields, some.body.data[0].marketing_status], [{ [K.homeStore]: 'S1' }, 'no_consent'], 'custom_fields and include_fields as in getPerson')

  const first = await call('GET', '/api/v2/persons?limit=2')
  t.same(first.body.data.map((p: any) => p.id), [1, 2])
  const rest = await call('GET', `/api/v2/persons?limit=2&cursor=${first.body.additional_data.next_cursor}`)
  t.same(rest.body.data.map((p: any) => p.id), [3, 5], 'the cursor continues')
  t.equal(rest.body.additional_data.next_cursor, null)
  t.same(double.violations, [])

  const hundred = Array.from({ length: 100 }, (_, i) => i + 1).join(',')
  t.equal((await call('GET', `/api/v2/persons?ids=${hundred}`)).status, 200, '100 ids: accepted')
  const list = (query: string) => () => call('GET', `/api/v2/persons?${query}`)
  await violates(t, double, list(`ids=${hundred},101`), /ids: at most 100 ids are allowed/, '101 ids')
  await violates(t, double, list('ids=1,abc'), /ids: must be a comma-separated list of integer ids/, 'an id that is no integer')
  await violates(t, double, list('sort_by=name'), /sort_by: must be one of id, update_time, add_time/, 'a sort field getPersons does not have')
  await violates(t, double, list('sort_direction=up'), /sort_direction: must be one of asc, desc/, 'a sort direction')
  await violates(t, double, list('updated_since=2026-04-01'), /updated_since: must be an RFC 3339 date-time/, 'a day, not a time')
  await violates(t, double, list('include_fields=smart_bcc_email'), /include_fields: 'smart_bcc_email' not among/, 'an include field only getPerson has')
  await violates(t, double, list('limit=501'), /limit: must be between 1 and 500/, 'limit over 500')
  await violates(t, double, list('start=0'), /start: Parameter 'start' is not allowed/, 'v1 paging (start)')
  await refusesValue(t, double, list('filter_id=3'), /filter_id: there is no filter 3/, 'a filter the double does not keep')
})

t.test('[persons] updatePerson (PATCH): only the members sent change; lists replaced whole; custom_fields per key', async (t) => {
  let clock = Date.UTC(2026, 1, 1, 12, 0, 0)
  const double = await start(t, { now: () => clock })
  const call = client(double.url)
  await call('POST', '/api/v2/persons', {
    ...amelia,
    emails: [{ value: 'amelia@example.com' }, { value: 'amelia@home.example', label: 'home' }],
    custom_fields: { [K.homeStore]: 'SF-1', [K.consentTerms]: YES, [K.loyaltyPoints]: 10 }
  })
  clock += 60_000
  const patched = await call('PATCH', '/api/v2/persons/1', { emails: [{ value: 'new@example.com', label: 'other' }], custom_fields: { [K.loyaltyPoints]: 25, [K.homeStore]: null } })
  t.equal(patched.status, 200)
  const p = patched.body.data
  t.same(p.emails, [{ value: 'new@example.com', label: 'other', primary: true }], 'the e-mail list sent replaces the whole list')
  t.same(p.phones, [{ value: '+14155550142', label: 'mobile', primary: true }], 'phones not sent: unchanged')
  t.equal(p.name, 'Amelia Okafor', 'name not sent: unchanged')
  t.same([p.custom_fields[K.loyaltyPoints], p.custom_fields[K.homeStore], p.custom_fields[K.consentTerms]], [25, null, YES], 'custom fields: only the keys sent change; null cleared one')
  t.same([p.add_time, p.update_time], ['2026-02-01T12:00:00Z', '2026-02-01T12:01:00Z'], 'update_time moves, add_time does not')

  const renamed = await call('PATCH', '/api/v2/persons/1', { name: 'Amelia Okafor-Smith' })
  t.match(renamed.body.data, { first_name: 'Amelia', last_name: 'Okafor-Smith' }, 'a new name is split again')
  const split = await call('PATCH', '/api/v2/persons/1', { first_name: 'Mia', last_name: 'Okafor' })
  t.equal(split.body.data.name, 'Mia Okafor', 'first and last name make the name')
  const cleared = await call('PATCH', '/api/v2/persons/1', { phones: [] })
  t.same(cleared.body.data.phones, [], 'an empty list removes every phone')
  t.equal((await call('PATCH', '/api/v2/persons/1', {})).status, 200, 'an empty update is accepted (silent)')

  await violates(t, double, () => call('PATCH', '/api/v2/persons/1', { first_name: 'Mia' }), /Either name or both first_name and last_name/, 'first_name alone ([migration] when updating the name)')
  await violates(t, double, () => call('PATCH', '/api/v2/persons/1', { name: '' }), /name: must not be empty/, 'an empty name')
  await violates(t, double, () => call('PATCH', '/api/v2/persons/1', { id: 2 }), /id: Parameter 'id' is not allowed/, 'the id in the body')
  await violates(t, double, () => call('PATCH', '/api/v2/persons/1'), /a JSON object is required/, 'no body')
  const missing = await call('PATCH', '/api/v2/persons/404', { name: 'Nobody' })
  t.equal(missing.status, 404, 'an unknown id: 404')
  t.equal(missing.body.error, 'Entity was not found')
})

t.test('[persons] deletePerson marks the person deleted: still readable with is_deleted, no longer updatable or found', async (t) => {
  let clock = Date.UTC(2026, 2, 1)
  const double = await start(t, { now: () => clock })
  const call = client(double.url)
  await call('POST', '/api/v2/persons', amelia)
  await call('POST', '/api/v2/persons', { ...amelia, name: 'Amelia Twin' })
  clock += 5000
  const deleted = await call('DELETE', '/api/v2/persons/1')
  t.same([deleted.status, deleted.body], [200, { success: true, data: { id: 1 } }], '[description] DeletePersonResponse')
  const read = await call('GET', '/api/v2/persons/1')
  t.match([read.status, read.body.data], [200, { is_deleted: true, update_time: '2026-03-01T00:00:05Z' }], '[migration] is_deleted, and update_time is the delete time')
  t.equal((await call('PATCH', '/api/v2/persons/1', { name: 'Back' })).status, 404, 'updating a deleted person: 404 (silent)')
  t.equal((await call('DELETE', '/api/v2/persons/1')).status, 404, 'deleting twice: 404 (silent)')
  const found = await call('GET', '/api/v2/persons/search?term=amelia')
  t.same(found.body.data.items.map((i: any) => i.item.id), [2], 'search does not find deleted persons (silent)')
  double.deletePerson(2)
  t.equal((await call('GET', '/api/v2/persons/2')).body.data.is_deleted, true, 'deletePerson: as another user would')
})

t.test('setFieldValue writes a custom field as another Pipedrive user would (checked like the API)', async (t) => {
  let clock = Date.UTC(2026, 3, 1)
  const double = await start(t, { now: () => clock })
  const call = client(double.url)
  await call('POST', '/api/v2/persons', amelia)
  clock += 1000
  double.setFieldValue(1, K.loyaltyAccountNumber, 'LOY-42')
  double.setFieldValue(1, K.loyaltyTier, 44)
  const read = await call('GET', '/api/v2/persons/1')
  t.same([read.body.data.custom_fields[K.loyaltyAccountNumber], read.body.data.custom_fields[K.loyaltyTier], read.body.data.update_time], ['LOY-42', 44, '2026-04-01T00:00:01Z'])
  t.throws(() => double.setFieldValue(1, K.loyaltyTier, 'Gold'), /must be an option id/, 'a value the field cannot hold')
  t.throws(() => double.setFieldValue(9, K.loyaltyTier, 44), /no person 9/)
  t.throws(() => double.setFieldValue(1, 'nope', 1), /no person field nope/)
  double.setFieldValue(1, K.loyaltyTier, null)
  t.equal(double.persons.get(1)?.custom_fields.has(K.loyaltyTier), false, 'null clears')
})

// ---------------------------------------------------------------------------------------------
// Search

t.test('[search] searchPersons: term in name, e-mail, phone and searchable custom fields; exact_match; fields; result shape', async (t) => {
  const double = await start(t)
  const call = client(double.url)
  await call('POST', '/api/v2/persons', { ...amelia, custom_fields: { [K.loyaltyAccountNumber]: 'LOY-0001', [K.consentTerms]: YES, [K.birthday]: '1990-04-17', [K.loyaltyPoints]: 1250 } })
  await call('POST', '/api/v2/persons', { name: 'Amos Okoye', emails: [{ value: 'amos@pipedrive.example' }], phones: [{ value: '+14155550199' }] })
  await call('POST', '/api/v2/persons', { name: 'Mary Ann Smith', emails: [{ value: 'MARY@example.com' }], org_id: 7 })
  const search = async (query: string) => call('GET', `/api/v2/persons/search?${query}`)
  const ids = (a: Answer): number[] => a.body.data.items.map((i: any) => i.item.id)

  const am = await search('term=am')
  t.same(ids(am), [1, 2, 3], 'a part of a value, any case: Amelia, Amos, and the "am" inside "Mary Ann"/"example"')
  t.same(am.body.data.items.map((i: any) => i.result_score), [0.75, 0.75, 0.5], 'results by relevance: starts-with before contains (the double\'s scores)')
  t.same(ids(await search('term=okafor&fields=name')), [1], 'fields=name')
  t.same(ids(await search('term=example.com&fields=email')), [1, 3], 'fields=email, any case')
  t.same(ids(await search('term=5550199&fields=phone')), [2], 'fields=phone, a part of the number as stored')
  t.same(ids(await search('term=415-555-0199&fields=phone')), [], 'another spelling of the number is not found (silent: no normalization)')
  t.same(ids(await search('term=LOY-0001&fields=custom_fields')), [1], 'a varchar custom field')
  t.same(ids(await search('term=1250&fields=custom_fields')), [1], 'a double custom field, as text')
  t.same(ids(await search('term=1990-04-17')), [], 'a date custom field is not searchable')
  t.same(ids(await search(`term=${YES}&exact_match=true`)), [], 'nor an option id')
  t.same(ids(await search('term=amelia%40example.com&exact_match=true')), [1], 'exact_match: a whole value')
  t.same(ids(await search('term=MARY%40EXAMPLE.COM&exact_match=true')), [3], 'exact_match is not case sensitive')
  t.same(ids(await search('term=amelia&exact_match=true')), [], 'exact_match: a part is not enough')
  t.same(ids(await search('term=x&exact_match=true')), [], 'one character with exact_match: accepted')
  t.same(ids(await search('term=am&organization_id=7')), [3], 'organization_id filters')
  t.same(ids(await search('term=nobody-matches')), [], 'nothing found: an empty list')

  const one = (await search('term=LOY-0001')).body
  t.same(one.data.items[0], {
    result_score: 1,
    item: {
      id: 1,
      type: 'person',
      name: 'Amelia Okafor',
      phones: ['+14155550142'],
      emails: ['amelia@example.com'],
      visible_to: 3,
      owner: { id: 1 },
      organization: null,
      custom_fields: ['LOY-0001'],
      notes: []
    }
  }, '[description] the search item: phones and e-mails as plain texts, the matching custom field values')
  t.same(one.additional_data, { next_cursor: null }, 'next_cursor null: the end')
  t.same(double.violations, [])
})

t.test('[search] term rules and query shape: 2 characters (1 with exact_match), fields, exact_match true/false, limit ≤ 500', async (t) => {
  const double = await start(t)
  const search = (query: string) => () => client(double.url)('GET', `/api/v2/persons/search?${query}`)
  await violates(t, double, search('term=a'), /term: must be at least 2 characters long/, 'one character')
  await violates(t, double, search('term=%20a%20'), /at least 2 characters/, 'one character in white space')
  await violates(t, double, search('fields=name'), /term: is required/, 'no term')
  await violates(t, double, search('term=am&fields=name,address'), /fields: 'address' not among custom_fields, email, notes, phone, name/, 'a field persons cannot be searched by')
  await violates(t, double, search('term=am&exact_match=yes'), /exact_match: must be true or false/, 'exact_match=yes')
  await violates(t, double, search('term=am&limit=501'), /limit: must be between 1 and 500/, 'limit over 500')
  await violates(t, double, search('term=am&limit=0'), /limit: must be between 1 and 500/, 'limit 0')
  await violates(t, double, search('term=am&limit=ten'), /limit: must be an integer/, 'limit as a word')
  await violates(t, double, search('term=am&start=100'), /start: Parameter 'start' is not allowed/, 'v1 offset paging (start)')
  await violates(t, double, search('term=am&term=bo'), /term: must be a single value/, 'term repeated')
  await refusesValue(t, double, search('term=am&cursor=not-a-cursor'), /cursor: is not a cursor this endpoint gave out/, 'a made-up cursor')
  t.equal((await search('term=am&fields=name,email&exact_match=false&limit=500&include_fields=person.picture')()).status, 200, 'all well formed: 200')
})

t.test('[pagination] search pages with limit and an opaque next_cursor until it is null', async (t) => {
  const double = await start(t)
  const call = client(double.url)
  for (let i = 1; i <= 5; i++) await call('POST', '/api/v2/persons', { name: `Client ${i}`, emails: [{ value: `client${i}@example.com` }] })
  const seen: number[] = []
  let cursor: string | null = null
  let pages = 0
  do {
    const query: string = `term=client&limit=2${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`
    const page = await call('GET', `/api/v2/persons/search?${query}`)
    t.equal(page.status, 200)
    t.ok(page.body.data.items.length <= 2, 'at most limit items')
    seen.push(...page.body.data.items.map((i: any) => i.item.id))
    cursor = page.body.additional_data.next_cursor
    pages += 1
  } while (cursor !== null && pages < 10)
  t.same(seen, [1, 2, 3, 4, 5], 'every person once, in order')
  t.equal(pages, 3, 'three pages of 2, 2 and 1')
  t.equal((await call('GET', '/api/v2/persons/search?term=client')).body.data.items.length, 5, 'default limit 100')
})

// ---------------------------------------------------------------------------------------------
// Person fields

t.test('[fields] GET /api/v2/personFields: system and custom fields, option ids, subfields; cursor paging; one by field_code', async (t) => {
  const double = await start(t)
  const call = client(double.url)
  const listed = await call('GET', '/api/v2/personFields')
  t.equal(listed.status, 200)
  t.same(listed.body.additional_data, { next_cursor: null })
  const byCode = new Map<string, any>(listed.body.data.map((f: any) => [f.field_code, f]))
  for (const f of listed.body.data) t.match(f, { field_code: String, field_name: String, field_type: String, is_custom_field: Boolean, is_optional_response_field: false })
  t.match(byCode.get('name'), { field_type: 'varchar', is_custom_field: false, options: null, subfields: null }, 'a system field')
  t.match(byCode.get(K.consentTerms), { field_name: 'Agreed to terms', field_type: 'enum', is_custom_field: true, options: [{ id: YES, label: 'Yes' }, { id: NO, label: 'No' }], subfields: null }, 'a consent: options with ids')
  t.same(byCode.get(K.storeCredit).subfields.map((s: any) => [s.field_code, s.field_type]), [['value', 'double'], ['currency', 'varchar']], 'monetary subfields')
  t.ok(byCode.get(K.postalAddress).subfields.some((s: any) => s.field_code === 'postal_code'), 'address subfields')
  t.same(listed.body.data.filter((f: any) => f.is_custom_field).map((f: any) => f.field_code), DEFAULT_PERSON_FIELDS.map((f) => f.key), 'every custom field, in order')
  t.notOk('ui_visibility' in byCode.get('name'), 'namespaces only when asked for')
  const withNs = await call('GET', '/api/v2/personFields?include_fields=ui_visibility,required_fields')
  t.match(withNs.body.data[0], { field_code: 'name', ui_visibility: { add_visible_flag: true }, required_fields: { enabled: true } }, 'include_fields adds them')

  const first = await call('GET', '/api/v2/personFields?limit=10')
  t.equal(first.body.data.length, 10)
  const rest = await call('GET', `/api/v2/personFields?limit=500&cursor=${first.body.additional_data.next_cursor}`)
  t.same([...first.body.data, ...rest.body.data].map((f: any) => f.field_code), listed.body.data.map((f: any) => f.field_code), 'the cursor continues')

  t.match((await call('GET', `/api/v2/personFields/${K.loyaltyTier}`)).body.data, { field_code: K.loyaltyTier, options: [{ label: 'Bronze' }, { label: 'Silver' }, { label: 'Gold' }, { label: 'Platinum' }] }, 'one field by field_code')
  t.equal((await call('GET', '/api/v2/personFields/nope')).status, 404, 'an unknown field_code: 404')
  await violates(t, double, () => call('GET', '/api/v2/personFields?include_fields=everything'), /include_fields: 'everything' not among/, 'an unknown namespace')
  await violates(t, double, () => call('GET', '/api/v2/personFields?limit=1000'), /limit: must be between 1 and 500/, 'limit over 500')
})

t.test('[v1-fields] GET /v1/personFields (and /api/v1/…): key, name, field_type, options, edit_flag; start/limit pagination', async (t) => {
  const double = await start(t)
  const call = client(double.url)
  const listed = await call('GET', '/v1/personFields')
  t.equal(listed.status, 200)
  const byKey = new Map<string, any>(listed.body.data.map((f: any) => [f.key, f]))
  t.match(byKey.get(K.preferredLanguage), { id: Number, name: 'Preferred language', field_type: 'enum', edit_flag: true, active_flag: true, options: [{ id: 31, label: 'en-US' }] }, 'a custom field: edit_flag true, options with ids')
  t.match(byKey.get('name'), { field_type: 'varchar', edit_flag: false, mandatory_flag: true }, 'a system field')
  t.same(listed.body.additional_data, { pagination: { start: 0, limit: 100, more_items_in_collection: false } }, '[responses] the pagination object')
  const page = await call('GET', '/api/v1/personFields?start=5&limit=5')
  t.equal(page.body.data.length, 5)
  t.same(page.body.additional_data.pagination, { start: 5, limit: 5, more_items_in_collection: true, next_start: 10 }, 'next_start while more items remain')
  await violates(t, double, () => call('GET', '/v1/personFields?start=-1'), /start: must not be negative/, 'a negative start')
  await violates(t, double, () => call('GET', '/v1/personFields?cursor=abc'), /cursor: Parameter 'cursor' is not allowed/, 'v2 paging on v1')
})

t.test('[deprecation] the v1 persons endpoints are not served (v2 only)', async (t) => {
  const double = await start(t)
  const call = client(double.url)
  for (const [method, path] of [['POST', '/v1/persons'], ['GET', '/v1/persons/1'], ['PUT', '/v1/persons/1'], ['GET', '/v1/persons/search?term=am'], ['GET', '/api/v1/persons/1']] as const) {
    const answer = await call(method, path, method === 'GET' ? undefined : amelia)
    t.equal(answer.status, 404, `${method} ${path}: 404`)
    t.match(answer.body, { success: false, error: /API v2 only/ })
  }
  t.equal(double.persons.size, 0)
})

// ---------------------------------------------------------------------------------------------
// Rate limits

t.test('[rate-limits] x-ratelimit-* headers on every answer; 429 past the per-token window; a new window answers again', async (t) => {
  let clock = 1_000_000
  const double = await start(t, { now: () => clock, burstRateLimit: { max: 3, windowMs: 2000 }, accessToken: ACCESS })
  const call = client(double.url)
  const first = await call('POST', '/api/v2/persons', amelia)
  t.same(['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'].map((h) => first.headers.get(h)), ['3', '2', '2'], 'limit, remaining, seconds to reset')
  clock += 500
  const second = await call('GET', '/api/v2/persons/1')
  t.same([second.headers.get('x-ratelimit-remaining'), second.headers.get('x-ratelimit-reset')], ['1', '2'])
  const refusedShape = await call('GET', '/api/v2/persons/abc')
  t.equal(refusedShape.status, 400, 'a refused request still counts')
  t.equal(refusedShape.headers.get('x-ratelimit-remaining'), '0')
  const over = await call('GET', '/api/v2/persons/1')
  t.equal(over.status, 429, 'over the window: 429')
  t.match(over.body, { success: false, error: 'Too Many Requests', error_info: String, data: null, additional_data: null }, '[responses] the error envelope (silent: wording)')
  t.same([over.headers.get('x-ratelimit-remaining'), over.headers.get('x-ratelimit-reset'), over.headers.get('retry-after')], ['0', '2', null], 'remaining 0; reset in 2 s (1.5 s rounded up); no Retry-After (none documented)')
  t.equal((await client(double.url, { bearer: ACCESS })('GET', '/api/v2/persons/1')).status, 200, '[rate-limits] "per token": the OAuth token has its own window')
  clock += 1500
  t.equal((await call('GET', '/api/v2/persons/1')).status, 200, 'the first request left the window: answered again')
  double.setBurstRateLimit({ max: 1, windowMs: 2000 })
  double.resetRateWindows()
  t.equal((await call('GET', '/api/v2/persons/1')).status, 200)
  t.equal((await call('GET', '/api/v2/persons/1')).status, 429, 'setBurstRateLimit applies at once')
})

t.test('[search-limit] search has its own window; the other endpoints keep answering', async (t) => {
  const clock = 2_000_000
  const double = await start(t, { now: () => clock, searchRateLimit: DOCUMENTED_LIMITS.search })
  const call = client(double.url)
  for (let i = 0; i < 10; i++) t.equal((await call('GET', '/api/v2/persons/search?term=am')).status, 200, `search ${i + 1} of 10 in 2 s`)
  const over = await call('GET', '/api/v2/persons/search?term=am')
  t.equal(over.status, 429, 'the eleventh: 429')
  t.equal(over.headers.get('x-ratelimit-limit'), '10', 'the search window\'s headers')
  const other = await call('GET', '/api/v2/personFields')
  t.equal(other.status, 200, 'other endpoints: their own window')
  t.equal(other.headers.get('x-ratelimit-limit'), '1000', 'default burst window (generous)')
  double.setSearchRateLimit({ max: 20, windowMs: 2000 })
  t.equal((await call('GET', '/api/v2/persons/search?term=am')).status, 200, 'setSearchRateLimit applies at once')
})

t.test('[rate-limits] the daily token budget: each call costs its x-token-cost; spent → 429 until the next day (UTC)', async (t) => {
  let clock = Date.UTC(2026, 4, 10, 22, 0, 0)
  const double = await start(t, { now: () => clock, dailyTokenBudget: 30 })
  const call = client(double.url)
  await call('POST', '/api/v2/persons', amelia) // 5
  await call('GET', '/api/v2/persons/1') // 1
  await call('PATCH', '/api/v2/persons/1', { name: 'Amelia O.' }) // 5
  await call('GET', '/api/v2/persons/search?term=am') // 20
  t.equal(double.tokensSpent, TOKEN_COSTS['POST /api/v2/persons']! + 1 + 5 + 20, '[description] x-token-cost: add 5, get 1, update 5, search 20')
  const spent = await call('GET', '/api/v2/persons/1')
  t.equal(spent.status, 429, 'the budget spent: 429 for every call')
  t.match(spent.body, { success: false, error: 'Daily API token budget exhausted' })
  t.equal((await call('POST', '/api/v2/persons', { emails: [] })).status, 429, 'even a malformed one')
  t.match(double.violations, [{ url: '/api/v2/persons', problems: [/Either name or both/] }], 'whose shape is still recorded')
  t.equal((await client(double.url, { header: 'wrong' })('GET', '/api/v2/persons/1')).status, 401, 'authentication comes first')
  clock = Date.UTC(2026, 4, 11, 0, 0, 1)
  t.equal((await call('GET', '/api/v2/persons/1')).status, 200, 'a new day (UTC): the budget is renewed')
  t.equal(double.tokensSpent, 1)
  double.setDailyTokenBudget(1)
  t.equal((await call('GET', '/api/v2/persons/1')).status, 429, 'setDailyTokenBudget applies at once')
  t.same(TOKEN_COSTS['GET /v1/personFields'], 20, 'v1 personFields costs twice its v2 replacement')
  t.same(TOKEN_COSTS['GET /api/v2/personFields'], 10)
})
