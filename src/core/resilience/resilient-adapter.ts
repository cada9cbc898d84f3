/**
 * The adapter as the customer service sees it: every CRM call through its operation's
 * breaker, idempotent calls retried within the request's deadline, and each attempt's outcome
 * reported for metrics. It implements the same port, so the service does not know it is there.
 */
import type { CallContext, CrmAdapter, CrmPage, CrmRecord, CrmSearchQuery, UpdateOptions } from '../port.js'
import type { Logger } from '../logger.js'
import { isGatewayError } from '../../spi/error-catalogue.js'
import { BreakerSet, type BreakerOptions, type BreakerState, type Operation } from './breakers.js'
import { withRetries, type RetryOptions } from './retry.js'

export interface UpstreamObserver {
  /** One attempt's outcome: `ok`, `not_found`, or the catalogue code it failed with. */
  attempt?(op: Operation, outcome: string, seconds: number): void
  breakerState?(op: Operation, state: BreakerState): void
}

export interface ResilienceOptions {
  readonly breaker: BreakerOptions
  readonly retry: RetryOptions
  readonly log: Logger
  readonly observer?: UpstreamObserver
}

export class ResilientAdapter implements CrmAdapter {
  readonly name: string
  readonly #inner: CrmAdapter
  readonly #breakers: BreakerSet
  readonly #retry: RetryOptions
  readonly #observer: UpstreamObserver | undefined

  constructor(inner: CrmAdapter, options: ResilienceOptions) {
    this.name = inner.name
    this.#inner = inner
    this.#retry = options.retry
    this.#observer = options.observer
    this.#breakers = new BreakerSet(inner.name, options.breaker, options.log, {
      onStateChange: (op, state) => options.observer?.breakerState?.(op, state)
    })
    if (inner.versionOf) this.versionOf = (record) => inner.versionOf?.(record)
  }

  versionOf?: (record: CrmRecord) => string | undefined

  breakerStates(): Record<Operation, BreakerState> {
    return this.#breakers.states()
  }

  getCustomer(id: string, ctx: CallContext): Promise<CrmRecord | null> {
    return this.#retried('get', ctx, (c) => this.#inner.getCustomer(id, c))
  }

  searchCustomers(query: CrmSearchQuery, ctx: CallContext): Promise<CrmPage> {
    return this.#retried('search', ctx, (c) => this.#inner.searchCustomers(query, c))
  }

  /** Never retried: a create whose answer was lost may have happened (DESIGN §5). */
  createCustomer(record: CrmRecord, ctx: CallContext): Promise<CrmRecord> {
    return this.#once('create', ctx, (c) => this.#inner.createCustomer(record, c))
  }

  /** A PATCH of absolute values is idempotent: applying it twice leaves the same record. */
  updateCustomer(id: string, patch: CrmRecord, ctx: CallContext, options?: UpdateOptions): Promise<CrmRecord | null> {
    return this.#retried('update', ctx, (c) => this.#inner.updateCustomer(id, patch, c, options))
  }

  async close(): Promise<void> {
    this.#breakers.shutdown()
    await this.#inner.close?.()
  }

  #retried<T>(op: Operation, ctx: CallContext, call: (ctx: CallContext) => Promise<T>): Promise<T> {
    return withRetries(() => this.#once(op, ctx, call), this.#retry, ctx.signal, ctx.deadlineAt, (attempt, err) =>
      ctx.log.info({ operation: op, attempt, errorCode: isGatewayError(err) ? err.code : 'unknown' }, 'retrying CRM call')
    )
  }

  async #once<T>(op: Operation, ctx: CallContext, call: (ctx: CallContext) => Promise<T>): Promise<T> {
    const started = performance.now()
    let outcome = 'ok'
    try {
      const result = await this.#breakers.fire(op, ctx.signal, (signal) => call({ ...ctx, signal }))
      if (result === null) outcome = 'not_found'
      return result
    } catch (err) {
      outcome = isGatewayError(err) ? err.code : 'INTERNAL_ERROR'
      throw err
    } finally {
      this.#observer?.attempt?.(op, outcome, (performance.now() - started) / 1000)
    }
  }
}
