/**
 * The gateway's Prometheus metrics (prom-client), one registry per app so that tests can
 * build many apps. Labels are bounded sets (operations, statuses, catalogue codes): never ids,
 * never customer data. https://github.com/siimots/prom-client
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { BreakerState, Operation } from '../core/resilience/breakers.js'
import type { UpstreamObserver } from '../core/resilience/resilient-adapter.js'
import type { CacheOutcome } from '../core/read-cache.js'

const BREAKER_VALUE: Record<BreakerState, number> = { closed: 0, halfOpen: 1, open: 2 }

/** Latency buckets around what a counter's associate notices (ms-level to seconds). */
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]

export class GatewayMetrics {
  readonly registry = new Registry()
  readonly #requests: Histogram<'operation' | 'status'>
  readonly #upstream: Histogram<'adapter' | 'operation' | 'outcome'>
  readonly #upstreamErrors: Counter<'adapter' | 'operation' | 'kind'>
  readonly #breaker: Gauge<'adapter' | 'operation'>
  readonly #cache: Counter<'outcome'>
  readonly #abandoned: Counter<'operation'>
  readonly #replays: Counter
  readonly #store: Gauge
  readonly #storeChanges: Counter<'mode'>
  readonly #storeFallbacks: Counter
  readonly #invalidations: Counter<'kind'>
  readonly #adapter: string

  constructor(adapter: string, options: { processMetrics?: boolean } = {}) {
    this.#adapter = adapter
    const registers = [this.registry]
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry })
    this.#requests = new Histogram({
      name: 'spi_request_duration_seconds',
      help: 'SPI requests by operation and HTTP status',
      labelNames: ['operation', 'status'],
      buckets: BUCKETS,
      registers
    })
    this.#upstream = new Histogram({
      name: 'crm_call_duration_seconds',
      help: 'CRM call attempts by adapter operation and outcome (ok, not_found, the failure kind, circuit_open, error)',
      labelNames: ['adapter', 'operation', 'outcome'],
      buckets: BUCKETS,
      registers
    })
    this.#upstreamErrors = new Counter({
      name: 'crm_call_errors_total',
      help: 'Failed CRM call attempts by adapter operation and failure kind (timeout, interrupted, throttled…)',
      labelNames: ['adapter', 'operation', 'kind'],
      registers
    })
    this.#breaker = new Gauge({
      name: 'crm_breaker_state',
      help: 'Circuit breaker state per adapter operation: 0 closed, 1 half-open, 2 open',
      labelNames: ['adapter', 'operation'],
      registers
    })
    this.#cache = new Counter({
      name: 'read_cache_requests_total',
      help: 'GET_CUSTOMER reads by cache outcome: hit, miss, coalesced (joined a miss in flight), stale',
      labelNames: ['outcome'],
      registers
    })
    this.#abandoned = new Counter({
      name: 'spi_requests_abandoned_total',
      help: 'SPI requests whose POS closed the connection before the answer (logged as status 499)',
      labelNames: ['operation'],
      registers
    })
    this.#replays = new Counter({
      name: 'create_replays_total',
      help: 'Repeated creates answered with the first result instead of reaching the CRM',
      registers
    })
    this.#store = new Gauge({
      name: 'shared_store_shared',
      help: 'Whether this instance shares its state with the others right now (1), or runs on its own (0: in-process by configuration, or Redis unreachable)',
      registers
    })
    this.#storeChanges = new Counter({
      name: 'shared_store_status_changes_total',
      help: 'Times the shared store became shared or degraded (Redis lost or back)',
      labelNames: ['mode'],
      registers
    })
    this.#storeFallbacks = new Counter({
      name: 'shared_store_fallbacks_total',
      help: 'Shared-store commands answered from this process instead (Redis slow or away)',
      registers
    })
    this.#invalidations = new Counter({
      name: 'read_cache_invalidations_total',
      help: "Read cache entries dropped for other instances' writes (customer), and whole caches dropped after missed messages (gap)",
      labelNames: ['kind'],
      registers
    })
    for (const op of ['get', 'search', 'create', 'update'] as const) this.#breaker.set({ adapter, operation: op }, 0)
  }

  /** The shared store's mode: shared, or not (local, degraded). */
  storeStatus(mode: 'local' | 'shared' | 'degraded', changed: boolean): void {
    this.#store.set(mode === 'shared' ? 1 : 0)
    if (changed) this.#storeChanges.inc({ mode })
  }

  storeFallback(): void {
    this.#storeFallbacks.inc()
  }

  cacheInvalidated(kind: 'customer' | 'gap'): void {
    this.#invalidations.inc({ kind })
  }

  request(operation: string, status: number, seconds: number): void {
    this.#requests.observe({ operation, status: String(status) }, seconds)
  }

  requestAbandoned(operation: string): void {
    this.#abandoned.inc({ operation })
  }

  cacheRead(outcome: CacheOutcome): void {
    this.#cache.inc({ outcome })
  }

  createReplayed(): void {
    this.#replays.inc()
  }

  /** Feeds the resilience layer's events into the metrics. */
  upstreamObserver(): UpstreamObserver {
    const adapter = this.#adapter
    return {
      attempt: (operation: Operation, outcome: string, seconds: number) => {
        this.#upstream.observe({ adapter, operation, outcome }, seconds)
        if (outcome !== 'ok' && outcome !== 'not_found') this.#upstreamErrors.inc({ adapter, operation, kind: outcome })
      },
      breakerState: (operation: Operation, state: BreakerState) => {
        this.#breaker.set({ adapter, operation }, BREAKER_VALUE[state])
      }
    }
  }
}
