/**
 * A test double of the adapter port (not of any vendor): an in-memory CRM whose records are
 * SPI-shaped, with an identity-like mapper. Lets the SPI's rules be tested without a mapping
 * table or HTTP. Faults are injected per operation.
 */
import type { CallContext, CrmAdapter, CrmCriterion, CrmPage, CrmRecord, CrmSearchQuery } from '../../src/core/port.js'
import type { CustomerMapper } from '../../src/core/mapper.js'
import type { Customer, SearchParam } from '../../src/spi/customer-schema.js'

type Op = 'get' | 'search' | 'create' | 'update'

const SEARCH_FIELDS: Record<SearchParam, Omit<CrmCriterion, 'value'> | undefined> = {
  firstName: { fields: ['profile.firstName'], operator: 'prefix' },
  lastName: { fields: ['profile.lastName'], operator: 'prefix' },
  email: { fields: ['profile.email'], operator: 'equals' },
  phone: { fields: ['profile.phoneMobile', 'profile.phone', 'profile.phoneHome'], operator: 'equals', digitsOnly: true },
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

function matches(r: CrmRecord, c: CrmCriterion): boolean {
  const norm = (s: string): string => (c.digitsOnly ? s.replace(/\D/g, '') : s.toLowerCase())
  const want = norm(c.value)
  return c.fields.some((f) => {
    const v = get(r, f)
    if (typeof v !== 'string') return false
    const have = norm(v)
    return c.operator === 'prefix' ? have.startsWith(want) : c.operator === 'contains' ? have.includes(want) : have === want
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

/** SPI-shaped records: the mapper only copies, drops empties, and knows the search fields. */
export const identityMapper: CustomerMapper = {
  toCrm: (customer) => structuredClone(customer),
  fromCrm: (record) => (prune(record) ?? {}),
  criterion: (param, value) => {
    const spec = SEARCH_FIELDS[param]
    return spec ? { ...spec, value } : undefined
  }
}
