/**
 * The resilience layer on a fake clock (no sleeps): what a breaker counts and what it never
 * does, attempts that belong to nobody, budgets, retries within the deadline, the throttle gate
 * and the Retry-After clamp. The read cache and repeated creates have files of their own.
 */
import t from 'tap'
import FakeTimers from '@sinonjs/fake-timers'
import { CrmFailure, type CallContext, type CrmAdapter, type CrmRecord } from '../../src/core/port.js'
import { ResilientAdapter, type ResilienceOptions } from '../../src/core/resilience/resilient-adapter.js'
import { backoffDelayMs } from '../../src/core/resilience/retry.js'
import { mayHaveApplied } from '../../src/core/resilience/failure-policy.js'
import { GatewayError } from '../../src/spi/error-catalogue.js'

const noop = (): void => {}
const log: CallContext['log'] = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, fatal: noop, child: () => log }

/** A caller: its signal fires at its deadline (like the request's call context) or on `leave()`. */
function caller(deadlineMs?: number): { ctx: CallContext; leave: () => void } {
  const controller = new AbortController()
  const deadlineAt = deadlineMs === undefined ? undefined : Date.now() + deadlineMs
  if (deadlineMs !== undefined) setTimeout(() => controller.abort(new GatewayError('CRM_TIMEOUT', { detail: 'request deadline' })), deadlineMs)
  return {
    ctx: { signal: controller.signal, log, requestId: 'r', ...(deadlineAt === undefined ? {} : { deadlineAt }) },
    leave: () => controller.abort(new GatewayError('CLIENT_CLOSED_REQUEST'))
  }
}
const ctx = (deadlineMs?: number): CallContext => caller(deadlineMs).ctx

const breaker = { timeoutMs: 1000, errorThresholdPercentage: 50, volumeThreshold: 4, resetTimeoutMs: 5000, rollingWindowMs: 10_000 }
const noRetry = { maxAttempts: 1, baseDelayMs: 10, maxDelayMs: 100 }
const options = (over: Partial<ResilienceOptions> = {}): ResilienceOptions => ({ breaker, retry: noRetry, maxRetryAfterSeconds: 60, log, ...over })

const after = (ms: number, outcome: () => Promise<CrmRecord | null> | CrmRecord | null) => (signal: AbortSignal): Promise<CrmRecord | null> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => void Promise.resolve().then(outcome).then(resolve, reject), ms)
    signal.addEventListener('abort', () => {
      clearTimeout(timer)
      reject(new CrmFailure('timeout', { detail: 'aborted' }))
    })
  })

/** A CRM double whose every call does what `behaviour` says, counting calls and aborts. */
class ScriptedCrm implements CrmAdapter {
  readonly name = 'scripted'
  calls = 0
  aborted = 0
  finished = 0
  behaviour: (signal: AbortSignal) => Promise<CrmRecord | null> = async () => ({ ID: '1' })
  async run(signal: AbortSignal): Promise<CrmRecord | null> {
    this.calls++
    signal.addEventListener('abort', () => this.aborted++, { once: true })
    try {
      return await this.behaviour(signal)
    } finally {
      this.finished++
    }
  }
  getCustomer = (_id: string, c: CallContext) => this.run(c.signal)
  searchCustomers = async (_q: unknown, c: CallContext) => ({ records: [(await this.run(c.signal)) ?? {}] })
  createCustomer = async (_r: CrmRecord, c: CallContext) => (await this.run(c.signal)) ?? {}
  updateCustomer = (_id: string, _p: CrmRecord, c: CallContext) => this.run(c.signal)
}

function useClock(t: { teardown(fn: () => void): void }): ReturnType<typeof FakeTimers.install> {
  const clock = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] })
  t.teardown(() => clock.uninstall())
  return clock
}

function setup(t: { teardown(fn: () => unknown): void }, over: Partial<ResilienceOptions> = {}) {
  const crm = new ScriptedCrm()
  const outcomes: string[] = []
  const states: string[] = []
  const adapter = new ResilientAdapter(crm, {
    ...options(over),
    observer: { attempt: (op, outcome) => outcomes.push(`${op}:${outcome}`), breakerState: (op, s) => states.push(`${op}:${s}`) }
  })
  t.teardown(() => adapter.close())
  return { crm, adapter, outcomes, states }
}

t.test('the breaker opens after the configured CRM faults, fails fast, half-opens and closes', async (t) => {
  const clock = useClock(t)
  const { crm, adapter, states, outcomes } = setup(t)
  crm.behaviour = async () => Promise.reject(new CrmFailure('failed', { detail: 'HTTP 500' }))
  for (let i = 0; i < 4; i++) await t.rejects(adapter.getCustomer('1', ctx()), { code: 'CRM_ERROR', status: 502 })
  t.equal(adapter.breakerStates().get, 'open', 'open after 4 failures of 4')
  t.equal(adapter.breakerStates().search, 'closed', 'one breaker per operation')

  const before = crm.calls
  await t.rejects(adapter.getCustomer('1', ctx()), { code: 'CRM_UNAVAILABLE', status: 503, retryAfterSeconds: 5 })
  t.equal(crm.calls, before, 'an open breaker answers without calling the CRM')
  t.equal(outcomes.at(-1), 'get:circuit_open', 'and says so in the metrics')

  await clock.tickAsync(2000)
  await t.rejects(adapter.getCustomer('1', ctx()), { code: 'CRM_UNAVAILABLE', retryAfterSeconds: 3 }, 'Retry-After counts down')
  await clock.tickAsync(3000)
  t.equal(adapter.breakerStates().get, 'halfOpen', 'half-open after resetTimeoutMs')
  crm.behaviour = async () => ({ ID: '1' })
  t.same(await adapter.getCustomer('1', ctx()), { ID: '1' }, 'the trial call goes through')
  t.equal(adapter.breakerStates().get, 'closed', 'and closes the circuit')
  t.same(states, ['get:open', 'get:halfOpen', 'get:closed'], 'each transition reported once')
})

t.test('refusals are not attempts: a CRM failing again after recovery reopens the circuit, however many calls were refused', async (t) => {
  const clock = useClock(t)
  const { crm, adapter } = setup(t)
  const failing = async (): Promise<never> => Promise.reject(new CrmFailure('failed', { detail: 'HTTP 500' }))
  crm.behaviour = failing
  for (let i = 0; i < 4; i++) await t.rejects(adapter.getCustomer('1', ctx()), { code: 'CRM_ERROR' })
  t.equal(adapter.breakerStates().get, 'open')
  // A busy store while the CRM is down: every till's lookups refused.
  for (let i = 0; i < 200; i++) await t.rejects(adapter.getCustomer('1', ctx()), { code: 'CRM_UNAVAILABLE' })
  t.equal(crm.calls, 4, 'none of them reached the CRM')
  await clock.tickAsync(5000)
  crm.behaviour = async () => ({ ID: '1' })
  t.same(await adapter.getCustomer('1', ctx()), { ID: '1' }, 'the trial call succeeds')
  t.equal(adapter.breakerStates().get, 'closed')
  crm.behaviour = failing
  let failures = 0
  while (adapter.breakerStates().get === 'closed' && failures < 10) {
    await t.rejects(adapter.getCustomer('1', ctx()), { code: 'CRM_ERROR' })
    failures++
  }
  // The window holds 4 + n failed attempts and 1 good one: over 50% from the first failure.
  // Counted as calls, the 200 refusals would have kept it closed for ~200 more failures.
  t.equal(adapter.breakerStates().get, 'open', `open again after ${failures} failed attempt(s)`)
  t.ok(failures <= breaker.volumeThreshold, 'within volumeThreshold failures: the refusals did not dilute the error rate')
})

t.test("an open circuit's Retry-After is clamped to maxRetryAfterSeconds", async (t) => {
  useClock(t)
  const { crm, adapter } = setup(t, { breaker: { ...breaker, resetTimeoutMs: 600_000 }, maxRetryAfterSeconds: 30 })
  crm.behaviour = async () => Promise.reject(new CrmFailure('unreachable', { detail: 'ECONNREFUSED' }))
  for (let i = 0; i < 4; i++) await t.rejects(adapter.searchCustomers({ criteria: [], limit: 1, offset: 0 }, ctx()), { code: 'CRM_UNAVAILABLE' })
  await t.rejects(adapter.searchCustomers({ criteria: [], limit: 1, offset: 0 }, ctx()), { code: 'CRM_UNAVAILABLE', retryAfterSeconds: 30 })
})

t.test('only CRM faults count: refusals, throttles, not-found and our own bugs never trip a breaker', async (t) => {
  useClock(t)
  const { crm, adapter } = setup(t)
  const refusals: Array<[CrmFailure | Error, string]> = [
    [new CrmFailure('duplicate', { detail: '409' }), 'DUPLICATE_CUSTOMER'],
    [new CrmFailure('rejected', { detail: '422', field: 'EMAIL' }), 'CRM_VALIDATION_FAILED'],
    [new CrmFailure('conflict', { detail: '412' }), 'UPDATE_CONFLICT'],
    [new CrmFailure('misconfigured', { detail: 'bad field' }), 'INTERNAL_ERROR'],
    [new CrmFailure('unsupported', { detail: 'paging', reason: 'paging' }), 'PAGING_OUT_OF_RANGE'],
    [new CrmFailure('unsupported', { detail: 'no word', reason: 'value', field: 'firstname' }), 'INVALID_REQUEST'],
    [new CrmFailure('unsupported', { detail: 'too many' }), 'SEARCH_PARAMETER_UNSUPPORTED'],
    [new TypeError('a bug in an adapter'), 'INTERNAL_ERROR']
  ]
  for (const [failure, code] of refusals) {
    crm.behaviour = async () => Promise.reject(failure)
    for (let i = 0; i < 5; i++) await t.rejects(adapter.createCustomer({}, ctx()), { code }, `${failure.message} → ${code}`)
  }
  crm.behaviour = async () => null
  for (let i = 0; i < 10; i++) t.equal(await adapter.getCustomer('x', ctx()), null)
  t.same(adapter.breakerStates(), { get: 'closed', search: 'closed', create: 'closed', update: 'closed' })
  crm.behaviour = async () => Promise.reject(new CrmFailure('rejected', { detail: '422', field: 'EMAIL' }))
  await t.rejects(adapter.createCustomer({}, ctx()), { code: 'CRM_VALIDATION_FAILED', params: { field: 'EMAIL' } }, 'the refused field is named')
})

t.test("an attempt's own timeout aborts its call and counts as a CRM fault", async (t) => {
  const clock = useClock(t)
  const { crm, adapter, outcomes } = setup(t)
  crm.behaviour = (signal) => new Promise(() => signal.addEventListener('abort', noop))
  const pending = t.rejects(adapter.getCustomer('1', ctx()), { code: 'CRM_TIMEOUT', status: 504 })
  await clock.tickAsync(999)
  t.equal(crm.aborted, 0, 'not before the timeout')
  await clock.tickAsync(1)
  await pending
  t.equal(crm.aborted, 1, 'the in-flight call was aborted, not left running')
  t.same(outcomes, ['get:timeout'])
})

t.test('a caller that leaves is never a CRM failure: the attempt runs to its end and counts as it ends', async (t) => {
  const clock = useClock(t)
  const { crm, adapter, outcomes } = setup(t)
  // 20 devices give up at 60 ms; the CRM answers every call, healthily, in 200 ms.
  crm.behaviour = after(200, () => ({ ID: '1' }))
  const callers = Array.from({ length: 20 }, () => caller())
  const answers = callers.map(({ ctx }) => adapter.getCustomer('1', ctx).then(() => 'answered', (err: GatewayError) => err.code))
  await clock.tickAsync(60)
  for (const c of callers) c.leave()
  t.same(new Set(await Promise.all(answers)), new Set(['CLIENT_CLOSED_REQUEST']), 'each caller is let go at once')
  t.equal(crm.aborted, 0, 'no attempt was cut short')
  await clock.tickAsync(140)
  t.equal(crm.finished, 20, 'every attempt ran to its end')
  t.equal(outcomes.filter((o) => o === 'get:ok').length, 20, 'and was observed as the success it was')
  t.equal(adapter.breakerStates().get, 'closed', 'the circuit stays closed')
  const bystander = adapter.getCustomer('1', ctx())
  await clock.tickAsync(200)
  t.same(await bystander, { ID: '1' }, "a bystander's GET is answered")
})

t.test('a request whose deadline passed never reaches the CRM, and the breaker never hears of it', async (t) => {
  const clock = useClock(t)
  const { crm, adapter, outcomes } = setup(t)
  for (let i = 0; i < 20; i++) {
    const late = caller(10)
    await clock.tickAsync(10)
    await t.rejects(adapter.updateCustomer('1', {}, late.ctx), { code: 'CRM_TIMEOUT' })
    const gone = caller()
    gone.leave()
    await t.rejects(adapter.getCustomer('1', gone.ctx), { code: 'CLIENT_CLOSED_REQUEST' })
  }
  t.equal(crm.calls, 0, 'the CRM was never called')
  t.same(outcomes, [], 'no attempt was observed')
  t.equal(adapter.breakerStates().update, 'closed')
})

t.test("a reader is answered at its deadline; the attempt goes on and the breaker sees it succeed", async (t) => {
  const clock = useClock(t)
  const { crm, adapter, outcomes } = setup(t)
  crm.behaviour = after(700, () => ({ ID: '1' }))
  const answered = t.rejects(adapter.getCustomer('1', ctx(300)), { code: 'CRM_TIMEOUT' })
  await clock.tickAsync(300)
  await answered
  t.equal(crm.finished, 0, 'answered while the attempt is still running')
  await clock.tickAsync(400)
  t.same(outcomes, ['get:ok'])
})

t.test('a writer waits for the outcome of the write it sent, so its answer is the truth', async (t) => {
  const clock = useClock(t)
  const { crm, adapter } = setup(t)
  crm.behaviour = after(700, () => ({ ID: '1', V: 2 }))
  const update = adapter.updateCustomer('1', { V: 2 }, ctx(300))
  await clock.tickAsync(700)
  t.same(await update, { ID: '1', V: 2 }, 'the deadline passed during the PATCH: its success is the answer, not a 504')
})

t.test("a create's one attempt gets the request's remaining deadline, not the breaker's timeout", async (t) => {
  const clock = useClock(t)
  const { crm, adapter } = setup(t)
  crm.behaviour = after(2500, () => ({ ID: 'C1' }))
  const slow = adapter.createCustomer({}, ctx(3000))
  await clock.tickAsync(2500)
  t.same(await slow, { ID: 'C1' }, 'a 2.5 s create succeeds under a 3 s deadline (breaker timeout 1 s)')

  crm.behaviour = after(5000, () => ({ ID: 'C2' }))
  const late = adapter.createCustomer({}, ctx(3000)).catch((err: unknown) => err)
  await clock.tickAsync(3000)
  const err = await late
  t.match(err, { code: 'CRM_TIMEOUT' }, 'past the deadline: a timeout')
  t.ok(mayHaveApplied(err), 'whose outcome is unknown: the CRM may have created the customer')
  t.equal(crm.calls, 2, 'never retried')
  const left = caller(3000)
  crm.behaviour = after(500, () => ({ ID: 'C3' }))
  const abandoned = adapter.createCustomer({}, left.ctx)
  left.leave()
  await clock.tickAsync(500)
  t.same(await abandoned, { ID: 'C3' }, 'the POS hanging up does not abort a create')
  t.equal(crm.aborted, 1, 'only the create past its deadline was aborted')
})

t.test('retries: idempotent calls only, jittered, never past the deadline', async (t) => {
  const clock = useClock(t)
  const retry = { maxAttempts: 3, baseDelayMs: 50, maxDelayMs: 400 }
  const { crm, adapter } = setup(t, { breaker: { ...breaker, volumeThreshold: 100 }, retry })
  let failures = 2
  crm.behaviour = async () => (failures-- > 0 ? Promise.reject(new CrmFailure('interrupted', { detail: 'ECONNRESET' })) : { ID: 'ok' })
  const got = adapter.getCustomer('1', ctx(5000))
  await clock.tickAsync(1000)
  t.same(await got, { ID: 'ok' }, 'a get succeeds on its third attempt')
  t.equal(crm.calls, 3)

  crm.calls = 0
  crm.behaviour = async () => Promise.reject(new CrmFailure('interrupted', { detail: 'ECONNRESET' }))
  const create = adapter.createCustomer({}, ctx(5000)).catch((err: unknown) => err)
  await clock.tickAsync(10)
  t.match(await create, { code: 'CRM_UNAVAILABLE' })
  t.equal(crm.calls, 1, 'a create is never retried')

  crm.calls = 0
  crm.behaviour = async () => Promise.reject(new CrmFailure('throttled', { detail: '429', retryAfterSeconds: 30 }))
  await t.rejects(adapter.searchCustomers({ criteria: [], limit: 1, offset: 0 }, ctx(5000)), { code: 'CRM_RATE_LIMITED', retryAfterSeconds: 30 })
  t.equal(crm.calls, 1, 'throttling is answered at once, not waited on')

  crm.calls = 0
  crm.behaviour = async () => Promise.reject(new CrmFailure('failed', { detail: 'HTTP 500' }))
  await t.rejects(adapter.updateCustomer('1', {}, ctx(1)), { code: 'CRM_ERROR' })
  t.equal(crm.calls, 1, 'no retry whose backoff would end past the deadline')

  for (let attempt = 0; attempt < 6; attempt++) {
    const d = backoffDelayMs(attempt, retry, () => 0.999)
    t.ok(d <= Math.min(400, 50 * 2 ** attempt), `backoff ${attempt} capped (${d} ms)`)
  }
  t.equal(backoffDelayMs(3, retry, () => 0), 0, 'full jitter starts at zero')
})

t.test('a retry loop stops when its caller leaves during the backoff', async (t) => {
  const clock = useClock(t)
  const { crm, adapter } = setup(t, { retry: { maxAttempts: 5, baseDelayMs: 400, maxDelayMs: 400 } })
  crm.behaviour = async () => Promise.reject(new CrmFailure('failed', { detail: 'HTTP 503' }))
  const c = caller(10_000)
  const answer = adapter.getCustomer('1', c.ctx).catch((err: unknown) => err)
  await clock.tickAsync(1)
  c.leave()
  await clock.tickAsync(5000)
  t.match(await answer, { code: 'CRM_ERROR' })
  t.equal(crm.calls, 1, 'no attempt after the caller left')
})

t.test('throttling: Retry-After clamped, the CRM left alone during its window, one probe after it, never a circuit', async (t) => {
  const clock = useClock(t)
  const { crm, adapter } = setup(t, { maxRetryAfterSeconds: 60 })
  crm.behaviour = async () => Promise.reject(new CrmFailure('throttled', { detail: '429', retryAfterSeconds: 7200 }))
  await t.rejects(adapter.searchCustomers({ criteria: [], limit: 1, offset: 0 }, ctx()), { code: 'CRM_RATE_LIMITED', status: 429, retryAfterSeconds: 60 }, 'two hours asked, one minute told')
  for (let i = 0; i < 20; i++) await t.rejects(adapter.searchCustomers({ criteria: [], limit: 1, offset: 0 }, ctx()), { code: 'CRM_RATE_LIMITED' })
  t.equal(crm.calls, 1, 'while the window runs, answered at once without calling the CRM')
  await clock.tickAsync(45_000)
  await t.rejects(adapter.searchCustomers({ criteria: [], limit: 1, offset: 0 }, ctx()), { code: 'CRM_RATE_LIMITED', retryAfterSeconds: 15 }, 'Retry-After counts down')
  await t.rejects(adapter.getCustomer('1', ctx()), { code: 'CRM_RATE_LIMITED' })
  t.equal(crm.calls, 2, 'other operations are not held: the get asked the CRM')
  t.equal(adapter.breakerStates().search, 'closed', 'throttling never opens a circuit')

  await clock.tickAsync(15_000)
  crm.calls = 0
  let release!: () => void
  crm.behaviour = () => new Promise((resolve) => (release = () => resolve({ ID: '1' })))
  const probe = adapter.searchCustomers({ criteria: [], limit: 1, offset: 0 }, ctx())
  await t.rejects(adapter.searchCustomers({ criteria: [], limit: 1, offset: 0 }, ctx()), { code: 'CRM_RATE_LIMITED', retryAfterSeconds: 1 }, 'one probe at a time')
  release()
  await probe
  t.equal(crm.calls, 1)
  crm.behaviour = async () => ({ ID: '1' })
  await adapter.searchCustomers({ criteria: [], limit: 1, offset: 0 }, ctx())
  t.equal(crm.calls, 2, 'the probe succeeded: the gate is lifted')
})

t.test('a spent quota is said as such, with the longest Retry-After when the CRM gives none', async (t) => {
  useClock(t)
  const { crm, adapter } = setup(t, { maxRetryAfterSeconds: 45 })
  crm.behaviour = async () => Promise.reject(new CrmFailure('quota-exhausted', { detail: '403 REQUEST_LIMIT_EXCEEDED' }))
  await t.rejects(adapter.createCustomer({}, ctx()), { code: 'CRM_QUOTA_EXHAUSTED', status: 429, retryAfterSeconds: 45 })
  await t.rejects(adapter.createCustomer({}, ctx()), { code: 'CRM_QUOTA_EXHAUSTED', retryAfterSeconds: 45 })
  t.equal(crm.calls, 1, 'held by the gate')
  t.notOk(mayHaveApplied(await adapter.createCustomer({}, ctx()).catch((err: unknown) => err)), 'a refused create did not happen')
})

t.test("pacing to the CRM's declared rate: queued within the deadline, refused at once beyond it, no gate, no breaker", async (t) => {
  const clock = useClock(t)
  const crm = new ScriptedCrm()
  Object.assign(crm, { callRates: { searchCustomers: { calls: 2, perMs: 1000 } } })
  const adapter = new ResilientAdapter(crm, options())
  t.teardown(() => adapter.close())
  const search = (deadlineMs: number) => adapter.searchCustomers({ criteria: [], limit: 1, offset: 0 }, ctx(deadlineMs))

  const started = Date.now()
  const done: number[] = []
  const three = [search(4000), search(4000), search(4000)].map((p) => p.then(() => done.push(Date.now() - started)))
  await clock.tickAsync(0)
  t.equal(crm.calls, 2, 'two calls in the first second')
  await clock.tickAsync(1000)
  await Promise.all(three)
  t.same(done, [0, 0, 1000], 'the third waited for its slot, a second later')

  // Two slots at 1000 ms are taken (the third call and one below); the next frees at 2000 ms.
  await search(4000)
  await t.rejects(search(500), { code: 'CRM_RATE_LIMITED', status: 429, retryAfterSeconds: 1 }, 'no slot before the deadline: 429 at once, saying when one frees')
  t.equal(crm.calls, 4, 'the refused call never reached the CRM')
  t.equal(adapter.breakerStates().search, 'closed')
  await clock.tickAsync(1000)
  await search(500)
  t.equal(crm.calls, 5, 'our own pacing closes no throttle gate: the next call with a slot goes through')
  await adapter.getCustomer('1', ctx(500))
  t.equal(crm.calls, 6, 'operations without a declared rate are not paced')
})
