/**
 * The SharedStore over Redis, so that several instances behave as one (README, "Running
 * several instances"). Client: node-redis (`@redis/client`, the core of the `redis` package
 * without its modules), Redis's own client: https://github.com/redis/node-redis
 *
 * Redis must never fail a till:
 * - every command is bounded by `commandTimeoutMs` (sent or not: `rejectInFlight`), and no
 *   command waits in an offline queue (`disableOfflineQueue`): while Redis is away a command
 *   fails at once;
 * - a command that fails is answered from this process's memory (./memory-store.ts): the
 *   instance behaves as if it were alone, which `status()` says (`degraded`) until Redis
 *   answers again;
 * - the client reconnects by itself (backing off up to RECONNECT_MAX_MS), and subscribers are
 *   told of the gap (`onGap`), since what was published meanwhile is lost.
 * Keys and channels carry `keyPrefix`, so that several gateways (or tests) share one Redis.
 * The URL may hold a password: it is never logged.
 */
import { randomUUID } from 'node:crypto'
import { createClient } from '@redis/client'
import type { Logger } from '../core/logger.js'
import type { SharedStore, SlotReservation, StoreStatus } from '../core/shared-store.js'
import { MemoryStore } from './memory-store.js'

export interface RedisStoreOptions {
  readonly url: string
  readonly keyPrefix: string
  /** Bounds every command but claims. */
  readonly commandTimeoutMs: number
  /**
   * Bounds a claim (`putIfAbsent`): longer, because a claim answered from this process's
   * memory may let a repeated create through, and a busy instance reads Redis's reply late
   * (measured: a cold storm of creates saw 100 ms timeouts fire on replies already received).
   */
  readonly claimTimeoutMs: number
  readonly log: Logger
  /** Told each time the store goes from shared to degraded or back (metrics). */
  readonly onStatus?: (status: StoreStatus) => void
  /** Told each time a command is answered from this process's memory instead (metrics). */
  readonly onFallback?: () => void
}

/** INCR, and the counter's time to live set when INCR made it (one step: no counter left without one). */
const INCREMENT_SCRIPT = "local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end return n"

/**
 * The sliding-window slot of ../core/resilience/pacer.ts, on Redis's clock, in one step: the
 * granted slots (a sorted set scored by time, members made unique by a counter) are trimmed to
 * the window; the next slot is the latest of now, the last slot, and the slot `calls` back plus
 * `perMs`; reserved only when its wait is at most ARGV[3]. Answers {reserved 1|0, wait ms}.
 */
const RESERVE_SLOT_SCRIPT = `
local calls, per, maxWait = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - per)
local n = redis.call('ZCARD', KEYS[1])
local slot = now
if n > 0 then
  local last = tonumber(redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')[2])
  if last > slot then slot = last end
  if n >= calls then
    local full = tonumber(redis.call('ZRANGE', KEYS[1], n - calls, n - calls, 'WITHSCORES')[2]) + per
    if full > slot then slot = full end
  end
end
if slot - now > maxWait then return {0, slot - now} end
local id = redis.call('INCR', KEYS[2])
redis.call('ZADD', KEYS[1], slot, slot .. ':' .. id)
local size = redis.call('ZCARD', KEYS[1])
if size > calls then redis.call('ZREMRANGEBYRANK', KEYS[1], 0, size - calls - 1) end
local ttl = (slot - now) + per * 2
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('PEXPIRE', KEYS[2], ttl)
return {1, slot - now}
`

/** Deletes KEYS[1] only when it holds ARGV[1]. */
const REMOVE_IF_SCRIPT = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end"

/** The longest wait between two reconnection attempts. */
export const RECONNECT_MAX_MS = 2000

type Client = ReturnType<typeof createClient>

interface Subscription {
  readonly onMessage: (message: string) => void
  readonly onGap: () => void
}

/** What a published message carries: who sent it, so an instance ignores its own. */
interface Envelope {
  readonly from: string
  readonly message: string
}

export class RedisStore implements SharedStore {
  readonly #client: Client
  /** The same connection, with the claims' timeout. */
  readonly #claims: Client
  readonly #subscriber: Client
  readonly #local = new MemoryStore()
  readonly #prefix: string
  readonly #log: Logger
  readonly #onStatus: ((status: StoreStatus) => void) | undefined
  readonly #onFallback: (() => void) | undefined
  readonly #subscriptions = new Map<string, Subscription[]>()
  /** Channels SUBSCRIBEd on the subscriber connection. */
  readonly #listening = new Set<string>()
  /** This process, in the messages it publishes. */
  readonly #instance = randomUUID()
  #status: StoreStatus = { mode: 'degraded', reason: 'connecting to Redis' }
  #subscriberUp = false
  #subscriberWasUp = false
  /** Start-up went on without Redis: this instance may have cached what others then changed. */
  #startedAlone = false
  #closed = false

  constructor(options: RedisStoreOptions) {
    this.#prefix = options.keyPrefix
    this.#log = options.log
    this.#onStatus = options.onStatus
    this.#onFallback = options.onFallback
    this.#client = createClient({
      url: options.url,
      disableOfflineQueue: true,
      commandOptions: { timeout: options.commandTimeoutMs, rejectInFlight: true },
      socket: {
        connectTimeout: Math.max(options.commandTimeoutMs, 1000),
        // Never give up: Redis restarts, the gateway waits for it (at most RECONNECT_MAX_MS apart).
        reconnectStrategy: (retries: number) => Math.min(50 * 2 ** Math.min(retries, 6), RECONNECT_MAX_MS)
      }
    })
    this.#claims = this.#client.withCommandOptions({ timeout: options.claimTimeoutMs, rejectInFlight: true })
    this.#subscriber = this.#client.duplicate()
    this.#client.on('ready', () => this.#setStatus({ mode: 'shared' }))
    this.#client.on('error', (err: unknown) => this.#down(err))
    this.#client.on('end', () => this.#down(new Error('connection closed')))
    this.#subscriber.on('error', (err: unknown) => this.#subscriberDown(err))
    this.#subscriber.on('end', () => this.#subscriberDown(new Error('connection closed')))
    this.#subscriber.on('ready', () => {
      // Messages published while the subscriber was away are lost: say so once it is back —
      // not on the first connection at start-up, before which nothing was there to miss.
      const missed = !this.#subscriberUp && (this.#subscriberWasUp || this.#startedAlone)
      this.#subscriberUp = true
      this.#subscriberWasUp = true
      for (const channel of this.#subscriptions.keys()) this.#listen(channel)
      if (missed) this.#gap()
    })
  }

  /**
   * Connects both connections, waiting at most `waitMs`: a Redis that is not there yet leaves
   * the store degraded (and reconnecting), never the gateway unstarted.
   */
  async connect(waitMs: number): Promise<void> {
    const connecting = Promise.all([this.#client.connect(), this.#subscriber.connect()]).then(
      () => undefined,
      (err: unknown) => this.#down(err)
    )
    let timer: NodeJS.Timeout | undefined
    await Promise.race([connecting, new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)))])
    clearTimeout(timer)
    if (!this.#subscriberUp) this.#startedAlone = true
    if (this.#status.mode !== 'shared') this.#log.warn({ store: 'redis', status: this.#status }, 'Redis is not reachable yet: this instance runs on its own until it is')
  }

  status(): StoreStatus {
    return this.#status
  }

  async get(key: string): Promise<string | null> {
    return this.#attempt(() => this.#client.get(this.#prefix + key), () => this.#local.get(key))
  }

  async put(key: string, value: string, ttlMs: number): Promise<void> {
    await this.#attempt(
      async () => {
        await this.#client.set(this.#prefix + key, value, { expiration: { type: 'PX', value: ttlMs } })
      },
      () => this.#local.put(key, value, ttlMs)
    )
  }

  async putIfAbsent(key: string, value: string, ttlMs: number): Promise<string | null> {
    return this.#attempt(
      async () => {
        // SET … NX GET: sets when absent and answers the value held (null when it set it), in one command.
        const held = await this.#claims.set(this.#prefix + key, value, { condition: 'NX', expiration: { type: 'PX', value: ttlMs }, GET: true })
        return typeof held === 'string' ? held : null
      },
      () => this.#local.putIfAbsent(key, value, ttlMs)
    )
  }

  async remove(key: string): Promise<void> {
    await this.#attempt(
      async () => {
        await this.#client.del(this.#prefix + key)
      },
      () => this.#local.remove(key)
    )
  }

  async increment(key: string, ttlMs: number): Promise<number> {
    return this.#attempt(
      async () => Number(await this.#client.eval(INCREMENT_SCRIPT, { keys: [this.#prefix + key], arguments: [String(ttlMs)] })),
      () => this.#local.increment(key, ttlMs)
    )
  }

  async reserveSlot(key: string, calls: number, perMs: number, maxWaitMs: number): Promise<SlotReservation> {
    return this.#attempt(
      async () => {
        const maxWait = Number.isFinite(maxWaitMs) ? Math.max(0, Math.floor(maxWaitMs)) : 2 ** 31
        const answer = await this.#client.eval(RESERVE_SLOT_SCRIPT, {
          keys: [this.#prefix + key, `${this.#prefix + key}:seq`],
          arguments: [String(calls), String(perMs), String(maxWait)]
        })
        const [reserved, waitMs] = Array.isArray(answer) ? answer.map(Number) : [Number.NaN, Number.NaN]
        if (reserved === undefined || waitMs === undefined || Number.isNaN(reserved) || Number.isNaN(waitMs)) throw new TypeError('unexpected answer to the slot script')
        return { reserved: reserved === 1, waitMs }
      },
      () => this.#local.reserveSlot(key, calls, perMs, maxWaitMs)
    )
  }

  async removeIf(key: string, value: string): Promise<void> {
    await this.#attempt(
      async () => {
        // GET and DEL in one step, so that a lease that expired and was taken meanwhile is not
        // released from under its new holder (https://redis.io/docs/latest/develop/use/patterns/distributed-locks/).
        await this.#claims.eval(REMOVE_IF_SCRIPT, { keys: [this.#prefix + key], arguments: [value] })
      },
      () => this.#local.removeIf(key, value)
    )
  }

  async publish(topic: string, message: string): Promise<void> {
    const envelope: Envelope = { from: this.#instance, message }
    await this.#attempt(
      async () => {
        await this.#client.publish(this.#prefix + topic, JSON.stringify(envelope))
      },
      () => Promise.resolve()
    )
  }

  subscribe(topic: string, onMessage: (message: string) => void, onGap: () => void): void {
    const channel = this.#prefix + topic
    const list = this.#subscriptions.get(channel)
    if (list !== undefined) {
      list.push({ onMessage, onGap })
      return
    }
    this.#subscriptions.set(channel, [{ onMessage, onGap }])
    // Not connected yet: the subscriber's 'ready' subscribes it (commands are not queued offline).
    if (this.#subscriber.isReady) this.#listen(channel)
  }

  /** SUBSCRIBE, once per channel: node-redis subscribes again by itself after a reconnection. */
  #listen(channel: string): void {
    if (this.#listening.has(channel)) return
    this.#listening.add(channel)
    this.#subscriber
      .subscribe(channel, (raw: string) => this.#deliver(channel, raw))
      .catch((err: unknown) => {
        this.#listening.delete(channel)
        this.#subscriberDown(err)
      })
  }

  async close(): Promise<void> {
    this.#closed = true
    await Promise.all([this.#client, this.#subscriber].map((c) => (c.isOpen ? c.close().catch(() => undefined) : Promise.resolve())))
    await this.#local.close()
  }

  #deliver(channel: string, raw: string): void {
    let envelope: Partial<Envelope>
    try {
      envelope = JSON.parse(raw) as Partial<Envelope>
    } catch {
      return
    }
    if (envelope.from === this.#instance || typeof envelope.message !== 'string') return
    for (const s of this.#subscriptions.get(channel) ?? []) s.onMessage(envelope.message)
  }

  /**
   * Redis's answer, or this process's when Redis cannot give one in time. One failed command
   * does not make the store degraded: the connection's own events say whether Redis is away.
   */
  async #attempt<T>(viaRedis: () => Promise<T>, locally: () => Promise<T>): Promise<T> {
    if (this.#status.mode === 'shared') {
      try {
        return await viaRedis()
      } catch {
        this.#onFallback?.()
      }
    }
    return locally()
  }

  #down(err: unknown): void {
    if (this.#closed) return
    this.#setStatus({ mode: 'degraded', reason: reasonOf(err) })
  }

  #subscriberDown(err: unknown): void {
    if (this.#closed || !this.#subscriberUp) return
    this.#subscriberUp = false
    this.#log.warn({ store: 'redis', connection: 'subscriber', reason: reasonOf(err) }, 'lost the Redis subscription: other instances\' changes are missed until it is back')
    this.#gap()
  }

  #gap(): void {
    for (const list of this.#subscriptions.values()) for (const s of list) s.onGap()
  }

  #setStatus(status: StoreStatus): void {
    const before = this.#status
    this.#status = status
    // Logged and reported once per change of mode; a new reason while still away is only kept.
    if (before.mode === status.mode) return
    if (status.mode === 'shared') this.#log.info({ store: 'redis', status: 'shared' }, 'Redis reachable: state is shared with the other instances')
    else this.#log.warn({ store: 'redis', status: 'degraded', reason: 'reason' in status ? status.reason : undefined }, 'Redis unreachable: this instance runs on its own until it is back')
    this.#onStatus?.(status)
  }
}

/** A reason fit for logs and /readyz: an error code or class, never a message (it may quote the URL). */
function reasonOf(err: unknown): string {
  if (typeof err === 'object' && err !== null) {
    const code = (err as { code?: unknown }).code
    if (typeof code === 'string' && /^[A-Z_]{2,40}$/.test(code)) return code
    const name = (err as { name?: unknown }).name
    if (typeof name === 'string' && /^[A-Za-z]{2,60}$/.test(name)) return name
  }
  return 'unreachable'
}
