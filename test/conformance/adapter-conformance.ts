/**
 * The adapter conformance kit: one reusable tap suite that every CRM adapter must pass, against
 * its CRM — a test double, an embedded CRM or a real sandbox account, chosen by the entry file
 * (test/conformance/<crm>.test.ts). It speaks SPI customers through the adapter's own mapping
 * table, so it proves the adapter and its table together:
 *
 *   create → get → search by every parameter the table supports, by each operator the CRM
 *   has (and AND, no match, paging) → partial update (a field changed, a field cleared, the
 *   rest untouched) → optimistic concurrency → address append through the customer service
 *   (the old addresses stay) → not found (null, never an error) → the e-mail rules (duplicate,
 *   syntax) → each CRM failure, injected by the fault proxy (test/fakes/fault-proxy.ts) in
 *   front of the CRM, reported as its kind → the CRM's own throttling, quota and refusal of a
 *   wrong credential, when the entry file can trigger them.
 *
 * The kit adapts to what the CRM can do: the entry file declares its `capabilities` (unique
 * e-mail, e-mail validation, search operators, combined criteria, optimistic concurrency), all
 * required. A check that presumes a capability runs only when it is declared; where the CRM
 * lacks it, the kit checks what the port promises instead (a second record with a taken
 * e-mail, an e-mail stored as sent, an operator refused as `unsupported`, no `versionOf`).
 *
 * Every assertion has a stable id (K01…), listed with its title in KIT_ASSERTIONS below and
 * starting its tap message; adapters/README.md ("The kit's assertions") has the table of them:
 * what each checks, what it presumes and how to satisfy it.
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
 *   a taken e-mail / a value the CRM refuses → duplicate / rejected (when the CRM checks them)
 *   a stale version                          → conflict (when the CRM has versions)
 *   an operator, or criteria, it cannot take → unsupported
 *
 * Each failed check says which kind was expected and which came.
 *
 * Records are tagged with a random word so that a real CRM with other data still gives
 * unambiguous answers; searches assert "contains ours", never "exactly these".
 *
 *   import t from 'tap'
 *   await adapterConformance(t, { name: 'acme', mapping, baseUrl, missingId: '999', makeAdapter, capabilities: {…} })
 */
import { randomBytes } from 'node:crypto'
import type { Test } from 'tap'
import { CustomerService } from '../../src/core/customer-service.js'
import { CrmFailure } from '../../src/core/port.js'
import type { CallContext, CrmAdapter, CrmCriterion, CrmFailureKind, CrmRecord, SearchOperator } from '../../src/core/port.js'
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

/**
 * What the CRM itself does, as its API documents it. Every field is required — there is no
 * default, so whoever adds an adapter makes each choice. A check that presumes a capability
 * runs only when it is declared; where the CRM lacks it the kit checks what the port promises
 * instead. Declare what the CRM does, and never emulate a missing capability in the adapter
 * to pass a check: a uniqueness check made by searching first races a concurrent create (two
 * gateway instances, or another integration), and the gateway has its own answer to repeated
 * creates (create dedup and the creation marker, mappings/README.md).
 */
export interface CrmCapabilities {
  /**
   * The CRM refuses, on its side, a record whose e-mail another record holds. true: a create
   * with a taken e-mail must fail as `duplicate` (K28). false: it must make a second record,
   * leaving the first untouched (K29); a search by e-mail finds both (K30); and the adapter's
   * `uniqueLookup` must not offer the e-mail field (K31), else the core would answer one
   * customer of several for a search by e-mail.
   */
  readonly uniqueEmail: boolean
  /**
   * The CRM refuses an e-mail that is not one (`not-an-email`). true: such a create must fail
   * as `rejected` (K32). false: it must be stored and read back as sent (K33) — the gateway
   * does not check an e-mail's form either (the SPI types it as text), nor may the adapter.
   */
  readonly validatesEmail: boolean
  /**
   * The port's operators (src/core/port.ts, SearchOperator) the adapter can put to its CRM
   * with the port's meaning (case-insensitive text; `phone` by its digits). The table's search
   * rows may use only these (K05); each text operator declared must find a customer by last
   * name (K08); each one not declared must be refused as `unsupported`, never sent as another
   * (K09).
   */
  readonly searchOperators: readonly SearchOperator[]
  /**
   * One search can AND several criteria. true: two criteria find only the records matching
   * both (K11). false: a search with two criteria must be refused as `unsupported`, reason
   * `criteria` (K12), never answered for one of them.
   */
  readonly combinesCriteria: boolean
  /**
   * The CRM keeps record versions and refuses a write at a stale one (an ETag and If-Match, a
   * version field). true: `versionOf` must give a read record's version, an update at it must
   * succeed and move it, an update at a stale one must fail as `conflict` and store nothing
   * (K19–K21). false: `versionOf` must be absent (K22): the core would otherwise send
   * versions that the CRM ignores, and believe updates safe that are not.
   */
  readonly optimisticConcurrency: boolean
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
  /** What the CRM can do; decides which checks run (see CrmCapabilities). */
  readonly capabilities: CrmCapabilities
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

/**
 * Every assertion of the kit: its stable id, and the title its tap message starts with (after
 * the id). adapters/README.md has the table of them (what each presumes, how to satisfy it);
 * test/conformance/demo-crm.test.ts checks that the two list the same ids.
 */
export const KIT_ASSERTIONS = {
  K01: 'create assigns an id',
  K02: 'the created record holds what was sent',
  K03: 'get answers the created record',
  K04: 'the table declares search rows',
  K05: 'the table searches only with operators the CRM has',
  K06: 'a loyalty id the loyalty system gives reads back',
  K07: 'a search by each parameter the table supports finds the customer',
  K08: 'each text operator the CRM has finds the customers by last name',
  K09: 'a search with an operator the CRM lacks',
  K10: 'a phone search finds a number in another phone field too',
  K11: 'criteria are ANDed',
  K12: 'a search with two criteria, when the CRM takes one',
  K13: 'no match is an empty page, not an error',
  K14: 'paging: limit 1 at offset 0 and 1 gives each customer once',
  K15: 'a partial update changes the field sent',
  K16: 'a partial update leaves everything else unchanged',
  K17: '"" clears a field, and the clear is stored',
  K18: 'an update of an unknown id is null',
  K19: 'versionOf gives a read record’s version',
  K20: 'an update at the current version succeeds and moves the version',
  K21: 'an update at a stale version',
  K22: 'no versionOf: the CRM has no optimistic concurrency',
  K23: 'a saved address is appended; the old one stays',
  K24: 'a new profile address replaces the old one whole and is appended to the list',
  K25: 'the new profile address becomes the loyalty address',
  K26: 'all of the address changes are stored',
  K27: 'get of an unknown id is null, not an error',
  K28: 'a create with a taken e-mail',
  K29: 'a create with a taken e-mail makes a second record',
  K30: 'a search by e-mail finds every record holding it',
  K31: 'uniqueLookup does not offer the e-mail field',
  K32: 'a create with an e-mail the CRM refuses',
  K33: 'a malformed e-mail is stored as sent',
  K34: '5xx on get',
  K35: '503 on search',
  K36: '401 (our credential refused) on get',
  K37: 'garbage 200 on get',
  K38: 'garbage 201 on create',
  K39: 'an HTML page on search',
  K40: 'connection reset on get',
  K41: 'connection reset on create (the CRM may have acted)',
  K42: 'hang: no answer within the adapter timeout',
  K43: '429 on search',
  K44: 'Salesforce 403 REQUEST_LIMIT_EXCEEDED on get, no Retry-After',
  K45: 'Salesforce 403 REQUEST_LIMIT_EXCEEDED on search, with Retry-After',
  K46: 'the attempt’s signal fires before any answer',
  K47: 'CRM down (connection refused) on get',
  K48: 'CRM down on create (surely not created)',
  K49: 'the CRM’s own refusal of a wrong credential',
  K50: 'the CRM’s own throttling',
  K51: 'the CRM’s own spent allowance'
} as const

export type KitAssertion = keyof typeof KIT_ASSERTIONS

/** A tap message: the assertion's id and title, and what this instance of it is about. */
function say(id: KitAssertion, detail?: string): string {
  return `${id} ${KIT_ASSERTIONS[id]}${detail === undefined ? '' : ` (${detail})`}`
}

const FAILURE_TIMEOUT_MS = 400
const TEXT_OPERATORS: readonly SearchOperator[] = ['equals', 'prefix', 'contains']
const ALL_OPERATORS: readonly SearchOperator[] = [...TEXT_OPERATORS, 'phone']

export async function adapterConformance(t: Test, target: ConformanceTarget): Promise<void> {
  const { mapping, capabilities: can } = target
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
  // As the gateway calls the table: a create with nothing stored ({}), an update with the
  // stored record, which completes keyed list items and composed fields sent in part.
  const forCreate = (customer: Customer): CrmRecord => mapping.toCrm(customer, {})
  const forUpdate = async (id: string, patch: Customer): Promise<CrmRecord> => mapping.toCrm(patch, (await adapter.getCustomer(id, ctx)) ?? {})
  /** Whether the table writes something for this customer fragment. */
  const writes = (fragment: Customer): boolean => Object.keys(forCreate(fragment)).length > 0

  const state: { a?: Customer; b?: Customer; aId?: string; bId?: string } = {}

  await t.test(`${target.name}: create, then get`, async (t) => {
    for (const [key, customer] of [['a', fixtures.a], ['b', fixtures.b]] as const) {
      const record = forCreate(customer)
      const answer = read(await adapter.createCustomer(record, ctx))
      const id = answer.profile?.customerId
      t.type(id, 'string', say('K01', key))
      if (id === undefined) return
      created.push(id)
      // What the table reads back from what it wrote; the CRM may add ids of its own.
      t.match(answer, mapping.fromCrm(record), say('K02', key))
      t.same(read(await adapter.getCustomer(id, ctx)), answer, say('K03', key))
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
  /** A search expected to be refused: paced like the others, never repeated. */
  const refusedSearch = async (criteria: CrmCriterion[]) => {
    if ((target.searchPaceMs ?? 0) > 0) await pause(target.searchPaceMs ?? 0)
    return adapter.searchCustomers({ criteria, limit: 5, offset: 0 }, ctx)
  }
  const criterion = (param: SearchParam, value: string): CrmCriterion => {
    const c = mapping.criterion(param, value)
    if (c === undefined) throw new Error(`the table has no search row for ${param}`)
    return c
  }

  await t.test(`${target.name}: search by every parameter the table supports`, async (t) => {
    t.ok(mapping.searchParams.length > 0, say('K04'))
    const a = state.a ?? {}
    for (const param of mapping.searchParams) {
      let value = searchValue(param, a, aId)
      if (param === 'loyaltyId' && value === undefined && target.crmControl?.assignLoyaltyId) {
        await target.crmControl.assignLoyaltyId(aId, `LY${tag.toUpperCase()}`)
        value = read(await adapter.getCustomer(aId, ctx)).profile?.loyaltyId
        t.equal(value, `LY${tag.toUpperCase()}`, say('K06'))
      }
      const operator = criterion(param, value ?? `LY${tag.toUpperCase()}`).operator
      t.ok(can.searchOperators.includes(operator), say('K05', `${param}: ${operator}`))
      if (value === undefined) {
        await t.test(`K07 ${param}: search`, { skip: 'the test customer has no value for it (the CRM assigns none)' }, () => {})
        continue
      }
      if (!can.searchOperators.includes(operator)) continue // K05 failed: the row cannot work
      // Names: a prefix (or inner part) in another case proves prefix/contains and case rules.
      const probe = probeFor(param, value, operator)
      const { ids } = await search([criterion(param, probe)], (ids) => ids.includes(aId))
      t.ok(ids.includes(aId), say('K07', `${param}, ${operator}`))
    }

    // Each operator the CRM declares, and each it lacks, tried on the last (or first) name's
    // field(s), whatever operator the table's row uses there.
    const nameParam = (['lastName', 'firstName'] as const).find((p) => mapping.searchParams.includes(p))
    if (nameParam === undefined) {
      t.comment('K08, K09 not run: the table has no lastName or firstName search row')
    } else {
      const name = nameParam === 'lastName' ? fixtures.lastName : (state.a?.profile?.firstName ?? '')
      const fields = criterion(nameParam, name).fields
      for (const operator of TEXT_OPERATORS.filter((op) => can.searchOperators.includes(op))) {
        const { ids } = await search([{ fields, operator, value: probeFor(nameParam, name, operator) }], (ids) => ids.includes(aId))
        t.ok(ids.includes(aId), say('K08', `${operator} on ${fields.join(', ')}`))
      }
      for (const operator of ALL_OPERATORS.filter((op) => !can.searchOperators.includes(op))) {
        const value = operator === 'phone' ? fixtures.aPhone.slice(2) : probeFor(nameParam, name, 'prefix')
        await expectKind(t, refusedSearch([{ fields, operator, value }]), 'unsupported', say('K09', operator))
      }
    }

    if (mapping.searchParams.includes('phone') && can.searchOperators.includes('phone')) {
      const phone = criterion('phone', fixtures.bPhone)
      const field = Object.keys(forCreate({ profile: { phoneHome: fixtures.bPhone } }))[0]
      if (field !== undefined && phone.fields.includes(field)) {
        const { ids } = await search([phone], (ids) => ids.includes(bId))
        t.ok(ids.includes(bId), say('K10', field))
      }
    }
    if (mapping.searchParams.includes('lastName') && mapping.searchParams.includes('firstName')) {
      const both = [criterion('lastName', fixtures.lastName), criterion('firstName', state.b?.profile?.firstName ?? '')]
      if (can.combinesCriteria) {
        const { ids } = await search(both, (ids) => ids.includes(bId))
        t.ok(ids.includes(bId) && !ids.includes(aId), say('K11'))
      } else {
        const err = await expectKind(t, refusedSearch(both), 'unsupported', say('K12'))
        if (err?.kind === 'unsupported') t.equal(err.reason ?? 'criteria', 'criteria', say('K12', 'reason criteria'))
      }
    }
    if (mapping.searchParams.includes('email')) {
      const { ids, total } = await search([criterion('email', `nobody.${tag}@example.com`)], () => true)
      t.same(ids, [], say('K13'))
      if (total !== undefined) t.equal(total, 0, say('K13', 'a total of 0'))
    }
    if (mapping.searchParams.includes('lastName')) {
      const shared = [criterion('lastName', fixtures.lastName)]
      const first = await search(shared, (ids) => ids.length === 1, { limit: 1, offset: 0 })
      const second = await search(shared, (ids) => ids.length === 1, { limit: 1, offset: 1 })
      t.same([...first.ids, ...second.ids].sort(), [aId, bId].sort(), say('K14'))
      if (first.total !== undefined) t.equal(first.total, 2, say('K14', 'the total counts every match'))
    }
  })

  await t.test(`${target.name}: partial update`, async (t) => {
    const before = read(await adapter.getCustomer(aId, ctx))
    const firstName = `Amelie${Tag}`
    const updated = read(await adapter.updateCustomer(aId, await forUpdate(aId, { profile: { firstName } }), ctx))
    t.equal(updated.profile?.firstName, firstName, say('K15'))
    t.same({ ...updated, profile: { ...updated.profile, firstName: before.profile?.firstName } }, before, say('K16'))
    if (writes({ profile: { salutation: 'x' } }) && before.profile?.salutation !== undefined) {
      const cleared = read(await adapter.updateCustomer(aId, await forUpdate(aId, { profile: { salutation: '' } }), ctx))
      t.notOk('salutation' in (cleared.profile ?? {}), say('K17'))
      t.same(read(await adapter.getCustomer(aId, ctx)), cleared, say('K17', 'stored'))
    }
    t.equal(await adapter.updateCustomer(target.missingId, forCreate({ profile: { firstName } }), ctx), null, say('K18'))
  })

  await t.test(`${target.name}: optimistic concurrency`, async (t) => {
    if (!can.optimisticConcurrency) {
      t.equal(typeof adapter.versionOf, 'undefined', say('K22'))
      return
    }
    const record = await adapter.getCustomer(aId, ctx)
    const version = record === null ? undefined : adapter.versionOf?.(record)
    t.type(version, 'string', say('K19'))
    if (record === null || version === undefined) return
    const firstName = `Anna${Tag}`
    const updated = await adapter.updateCustomer(aId, mapping.toCrm({ profile: { firstName } }, record), ctx, { ifMatch: version })
    t.equal(read(updated).profile?.firstName, firstName, say('K20'))
    const next = updated === null ? undefined : adapter.versionOf?.(updated)
    t.ok(next !== undefined && next !== version, say('K20', `${version} → ${String(next)}`))
    const stale = adapter.updateCustomer(aId, mapping.toCrm({ profile: { firstName: `Stale${Tag}` } }, record), ctx, { ifMatch: version })
    await expectKind(t, stale, 'conflict', say('K21'))
    t.equal(read(await adapter.getCustomer(aId, ctx)).profile?.firstName, firstName, say('K21', 'nothing is stored'))
  })

  await t.test(`${target.name}: addresses through the customer service (scenarios 2 and 3)`, async (t) => {
    const service = new CustomerService({ adapter, mapper: mapping })
    const lines = (c: Customer): string[] => (c.addressList ?? []).map((a) => a.addressLine1 ?? '')
    const saved = await service.update(aId, { profile: { customerId: aId }, addressList: [fixtures.shipping] }, ctx)
    t.same(lines(saved), [fixtures.home.addressLine1, fixtures.shipping.addressLine1], say('K23'))
    const moved = await service.update(aId, { profile: { customerId: aId, address: fixtures.moved } }, ctx)
    t.same(moved.profile?.address, fixtures.moved, say('K24', 'replaced whole'))
    t.same(lines(moved), [fixtures.home.addressLine1, fixtures.shipping.addressLine1, fixtures.moved.addressLine1], say('K24', 'appended'))
    if (writes({ loyaltyProfile: { address: fixtures.moved } })) t.same(moved.loyaltyProfile?.address, fixtures.moved, say('K25'))
    t.same(read(await adapter.getCustomer(aId, ctx)), moved, say('K26'))
  })

  await t.test(`${target.name}: not found, e-mail rules`, async (t) => {
    t.equal(await adapter.getCustomer(target.missingId, ctx), null, say('K27'))
    // Records made here carry another last name: nothing above counts them.
    const lastName = `Other${Tag}`
    const email = fixtures.a.profile?.email ?? ''
    const taken = forCreate({ profile: { firstName: `Dora${Tag}`, lastName, email } })
    if (can.uniqueEmail) {
      await expectKind(t, adapter.createCustomer(taken, ctx), 'duplicate', say('K28'))
    } else {
      const before = read(await adapter.getCustomer(aId, ctx))
      const second = await settled(adapter.createCustomer(taken, ctx))
      if ('error' in second) {
        t.fail(`${say('K29')}: came ${describe(second.error)}`)
      } else {
        const id = idOf(second.value)
        if (id !== undefined) created.push(id)
        t.ok(id !== undefined && id !== aId, say('K29', `a new id: ${String(id)}`))
        t.equal(read(second.value).profile?.email, email, say('K29', 'holding the same e-mail'))
        t.same(read(await adapter.getCustomer(aId, ctx)), before, say('K29', 'the first record untouched'))
        if (mapping.searchParams.includes('email') && id !== undefined) {
          const { ids } = await search([criterion('email', email)], (ids) => ids.includes(aId) && ids.includes(id))
          t.ok(ids.includes(aId) && ids.includes(id), say('K30'))
        }
      }
      const field = Object.keys(forCreate({ profile: { email } }))[0]
      t.notOk(field !== undefined && adapter.uniqueLookup?.fields().has(field) === true, say('K31', String(field)))
    }

    const malformed = `not-an-email-${tag}`
    const refused = forCreate({ profile: { firstName: `Bad${Tag}`, lastName, email: malformed } })
    if (can.validatesEmail) {
      await expectKind(t, adapter.createCustomer(refused, ctx), 'rejected', say('K32'))
    } else {
      const stored = await settled(adapter.createCustomer(refused, ctx))
      if ('error' in stored) {
        t.fail(`${say('K33')}: came ${describe(stored.error)}`)
      } else {
        const id = idOf(stored.value)
        if (id !== undefined) created.push(id)
        t.equal(read(stored.value).profile?.email, malformed, say('K33', 'the create’s answer'))
        if (id !== undefined) t.equal(read(await adapter.getCustomer(id, ctx)).profile?.email, malformed, say('K33', 'read back'))
      }
    }
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
    const create = () => faulty.createCustomer(forCreate({ profile: { firstName: 'Never', email: `never.${tag}@example.com` } }), ctx)

    const cases: Array<[KitAssertion, Fault, () => Promise<unknown>, CrmFailureKind, ((err: CrmFailure) => void)?]> = [
      ['K34', { kind: 'status', status: 500 }, get, 'failed'],
      ['K35', { kind: 'status', status: 503 }, find, 'failed'],
      ['K36', { kind: 'status', status: 401 }, get, 'failed'],
      ['K37', { kind: 'garbage' }, get, 'bad-response'],
      ['K38', { kind: 'garbage', status: 201 }, create, 'bad-response'],
      ['K39', { kind: 'wrong-content-type' }, find, 'bad-response'],
      ['K40', { kind: 'reset' }, get, 'interrupted'],
      ['K41', { kind: 'reset' }, create, 'interrupted'],
      ['K42', { kind: 'hang' }, get, 'timeout'],
      ['K43', { kind: 'throttle-429', retryAfterSeconds: 7 }, find, 'throttled', (err) => t.equal(err.retryAfterSeconds, 7, say('K43', 'Retry-After is passed on'))],
      ['K44', { kind: 'salesforce-limit' }, get, 'quota-exhausted', (err) => t.equal(err.retryAfterSeconds, undefined, say('K44', 'none invented'))],
      ['K45', { kind: 'salesforce-limit', retryAfterSeconds: 30 }, find, 'quota-exhausted', (err) => t.equal(err.retryAfterSeconds, 30, say('K45', 'passed on'))]
    ]
    for (const [id, fault, call, kind, check] of cases) {
      await proxy.setFault(fault)
      const err = await expectKind(t, call(), kind, say(id))
      if (err !== undefined && err.kind === kind) check?.(err)
      await proxy.clearFaults()
    }

    await proxy.setFault({ kind: 'hang' })
    const patient = target.makeAdapter({ baseUrl: proxy.url, requestTimeoutMs: 10_000 })
    t.teardown(() => patient.close?.())
    await expectKind(t, patient.getCustomer(aId, context(AbortSignal.timeout(100))), 'timeout', say('K46'))
    await proxy.clearFaults()
    await proxy.whenIdle()
    t.equal(proxy.pending, 0, say('K46', 'and nothing keeps running at the CRM'))

    await proxy.setFault({ kind: 'down' })
    // A new adapter: no pooled connection from the cases above, so nothing was ever sent.
    const cut = target.makeAdapter({ baseUrl: proxy.url, requestTimeoutMs: FAILURE_TIMEOUT_MS })
    t.teardown(() => cut.close?.())
    await expectKind(t, cut.getCustomer(aId, ctx), 'unreachable', say('K47'))
    await expectKind(t, cut.createCustomer(forCreate({ profile: { firstName: 'Never', email: `never.${tag}@example.com` } }), ctx), 'unreachable', say('K48'))
    await proxy.clearFaults()

    const stranger = target.makeAdapter({ baseUrl: target.baseUrl, requestTimeoutMs: 10_000, badCredentials: true })
    t.teardown(() => stranger.close?.())
    await expectKind(t, stranger.getCustomer(aId, ctx), 'failed', say('K49'))

    if (target.crmControl?.throttleSearch) {
      const lift = await target.crmControl.throttleSearch()
      const own = adapter.searchCustomers({ criteria: [criterion('email', fixtures.a.profile?.email ?? '')], limit: 5, offset: 0 }, ctx)
      const err = await expectKind(t, own, 'throttled', say('K50'))
      await lift()
      t.ok((err?.retryAfterSeconds ?? 0) >= 1, say('K50', 'with a wait to announce'))
    } else {
      t.comment('K50 not run: no crmControl.throttleSearch')
    }
    if (target.crmControl?.exhaustQuota) {
      const renew = await target.crmControl.exhaustQuota()
      await expectKind(t, adapter.getCustomer(aId, ctx), 'quota-exhausted', say('K51'))
      await renew()
      t.ok((await adapter.getCustomer(aId, ctx)) !== null, say('K51', 'and answers again once renewed'))
    } else {
      t.comment('K51 not run: no crmControl.exhaustQuota')
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

/** What a promise came to: its value, or what it rejected with. */
async function settled<T>(promise: Promise<T>): Promise<{ value: T } | { error: unknown }> {
  return promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error })
  )
}

/** A rejection as a failed check names it. */
function describe(outcome: unknown): string {
  if (outcome instanceof CrmFailure) return `a CrmFailure of kind ${outcome.kind} (${outcome.message})`
  return outcome instanceof Error ? `${outcome.name}: ${outcome.message}` : String(outcome)
}

/**
 * Asserts that `promise` rejects with a CrmFailure of `kind`; the message names the kind
 * expected and the one that came (or what came instead of a CrmFailure). Returns the failure.
 */
async function expectKind(t: Test, promise: Promise<unknown>, kind: CrmFailureKind, name: string): Promise<CrmFailure | undefined> {
  const outcome = await settled(promise)
  if (!('error' in outcome)) {
    t.fail(`${name}: expected a CrmFailure of kind ${kind}, came a result, not a failure`)
    return undefined
  }
  if (!(outcome.error instanceof CrmFailure)) {
    t.fail(`${name}: expected a CrmFailure of kind ${kind}, came ${describe(outcome.error)}`)
    return undefined
  }
  const err = outcome.error
  t.equal(err.kind, kind, err.kind === kind ? `${name} → ${kind}` : `${name}: expected ${kind}, came ${err.kind} (${err.message})`)
  return err
}
