/**
 * A test double of the adapter port (not of any vendor): an in-memory CRM whose records are
 * SPI-shaped, with an identity-like mapper. Lets the SPI's rules be tested without a mapping
 * table or HTTP. Faults are injected per operation (`failNext`, e.g. a `CrmFailure` of a kind).
 */
import type { CallContext, CrmAdapter, CrmCriterion, CrmPage, CrmRecord, CrmSearchQuery } from '../../src/core/port.js'
import type { CustomerMapper } from '../../src/core/mapper.js'
import { phoneQuery } from '../../src/core/phone-number.js'
import type { Customer, SearchParam } from '../../src/spi/customer-schema.js'

type Op = 'get' | 'search' | 'create' | 'update'

const SEARCH_FIELDS: Record<SearchParam, Omit<CrmCriterion, 'value'> | undefined> = {
  firstName: { fields: ['profile.firstName'], operator: 'prefix' },
  lastName: { fields: ['profile.lastName'], operator: 'prefix' },
  email: { fields: ['profile.email'], operator: 'equals' },
  phone: { fields: ['profile.phoneMobile', 'profile.phone', 'profile.phoneHome'], operator: 'phone' },
  loyaltyId: { fields: ['loyaltyProfile.accountNumber'], operator: 'equals' },
  customerId: undefined
}

export class MemoryCrm implements CrmAdapter {
  readonly name = 'memory'
  readonly records = new Map<string, CrmRecord>()
  readonly calls: Record<Op, number> = { get: 0, search: 0, create: 0, update: 0 }
  readonly lastQuery: CrmSearchQuery[] = []
  readonly patches: CrmRecord[] = []
  #seq = 0
  #faults: Partial<Record<Op, { error: Error; times: number }>> = {}
  /** Milliseconds each call waits (lets concurrency tests interleave). */
  delayMs = 0

  #held: Partial<Record<Op, { entered: () => void; gate: Promise<void> }>> = {}

  /**
   * Holds the next call of `op` inside the CRM until `release()`: deterministic "in flight"
   * without sleeps. `entered` resolves once the call has arrived.
   */
  hold(op: Op): { entered: Promise<void>; release: () => void } {
    let release!: () => void
    let entered!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const arrived = new Promise<void>((r) => (entered = r))
    this.#held[op] = { entered, gate }
    return { entered: arrived, release }
  }

  /** The next `times` calls of `op` fail with `error` (retries included). */
  failNext(op: Op, error: Error, times = 1): void {
    this.#faults[op] = { error, times }
  }

  async getCustomer(id: string, ctx: CallContext): Promise<CrmRecord | null> {
    await this.#enter('get', ctx)
    const r = this.records.get(id)
    return r ? structuredClone(r) : null
  }

  async searchCustomers(query: CrmSearchQuery, ctx: CallContext): Promise<CrmPage> {
    await this.#enter('search', ctx)
    this.lastQuery.push(query)
    const all = [...this.records.values()].filter((r) => query.criteria.every((c) => matches(r, c)))
    return { records: all.slice(query.offset, query.offset + query.limit).map((r) => structuredClone(r)), total: all.length }
  }

  async createCustomer(record: CrmRecord, ctx: CallContext): Promise<CrmRecord> {
    await this.#enter('create', ctx)
    const id = `M${String(++this.#seq).padStart(4, '0')}`
    const stored = structuredClone(record) as Customer
    stored.profile = { ...stored.profile, customerId: id }
    if (stored.consents?.loyaltySignUp && stored.loyaltyProfile && !stored.loyaltyProfile.accountNumber) {
      stored.loyaltyProfile.accountNumber = `L${id}`
    }
    this.records.set(id, stored)
    return structuredClone(stored)
  }

  async updateCustomer(id: string, patch: CrmRecord, ctx: CallContext): Promise<CrmRecord | null> {
    await this.#enter('update', ctx)
    this.patches.push(structuredClone(patch))
    const current = this.records.get(id)
    if (!current) return null
    const merged = mergePatch(current, patch)
    const c = merged as Customer
    if (c.consents?.loyaltySignUp && c.loyaltyProfile && !c.loyaltyProfile.accountNumber) c.loyaltyProfile.accountNumber = `L${id}`
    this.records.set(id, merged)
    return structuredClone(merged)
  }

  async #enter(op: Op, ctx: CallContext): Promise<void> {
    this.calls[op]++
    const held = this.#held[op]
    if (held) {
      delete this.#held[op]
      held.entered()
      await held.gate
    }
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs))
    ctx.signal.throwIfAborted()
    const fault = this.#faults[op]
    if (fault) {
      if (--fault.times <= 0) delete this.#faults[op]
      throw fault.error
    }
  }
}

/** Objects merge key by key, "" removes, arrays and scalars replace (like a PATCH). */
function mergePatch(target: CrmRecord, patch: CrmRecord): CrmRecord {
  const out: CrmRecord = { ...target }
  for (const [k, v] of Object.entries(patch)) {
    if (v === '') delete out[k]
    else if (isObj(v) && isObj(out[k])) out[k] = mergePatch(out[k], v)
    else if (isObj(v)) out[k] = mergePatch({}, v)
    else out[k] = structuredClone(v)
  }
  return out
}

function get(r: CrmRecord, path: string): unknown {
  let node: unknown = r
  for (const p of path.split('.')) node = isObj(node) ? node[p] : undefined
  return node
}

const digits = (s: string): string => s.replace(/\D/g, '')

/** The port's operators (src/core/port.ts): text case-insensitively; `phone` digits ends-with. */
function matches(r: CrmRecord, c: CrmCriterion): boolean {
  const want = c.operator === 'phone' ? digits(c.value) : c.value.toLowerCase()
  return c.fields.some((f) => {
    const v = get(r, f)
    if (typeof v !== 'string') return false
    switch (c.operator) {
      case 'phone':
        return want !== '' && digits(v).endsWith(want)
      case 'prefix':
        return v.toLowerCase().startsWith(want)
      case 'contains':
        return v.toLowerCase().includes(want)
      case 'equals':
        return v.toLowerCase() === want
    }
  })
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function prune(v: unknown): unknown {
  if (Array.isArray(v)) {
    const items = v.map(prune).filter((x) => x !== undefined)
    return items.length ? items : undefined
  }
  if (isObj(v)) {
    const out: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(v)) {
      const p = prune(x)
      if (p !== undefined) out[k] = p
    }
    return Object.keys(out).length ? out : undefined
  }
  return v === '' || v === null ? undefined : v
}

/** The phone criterion as the real mapper builds it (src/core/phone-number.ts). */
function phoneCriterion(spec: Omit<CrmCriterion, 'value'>, value: string): CrmCriterion {
  const query = phoneQuery(value)
  // No digit at all: a value that matches nothing.
  if (query === undefined) return { ...spec, value: '' }
  return { ...spec, value: query.nationalNumber, ...(query.international === undefined ? {} : { international: query.international }) }
}

/**
 * SPI-shaped records: the mapper only copies, drops empties, and knows the search fields. A
 * phone is searched as the real mapper searches it: by its national significant number, with
 * the E.164 form when there is one. Like a table without a creation-marker row, it writes
 * nothing for `meta` and has no `markerCriterion` (see identityMapperWithMarker).
 */
export const identityMapper: CustomerMapper = {
  toCrm: ({ meta: _meta, ...customer }) => structuredClone(customer),
  fromCrm: (record) => (prune(record) ?? {}),
  criterion: (param, value) => {
    const spec = SEARCH_FIELDS[param]
    if (spec === undefined) return undefined
    return spec.operator === 'phone' ? phoneCriterion(spec, value) : { ...spec, value }
  },
  markerCriterion: () => undefined,
  // The memory CRM takes any field: there is nothing to declare.
  crmFields: () => []
}

/** Where identityMapperWithMarker keeps a create's marker in a memory record. */
export const MARKER_FIELD = 'createRequestId'

/**
 * identityMapper plus a creation-marker row, as the shipped tables have: `meta.createRequestId`
 * is written to the record's `createRequestId`, never read back into a customer, and found with
 * an `equals` criterion on it.
 */
export const identityMapperWithMarker: CustomerMapper = {
  ...identityMapper,
  toCrm: (customer) => {
    const record = identityMapper.toCrm(customer)
    const marker = customer.meta?.createRequestId
    return marker === undefined ? record : { ...record, [MARKER_FIELD]: marker }
  },
  fromCrm: ({ [MARKER_FIELD]: _marker, ...record }) => identityMapper.fromCrm(record),
  markerCriterion: (marker) => ({ fields: [MARKER_FIELD], operator: 'equals', value: marker })
}
