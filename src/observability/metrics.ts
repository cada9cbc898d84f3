/**
 * The gateway's Prometheus metrics (prom-client), one registry per app so that tests can
 * build many apps. Labels are bounded sets (operations, statuses, catalogue codes): never ids,
 * never customer data. https://github.com/siimots/prom-client
 */
import type { RateLimitKind } from '../auth/counted-rate-limits.js'
import type { AuthFailureReason, AuthVia } from '../auth/authenticator.js'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { BreakerState, Operation } from '../core/resilience/breakers.js'
import type { PacingOutcome, UpstreamObserver } from '../core/resilience/resilient-adapter.js'
import type { CacheOutcome } from '../core/read-cache.js'

const BREAKER_VALUE: Record<BreakerState, number> = { closed: 0, halfOpen: 1, open: 2 }

/**
 * Latency buckets around what a counter's associate notices (ms-level to seconds). 4 s is the
 * default request deadline (resilience.requestDeadlineMs), the POS budget the p99 alert
 * compares with (deploy/observability/alerts.yaml): as a bucket boundary, "p99 above 4 s" is
 * exactly "more than 1% of requests ran past the budget", not an interpolation between 2.5 and 5.
 */
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 4, 5]

export class GatewayMetrics {
  readonly registry = new Registry()
  readonly #requests: Histogram<'operation' | 'status'>
  readonly #upstream: Histogram<'adapter' | 'operation' | 'outcome'>
  readonly #upstreamErrors: Counter<'adapter' | 'operation' | 'kind'>
  readonly #breaker: Gauge<'adapter' | 'operation'>
  readonly #declaredRate: Gauge<'adapter' | 'operation'>
  readonly #paced: Counter<'adapter' | 'operation' | 'outcome'>
  readonly #rateLimited: Counter<'client' | 'limit'>
  readonly #authFailures: Counter<'reason' | 'via'>
  readonly #storeDegraded: Gauge
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
    this.#declaredRate = new Gauge({
      name: 'crm_declared_rate_calls_per_second',
      help: "The CRM's published request rate per adapter operation, where the adapter declares one (callRates: HubSpot's search); the gateway paces its calls to it",
      labelNames: ['adapter', 'operation'],
      registers
    })
    this.#paced = new Counter({
      name: 'crm_paced_calls_total',
      help: "CRM call attempts paced to the CRM's declared rate, by outcome: immediate (a slot was free), waited, refused (no slot before the deadline: 429, CRM not called), abandoned (the caller left while waiting)",
      labelNames: ['adapter', 'operation', 'outcome'],
      registers
    })
    this.#rateLimited = new Counter({
      name: 'rate_limited_requests_total',
      help: "Requests refused 429 by the gateway's own limits: a POS client's request rate (limit=requests, client = its configured id), the token endpoint's failure count (limit=token_failures, client = the OAuth client named, or unauthenticated)",
      labelNames: ['client', 'limit'],
      registers
    })
    this.#authFailures = new Counter({
      name: 'auth_failures_total',
      help: 'Requests whose credentials were refused (401, or the token endpoint refusing a client), by reason and by where the credential was presented (via=none: no SPI credential, i.e. nothing presented, or the token endpoint\'s client credentials)',
      labelNames: ['reason', 'via'],
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
    this.#storeDegraded = new Gauge({
      name: 'shared_store_degraded',
      help: 'Whether Redis is configured but unreachable right now (1): this instance runs on its own until it reconnects',
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
    // shared_store_shared is 0 both when configured without Redis and when Redis is away: only the latter is an alert.
    this.#storeDegraded.set(mode === 'degraded' ? 1 : 0)
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

  /** A request refused by a rate limit; `clientId` is a configured client's (bounded), undefined before authentication. */
  rateLimited(clientId: string | undefined, limit: RateLimitKind): void {
    this.#rateLimited.inc({ client: clientId ?? 'unauthenticated', limit })
  }

  /** Credentials refused: counted here, logged at debug only (a misconfigured till repeats it every call). */
  authFailed(reason: AuthFailureReason, via: AuthVia | undefined): void {
    this.#authFailures.inc({ reason, via: via ?? 'none' })
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
      },
      declaredRate: (operation: Operation, callsPerSecond: number) => {
        this.#declaredRate.set({ adapter, operation }, callsPerSecond)
      },
      paced: (operation: Operation, outcome: PacingOutcome) => {
        this.#paced.inc({ adapter, operation, outcome })
      }
    }
  }
}
