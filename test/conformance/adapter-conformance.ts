/**
 * The adapter conformance kit: one reusable tap suite that every CRM adapter must pass, against
 * its CRM — a test double, an embedded CRM or a real sandbox account, chosen by the entry file
 * (test/conformance/<crm>.test.ts). It speaks SPI customers through the adapter's own mapping
 * table, so it proves the adapter and its table together:
 *
 *   create → get → search by every parameter the table supports (and AND, no match, paging)
 *   → partial update (a field changed, a field cleared, the rest untouched)
 *   → address append through the customer service (the old addresses stay)
 *   → not found (null, never an error) → duplicate → CRM validation
 *   → each CRM failure, injected by the fault proxy (test/fakes/fault-proxy.ts) in front of
 *     the CRM, reported as its kind
 *   → the CRM's own throttling, quota and refusal of a wrong credential, when the entry file
 *     can trigger them.
 *
 * What it asserts about failures: the adapter rejects with a `CrmFailure` (src/core/port.ts)
 * of the kind that says what happened, never with anything else and never with an SPI code
 * (the core alone translates kinds):
 *
 *   CRM down (connection refused)            → unreachable     the request never left
 *   connection reset once the request came   → interrupted     the CRM may have acted
 *   no answer within the adapter's timeout,
 *   or the attempt's signal fired             → timeout
 *   5xx, 401, a wrong credential             → failed
 *   garbage JSON, an HTML page               → bad-response
 *   429 + Retry-After                        → throttled, with retryAfterSeconds
 *   Salesforce's 403 REQUEST_LIMIT_EXCEEDED  → quota-exhausted (Retry-After when sent)
 *   a taken e-mail / a value the CRM refuses → duplicate / rejected
 *
 * Each failed check says which kind was expected and which came.
 *
 * Records are tagged with a random word so that a real CRM with other data still gives
 * unambiguous answers; searches assert "contains ours", never "exactly these".
 *
 *   import t from 'tap'
 *   await adapterConformance(t, { name: 'acme', mapping, baseUrl, missingId: '999', makeAdapter })
 */
import { randomBytes } from 'node:crypto'
import type { Test } from 'tap'
import { CustomerService } from '../../src/core/customer-service.js'
import { CrmFailure } from '../../src/core/port.js'
import type { CallContext, CrmAdapter, CrmCriterion, CrmFailureKind, CrmRecord } from '../../src/core/port.js'
import type { CompiledMapping } from '../../src/mapping/index.js'
import type { Address, Customer, SearchParam } from '../../src/spi/customer-schema.js'
import { startFaultProxy } from '../fakes/fault-proxy.js'
import type { Fault } from '../fakes/fault-proxy.js'
import { silentLogger } from '../helpers/silent-logger.js'

export interface MakeAdapterOptions {
  /** The CRM's base URL, or the fault proxy's in front of it. */
  readonly baseUrl: string
  /** The adapter's per-request timeout (the kit uses a short one for the hang case). */
  readonly requestTimeoutMs: number
  /** Build it with a credential the CRM refuses (a wrong token or key). */
  readonly badCredentials?: boolean
}

/** What the entry file can do to the CRM beyond its API, when it controls it. All optional. */
export interface CrmControl {
  /** Makes the CRM itself throttle the next search; resolves to a function that lifts it. */
  throttleSearch?(): Promise<() => Promise<void>>
  /** Makes the CRM answer that its daily (or org-wide) allowance is spent; resolves to a function that renews it. */
  exhaustQuota?(): Promise<() => Promise<void>>
  /**
   * Gives a customer a loyalty id the way the merchant's loyalty system would, for tables
   * where the gateway only reads it. Without it such a table's loyaltyId search is skipped.
   */
  assignLoyaltyId?(customerId: string, loyaltyId: string): Promise<void>
  /** Deletes (archives) a record the kit created: keeps a real sandbox tidy. */
  remove?(customerId: string): Promise<void>
}

export interface ConformanceTarget {
  /** Shown in test names, e.g. "hubspot (double)". */
  readonly name: string
  /** The adapter's table (mappings/<crm>.yaml), loaded. */
  readonly mapping: CompiledMapping
  /** Where the CRM listens. */
  readonly baseUrl: string
  readonly makeAdapter: (options: MakeAdapterOptions) => CrmAdapter
  /** An id of the CRM's shape that no record has. */
  readonly missingId: string
  readonly crmControl?: CrmControl
  /**
   * Real CRMs index searches asynchronously (HubSpot: "a few moments"): how often and how long
   * apart a search is repeated until a fresh record shows. Default: once, no wait.
   */
  readonly searchSettle?: { readonly attempts: number; readonly delayMs: number }
  /**
   * Real CRMs limit the rate of searches (HubSpot: 5 per second): the pause before each search.
   * Default 0.
   */
  readonly searchPaceMs?: number
  /** The word that tags this run's records (letters only). Default: random. */
  readonly runId?: string
}

const FAILURE_TIMEOUT_MS = 400

export async function adapterConformance(t: Test, target: ConformanceTarget): Promise<void> {
  const { mapping } = target
  const tag = (target.runId ?? randomWord()).toLowerCase()
  const Tag = tag.charAt(0).toUpperCase() + tag.slice(1)
  const adapter = target.makeAdapter({ baseUrl: target.baseUrl, requestTimeoutMs: 10_000 })
  t.teardown(() => adapter.close?.())
  const ctx = context()
  const created: string[] = []
  t.teardown(async () => {
    for (const id of created) await target.crmControl?.remove?.(id)
  })

  const fixtures = customers(tag, Tag)
  const read = (record: CrmRecord | null): Customer => {
    if (record === null) throw new Error('expected a record, got null')
    return mapping.fromCrm(record)
  }
  const idOf = (record: CrmRecord): string | undefined => mapping.fromCrm(record).profile?.customerId
  /** Whether the table writes something for this customer fragment. */
  const writes = (fragment: Customer): boolean => Object.keys(mapping.toCrm(fragment)).length > 0

  const state: { a?: Customer; b?: Customer; aId?: string; bId?: string } = {}

  await t.test(`${target.name}: create, then get`, async (t) => {
    for (const [key, customer] of [['a', fixtures.a], ['b', fixtures.b]] as const) {
      const record = mapping.toCrm(customer)
      const answer = read(await adapter.createCustomer(record, ctx))
      const id = answer.profile?.customerId
      t.type(id, 'string', `${key}: the CRM assigned an id`)
      if (id === undefined) return
      created.push(id)
      // What the table reads back from what it wrote; the CRM may add ids of its own.
      t.match(answer, mapping.fromCrm(record), `${key}: the created record holds what was sent`)
      t.same(read(await adapter.getCustomer(id, ctx)), answer, `${key}: get answers the created record`)
      state[key] = answer
      state[key === 'a' ? 'aId' : 'bId'] = id
    }
  })

  const { aId, bId } = state
  if (aId === undefined || bId === undefined || state.a === undefined || state.b === undefined) {
    t.fail('create failed: the rest of the kit needs two records')
    return
  }

  /** Repeats a search until `done` holds (real CRMs index with a lag), returning the last page. */
  const search = async (criteria: CrmCriterion[], done: (ids: string[]) => boolean, page = { limit: 100, offset: 0 }) => {
    const attempts = target.searchSettle?.attempts ?? 1
    for (let i = 1; ; i++) {
      if ((target.searchPaceMs ?? 0) > 0) await pause(target.searchPaceMs ?? 0)
      const result = await adapter.searchCustomers({ criteria, ...page }, ctx)
      const ids = result.records.map(idOf).filter((id): id is string => id !== undefined)
      if (done(ids) || i >= attempts) return { ids, total: result.total }
      await pause(target.searchSettle?.delayMs ?? 0)
    }
  }
  const criterion = (param: SearchParam, value: string): CrmCriterion => {
    const c = mapping.criterion(param, value)
    if (c === undefined) throw new Error(`the table has no search row for ${param}`)
    return c
  }

  await t.test(`${target.name}: search by every parameter the table supports`, async (t) => {
    t.ok(mapping.searchParams.length > 0, 'the table declares search rows')
    const a = state.a ?? {}
    for (const param of mapping.searchParams) {
      let value = searchValue(param, a, aId)
      if (param === 'loyaltyId' && value === undefined && target.crmControl?.assignLoyaltyId) {
        await target.crmControl.assignLoyaltyId(aId, `LY${tag.toUpperCase()}`)
        value = read(await adapter.getCustomer(aId, ctx)).profile?.loyaltyId
        t.equal(value, `LY${tag.toUpperCase()}`, 'loyaltyId: the loyalty system’s id reads back')
      }
      if (value === undefined) {
        await t.test(`${param}: search`, { skip: 'the test customer has no value for it (the CRM assigns none)' }, () => {})
        continue
      }
      // Names: a prefix (or inner part) in another case proves prefix/contains and case rules.
      const probe = probeFor(param, value, criterion(param, value).operator)
      const { ids } = await search([criterion(param, probe)], (ids) => ids.includes(aId))
      t.ok(ids.includes(aId), `${param} (${criterion(param, probe).operator}) finds the customer`)
    }

    if (mapping.searchParams.includes('phone')) {
      const phone = criterion('phone', fixtures.bPhone)
      const field = Object.keys(mapping.toCrm({ profile: { phoneHome: fixtures.bPhone } }))[0]
      if (field !== undefined && phone.fields.includes(field)) {
        const { ids } = await search([phone], (ids) => ids.includes(bId))
        t.ok(ids.includes(bId), `phone: found in another phone field (${field}) too`)
      }
    }
    if (mapping.searchParams.includes('lastName') && mapping.searchParams.includes('firstName')) {
      const both = [criterion('lastName', fixtures.lastName), criterion('firstName', state.b?.profile?.firstName ?? '')]
      const { ids } = await search(both, (ids) => ids.includes(bId))
      t.ok(ids.includes(bId) && !ids.includes(aId), 'criteria are ANDed')
    }
    if (mapping.searchParams.includes('email')) {
      const { ids, total } = await search([criterion('email', `nobody.${tag}@example.com`)], () => true)
      t.same(ids, [], 'no match: an empty page, not an error')
      if (total !== undefined) t.equal(total, 0, 'and a total of 0')
    }
    if (mapping.searchParams.includes('lastName')) {
      const shared = [criterion('lastName', fixtures.lastName)]
      const first = await search(shared, (ids) => ids.length === 1, { limit: 1, offset: 0 })
      const second = await search(shared, (ids) => ids.length === 1, { limit: 1, offset: 1 })
      t.same([...first.ids, ...second.ids].sort(), [aId, bId].sort(), 'paging: limit 1 at offset 0 and 1 gives each customer once')
      if (first.total !== undefined) t.equal(first.total, 2, 'the total counts every match')
    }
  })

  await t.test(`${target.name}: partial update`, async (t) => {
    const before = read(await adapter.getCustomer(aId, ctx))
    const firstName = `Amelie${Tag}`
    const updated = read(await adapter.updateCustomer(aId, mapping.toCrm({ profile: { firstName } }), ctx))
    t.equal(updated.profile?.firstName, firstName, 'the field sent is changed')
    t.same({ ...updated, profile: { ...updated.profile, firstName: before.profile?.firstName } }, before, 'everything else is unchanged')
    if (writes({ profile: { salutation: 'x' } }) && before.profile?.salutation !== undefined) {
      const cleared = read(await adapter.updateCustomer(aId, mapping.toCrm({ profile: { salutation: '' } }), ctx))
      t.notOk('salutation' in (cleared.profile ?? {}), '"" clears a field')
      t.same(read(await adapter.getCustomer(aId, ctx)), cleared, 'and the clear is stored')
    }
    t.equal(await adapter.updateCustomer(target.missingId, mapping.toCrm({ profile: { firstName } }), ctx), null, 'an unknown id is null')
  })

  await t.test(`${target.name}: addresses through the customer service (scenarios 2 and 3)`, async (t) => {
    const service = new CustomerService({ adapter, mapper: mapping })
    const lines = (c: Customer): string[] => (c.addressList ?? []).map((a) => a.addressLine1 ?? '')
    const saved = await service.update(aId, { profile: { customerId: aId }, addressList: [fixtures.shipping] }, ctx)
    t.same(lines(saved), [fixtures.home.addressLine1, fixtures.shipping.addressLine1], 'a saved address is appended; the old one stays')
    const moved = await service.update(aId, { profile: { customerId: aId, address: fixtures.moved } }, ctx)
    t.same(moved.profile?.address, fixtures.moved, 'a new profile address replaces the old one whole')
    t.same(lines(moved), [fixtures.home.addressLine1, fixtures.shipping.addressLine1, fixtures.moved.addressLine1], 'and is appended to the list')
    if (writes({ loyaltyProfile: { address: fixtures.moved } })) t.same(moved.loyaltyProfile?.address, fixtures.moved, 'and becomes the loyalty address')
    t.same(read(await adapter.getCustomer(aId, ctx)), moved, 'all of it stored')
  })

  await t.test(`${target.name}: not found, duplicate, validation`, async (t) => {
    t.equal(await adapter.getCustomer(target.missingId, ctx), null, 'get of an unknown id is null, not an error')
    const taken = mapping.toCrm({ profile: { firstName: 'Dup', lastName: fixtures.lastName, email: fixtures.a.profile?.email ?? '' } })
    await expectKind(t, adapter.createCustomer(taken, ctx), 'duplicate', 'a create with a taken e-mail')
    const refused = mapping.toCrm({ profile: { firstName: 'Bad', lastName: fixtures.lastName, email: 'not-an-email' } })
    await expectKind(t, adapter.createCustomer(refused, ctx), 'rejected', 'an e-mail the CRM refuses')
  })

  await t.test(`${target.name}: every CRM failure is reported as its kind`, async (t) => {
    // The proxy forwards to the CRM when it speaks plain HTTP; every case below injects its
    // answer, so a real (https) CRM is never needed behind it.
    const upstream = target.baseUrl.startsWith('http://') ? target.baseUrl : 'http://127.0.0.1:9'
    const proxy = await startFaultProxy({ target: upstream })
    t.teardown(() => proxy.close())
    const faulty = target.makeAdapter({ baseUrl: proxy.url, requestTimeoutMs: FAILURE_TIMEOUT_MS })
    t.teardown(() => faulty.close?.())
    const get = () => faulty.getCustomer(aId, ctx)
    const find = () => faulty.searchCustomers({ criteria: [criterion(mapping.searchParams[0] ?? 'email', 'x')], limit: 5, offset: 0 }, ctx)
    const create = () => faulty.createCustomer(mapping.toCrm({ profile: { firstName: 'Never', email: `never.${tag}@example.com` } }), ctx)

    const cases: Array<[string, Fault, () => Promise<unknown>, CrmFailureKind, ((err: CrmFailure) => void)?]> = [
      ['5xx on get', { kind: 'status', status: 500 }, get, 'failed'],
      ['503 on search', { kind: 'status', status: 503 }, find, 'failed'],
      ['401: our credential refused', { kind: 'status', status: 401 }, get, 'failed'],
      ['garbage 200 on get', { kind: 'garbage' }, get, 'bad-response'],
      ['garbage 201 on create', { kind: 'garbage', status: 201 }, create, 'bad-response'],
      ['an HTML page on search', { kind: 'wrong-content-type' }, find, 'bad-response'],
      ['connection reset on get', { kind: 'reset' }, get, 'interrupted'],
      ['connection reset on create (the CRM may have acted)', { kind: 'reset' }, create, 'interrupted'],
      ['hang: no answer within the adapter timeout', { kind: 'hang' }, get, 'timeout'],
      ['429 on search', { kind: 'throttle-429', retryAfterSeconds: 7 }, find, 'throttled', (err) => t.equal(err.retryAfterSeconds, 7, '429: Retry-After is passed on')],
      ['Salesforce 403 REQUEST_LIMIT_EXCEEDED on get', { kind: 'salesforce-limit' }, get, 'quota-exhausted', (err) => t.equal(err.retryAfterSeconds, undefined, 'no Retry-After sent: none invented')],
      ['Salesforce 403 REQUEST_LIMIT_EXCEEDED with Retry-After', { kind: 'salesforce-limit', retryAfterSeconds: 30 }, find, 'quota-exhausted', (err) => t.equal(err.retryAfterSeconds, 30, 'a Retry-After sent is passed on')]
    ]
    for (const [name, fault, call, kind, check] of cases) {
      await proxy.setFault(fault)
      const err = await expectKind(t, call(), kind, name)
      if (err !== undefined && err.kind === kind) check?.(err)
      await proxy.clearFaults()
    }

    await proxy.setFault({ kind: 'hang' })
    const patient = target.makeAdapter({ baseUrl: proxy.url, requestTimeoutMs: 10_000 })
    t.teardown(() => patient.close?.())
    await expectKind(t, patient.getCustomer(aId, context(AbortSignal.timeout(100))), 'timeout', "the attempt's signal fires before any answer")
    await proxy.clearFaults()
    await proxy.whenIdle()
    t.equal(proxy.pending, 0, 'and nothing keeps running at the CRM')

    await proxy.setFault({ kind: 'down' })
    // A new adapter: no pooled connection from the cases above, so nothing was ever sent.
    const cut = target.makeAdapter({ baseUrl: proxy.url, requestTimeoutMs: FAILURE_TIMEOUT_MS })
    t.teardown(() => cut.close?.())
    await expectKind(t, cut.getCustomer(aId, ctx), 'unreachable', 'CRM down (connection refused) on get')
    await expectKind(t, cut.createCustomer(mapping.toCrm({ profile: { firstName: 'Never', email: `never.${tag}@example.com` } }), ctx), 'unreachable', 'CRM down on create (surely not created)')
    await proxy.clearFaults()

    const stranger = target.makeAdapter({ baseUrl: target.baseUrl, requestTimeoutMs: 10_000, badCredentials: true })
    t.teardown(() => stranger.close?.())
    await expectKind(t, stranger.getCustomer(aId, ctx), 'failed', "the CRM's own refusal of a wrong credential")

    if (target.crmControl?.throttleSearch) {
      const lift = await target.crmControl.throttleSearch()
      const own = adapter.searchCustomers({ criteria: [criterion('email', fixtures.a.profile?.email ?? '')], limit: 5, offset: 0 }, ctx)
      const err = await expectKind(t, own, 'throttled', "the CRM's own throttling")
      await lift()
      t.ok((err?.retryAfterSeconds ?? 0) >= 1, 'with a wait to announce')
    }
    if (target.crmControl?.exhaustQuota) {
      const renew = await target.crmControl.exhaustQuota()
      await expectKind(t, adapter.getCustomer(aId, ctx), 'quota-exhausted', "the CRM's own spent allowance")
      await renew()
      t.ok((await adapter.getCustomer(aId, ctx)) !== null, 'and answers again once renewed')
    }
  })
}

// ---------------------------------------------------------------------------------------------

/** Only for real CRMs (indexing lag, rate limits): the doubles need no waiting. */
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

function randomWord(): string {
  return [...randomBytes(8)].map((b) => String.fromCharCode(97 + (b % 26))).join('')
}

function context(signal: AbortSignal = new AbortController().signal): CallContext {
  return { signal, log: silentLogger, requestId: 'conformance' }
}

/** The fixtures: two customers sharing a tagged last name, and the addresses of scenarios 2–3. */
function customers(tag: string, Tag: string) {
  const digits = [...tag].reduce((n, c) => (n * 31 + c.charCodeAt(0)) % 100, 7)
  const two = String(digits).padStart(2, '0')
  const aPhone = `+1415555${'01'}${two}` // 555-0100…0199: numbers reserved for fiction
  const bPhone = `+1212555${'01'}${two}`
  const lastName = `Conformance${Tag}`
  const home: Address = { addressLine1: '500 Howard St', addressLine2: 'Apt 12', city: 'San Francisco', state: 'CA', postalCode: '94105', countryCode: 'US' }
  const shipping: Address = { firstName: `Amelia${Tag}`, lastName, addressLine1: '1 Ferry Building', city: 'San Francisco', state: 'CA', postalCode: '94111', countryCode: 'US', phone: aPhone }
  const moved: Address = { addressLine1: '2200 Mission St', city: 'San Francisco', state: 'CA', postalCode: '94110', countryCode: 'US' }
  const a: Customer = {
    profile: { salutation: 'Ms', firstName: `Amelia${Tag}`, lastName, email: `amelia.${tag}@example.com`, phoneMobile: aPhone, birthday: '1990-04-17', address: home },
    consents: { agreeToTC: true, loyaltySignUp: true, newsLetterSignUp: false },
    loyaltyProfile: { firstName: `Amelia${Tag}`, lastName, address: home },
    addressList: [home]
  }
  const b: Customer = { profile: { firstName: `Amos${Tag}`, lastName, email: `amos.${tag}@example.com`, phoneHome: bPhone } }
  return { a, b, aPhone, bPhone, lastName, home, shipping, moved }
}

/** The value the customer holds for a search parameter, as a POS would type it. */
function searchValue(param: SearchParam, c: Customer, id: string): string | undefined {
  switch (param) {
    case 'firstName': return c.profile?.firstName
    case 'lastName': return c.profile?.lastName
    case 'email': return c.profile?.email?.toUpperCase() // e-mail is matched case-insensitively
    case 'phone': return c.profile?.phoneMobile?.replace(/^\+1(\d{3})(\d{3})(\d{4})$/, '+1 ($1) $2-$3') // formatting ignored
    case 'customerId': return id
    case 'loyaltyId': return c.profile?.loyaltyId
  }
}

/** Names are searched by a lower-cased prefix (or inner part) to prove prefix/contains and case. */
function probeFor(param: SearchParam, value: string, operator: CrmCriterion['operator']): string {
  if (param !== 'firstName' && param !== 'lastName') return value
  if (operator === 'prefix') return value.slice(0, -2).toLowerCase()
  if (operator === 'contains') return value.slice(1, -1).toLowerCase()
  return value.toLowerCase()
}

/**
 * Asserts that `promise` rejects with a CrmFailure of `kind`; the message names the kind
 * expected and the one that came (or what came instead of a CrmFailure). Returns the failure.
 */
async function expectKind(t: Test, promise: Promise<unknown>, kind: CrmFailureKind, name: string): Promise<CrmFailure | undefined> {
  const outcome: unknown = await promise.then(
    () => 'a result, not a failure',
    (err: unknown) => err
  )
  if (!(outcome instanceof CrmFailure)) {
    const came = outcome instanceof Error ? `${outcome.name}: ${outcome.message}` : String(outcome)
    t.fail(`${name}: expected a CrmFailure of kind ${kind}, came ${came}`)
    return undefined
  }
  t.equal(outcome.kind, kind, outcome.kind === kind ? `${name} → ${kind}` : `${name}: expected ${kind}, came ${outcome.kind} (${outcome.message})`)
  return outcome
}
