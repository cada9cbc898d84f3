/**
 * The resilience promises of README "Resilience", each staged through a real HTTP fault proxy
 * between the gateway and the real demo CRM (and, for lost create answers, the HubSpot double),
 * with the shipped default timings and with short ones. Every case is one that broke when the
 * gateway was tried from outside:
 *
 * 1. POS devices hanging up must not trip a breaker for every store;
 * 2. a burst of queued updates of one customer must not open a circuit, nor be half-applied;
 * 3. a coalesced GET must not inherit the first device's fate;
 * 4. a create whose answer was lost must not be made twice by the POS's retries;
 * 5. a CRM's Retry-After must reach the till clamped, and throttling must hold calls back;
 * 6. a phone typed in any common form must find a number stored in any common form;
 * 7. an update must not create a loyalty profile without a sign-up.
 */
import t, { type Test } from 'tap'
import { call, seedContact, startDemoCrm, type RunningCrm } from '../demo-crm/fixtures/harness.js'
import { startFaultProxy, type FaultProxy } from '../fakes/fault-proxy.js'
import { SPI, startGateway, type Gateway } from '../helpers/gateway-over-demo-crm.js'
import { startGatewayOverHubSpot, startHubSpot } from '../helpers/gateway-over-hubspot.js'
import { answered, listen, pos, resilienceOf, TIMINGS, type TimingName } from '../helpers/pos-http.js'

const unhandled: unknown[] = []
process.on('unhandledRejection', (reason) => unhandled.push(reason))

interface Rig {
  readonly crm: RunningCrm
  readonly proxy: FaultProxy
  readonly gw: Gateway
  readonly deadlineMs: number
  readonly attemptMs: number
}

async function rig(t: Test, timing: TimingName, overrides: Record<string, unknown> = {}): Promise<Rig> {
  const crm = await startDemoCrm(t)
  const proxy = await startFaultProxy({ target: crm.baseUrl })
  t.teardown(() => proxy.close())
  const gw = await startGateway(t, proxy.url, { resilience: TIMINGS[timing], ...overrides })
  const { requestDeadlineMs, breaker } = resilienceOf(timing)
  return { crm, proxy, gw, deadlineMs: requestDeadlineMs, attemptMs: breaker.timeoutMs }
}

async function contactsWhere(crm: RunningCrm, filter: string): Promise<Array<Record<string, unknown>>> {
  const page = await call(crm, 'GET', `/api/v1/contacts?filter=${encodeURIComponent(filter)}&size=100`)
  return page.body.data as Array<Record<string, unknown>>
}

async function breakers(gw: Gateway): Promise<Record<string, string>> {
  return (await gw.app.inject({ method: 'GET', url: '/readyz' })).json().breakers
}

for (const timing of Object.keys(TIMINGS) as TimingName[]) {
  t.test(`[${timing} timings] 1. devices hanging up never trip a breaker`, async (t) => {
    const { crm, proxy, gw, attemptMs } = await rig(t, timing)
    const ids = await Promise.all(Array.from({ length: 21 }, (_, i) => seedContact(crm, { FNAME: `Hang${i}` })))
    const base = `${await listen(gw.app)}${SPI}`
    // The CRM answers every GET healthily, well within an attempt's time; 20 tills give up while it is answering.
    await proxy.setFault({ kind: 'slow', delayMs: Math.round(attemptMs * 0.6) }, { match: { method: 'GET' } })
    const tills = new AbortController()
    const waiting = ids.slice(0, 20).map((id) => pos(`${base}/${id}`, { giveUp: tills.signal }))
    while (proxy.received < 20) await new Promise((r) => setTimeout(r, 5))
    tills.abort()
    const gone = await Promise.all(waiting)
    t.ok(gone.every((a) => a === 'gave up'), 'every till gave up')
    await proxy.whenIdle(5000)
    t.equal(proxy.forwarded, 20, 'each attempt was still made to the CRM, and ran to its end')
    t.same(await breakers(gw), { get: 'closed', search: 'closed', create: 'closed', update: 'closed' }, 'the circuit stays closed')
    const bystander = await answered(`${base}/${ids[20]}`)
    t.equal(bystander.status, 200, "a bystander's GET is answered")
    t.equal(bystander.json.customer.profile.firstName, 'Hang20')
    const metrics = (await gw.app.inject({ method: 'GET', url: '/metrics' })).body
    t.match(metrics, /spi_requests_abandoned_total\{operation="GET_CUSTOMER"\} 20/, 'the hang-ups are counted as such, not as CRM timeouts')
    t.notMatch(metrics, /status="504"/, 'no request was answered as a CRM timeout')
  })

  t.test(`[${timing} timings] 2. 50 queued updates of one customer: no circuit opens, none half-applied, retries converge`, async (t) => {
    const { crm, proxy, gw } = await rig(t, timing)
    const id = await seedContact(crm, { FNAME: 'Queue' })
    const bystanderId = await seedContact(crm, { FNAME: 'Other' })
    // A healthy CRM adding 0–50 ms to every call.
    await proxy.setFault({ kind: 'slow', delayMs: 0, jitterMs: 50 })
    const line = (i: number): string => `${i} Queue Street`
    const put = (i: number) =>
      gw.inject({ method: 'PUT', url: SPI, payload: { profile: { customerId: id }, addressList: [{ addressLine1: line(i), city: 'Austin', postalCode: '78701', countryCode: 'US' }] } })
    const first = await Promise.all(Array.from({ length: 50 }, (_, i) => put(i)))
    const ok = new Set(first.flatMap((a, i) => (a.statusCode === 200 ? [line(i)] : [])))
    const refused = first.filter((a) => a.statusCode !== 200)
    t.same([...new Set(refused.map((a) => `${a.statusCode} ${a.json().errorCode}`))], refused.length ? ['504 CRM_TIMEOUT'] : [], 'the only refusal: its deadline passed while it waited its turn')
    t.same(await breakers(gw), { get: 'closed', search: 'closed', create: 'closed', update: 'closed' }, 'no circuit opened')
    t.equal((await gw.inject({ method: 'GET', url: `${SPI}/${bystanderId}` })).statusCode, 200, 'an unrelated customer is served')
    const stored = async (): Promise<string[]> => ((await call(crm, 'GET', `/api/v1/contacts/${id}`)).body.ADDRESSES ?? []).map((a: { LINE1: string }) => a.LINE1)
    t.same(new Set(await stored()), ok, 'every update answered 200 is in the CRM, and no refused one')
    const patches = proxy.forwardedRequests().filter((r) => r.method === 'PATCH').length
    t.equal(patches, ok.size, 'a refused update never reached the CRM')

    // The associates retry what was refused, until all are in.
    let pending = first.flatMap((a, i) => (a.statusCode === 200 ? [] : [i]))
    for (let round = 0; pending.length > 0 && round < 10; round++) {
      const again = await Promise.all(pending.map((i) => put(i)))
      pending = pending.filter((_, j) => again[j]?.statusCode !== 200)
    }
    t.same(pending, [], 'the retries converge')
    const lines = await stored()
    t.equal(lines.length, 50, 'all 50 addresses are listed…')
    t.equal(new Set(lines).size, 50, '…each once')
  })

  t.test(`[${timing} timings] 3. a coalesced GET does not inherit the first device's fate`, async (t) => {
    const { crm, proxy, gw, deadlineMs, attemptMs } = await rig(t, timing)
    const id = await seedContact(crm, { FNAME: 'Shared' })
    const base = `${await listen(gw.app)}${SPI}`
    const crmMs = Math.round(Math.min(deadlineMs, attemptMs) * 0.6)
    await proxy.setFault({ kind: 'slow', delayMs: crmMs }, { match: { method: 'GET' } })
    const a = pos(`${base}/${id}`, { giveUpMs: Math.round(crmMs / 3) })
    while (proxy.received === 0) await new Promise((r) => setImmediate(r))
    const b = answered(`${base}/${id}`)
    t.equal(await a, 'gave up', 'device A gives up')
    const answer = await b
    t.equal(answer.status, 200, 'device B, with time left, gets the customer')
    t.equal(answer.json.customer.profile.firstName, 'Shared')
    t.equal(proxy.forwarded, 1, 'from the one shared CRM call')
  })

  t.test(`[${timing} timings] 4. a create whose answer was lost is never made twice`, async (t) => {
    const { crm, proxy, gw, deadlineMs } = await rig(t, timing)
    const body = { customer: { profile: { firstName: 'Lost', lastName: 'Answer', email: `lost.${timing}@example.com` } } }
    // The CRM creates the customer at once and answers after the gateway's deadline.
    await proxy.setFault({ kind: 'late-answer', delayMs: deadlineMs + 400 }, { match: { method: 'POST' } })
    const started = performance.now()
    const first = await gw.inject({ method: 'POST', url: SPI, payload: body, headers: { 'idempotency-key': 'lost-1' } })
    t.equal(first.statusCode, 504, 'the first attempt times out')
    t.equal(first.json().errorCode, 'CRM_TIMEOUT')
    t.ok(performance.now() - started < deadlineMs + 300, 'within the deadline')
    await proxy.whenIdle(deadlineMs + 2000)
    await proxy.clearFaults()
    const inCrm = await contactsWhere(crm, `EMAIL:eq:${body.customer.profile.email}`)
    t.equal(inCrm.length, 1, 'the CRM did create the customer')
    const firstId = inCrm[0]?.['CONTACT_ID']

    const withKey = await gw.inject({ method: 'POST', url: SPI, payload: body, headers: { 'idempotency-key': 'lost-1' } })
    t.equal(withKey.statusCode, 200, 'the retry with the key is answered…')
    t.equal(withKey.json().customer.profile.customerId, firstId, '…with the customer the first attempt made')
    const withoutKey = await gw.inject({ method: 'POST', url: SPI, payload: body })
    t.equal(withoutKey.json().customer.profile.customerId, firstId, 'so is a retry without the key')
    // Another instance (or this one after a restart) knows nothing of the first attempt: the
    // CRM refuses the e-mail as taken, and the marker shows it is the associate's own customer.
    const other = await startGateway(t, proxy.url, { resilience: TIMINGS[timing] })
    const elsewhere = await other.inject({ method: 'POST', url: SPI, payload: body })
    t.equal(elsewhere.statusCode, 200, 'a retry with the e-mail taken is not a 409…')
    t.equal(elsewhere.json().customer.profile.customerId, firstId, '…but the first customer')
    t.equal((await contactsWhere(crm, `EMAIL:eq:${body.customer.profile.email}`)).length, 1, 'the CRM holds exactly one')
  })

  t.test(`[${timing} timings] 4. a POS that gives up and retries twice makes one customer`, async (t) => {
    const { crm, proxy, gw, deadlineMs } = await rig(t, timing)
    const base = `${await listen(gw.app)}${SPI}`
    // No e-mail: nothing in the CRM would refuse a second customer.
    const body = { profile: { firstName: `Patient${timing}`, lastName: 'Till' } }
    await proxy.setFault({ kind: 'late-answer', delayMs: Math.round(deadlineMs * 0.7) }, { match: { method: 'POST' } })
    const patience = Math.round(deadlineMs * 0.2)
    const tries: Array<Awaited<ReturnType<typeof pos>>> = []
    for (let i = 0; i < 3; i++) tries.push(await pos(base, { method: 'POST', body, giveUpMs: patience }))
    t.equal(tries[0], 'gave up', 'the till gives up on the first attempt')
    const last = await answered(base, { method: 'POST', body })
    t.equal(last.status, 200, 'the last retry is answered')
    const made = await contactsWhere(crm, `FNAME:eq:${body.profile.firstName}`)
    t.equal(made.length, 1, 'the CRM holds one customer')
    t.equal(last.json.customer.profile.customerId, made[0]?.['CONTACT_ID'], 'the one answered')
    for (const answer of tries) {
      // On a loaded machine a retry may be answered before its till gives up: with the same customer.
      if (answer !== 'gave up') t.equal(answer.json.customer.profile.customerId, made[0]?.['CONTACT_ID'], 'an answered retry: the same customer')
    }
    t.equal(proxy.forwardedRequests().filter((r) => r.method === 'POST').length, 1, 'created once')
  })

  t.test(`[${timing} timings] 4. over HubSpot too: a lost create answer is reconciled`, async (t) => {
    const hubspot = await startHubSpot(t)
    const proxy = await startFaultProxy({ target: hubspot.url })
    t.teardown(() => proxy.close())
    const gw = await startGatewayOverHubSpot(t, proxy.url, { resilience: TIMINGS[timing] })
    const { requestDeadlineMs } = resilienceOf(timing)
    const body = { customer: { profile: { firstName: 'Hub', lastName: 'Lost', email: `hub.lost.${timing}@example.com` } } }
    await proxy.setFault({ kind: 'late-answer', delayMs: requestDeadlineMs + 400 }, { match: { method: 'POST', path: /\/crm\/v3\/objects\/contacts$/ } })
    const first = await gw.inject({ method: 'POST', url: SPI, payload: body, headers: { 'idempotency-key': 'hub-1' } })
    t.equal(first.statusCode, 504)
    await proxy.whenIdle(requestDeadlineMs + 2000)
    await proxy.clearFaults()
    t.equal(hubspot.contacts.size, 1, 'HubSpot created the contact')
    const [firstId] = [...hubspot.contacts.keys()]
    for (const headers of [{ 'idempotency-key': 'hub-1' }, {}]) {
      const retry = await gw.inject({ method: 'POST', url: SPI, payload: body, headers })
      t.equal(retry.statusCode, 200)
      t.equal(retry.json().customer.profile.customerId, firstId, `a retry ${'idempotency-key' in headers ? 'with' : 'without'} the key answers the first contact`)
    }
    const other = await startGatewayOverHubSpot(t, proxy.url, { resilience: TIMINGS[timing] })
    const elsewhere = await other.inject({ method: 'POST', url: SPI, payload: body })
    t.equal(elsewhere.json().customer?.profile.customerId, firstId, 'on another instance, the duplicate e-mail is recognised as its own')
    t.equal(hubspot.contacts.size, 1, 'HubSpot holds exactly one')
    const lookups = proxy.forwardedRequests().filter((r) => r.path.includes('idProperty=clienteling_create_request_id'))
    t.ok(lookups.length >= 1, 'found by its creation marker with an exact read (idProperty), not through the lagging search index')
    t.equal(proxy.forwardedRequests().filter((r) => r.path.startsWith('/crm/v3/objects/contacts/search')).length, 0, 'no search at all')
  })

  t.test(`[${timing} timings] 5. a CRM's Retry-After reaches the till clamped; throttling holds calls back and opens no circuit`, async (t) => {
    const { crm, proxy, gw } = await rig(t, timing)
    const id = await seedContact(crm, { FNAME: 'Throttled' })
    await proxy.setFault({ kind: 'throttle-429', retryAfterSeconds: 7200 }, { match: { method: 'GET', path: /contacts\/C/ } })
    const first = await gw.inject({ method: 'GET', url: `${SPI}/${id}` })
    t.equal(first.statusCode, 429)
    t.equal(first.json().errorCode, 'CRM_RATE_LIMITED')
    t.equal(first.headers['retry-after'], '60', 'two hours asked, one minute told')
    const reached = proxy.received
    for (let i = 0; i < 12; i++) {
      const again = await gw.inject({ method: 'GET', url: `${SPI}/${id}` })
      t.equal(again.statusCode, 429)
      t.ok(Number(again.headers['retry-after']) <= 60)
    }
    t.equal(proxy.received, reached, 'while the window runs, the CRM is not called')
    t.equal((await gw.inject({ method: 'GET', url: `${SPI}?firstName=thr` })).statusCode, 200, 'other operations go on')

    await proxy.setFault({ kind: 'salesforce-limit' }, { match: { path: /filter=/ } })
    const quota = await gw.inject({ method: 'GET', url: `${SPI}?firstName=x` })
    t.equal(quota.statusCode, 429)
    t.equal(quota.json().errorCode, 'CRM_QUOTA_EXHAUSTED', 'a spent quota is said as such')
    t.equal(quota.headers['retry-after'], '60')
    t.match(quota.json().errorMessage, /usage limit/)
    t.same(await breakers(gw), { get: 'closed', search: 'closed', create: 'closed', update: 'closed' }, 'throttling opened no circuit')
  })

  t.test(`[${timing} timings] 6. a phone in any common form finds a number stored in any common form`, async (t) => {
    const { crm, gw } = await rig(t, timing)
    const national = await seedContact(crm, { FNAME: 'Nat', MOBILE_PHONE: '(415) 555-0177' })
    const dotted = await seedContact(crm, { FNAME: 'Dot', HOME_PHONE: '415.555.0188' })
    const international = await seedContact(crm, { FNAME: 'Intl', WORK_PHONE: '+1 415 555 0199' })
    await seedContact(crm, { FNAME: 'Elsewhere', MOBILE_PHONE: '+44 4155 550177' })
    const found = async (qs: string): Promise<string[]> => {
      const r = await gw.inject({ method: 'GET', url: `${SPI}?${qs}` })
      t.equal(r.statusCode, 200, qs)
      return r.json().customers.map((c: { profile: { customerId: string } }) => c.profile.customerId)
    }
    for (const [id, typed] of [
      [national, ['4155550177', '(415)%20555-0177', '%2B14155550177', '1-415-555-0177']],
      [dotted, ['4155550188', '%2B1%20415%20555%200188']],
      [international, ['(415)%20555-0199', '14155550199']]
    ] as const) {
      for (const form of typed) {
        t.same(await found(`phone=${form}`), [id], `phone=${decodeURIComponent(form)} finds it`)
        t.same(await found(`customerId=${id}&phone=${form}`), [id], `and so does customerId=…&phone=${decodeURIComponent(form)}`)
      }
    }
    t.same(await found('phone=4155550100'), [], 'another number finds nothing')
    t.same(await found(`customerId=${national}&phone=4155550188`), [], 'the id with another number: nothing')
  })

  t.test(`[${timing} timings] 7. an update never creates a loyalty profile without a sign-up`, async (t) => {
    const { crm, gw } = await rig(t, timing)
    const id = await seedContact(crm, { FNAME: 'Bob' })
    const r = await gw.inject({ method: 'PUT', url: SPI, payload: { profile: { customerId: id }, loyaltyProfile: { firstName: 'Robert' } } })
    t.equal(r.statusCode, 200)
    t.notOk('loyaltyProfile' in r.json().customer, 'no loyalty profile in the answer')
    t.notOk('LOYALTY' in (await call(crm, 'GET', `/api/v1/contacts/${id}`)).body, 'nor in the CRM')
    const moved = await gw.inject({
      method: 'PUT',
      url: SPI,
      payload: { profile: { customerId: id, address: { addressLine1: '1 New St', city: 'Austin', postalCode: '78701', countryCode: 'US' } } }
    })
    t.notOk('loyaltyProfile' in moved.json().customer, 'a later address edit is not mirrored into one')
    const joined = await gw.inject({ method: 'PUT', url: SPI, payload: { profile: { customerId: id }, consents: { loyaltySignUp: true } } })
    t.equal(joined.json().customer.loyaltyProfile?.firstName, 'Bob', 'signing up does create it')
  })
}

t.test('no unhandled rejection in any case', async (t) => {
  t.same(unhandled, [])
})
