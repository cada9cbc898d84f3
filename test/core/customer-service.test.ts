/**
 * The customer service's rules below the routes: the update plan, address identity, the
 * per-customer queue, and what the service does with a CRM that cannot do something.
 */
import t from 'tap'
import { planUpdate } from '../../src/core/update-plan.js'
import { appendAddresses, replacementAddress, sameAddress } from '../../src/core/address-rules.js'
import { KeyedMutex } from '../../src/core/keyed-mutex.js'
import { CustomerService } from '../../src/core/customer-service.js'
import type { CallContext } from '../../src/core/port.js'
import { GatewayError } from '../../src/spi/error-catalogue.js'
import { MemoryCrm, identityMapper } from '../helpers/memory-crm.js'

const noop = (): void => {}
const log: CallContext['log'] = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, fatal: noop, child: () => log }
const ctx = (): CallContext => ({ signal: new AbortController().signal, log, requestId: 't' })
const home = { addressLine1: '1 Main St', addressLine2: 'Flat 2', city: 'Leeds', postalCode: 'LS1', countryCode: 'GB' }
const work = { addressLine1: '9 Mill Rd', city: 'York', postalCode: 'YO1', countryCode: 'GB' }

t.test('address identity: same addressId, or same normalized place', async (t) => {
  t.ok(sameAddress(home, { ...home, addressLine1: '  1  MAIN st ', city: 'leeds' }), 'trim, spaces, case')
  t.ok(sameAddress({ ...home, addressId: 'A1' }, { ...work, addressId: 'A1' }), 'same id')
  t.notOk(sameAddress(home, { ...home, addressLine2: 'Flat 3' }), 'a different line is a different place')
  t.ok(sameAddress(home, { ...home, firstName: 'Other', phone: '1' }), 'names and phone do not make a place')
  t.same(appendAddresses([home], [home, work, work]), [home, work], 'duplicates in the candidates are dropped too')
  t.equal(appendAddresses([home], [{}]), undefined, 'an empty address is no address')
  t.same(replacementAddress(home, work), { ...work, addressLine2: '' }, 'a replacement clears what the new one lacks')
})

t.test('planUpdate: what an update sends', async (t) => {
  const current = { profile: { customerId: 'C1', firstName: 'A', address: home }, addressList: [home], loyaltyProfile: { accountNumber: 'L1', address: home } }
  t.same(planUpdate(current, { profile: { customerId: 'C1', firstName: 'B' } }), { profile: { firstName: 'B' } }, 'only what was sent; the id is not a field')
  t.same(planUpdate(current, { profile: { customerId: 'C1', address: { ...home } } }), {}, 're-sending the current address changes nothing')
  const moved = planUpdate(current, { profile: { customerId: 'C1', address: work } })
  t.same(moved.profile?.address, { ...work, addressLine2: '' })
  t.same(moved.loyaltyProfile?.address, { ...work, addressLine2: '' }, 'the loyalty address follows')
  t.same(moved.addressList, [home, work], 'appended without the clears')
  const explicit = planUpdate(current, { profile: { customerId: 'C1', address: work }, loyaltyProfile: { address: home } })
  t.same(explicit.loyaltyProfile?.address, home, 'an explicit loyalty address in the same request wins')
  t.same(planUpdate(current, { orderCount: 3, cardList: [1] }), {}, 'read-only summaries are not written')
  const noLoyalty = planUpdate({ profile: { customerId: 'C2' } }, { profile: { customerId: 'C2', address: work } })
  t.notOk(noLoyalty.loyaltyProfile, 'no loyalty profile is created by an address change')
  const fields = planUpdate({ profile: { customerId: 'C2' } }, { profile: { customerId: 'C2' }, loyaltyProfile: { firstName: 'Robert' } })
  t.same(fields, {}, 'nor by loyalty fields sent for a customer without one (CONTRACT §4)')
  const joins = planUpdate({ profile: { customerId: 'C2', firstName: 'Rob' } }, { profile: { customerId: 'C2' }, consents: { loyaltySignUp: true }, loyaltyProfile: { lastName: 'Roe' } })
  t.same(joins.loyaltyProfile, { firstName: 'Rob', lastName: 'Roe' }, 'signing up in the same update does create it')
})

t.test('KeyedMutex: one at a time per key, keys independent, failures isolated', async (t) => {
  const m = new KeyedMutex()
  const log: string[] = []
  let releaseA!: () => void
  const first = m.run('a', async () => {
    log.push('a1 start')
    await new Promise<void>((r) => (releaseA = r))
    log.push('a1 end')
  })
  const second = m.run('a', async () => void log.push('a2'))
  const other = m.run('b', async () => void log.push('b1'))
  await other
  t.same(log, ['a1 start', 'b1'], 'b ran while a1 held a')
  releaseA()
  await Promise.all([first, second])
  t.same(log, ['a1 start', 'b1', 'a1 end', 'a2'], 'a2 waited for a1')
  await t.rejects(m.run('c', async () => Promise.reject(new Error('boom'))), /boom/)
  t.equal(await m.run('c', async () => 'next'), 'next', 'a failure does not block the key')
  t.equal(m.size, 0, 'no keys left behind')
})

t.test('KeyedMutex: a caller that stops waiting is let go at once and its task never runs', async (t) => {
  const m = new KeyedMutex()
  const ran: string[] = []
  let release!: () => void
  const holder = m.run('a', () => new Promise<void>((r) => (release = r)).then(() => void ran.push('holder')))
  const leaving = new AbortController()
  const queued = m.run('a', async () => void ran.push('queued'), leaving.signal)
  const next = m.run('a', async () => void ran.push('next'), new AbortController().signal)
  leaving.abort(new GatewayError('CRM_TIMEOUT', { detail: 'request deadline' }))
  await t.rejects(queued, { code: 'CRM_TIMEOUT' }, 'answered while the holder still runs')
  t.same(ran, [])
  release()
  await Promise.all([holder, next])
  t.same(ran, ['holder', 'next'], 'its turn was skipped; the queue went on')
  t.equal(m.size, 0)

  const running = new AbortController()
  let finish!: () => void
  const task = m.run('b', () => new Promise<string>((r) => (finish = () => r('written'))), running.signal)
  await Promise.resolve()
  running.abort(new GatewayError('CRM_TIMEOUT', { detail: 'request deadline' }))
  finish()
  t.equal(await task, 'written', 'a task already running answers its caller, whatever the signal does then')
})

t.test('service: unsupported search, no-op update, a CRM record without an id', async (t) => {
  const crm = new MemoryCrm()
  const limited = { ...identityMapper, criterion: () => undefined }
  const service = new CustomerService({ adapter: crm, mapper: limited })
  await t.rejects(service.search({ criteria: [['email', 'a@b.c']], limit: 5, offset: 0 }, ctx()), {
    code: 'SEARCH_PARAMETER_UNSUPPORTED',
    params: { field: 'email' }
  })
  t.equal(crm.calls.search, 0, 'the CRM is not asked what it cannot answer')

  const full = new CustomerService({ adapter: crm, mapper: identityMapper })
  const c = await full.create({ profile: { firstName: 'N' } }, ctx(), { client: 'test' })
  const same = await full.update(c.profile!.customerId!, { profile: { customerId: c.profile!.customerId! } }, ctx())
  t.same(same, c, 'an update with nothing to change answers the customer')
  t.equal(crm.calls.update, 0, 'and does not write')

  const noId = new CustomerService({ adapter: crm, mapper: { ...identityMapper, fromCrm: () => ({ profile: { firstName: 'x' } }) } })
  await t.rejects(noId.getJson(c.profile!.customerId!, ctx()), { code: 'CRM_BAD_RESPONSE' })

  crm.failNext('update', new GatewayError('CRM_TIMEOUT'))
  await t.rejects(full.update(c.profile!.customerId!, { profile: { firstName: 'Z' } }, ctx()), { code: 'CRM_TIMEOUT' })
  t.equal(JSON.parse(String((await full.getJson(c.profile!.customerId!, ctx())).body)).profile?.firstName, 'N', 'a failed update changed nothing')
})
