/**
 * The CRM adapter the core holds, whose inner adapter can be replaced while the gateway runs
 * (a configuration reload with a new `crm.baseUrl` or new credentials in `crm.options`):
 *
 * - every call is made on the adapter current when it starts, and counted there;
 * - `swap(next)` makes `next` current at once: calls started afterwards use it;
 * - the adapter swapped out serves the calls it already has to their end and is closed when
 *   the last one settles — or after `drainTimeoutMs` at the latest (a call the adapter never
 *   settles must not keep its sockets forever), which is longer than any attempt can last.
 *
 * Adapters are not changed by this: it implements the port (src/core/port.ts) and delegates.
 * What the resilience layer reads once at construction (`callRates`, whether there is a
 * `versionOf`, a `uniqueLookup`, a `fieldSchema`) is fixed by the first adapter: a new one
 * that declares otherwise is refused by `differences` (the caller keeps the running one).
 */
import type {
  CallContext,
  CallRates,
  CrmAdapter,
  CrmFieldUse,
  CrmPage,
  CrmRecord,
  CrmSearchQuery,
  FieldReport,
  FieldSchema,
  ProvisionReport,
  UniqueLookup,
  UpdateOptions
} from './port.js'
import type { Logger } from './logger.js'
import { realTimers, type Timers } from './timers.js'

export interface SwappableAdapterOptions {
  /** The longest an adapter swapped out waits for its calls before it is closed anyway. */
  readonly drainTimeoutMs: number
  readonly log: Logger
  /** The drain backstop's timers (tests pass a fake clock's). */
  readonly timers?: Timers
}

interface Slot {
  readonly adapter: CrmAdapter
  inFlight: number
  retired: boolean
  backstop?: unknown
}


export class SwappableAdapter implements CrmAdapter {
  readonly name: string
  readonly callRates?: CallRates
  readonly uniqueLookup?: UniqueLookup
  readonly fieldSchema?: FieldSchema
  versionOf?: (record: CrmRecord) => string | undefined
  #current: Slot
  /** Adapters swapped out whose calls are still running. */
  readonly #draining = new Set<Slot>()
  readonly #options: SwappableAdapterOptions
  readonly #timers: Timers

  constructor(initial: CrmAdapter, options: SwappableAdapterOptions) {
    this.name = initial.name
    this.#current = { adapter: initial, inFlight: 0, retired: false }
    this.#options = options
    this.#timers = options.timers ?? realTimers
    if (initial.callRates) this.callRates = initial.callRates
    if (initial.versionOf) this.versionOf = (record) => this.#current.adapter.versionOf?.(record)
    if (initial.uniqueLookup) {
      this.uniqueLookup = {
        fields: () => this.#current.adapter.uniqueLookup?.fields() ?? new Set<string>(),
        find: (field, value, ctx) => this.#run((a) => required(a.uniqueLookup, 'uniqueLookup').find(field, value, ctx))
      }
    }
    if (initial.fieldSchema) {
      this.fieldSchema = {
        check: (fields: readonly CrmFieldUse[], ctx: CallContext): Promise<FieldReport> =>
          this.#run((a) => required(a.fieldSchema, 'fieldSchema').check(fields, ctx)),
        provision: (fields: readonly CrmFieldUse[], ctx: CallContext): Promise<ProvisionReport> =>
          this.#run((a) => required(a.fieldSchema, 'fieldSchema').provision(fields, ctx))
      }
    }
  }

  /** The adapter new calls go to. */
  get current(): CrmAdapter {
    return this.#current.adapter
  }

  /** Adapters swapped out and not closed yet (their calls are still running). */
  get draining(): number {
    return this.#draining.size
  }

  /**
   * What `next` declares differently from the running adapter, which the layers above read
   * once at start (its name, rates, optional capabilities); empty when it can be swapped in.
   */
  differences(next: CrmAdapter): string[] {
    const running = this.#current.adapter
    const out: string[] = []
    if (next.name !== running.name) out.push('name')
    if (JSON.stringify(next.callRates ?? null) !== JSON.stringify(running.callRates ?? null)) out.push('callRates')
    for (const member of ['versionOf', 'uniqueLookup', 'fieldSchema'] as const) {
      if ((next[member] === undefined) !== (running[member] === undefined)) out.push(member)
    }
    return out
  }

  /** New calls go to `next`; the running adapter is closed once its calls are done. */
  swap(next: CrmAdapter): void {
    const differences = this.differences(next)
    if (differences.length > 0) throw new Error(`the new CRM adapter differs in ${differences.join(', ')}; a restart is needed`)
    const old = this.#current
    this.#current = { adapter: next, inFlight: 0, retired: false }
    old.retired = true
    this.#draining.add(old)
    this.#options.log.info({ event: 'crm_adapter_swapped', adapter: this.name, inFlight: old.inFlight }, 'CRM adapter replaced; calls in flight finish on the previous one')
    if (old.inFlight === 0) {
      this.#retire(old)
      return
    }
    old.backstop = this.#timers.setTimeout(() => {
      this.#options.log.warn(
        { event: 'crm_adapter_drain_timeout', adapter: this.name, inFlight: old.inFlight, drainTimeoutMs: this.#options.drainTimeoutMs },
        'previous CRM adapter closed with calls still running'
      )
      this.#retire(old)
    }, this.#options.drainTimeoutMs)
  }

  getCustomer(id: string, ctx: CallContext): Promise<CrmRecord | null> {
    return this.#run((a) => a.getCustomer(id, ctx))
  }

  searchCustomers(query: CrmSearchQuery, ctx: CallContext): Promise<CrmPage> {
    return this.#run((a) => a.searchCustomers(query, ctx))
  }

  createCustomer(record: CrmRecord, ctx: CallContext): Promise<CrmRecord> {
    return this.#run((a) => a.createCustomer(record, ctx))
  }

  updateCustomer(id: string, patch: CrmRecord, ctx: CallContext, options?: UpdateOptions): Promise<CrmRecord | null> {
    return this.#run((a) => a.updateCustomer(id, patch, ctx, options))
  }

  /** Shutdown: the current adapter and any still draining (the app has drained its requests). */
  async close(): Promise<void> {
    const slots = [...this.#draining, this.#current]
    this.#draining.clear()
    for (const slot of slots) {
      if (slot.backstop !== undefined) this.#timers.clearTimeout(slot.backstop)
    }
    await Promise.all(slots.map((slot) => slot.adapter.close?.() ?? Promise.resolve()))
  }

  async #run<T>(call: (adapter: CrmAdapter) => Promise<T>): Promise<T> {
    const slot = this.#current
    slot.inFlight++
    try {
      return await call(slot.adapter)
    } finally {
      slot.inFlight--
      if (slot.retired && slot.inFlight === 0 && this.#draining.has(slot)) this.#retire(slot)
    }
  }

  #retire(slot: Slot): void {
    if (!this.#draining.delete(slot)) return
    if (slot.backstop !== undefined) this.#timers.clearTimeout(slot.backstop)
    const closing = slot.adapter.close?.() ?? Promise.resolve()
    closing.then(
      () => this.#options.log.info({ event: 'crm_adapter_closed', adapter: this.name }, 'previous CRM adapter closed'),
      (err: unknown) => this.#options.log.warn({ event: 'crm_adapter_close_failed', adapter: this.name, err }, 'previous CRM adapter did not close cleanly')
    )
  }
}

/** Present on every adapter swapped in, since `differences` refuses one without it. */
function required<T>(member: T | undefined, name: string): T {
  if (member === undefined) throw new Error(`CRM adapter lost its ${name}`)
  return member
}
