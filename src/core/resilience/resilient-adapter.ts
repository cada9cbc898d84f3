/**
 * The adapter as the customer service sees it: every CRM call through its operation's gate and
 * breaker, idempotent calls retried within the request's deadline, each attempt's outcome
 * reported for metrics, and every failure turned into its SPI error (failure-policy.ts). It
 * implements the same port, so the service does not know it is there.
 *
 * Who waits for what:
 * - The caller's `ctx.signal` fires when its deadline passes or the POS hangs up. From then on
 *   no attempt, retry or backoff is started for it, and no breaker hears of it.
 * - An attempt, once started, belongs to nobody: only its own budget aborts it (a CRM fault).
 *   A reader stops waiting when its signal fires and the attempt finishes in the background, so
 *   the breaker sees how the CRM really did. A writer waits for the outcome of a write it sent,
 *   so that its answer tells the truth: an error means the write was not applied, or that its
 *   outcome is unknown (a timeout, a broken connection) — never "failed" while it succeeded.
 * - Budgets: get, search and update attempts get `breaker.timeoutMs` each; a create, never
 *   retried, gets its one attempt the request's remaining deadline.
 * - Pacing: where the adapter declares its CRM's request rate (`callRates`), each attempt first
 *   waits for its slot (./pacer.ts), before the breaker and outside the attempt's budget: a
 *   wait for our own pacing is not the CRM being slow. No slot before the deadline: 429 at once.
 * - Tracing (when on: src/observability/tracing.ts): each attempt is a span `crm <operation>`,
 *   child of the request's, with its number and outcome (a breaker refusal is `circuit_open`),
 *   and is the current span while it runs, so its HTTP request carries it to the CRM.
 */
import { context, SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api'
import type { CallContext, CallRates, CrmAdapter, CrmPage, CrmRecord, CrmSearchQuery, FieldSchema, UniqueLookup, UpdateOptions } from '../port.js'
import { isCrmFailure } from '../port.js'
import type { Logger } from '../logger.js'
import { GatewayError } from '../../spi/error-catalogue.js'
import { abortReason, waitFor } from '../wait-for.js'
import { BreakerSet, type BreakerOptions, type BreakerState, type Operation } from './breakers.js'
import { CircuitOpen, toGatewayError } from './failure-policy.js'
import { Pacer, SharedPacer, type Pacing } from './pacer.js'
import { isShared, type SharedStore } from '../shared-store.js'
import { withRetries, type RetryOptions } from './retry.js'

export interface UpstreamObserver {
  /** One attempt's outcome: `ok`, `not_found`, the failure kind, `circuit_open` or `error` (a bug). */
  attempt?(op: Operation, outcome: string, seconds: number): void
  breakerState?(op: Operation, state: BreakerState): void
  /** The CRM's declared rate for `op` (`callRates`), in calls per second: once, at construction. */
  declaredRate?(op: Operation, callsPerSecond: number): void
  /**
   * One attempt's pacing (only operations with a declared rate): a slot was free (`immediate`),
   * it waited for one (`waited`), none before the deadline (`refused`: 429, CRM not called), or
   * its caller left while it waited (`abandoned`: the slot stays spent).
   */
  paced?(op: Operation, outcome: PacingOutcome): void
}

export type PacingOutcome = 'immediate' | 'waited' | 'refused' | 'abandoned'

export interface ResilienceOptions {
  readonly breaker: BreakerOptions
  readonly retry: RetryOptions
  /** Retry-After towards the POS is clamped to this; the throttle gate re-probes this often. */
  readonly maxRetryAfterSeconds: number
  readonly log: Logger
  readonly observer?: UpstreamObserver
  /** When shared (Redis), a CRM's declared rate is paced over the instances together. */
  readonly store?: SharedStore
  /** Spans for the attempts, when tracing is on. */
  readonly tracer?: Tracer
}

const OPERATION_OF: Readonly<Record<keyof CallRates, Operation>> = {
  getCustomer: 'get',
  searchCustomers: 'search',
  createCustomer: 'create',
  updateCustomer: 'update'
}

export class ResilientAdapter implements CrmAdapter {
  readonly name: string
  readonly #inner: CrmAdapter
  readonly #breakers: BreakerSet
  readonly #options: ResilienceOptions
  readonly #pacers: Partial<Record<Operation, Pacing>> = {}
  /** Exact lookups, as gets: the get breaker, retries and pacing. */
  readonly uniqueLookup?: UniqueLookup
  /** Administrative (start-up, readiness, provisioning): its callers bound and judge it. */
  readonly fieldSchema?: FieldSchema

  constructor(inner: CrmAdapter, options: ResilienceOptions) {
    this.name = inner.name
    this.#inner = inner
    this.#options = options
    this.#breakers = new BreakerSet(
      inner.name,
      options.breaker,
      options.log,
      { onStateChange: (op, state) => options.observer?.breakerState?.(op, state) },
      options.maxRetryAfterSeconds
    )
    if (inner.versionOf) this.versionOf = (record) => inner.versionOf?.(record)
    for (const [method, rate] of Object.entries(inner.callRates ?? {}) as [keyof CallRates, CallRates[keyof CallRates]][]) {
      if (rate === undefined) continue
      const op = OPERATION_OF[method]
      // A CRM's rate is per account: with a shared store, every instance takes its slots from one window.
      const store = options.store
      this.#pacers[op] = isShared(store) ? new SharedPacer(store, `pace:${inner.name}:${op}`, rate) : new Pacer(rate)
      options.observer?.declaredRate?.(op, (rate.calls * 1000) / rate.perMs)
    }
    const lookup = inner.uniqueLookup
    if (lookup) {
      this.uniqueLookup = {
        fields: () => lookup.fields(),
        find: (field, value, ctx) => this.#call('get', ctx, (c) => lookup.find(field, value, c))
      }
    }
    if (inner.fieldSchema) this.fieldSchema = inner.fieldSchema
  }

  versionOf?: (record: CrmRecord) => string | undefined

  breakerStates(): Record<Operation, BreakerState> {
    return this.#breakers.states()
  }

  getCustomer(id: string, ctx: CallContext): Promise<CrmRecord | null> {
    return this.#call('get', ctx, (c) => this.#inner.getCustomer(id, c))
  }

  searchCustomers(query: CrmSearchQuery, ctx: CallContext): Promise<CrmPage> {
    return this.#call('search', ctx, (c) => this.#inner.searchCustomers(query, c))
  }

  /** Never retried: a create whose answer was lost may have happened (DESIGN §5). */
  createCustomer(record: CrmRecord, ctx: CallContext): Promise<CrmRecord> {
    return this.#call('create', ctx, (c) => this.#inner.createCustomer(record, c))
  }

  /** A PATCH of absolute values is idempotent: applying it twice leaves the same record. */
  updateCustomer(id: string, patch: CrmRecord, ctx: CallContext, options?: UpdateOptions): Promise<CrmRecord | null> {
    return this.#call('update', ctx, (c) => this.#inner.updateCustomer(id, patch, c, options))
  }

  async close(): Promise<void> {
    this.#breakers.shutdown()
    await this.#inner.close?.()
  }

  async #call<T>(op: Operation, ctx: CallContext, call: (ctx: CallContext) => Promise<T>): Promise<T> {
    let attempt = 0
    const once = (): Promise<T> => this.#attempt(op, ctx, call, ++attempt)
    try {
      if (op === 'create') return await once()
      return await withRetries(once, this.#options.retry, ctx, (attempt, err) =>
        ctx.log.info({ operation: op, attempt, failure: isCrmFailure(err) ? err.kind : 'unknown' }, 'retrying CRM call')
      )
    } catch (err) {
      throw toGatewayError(err, this.#options.maxRetryAfterSeconds)
    }
  }

  async #attempt<T>(op: Operation, ctx: CallContext, call: (ctx: CallContext) => Promise<T>, attempt: number): Promise<T> {
    // An open circuit answers before anything is made for a call that will not happen (the
    // request's signal is not even armed); the breaker still refuses a call that finds it
    // open after pacing.
    const refused = this.#breakers.refusal(op)
    if (refused !== undefined) return this.#observed(op, attempt, () => Promise.reject(refused))
    // Nobody waits for an answer any more: the CRM is not called and no breaker hears of it.
    if (ctx.signal.aborted) throw abortReason(ctx.signal)
    const pacer = this.#pacers[op]
    if (pacer !== undefined) await this.#paced(op, pacer, ctx)
    const budgetMs = op === 'create' && ctx.deadlineAt !== undefined ? ctx.deadlineAt - Date.now() : this.#options.breaker.timeoutMs
    if (budgetMs <= 0) throw new GatewayError('CRM_TIMEOUT', { detail: 'request deadline passed before the CRM call' })
    const run = this.#observed(op, attempt, () => this.#breakers.fire(op, budgetMs, (signal) => call({ ...ctx, signal })))
    return op === 'create' || op === 'update' ? run : waitFor(run, ctx.signal)
  }

  /** Takes the attempt's slot, telling the observer how it went (the rate's usage, for metrics). */
  async #paced(op: Operation, pacer: Pacing, ctx: CallContext): Promise<void> {
    const observer = this.#options.observer
    try {
      const waitedMs = await pacer.take(ctx.signal, ctx.deadlineAt)
      observer?.paced?.(op, waitedMs > 0 ? 'waited' : 'immediate')
    } catch (err) {
      observer?.paced?.(op, isCrmFailure(err) && err.kind === 'throttled' ? 'refused' : 'abandoned')
      throw err
    }
  }

  async #observed<T>(op: Operation, attempt: number, run: () => Promise<T>): Promise<T> {
    const started = performance.now()
    const tracer = this.#options.tracer
    const span = tracer?.startSpan(`crm ${op}`, { kind: SpanKind.CLIENT, attributes: { 'crm.adapter': this.name, 'crm.operation': op, 'crm.attempt': attempt } })
    let outcome = 'ok'
    try {
      const result = await (span === undefined ? run() : context.with(trace.setSpan(context.active(), span), run))
      if (result === null) outcome = 'not_found'
      return result
    } catch (err) {
      outcome = isCrmFailure(err) ? err.kind : err instanceof CircuitOpen ? 'circuit_open' : 'error'
      throw err
    } finally {
      this.#options.observer?.attempt?.(op, outcome, (performance.now() - started) / 1000)
      if (span !== undefined) {
        span.setAttribute('crm.outcome', outcome)
        if (outcome !== 'ok' && outcome !== 'not_found') span.setStatus({ code: SpanStatusCode.ERROR })
        span.end()
      }
    }
  }
}
