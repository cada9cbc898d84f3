/**
 * The SPI's rules, held once for every CRM (DESIGN §1): what CREATE, UPDATE, GET and SEARCH
 * mean, independent of how a CRM stores a customer. It speaks SPI customers on one side and,
 * through the mapper and the adapter port, CRM records on the other.
 */
import type { Address, Customer } from '../spi/customer-schema.js'
import { GatewayError } from '../spi/error-catalogue.js'
import { normalizeBirthday } from '../spi/birthday.js'
import type { SearchRequest } from '../spi/search-query.js'
import type { CustomerMapper } from './mapper.js'
import type { CallContext, CrmAdapter, CrmCriterion, CrmRecord } from './port.js'
import { appendAddresses, hasAddress } from './address-rules.js'
import { READ_ONLY_KEYS, WRITE_ONLY_KEYS } from './customer-fields.js'
import { matchesCriterion } from './customer-matcher.js'
import { KeyedMutex } from './keyed-mutex.js'
import { planUpdate } from './update-plan.js'

/** Ids reach CRM URL paths: refuse anything that is not a plausible id before encoding it. */
const CUSTOMER_ID = /^[A-Za-z0-9._~:@-]{1,128}$/

export function assertCustomerId(id: string, field: string): void {
  if (!CUSTOMER_ID.test(id)) throw new GatewayError('INVALID_CUSTOMER_ID', { params: { field } })
}

export interface CustomerServiceDeps {
  readonly adapter: CrmAdapter
  readonly mapper: CustomerMapper
}

export class CustomerService {
  readonly #adapter: CrmAdapter
  readonly #mapper: CustomerMapper
  readonly #updates = new KeyedMutex()

  constructor(deps: CustomerServiceDeps) {
    this.#adapter = deps.adapter
    this.#mapper = deps.mapper
  }

  async create(request: Customer, ctx: CallContext): Promise<Customer> {
    const customer = prepareCreate(normalizeInput(request))
    const created = await this.#adapter.createCustomer(this.#mapper.toCrm(customer), ctx)
    return this.#answer(created)
  }

  async get(id: string, ctx: CallContext): Promise<Customer> {
    assertCustomerId(id, 'customerId')
    const found = await this.#fetch(id, ctx)
    if (!found) throw new GatewayError('CUSTOMER_NOT_FOUND')
    return found
  }

  async update(id: string, request: Customer, ctx: CallContext): Promise<Customer> {
    assertCustomerId(id, 'profile.customerId')
    const input = normalizeInput(request)
    // Read-modify-write (the address list is appended to): one update per customer at a time.
    return this.#updates.run(id, async () => {
      const current = await this.#fetch(id, ctx)
      if (!current) throw new GatewayError('CUSTOMER_NOT_FOUND')
      const crmPatch = this.#mapper.toCrm(planUpdate(current, input))
      if (Object.keys(crmPatch).length === 0) return current
      const updated = await this.#adapter.updateCustomer(id, crmPatch, ctx)
      if (!updated) throw new GatewayError('CUSTOMER_NOT_FOUND')
      return this.#answer(updated)
    })
  }

  async search(request: SearchRequest, ctx: CallContext): Promise<Customer[]> {
    const byId = request.criteria.find(([param]) => param === 'customerId')
    if (byId) {
      // Any CRM can be searched by id: it is a GET, then the other criteria checked here.
      assertCustomerId(byId[1], 'customerId')
      if (request.offset > 0) return []
      const found = await this.#fetch(byId[1], ctx)
      return found && request.criteria.every(([p, v]) => matchesCriterion(found, p, v)) ? [found] : []
    }
    const criteria: CrmCriterion[] = request.criteria.map(([param, value]) => {
      const criterion = this.#mapper.criterion(param, value)
      if (!criterion) throw new GatewayError('SEARCH_PARAMETER_UNSUPPORTED', { params: { field: param } })
      return criterion
    })
    const page = await this.#adapter.searchCustomers({ criteria, limit: request.limit, offset: request.offset }, ctx)
    return page.records.slice(0, request.limit).map((r) => this.#answer(r))
  }

  async #fetch(id: string, ctx: CallContext): Promise<Customer | null> {
    const record = await this.#adapter.getCustomer(id, ctx)
    return record ? this.#answer(record) : null
  }

  /** A CRM record as the SPI answer: write-only context never leaves; the CRM must give an id. */
  #answer(record: CrmRecord): Customer {
    const customer = this.#mapper.fromCrm(record)
    for (const key of WRITE_ONLY_KEYS) delete (customer as Record<string, unknown>)[key]
    if (!customer.profile?.customerId) {
      throw new GatewayError('CRM_BAD_RESPONSE', { detail: 'CRM record without a customer id' })
    }
    return customer
  }
}

/** Rules every written customer gets: read-only summaries dropped, birthday normalized. */
function normalizeInput(request: Customer): Customer {
  const customer: Customer = {}
  for (const [key, value] of Object.entries(request)) {
    if (!READ_ONLY_KEYS.has(key)) (customer as Record<string, unknown>)[key] = value
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
