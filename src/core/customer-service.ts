/**
 * The SPI's rules, held once for every CRM (DESIGN §1): what CREATE, UPDATE, GET and SEARCH
 * mean, independent of how a CRM stores a customer. It speaks SPI customers on one side and,
 * through the mapper and the adapter port, CRM records on the other.
 */
import { CUSTOMER_ID_PATTERN, MAX_LENGTH, type Address, type Customer } from '../spi/customer-schema.js'
import { GatewayError, isGatewayError } from '../spi/error-catalogue.js'
import { normalizeBirthday } from '../spi/birthday.js'
import type { SearchRequest } from '../spi/search-query.js'
import type { SearchParam } from '../spi/customer-schema.js'
import type { CustomerMapper } from './mapper.js'
import type { CallContext, CrmAdapter, CrmCriterion, CrmRecord } from './port.js'
import { appendAddresses, hasAddress } from './address-rules.js'
import { READ_ONLY_KEYS, RESERVED_KEYS, WRITE_ONLY_KEYS } from './customer-fields.js'
import { matchesCriterion } from './customer-matcher.js'
import { KeyedMutex } from './keyed-mutex.js'
import { phoneQuery, type PhoneQuery } from './phone-number.js'
import { planUpdate } from './update-plan.js'
import type { CacheCoherence } from './cache-coherence.js'
import type { SharedLease } from './shared-lease.js'
import type { CacheOutcome, ReadCache } from './read-cache.js'
import type { CreateAttempt, CreateDedup } from './create-dedup.js'

/**
 * Ids reach CRM URL paths: refuse anything that is not a plausible id before encoding it. The
 * rule is the one /openapi.json documents (CUSTOMER_ID_PATTERN: not dots alone either — `..`
 * would survive encoding and walk the CRM's paths, SECURITY.md § Hostile input).
 */
const CUSTOMER_ID = new RegExp(CUSTOMER_ID_PATTERN)

export function assertCustomerId(id: string, field: string): void {
  if (id.length > MAX_LENGTH.id || !CUSTOMER_ID.test(id)) throw new GatewayError('INVALID_CUSTOMER_ID', { params: { field } })
}

export interface CustomerServiceDeps {
  readonly adapter: CrmAdapter
  readonly mapper: CustomerMapper
  /** GET_CUSTOMER's read cache; none = every GET asks the CRM. */
  readonly cache?: ReadCache
  /** Repeated-create detection and creation markers; none = every create reaches the CRM once, unmarked. */
  readonly dedup?: CreateDedup<Customer>
  /** Tells the other instances' read caches of this one's writes; none = one instance. */
  readonly coherence?: CacheCoherence
  /**
   * One update per customer across instances; none = within this instance. For a CRM without
   * optimistic concurrency it is the only guard; with one (`versionOf`) the CRM's check still
   * guards, and the lease spares concurrent updates their conflicts (measured: 50 appends over
   * three processes and the demo CRM, some ran out of conflict retries without it).
   */
  readonly lease?: SharedLease
  readonly events?: ServiceEvents
}

export interface ServiceEvents {
  cacheRead?(outcome: CacheOutcome): void
  createReplayed?(): void
}

export interface CreateOptions {
  /** The authenticated POS client: repeated creates are recognized per client. */
  readonly client: string
  readonly idempotencyKey?: string
}

/** GET_CUSTOMER's answer, serialized: bytes from the read cache, text without one. */
export interface CustomerJson {
  readonly body: Buffer | string
  readonly outcome: CacheOutcome
  /** Seconds since the CRM gave this answer. */
  readonly ageSeconds: number
}

/** How often an update re-reads and tries again when the CRM reports a concurrent change. */
const CONFLICT_ATTEMPTS = 3

export class CustomerService {
  readonly #adapter: CrmAdapter
  readonly #mapper: CustomerMapper
  readonly #cache: ReadCache | undefined
  readonly #dedup: CreateDedup<Customer> | undefined
  readonly #coherence: CacheCoherence | undefined
  readonly #lease: SharedLease | undefined
  readonly #events: ServiceEvents
  readonly #updates = new KeyedMutex()

  constructor(deps: CustomerServiceDeps) {
    this.#adapter = deps.adapter
    this.#mapper = deps.mapper
    this.#cache = deps.cache
    this.#dedup = deps.dedup
    this.#coherence = deps.coherence
    this.#lease = deps.lease
    this.#events = deps.events ?? {}
  }

  /**
   * CREATE_CUSTOMER. A repeated create (same key or body, same client, within the window) gets
   * the first one's customer (create-dedup.ts). The record carries a creation marker where the
   * table stores one, so that a create whose answer was lost is found again instead of made
   * twice: by its retry (`earlierOutcomeUnknown`), and by any create of the same body that the
   * CRM refuses as a duplicate (the associate's own customer, created by an attempt the POS
   * never heard back from — on this instance or another).
   */
  async create(request: Customer, ctx: CallContext, options: CreateOptions): Promise<Customer> {
    const customer = prepareCreate(normalizeInput(request))
    const run = async (attempt: CreateAttempt | undefined): Promise<Customer> => {
      if (attempt?.earlierOutcomeUnknown) {
        const earlier = await this.#findCreated([attempt.marker], ctx)
        if (earlier) return earlier
      }
      // Nothing is stored yet: composed fields are built from the parts sent, lists start empty.
      const record = this.#mapper.toCrm(attempt ? { ...customer, meta: { createRequestId: attempt.marker } } : customer, {})
      try {
        const created = this.#answer(await this.#adapter.createCustomer(record, ctx))
        await this.#remember(created)
        return created
      } catch (err) {
        if (!(isGatewayError(err) && err.code === 'DUPLICATE_CUSTOMER') || !attempt || !this.#dedup) throw err
        const own = await this.#findCreated([...new Set([attempt.marker, ...this.#dedup.markersFor(options.client, request)])], ctx)
        if (own) return own
        throw err
      }
    }
    if (!this.#dedup) return run(undefined)
    const { value, outcome } = await this.#dedup.run(options.client, options.idempotencyKey, request, ctx.signal, run)
    if (outcome === 'replayed') this.#events.createReplayed?.()
    return value
  }

  /** The customer a create stored one of `markers` in, if the table stores markers and one is found. */
  async #findCreated(markers: readonly string[], ctx: CallContext): Promise<Customer | null> {
    for (const marker of markers) {
      const criterion = this.#mapper.markerCriterion(marker)
      if (!criterion) return null
      const record = await this.#findOne(criterion, ctx)
      if (record) {
        ctx.log.info({ reconciled: true }, 'create answered with the customer an earlier attempt made')
        const found = this.#answer(record)
        await this.#remember(found)
        return found
      }
    }
    return null
  }

  /**
   * GET_CUSTOMER as JSON (bytes from the cache, text when there is no cache), through the read
   * cache: a hit costs no CRM call and no serialization; a CRM failure may be answered from a stale entry (outcome `stale`).
   */
  async getJson(id: string, ctx: CallContext): Promise<CustomerJson> {
    assertCustomerId(id, 'customerId')
    // Under the context it is given: a shared load runs under the cache's, not this caller's.
    const load = async (loadCtx: CallContext): Promise<string | null> => {
      const found = await this.#fetch(id, loadCtx)
      return found ? JSON.stringify(found) : null
    }
    const read: Omit<CustomerJson, 'body'> & { body: CustomerJson['body'] | null } = this.#cache
      ? await this.#cache.read(this.#key(id), ctx, load)
      : { body: await load(ctx), outcome: 'miss', ageSeconds: 0 }
    this.#events.cacheRead?.(read.outcome)
    if (read.body === null) throw new GatewayError('CUSTOMER_NOT_FOUND')
    return { ...read, body: read.body }
  }

  async update(id: string, request: Customer, ctx: CallContext): Promise<Customer> {
    assertCustomerId(id, 'profile.customerId')
    const input = normalizeInput(request)
    // Read-modify-write (the address list is appended to): one update per customer at a time
    // in this instance; across instances, the CRM's optimistic concurrency where it has one,
    // else a shared lease. An update whose caller stops waiting while it queues (its deadline,
    // a hang-up) never runs.
    const update = async (): Promise<Customer> => {
      for (let attempt = 1; ; attempt++) {
        try {
          const updated = await this.#updateOnce(id, input, ctx)
          await this.#remember(updated)
          return updated
        } catch (err) {
          if (!(isGatewayError(err) && err.code === 'UPDATE_CONFLICT') || attempt >= CONFLICT_ATTEMPTS) throw err
          ctx.log.info({ attempt }, 'concurrent change in the CRM; re-reading before updating again')
        }
      }
    }
    const lease = this.#lease
    return this.#updates.run(id, lease === undefined ? update : () => lease.run(this.#key(id), update, ctx.signal), ctx.signal)
  }

  async #updateOnce(id: string, input: Customer, ctx: CallContext): Promise<Customer> {
    const record = await this.#adapter.getCustomer(id, ctx)
    if (!record) throw new GatewayError('CUSTOMER_NOT_FOUND')
    const current = this.#answer(record)
    // The stored record completes what the patch holds in part: keyed list items, composed fields.
    const crmPatch = this.#mapper.toCrm(planUpdate(current, input), record)
    if (Object.keys(crmPatch).length === 0) return current
    const ifMatch = this.#adapter.versionOf?.(record)
    const updated = await this.#adapter.updateCustomer(id, crmPatch, ctx, ifMatch === undefined ? undefined : { ifMatch })
    if (!updated) throw new GatewayError('CUSTOMER_NOT_FOUND')
    return this.#answer(updated)
  }

  #key(id: string): string {
    return `${this.#adapter.name}:${id}`
  }

  /**
   * A create's or update's answer is the freshest copy there is: it replaces the cached one,
   * and the other instances drop theirs before the POS hears of the write (so a GET sent to
   * another instance after this answer reads the CRM). Telling them never fails the write.
   */
  async #remember(customer: Customer): Promise<void> {
    const id = customer.profile?.customerId
    if (!this.#cache || !id) return
    this.#cache.write(this.#key(id), JSON.stringify(customer))
    await this.#coherence?.written(this.#key(id))
  }

  /**
   * SEARCH_CUSTOMERS. One matcher (customer-matcher.ts) holds the contract's semantics: it
   * answers the customerId path (a GET, then the other criteria checked here) and re-checks a
   * CRM's answer to a phone search, which the port lets an adapter answer too widely.
   */
  async search(request: SearchRequest, ctx: CallContext): Promise<Customer[]> {
    const phone = request.criteria.find(([param]) => param === 'phone')
    const wanted = phone && this.#phoneQuery(phone[1])
    const matches = (c: Customer, param: SearchParam, value: string): boolean => matchesCriterion(c, param, value, wanted)
    const byId = request.criteria.find(([param]) => param === 'customerId')
    if (byId) {
      assertCustomerId(byId[1], 'customerId')
      if (request.offset > 0) return []
      const found = await this.#fetch(byId[1], ctx)
      return found && request.criteria.every(([p, v]) => matches(found, p, v)) ? [found] : []
    }
    const criteria: CrmCriterion[] = request.criteria.map(([param, value]) => {
      const criterion = this.#mapper.criterion(param, value)
      if (!criterion) throw new GatewayError('SEARCH_PARAMETER_UNSUPPORTED', { params: { field: param } })
      return criterion
    })
    // An exact value of a unique field (an e-mail): one lookup, then the other criteria checked
    // here — as for customerId — rather than a search that may not see a customer created a
    // moment ago.
    const unique = criteria.find((c) => this.#uniqueField(c) !== undefined)
    if (unique) {
      if (request.offset > 0) return []
      const record = await this.#findOne(unique, ctx)
      const found = record ? this.#answer(record) : null
      return found && request.criteria.every(([p, v]) => matches(found, p, v)) ? [found] : []
    }
    const page = await this.#adapter.searchCustomers({ criteria, limit: request.limit, offset: request.offset }, ctx)
    const found = page.records.slice(0, request.limit).map((r) => this.#answer(r))
    return phone ? found.filter((c) => matches(c, 'phone', phone[1])) : found
  }

  /**
   * The searched phone number as the table reads it (its phone row's region), else as typed.
   * A number the table refuses is the POS's error (400), from `criterion` as for a CRM search.
   */
  #phoneQuery(typed: string): PhoneQuery | undefined {
    const criterion = this.#mapper.criterion('phone', typed)
    if (criterion?.operator !== 'phone') return phoneQuery(typed)
    const international = criterion.international === undefined ? undefined : phoneQuery(criterion.international)
    return international ?? { nationalNumber: criterion.value }
  }

  /**
   * The one record an `equals` criterion on a unique field names, by the adapter's exact
   * lookup where it has one for that field (no search index lag, no search quota), else by a
   * one-record search.
   */
  async #findOne(criterion: CrmCriterion, ctx: CallContext): Promise<CrmRecord | null> {
    const field = this.#uniqueField(criterion)
    if (field !== undefined && this.#adapter.uniqueLookup) return this.#adapter.uniqueLookup.find(field, criterion.value, ctx)
    const page = await this.#adapter.searchCustomers({ criteria: [criterion], limit: 1, offset: 0 }, ctx)
    return page.records[0] ?? null
  }

  /** The field an `equals` criterion compares, when the adapter can look it up exactly. */
  #uniqueField(criterion: CrmCriterion): string | undefined {
    const [field, ...others] = criterion.fields
    if (criterion.operator !== 'equals' || field === undefined || others.length > 0) return undefined
    return this.#adapter.uniqueLookup?.fields().has(field) ? field : undefined
  }

  async #fetch(id: string, ctx: CallContext): Promise<Customer | null> {
    const record = await this.#adapter.getCustomer(id, ctx)
    return record ? this.#answer(record) : null
  }

  /** A CRM record as the SPI answer: write-only context never leaves; the CRM must give an id. */
  #answer(record: CrmRecord): Customer {
    const customer = this.#mapper.fromCrm(record)
    for (const key of WRITE_ONLY_KEYS) delete (customer as Record<string, unknown>)[key]
    for (const key of RESERVED_KEYS) delete (customer as Record<string, unknown>)[key]
    if (!customer.profile?.customerId) {
      throw new GatewayError('CRM_BAD_RESPONSE', { detail: 'CRM record without a customer id' })
    }
    return customer
  }
}

/** Rules every written customer gets: read-only summaries and reserved keys dropped, birthday normalized. */
function normalizeInput(request: Customer): Customer {
  const customer: Customer = {}
  for (const [key, value] of Object.entries(request)) {
    if (!READ_ONLY_KEYS.has(key) && !RESERVED_KEYS.has(key)) (customer as Record<string, unknown>)[key] = value
  }
  const birthday = customer.profile?.birthday
  if (birthday !== undefined && birthday !== '' && customer.profile) {
    const normalized = normalizeBirthday(birthday)
    if (normalized === undefined) {
      throw new GatewayError('INVALID_REQUEST', { params: { field: 'profile.birthday', reason: 'date' } })
    }
    customer.profile = { ...customer.profile, birthday: normalized }
  }
  return customer
}

/**
 * Scenario 1: the profile address is also the first saved address and, for a customer who
 * joins the loyalty programme, the loyalty profile's address (with the customer's name).
 */
function prepareCreate(input: Customer): Customer {
  const { customerId: _ignored, ...profile } = input.profile ?? {}
  const customer: Customer = { ...input, ...(input.profile ? { profile } : {}) }
  const address: Address | undefined = hasAddress(profile.address) ? profile.address : undefined
  const list = appendAddresses([], [...(address ? [address] : []), ...(input.addressList ?? [])])
  if (list) customer.addressList = list
  if (input.consents?.loyaltySignUp === true) {
    customer.loyaltyProfile = {
      ...(profile.firstName ? { firstName: profile.firstName } : {}),
      ...(profile.lastName ? { lastName: profile.lastName } : {}),
      ...(address ? { address } : {}),
      ...input.loyaltyProfile
    }
  }
  return customer
}
