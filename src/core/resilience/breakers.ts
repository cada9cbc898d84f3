/**
 * One circuit breaker per adapter operation (DESIGN §5: reads and writes fail differently),
 * built on opossum. Client-class outcomes (not found, validation, duplicate) are the caller's
 * and never count as failures. A breaker's timeout aborts the CRM call through its signal, so
 * nothing keeps running in the background. Transitions are logged once each.
 * opossum: https://nodeshift.dev/opossum/
 */
import CircuitBreaker from 'opossum'
import type { Logger } from '../logger.js'
import { GatewayError, isClientError } from '../../spi/error-catalogue.js'

export const OPERATIONS = ['get', 'search', 'create', 'update'] as const
export type Operation = (typeof OPERATIONS)[number]
export type BreakerState = 'closed' | 'open' | 'halfOpen'

export interface BreakerOptions {
  readonly timeoutMs: number
  readonly errorThresholdPercentage: number
  readonly volumeThreshold: number
  readonly resetTimeoutMs: number
  readonly rollingWindowMs: number
}

/** The circuit is open: answered at once, without calling the CRM. */
export class CircuitOpenError extends GatewayError {
  constructor(retryAfterSeconds: number) {
    super('CRM_UNAVAILABLE', { retryAfterSeconds, detail: 'circuit open' })
  }
}

type Attempt = (signal: AbortSignal) => Promise<unknown>

export interface BreakerEvents {
  onStateChange?(op: Operation, state: BreakerState): void
}

export class BreakerSet {
  readonly #breakers: Record<Operation, CircuitBreaker<[Attempt, AbortController], unknown>>
  readonly #openedAt: Partial<Record<Operation, number>> = {}
  readonly #options: BreakerOptions

  constructor(adapter: string, options: BreakerOptions, log: Logger, events: BreakerEvents = {}) {
    this.#options = options
    const make = (op: Operation): CircuitBreaker<[Attempt, AbortController], unknown> => {
      const breaker = new CircuitBreaker((attempt: Attempt, controller: AbortController) => attempt(controller.signal), {
        name: `${adapter}.${op}`,
        timeout: options.timeoutMs,
        errorThresholdPercentage: options.errorThresholdPercentage,
        volumeThreshold: options.volumeThreshold,
        resetTimeout: options.resetTimeoutMs,
        rollingCountTimeout: options.rollingWindowMs,
        rollingCountBuckets: 10,
        errorFilter: (err: unknown) => isClientError(err)
      })
      const transition = (state: BreakerState) => () => {
        if (state === 'open') this.#openedAt[op] = Date.now()
        log.warn({ adapter, operation: op, breaker: state }, 'circuit breaker state changed')
        events.onStateChange?.(op, state)
      }
      breaker.on('open', transition('open'))
      breaker.on('halfOpen', transition('halfOpen'))
      breaker.on('close', transition('closed'))
      return breaker
    }
    this.#breakers = { get: make('get'), search: make('search'), create: make('create'), update: make('update') }
  }

  /**
   * Runs one attempt through the operation's breaker. `signal` is the caller's (deadline,
   * client gone); the attempt gets a signal that also fires on the breaker's timeout.
   */
  async fire<T>(op: Operation, signal: AbortSignal, attempt: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController()
    const forward = (): void => controller.abort(signal.reason)
    if (signal.aborted) forward()
    else signal.addEventListener('abort', forward, { once: true })
    try {
      return (await this.#breakers[op].fire(attempt, controller)) as T
    } catch (err) {
      const translated = this.#translate(op, err)
      // opossum's timer fired: abort this attempt's HTTP call rather than let it run on.
      if ((err as { code?: unknown } | null)?.code === 'ETIMEDOUT') controller.abort(translated)
      throw translated
    } finally {
      signal.removeEventListener('abort', forward)
    }
  }

  state(op: Operation): BreakerState {
    const b = this.#breakers[op]
    return b.opened ? 'open' : b.halfOpen ? 'halfOpen' : 'closed'
  }

  states(): Record<Operation, BreakerState> {
    return { get: this.state('get'), search: this.state('search'), create: this.state('create'), update: this.state('update') }
  }

  shutdown(): void {
    for (const op of OPERATIONS) this.#breakers[op].shutdown()
  }

  #translate(op: Operation, err: unknown): unknown {
    const code = (err as { code?: unknown } | null)?.code
    if (code === 'EOPENBREAKER') {
      const opened = this.#openedAt[op] ?? Date.now()
      const waitMs = Math.max(0, opened + this.#options.resetTimeoutMs - Date.now())
      return new CircuitOpenError(Math.max(1, Math.ceil(waitMs / 1000)))
    }
    if (code === 'ETIMEDOUT') return new GatewayError('CRM_TIMEOUT', { cause: err, detail: 'breaker timeout' })
    return err
  }
}
