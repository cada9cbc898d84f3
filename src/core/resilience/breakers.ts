/**
 * One circuit breaker per adapter operation (DESIGN §5: reads and writes fail differently),
 * built on opossum (https://nodeshift.dev/opossum/), and a "throttled until" gate per operation.
 *
 * A breaker judges the CRM by whole attempts: an attempt is aborted only by its own time budget
 * (that timeout is a CRM failure), never because the POS left or its deadline passed — callers
 * stop waiting without cancelling it (resilient-adapter.ts). Only CRM faults count
 * (failure-policy.ts): throttling, refusals of the request and our own bugs never open a circuit.
 *
 * The gate: once the CRM throttled an operation (429, a spent quota), calls of it are answered
 * at once without reaching the CRM until its Retry-After has passed — capped at `maxGateSeconds`,
 * after which one probe goes through and either lifts the gate or sets it again. So a CRM asking
 * for two hours is asked again once every `maxGateSeconds`, never hammered, never waited on.
 */
import CircuitBreaker from 'opossum'
import type { Logger } from '../logger.js'
import { CrmFailure } from '../port.js'
import { CircuitOpen, isCrmFault, isThrottle } from './failure-policy.js'
import { withoutStack } from '../without-stack.js'

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

export interface BreakerEvents {
  onStateChange?(op: Operation, state: BreakerState): void
}

type Attempt = (signal: AbortSignal) => Promise<unknown>

interface Gate {
  readonly until: number
  readonly kind: 'throttled' | 'quota-exhausted'
  /** A call is on its way to the CRM to see whether the throttle has lifted. */
  probing: boolean
}

/** A throttle without Retry-After holds its operation this long (a quota: maxGateSeconds). */
const DEFAULT_THROTTLE_GATE_SECONDS = 1

export class BreakerSet {
  readonly #breakers: Record<Operation, CircuitBreaker<[Attempt, number], unknown>>
  readonly #openedAt: Partial<Record<Operation, number>> = {}
  readonly #gates: Partial<Record<Operation, Gate>> = {}
  readonly #options: BreakerOptions
  readonly #maxGateMs: number

  constructor(adapter: string, options: BreakerOptions, log: Logger, events: BreakerEvents = {}, maxGateSeconds = 60) {
    this.#options = options
    this.#maxGateMs = maxGateSeconds * 1000
    const make = (op: Operation): CircuitBreaker<[Attempt, number], unknown> => {
      const breaker = new CircuitBreaker(timed, {
        name: `${adapter}.${op}`,
        // Attempts time themselves (`timed`): a create's budget is not the others'.
        timeout: false,
        errorThresholdPercentage: options.errorThresholdPercentage,
        volumeThreshold: options.volumeThreshold,
        resetTimeout: options.resetTimeoutMs,
        rollingCountTimeout: options.rollingWindowMs,
        rollingCountBuckets: 10,
        // opossum counts a filtered error as a success: the CRM answered, it is up.
        errorFilter: (err: unknown) => !isCrmFault(err)
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
   * Runs one attempt through the operation's gate and breaker. The attempt's signal fires after
   * `budgetMs` (then it fails as a `timeout`, a CRM fault) and at nothing else. Throws the gate's
   * throttle, CircuitOpen, or the attempt's own failure.
   */
  async fire<T>(op: Operation, budgetMs: number, attempt: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const probe = this.#passGate(op)
    try {
      const result = (await this.#breakers[op].fire(attempt, budgetMs)) as T
      if (probe) delete this.#gates[op]
      return result
    } catch (err) {
      if ((err as { code?: unknown } | null)?.code === 'EOPENBREAKER') throw this.#circuitOpen(op)
      if (isThrottle(err)) this.#closeGate(op, err)
      else if (probe) delete this.#gates[op]
      throw err
    }
  }

  /**
   * The refusal to answer now when the operation's circuit refuses calls — as opossum decides
   * (https://github.com/nodeshift/opossum/blob/main/lib/circuit.js, `call`: not closed, and no
   * half-open trial call pending) — else undefined. Asked before a call is prepared, so that a
   * refusal costs neither opossum's error (with its stack) nor anything made for the call; and
   * a refused call is not counted in opossum's window as a call made (it is none: the error
   * rate that reopens a circuit is the CRM's attempts, not the refusals in between).
   */
  refusal(op: Operation): CircuitOpen | undefined {
    const b = this.#breakers[op]
    return b.closed || b.pendingClose ? undefined : this.#circuitOpen(op)
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

  /** Throws while the operation is gated; true when this call is the one probe after the gate. */
  #passGate(op: Operation): boolean {
    const gate = this.#gates[op]
    if (gate === undefined) return false
    const now = Date.now()
    if (now < gate.until || gate.probing) {
      const seconds = Math.max(1, Math.ceil((gate.until - now) / 1000))
      throw withoutStack(() => new CrmFailure(gate.kind, { detail: 'held by the throttle gate, CRM not called', retryAfterSeconds: seconds, refused: true }))
    }
    gate.probing = true
    return true
  }

  #closeGate(op: Operation, failure: CrmFailure): void {
    const kind = failure.kind === 'quota-exhausted' ? 'quota-exhausted' : 'throttled'
    const asked = failure.retryAfterSeconds ?? (kind === 'quota-exhausted' ? Infinity : DEFAULT_THROTTLE_GATE_SECONDS)
    this.#gates[op] = { until: Date.now() + Math.min(asked * 1000, this.#maxGateMs), kind, probing: false }
  }

  /** Says when the circuit will let a trial call through (its Retry-After). */
  #circuitOpen(op: Operation): CircuitOpen {
    const opened = this.#openedAt[op] ?? Date.now()
    const waitMs = Math.max(0, opened + this.#options.resetTimeoutMs - Date.now())
    return withoutStack(() => new CircuitOpen(Math.max(1, Math.ceil(waitMs / 1000))))
  }
}

/**
 * One attempt under its own time budget: its signal fires when the budget is spent, and the
 * attempt fails then as a `timeout` even if the adapter does not notice the signal at once.
 */
function timed(attempt: Attempt, budgetMs: number): Promise<unknown> {
  const controller = new AbortController()
  let timer: NodeJS.Timeout | undefined
  const timeUp = new Promise<never>((_resolve, reject) => {
    // setTimeout rather than AbortSignal.timeout: tests drive it with a fake clock.
    timer = setTimeout(() => {
      const failure = new CrmFailure('timeout', { detail: `no answer within the attempt's ${budgetMs} ms` })
      controller.abort(failure)
      reject(failure)
    }, Math.max(0, budgetMs))
  })
  return Promise.race([attempt(controller.signal), timeUp]).finally(() => clearTimeout(timer))
}
