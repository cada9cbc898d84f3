/**
 * The whole path over Dynamics 365: POS request → contract → customer service →
 * mappings/dynamics365.yaml → dynamics365 adapter (from the registry, as configured: adapter
 * `dynamics365`, base URL and token authority pointed at the Dataverse double) → HTTP → the
 * double → back. Both servers listen on loopback.
 */
import t from 'tap'
import { posCall as call } from '../helpers/pos-call.js'
import { expectScenario1AsExample, expectScenario3Addresses, firstNamesFound, putScenario } from '../helpers/vendor-scenarios.js'
import { runCrmCli } from '../../src/cli/crm.js'
import { configFileWriter } from '../helpers/config-files.js'
import { CLIENTELING_COLUMNS, CLIENT_ID, CLIENT_SECRET, SPI, TENANT_ID, startDataverse, startGatewayOverDynamics365 } from '../helpers/gateway-over-dynamics365.js'
import { example } from '../helpers/spi-examples.js'
import { expectSearchByEveryParameter } from '../helpers/spi-search-checks.js'

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

t.test('the three vendor scenarios, searches and Dataverse-specific answers — over real HTTP', async (t) => {
  const dataverse = await startDataverse(t)
  const { app } = await startGatewayOverDynamics365(t, dataverse)
  const base = `${await app.listen({ host: '127.0.0.1', port: 0 })}${SPI}`
  const stored = (id: string): Record<string, unknown> => Object.fromEntries(dataverse.contacts.get(id)?.columns ?? [])
  const patches = () => dataverse.requests.filter((r) => r.method === 'PATCH')

  // Scenario 1: create with loyalty sign-up.
  const created = await call('POST', base, example('1-create-with-loyalty.request'))
  t.equal(created.status, 200)
  const c1 = created.json.customer
  const want1 = example('1-create-with-loyalty.response').customer
  t.match(c1.profile.customerId, GUID, 'Dataverse assigned its id (a GUID)')
  expectScenario1AsExample(t, c1)
  const id = c1.profile.customerId as string

  t.match(stored(id), {
    firstname: 'Amelia', emailaddress1: 'amelia.okafor@example.com', mobilephone: '+14155550142', birthdate: '1990-04-17',
    address1_line1: '500 Howard St', address1_line2: 'Apt 12', address1_city: 'San Francisco', address1_postalcode: '94105', address1_country: 'US',
    cg_consentterms: true, cg_consentloyalty: true, cg_consentnewsletter: false, cg_homestore: 'SF-UNION-SQ', cg_enrolledby: 'A-1043'
  }, 'Dataverse holds standard and custom columns, in their own types')
  t.same(JSON.parse(String(stored(id)['cg_addresslist'])), want1.addressList, 'the address list as JSON in one column')
  const post = dataverse.requests.find((r) => r.method === 'POST' && r.url.startsWith('/api/'))
  t.match(post?.headers, { prefer: 'return=representation', 'mscrm.suppressduplicatedetection': 'false' }, 'created with the row returned, duplicate rules applied')

  // Scenario 2: save a shipping address to the profile.
  const u2 = await putScenario(t, base, id, '2-update-save-shipping-address')
  t.same(u2.json.customer.addressList, example('2-update-save-shipping-address.response').customer.addressList, 'scenario 2: appended, first kept')
  t.same(Object.keys(patches().at(-1)?.body as object), ['cg_addresslist'], 'the PATCH carried only the changed column')
  t.match(patches().at(-1)?.headers['if-match'], /^W\/"\d+"$/, 'at the version read (If-Match: the @odata.etag)')

  // Scenario 3: edit the profile address.
  const u3 = await putScenario(t, base, id, '3-update-profile-address')
  const want3 = example('3-update-profile-address.response').customer
  expectScenario3Addresses(t, u3)
  t.same(u3.json.customer.addressList, want3.addressList, 'scenario 3: appended')
  t.notOk('address1_line2' in stored(id), 'the old addressLine2 is cleared in Dataverse')
  t.equal((patches().at(-1)?.body as Record<string, unknown>)['address1_line2'], null, 'sent as null')

  // The loyalty system writes the account number; searches are not cached, so they show it.
  dataverse.setColumns(id, { cg_loyaltyaccountnumber: 'LY0000000042' })
  const amos = await call('POST', base, { customer: { profile: { firstName: 'Amos', lastName: 'Okoye', email: 'amos@example.com', phoneHome: '+1 415 555 0199' } } })
  t.equal(amos.status, 200)

  const search = firstNamesFound(t, base)
  await expectSearchByEveryParameter(t, search, { customerId: id, loyaltyId: 'LY0000000042' })
  t.same(await search('phoneNumber=4155550199'), ['Amos'], 'phone across the contact phone columns')

  // Hostile values reach Dataverse as literals: found when a customer holds them, nothing else.
  const obrien = await call('POST', base, { customer: { profile: { firstName: "D'Arcy & Co", lastName: "O'Brien-100%_#+/ü", email: 'darcy@example.com' } } })
  t.equal(obrien.status, 200)
  t.same(await search(`lastName=${encodeURIComponent("o'brien-100%_#+/Ü")}`), ["D'Arcy & Co"], 'quotes, &, %, _, #, +, / and unicode: the customer holding them')
  t.same(await search(`lastName=${encodeURIComponent("' or 1 eq 1")}`), [], "' or 1 eq 1 is a name nobody has")
  t.same(await search(`lastName=${encodeURIComponent('%')}`), [], '% is a character, not a wildcard')
  t.same(await search(`firstName=${encodeURIComponent("d'arcy &")}`), ["D'Arcy & Co"], 'a first name with a quote and an ampersand')

  const missing = await call('GET', `${base}/00000000-0000-4000-8000-00000000dead`)
  t.same([missing.status, missing.json.errorCode], [404, 'CUSTOMER_NOT_FOUND'])
  t.equal((await call('GET', `${base}/C00000001`)).status, 404, 'an id Dataverse cannot have: not found')
  const ghost = await call('PUT', base, { customer: { profile: { customerId: '00000000-0000-4000-8000-00000000beef', firstName: 'Ghost' } } })
  t.equal(ghost.status, 404, 'an update of an unknown id is not found')
  t.notOk(dataverse.contacts.has('00000000-0000-4000-8000-00000000beef'), 'and created nothing (If-Match: *, never an upsert)')

  const duplicate = await call('POST', base, { profile: { firstName: 'Dup', email: 'AMOS@example.com' } })
  t.same([duplicate.status, duplicate.json.errorCode], [409, 'DUPLICATE_CUSTOMER'], "the duplicate detection rule's refusal (500 0x80040333)")

  const tooLong = await call('PUT', base, { customer: { profile: { customerId: id, firstName: 'A'.repeat(60) } } })
  t.same([tooLong.status, tooLong.json.errorCode], [400, 'CRM_VALIDATION_FAILED'], "Dataverse's length check (firstname holds 50)")
  t.match(tooLong.json.errorMessage, /firstname/, 'naming the column')

  const deep = await call('GET', `${base}?lastName=ok&offset=490&limit=20`)
  t.same([deep.status, deep.json.errorCode], [400, 'PAGING_OUT_OF_RANGE'], 'past the first 500 matches: refused, not walked')
  t.same(dataverse.violations, [], 'no request against documented practice')
  t.equal(dataverse.upsertCreates, 0)
  t.equal(dataverse.tokensIssued, 1, 'one token for the whole run (cached)')
})

t.test('two gateways appending addresses to one customer at once: the ETag keeps both', async (t) => {
  const dataverse = await startDataverse(t)
  const one = await startGatewayOverDynamics365(t, dataverse)
  const two = await startGatewayOverDynamics365(t, dataverse)
  const created = await one.inject({ method: 'POST', url: SPI, payload: { customer: { profile: { firstName: 'Ada', lastName: 'Lovelace' } } } })
  const id = created.json().customer.profile.customerId as string
  const address = (line: string) => ({ customer: { profile: { customerId: id }, addressList: [{ addressLine1: line, city: 'London', countryCode: 'GB' }] } })
  const answers = await Promise.all([
    ...['1 A St', '2 B St', '3 C St'].map((line) => one.inject({ method: 'PUT', url: SPI, payload: address(line) })),
    ...['4 D St', '5 E St', '6 F St'].map((line) => two.inject({ method: 'PUT', url: SPI, payload: address(line) }))
  ])
  const lines = ['1 A St', '2 B St', '3 C St', '4 D St', '5 E St', '6 F St']
  const list = JSON.parse(String(dataverse.contacts.get(id)?.columns.get('cg_addresslist'))) as { addressLine1: string }[]
  const storedLines = new Set(list.map((a) => a.addressLine1))
  const accepted = lines.filter((_, i) => answers[i]?.statusCode === 200)
  t.ok(accepted.length >= 4, `${accepted.length} of 6 appends answered 200`)
  t.same(accepted.filter((line) => !storedLines.has(line)), [], 'every append answered 200 is stored: none lost')
  const refused = answers.filter((a) => a.statusCode !== 200).map((a) => [a.statusCode, a.json().errorCode])
  t.same(refused, refused.map(() => [409, 'UPDATE_CONFLICT']), 'an append that lost every retry is refused as a conflict, truthfully, never dropped silently')
  const stale = dataverse.requests.filter((r) => r.method === 'PATCH').length - accepted.length
  t.ok(stale > 0, `${stale} PATCH(es) refused as stale (412) and retried after a re-read`)
})

t.test("Dataverse's service protection 429 as the POS sees it: Retry-After passed on, clamped", async (t) => {
  // Three requests in the window: the start-up column check, then two searches.
  const dataverse = await startDataverse(t, { serviceProtection: { maxRequests: 3, windowMs: 300_000 } })
  const { app } = await startGatewayOverDynamics365(t, dataverse)
  const base = `${await app.listen({ host: '127.0.0.1', port: 0 })}${SPI}`
  t.equal((await call('GET', `${base}?lastName=ok`)).status, 200)
  t.equal((await call('GET', `${base}?lastName=ok`)).status, 200)
  const throttled = await call('GET', `${base}?lastName=ok`)
  t.same([throttled.status, throttled.json.errorCode], [429, 'CRM_RATE_LIMITED'])
  const wait = Number(throttled.headers.get('retry-after'))
  t.ok(wait >= 1 && wait <= 300, `Retry-After ${wait}: Dataverse's wait, within the window`)
})

t.test('readiness names the custom columns the contact table lacks, until an administrator adds them', async (t) => {
  const dataverse = await startDataverse(t, { provisioned: false })
  const gateway = await startGatewayOverDynamics365(t, dataverse)
  const unready = await gateway.app.inject({ method: 'GET', url: '/readyz' })
  t.equal(unready.statusCode, 503, 'not ready: its creates would fail')
  const body = unready.json()
  t.ok(body.fields.missing.includes('cg_consentterms') && body.fields.missing.includes('cg_addresslist'), 'the custom columns named')
  t.notOk(body.fields.missing.includes('emailaddress1'), 'none of the standard ones')
  const create = await gateway.inject({ method: 'POST', url: SPI, payload: example('1-create-with-loyalty.request') })
  t.same([create.statusCode, create.json().errorCode], [400, 'CRM_VALIDATION_FAILED'], 'what a create meets meanwhile: Dataverse refuses unknown columns')

  dataverse.addColumns(CLIENTELING_COLUMNS)
  const after = await startGatewayOverDynamics365(t, dataverse)
  const ready = await after.app.inject({ method: 'GET', url: '/readyz' })
  t.same([ready.statusCode, ready.json().fields], [200, { status: 'ok' }], 'columns added: ready')
  t.equal((await after.inject({ method: 'POST', url: SPI, payload: example('1-create-with-loyalty.request') })).statusCode, 200)
})

t.test('`crm check` and `crm provision` as the administrator runs them: missing columns named, none created, no secret printed', async (t) => {
  const dataverse = await startDataverse(t, { provisioned: false })
  const config = configFileWriter('d365-crm-cli-')(
    'gateway.yaml',
    [
      'crm:',
      '  adapter: dynamics365',
      `  baseUrl: ${dataverse.url}`,
      '  options:',
      `    tenantId: ${TENANT_ID}`,
      `    clientId: ${CLIENT_ID}`,
      '    clientSecret: { fromEnv: TEST_D365_SECRET }',
      `    authorityHost: ${dataverse.url}`,
      `    scope: ${dataverse.url}/.default`,
      ''
    ].join('\n')
  )
  const run = async (argv: string[]) => {
    let out = ''
    let err = ''
    const code = await runCrmCli(argv, { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) }, env: { GATEWAY_CONFIG: config, TEST_D365_SECRET: CLIENT_SECRET } })
    return { code, out, err }
  }
  const check = await run(['check'])
  t.equal(check.code, 1, 'exit 1 while columns are missing')
  t.match(check.out, /^missing {5}cg_consentterms$/m, 'each missing column named')
  t.notMatch(check.out, /missing {5}(emailaddress1|firstname|birthdate)$/m, 'the standard columns are there')
  const provision = await run(['provision'])
  t.equal(provision.code, 1, 'still missing: Dataverse columns are made by an administrator')
  t.match(provision.out, /create cg_addresslist on the contact table \(Multiple lines of text/)
  t.notOk([...dataverse.columns.keys()].some((name) => name.startsWith('cg_')), 'no column created')
  t.notMatch(check.out + check.err + provision.out + provision.err, new RegExp(CLIENT_SECRET.replace(/[.*+?^${}()|[\]\\~]/g, '\\$&')), 'the secret is never printed')
  dataverse.addColumns(CLIENTELING_COLUMNS)
  t.equal((await run(['check'])).code, 0, 'exit 0 once the administrator added them')
})
