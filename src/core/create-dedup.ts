/**
 * Idempotent CREATE_CUSTOMER (CONTRACT §4): the POS may send a create twice (an associate
 * retrying after a timeout). Within the window, a create from the same client with the same
 * `Idempotency-Key` — or, without a key, the same body (key order aside) — answers the first
 * create's customer and reaches the CRM once, also when the duplicates arrive together. A used
 * key with a different body is refused. Failures are forgotten, so a retry can succeed.
 */
import { createHash } from 'node:crypto'
import { LRUCache } from 'lru-cache'
import { GatewayError } from '../spi/error-catalogue.js'

export interface CreateDedupOptions {
  readonly windowSeconds: number
  readonly maxEntries: number
}

interface Entry<T> {
  readonly bodyHash: string
  readonly result: Promise<T>
  readonly at: number
}

export type DedupOutcome = 'first' | 'replayed'

export class CreateDedup<T> {
  readonly #entries: LRUCache<string, Entry<T>>
  readonly #windowMs: number

  constructor(options: CreateDedupOptions) {
    this.#windowMs = options.windowSeconds * 1000
    this.#entries = new LRUCache<string, Entry<T>>({ max: options.maxEntries })
  }

  /**
   * Runs `create` unless an equivalent create ran within the window; then answers its result.
   * `client` scopes keys: one client's key never matches another's.
   */
  async run(client: string, idempotencyKey: string | undefined, body: unknown, create: () => Promise<T>): Promise<{ value: T; outcome: DedupOutcome }> {
    if (this.#windowMs === 0) return { value: await create(), outcome: 'first' }
    const bodyHash = hashBody(body)
    const key = idempotencyKey === undefined ? `${client}\u0000body\u0000${bodyHash}` : `${client}\u0000key\u0000${idempotencyKey}`
    const now = Date.now()
    const existing = this.#entries.get(key)
    if (existing && now - existing.at < this.#windowMs) {
      if (existing.bodyHash !== bodyHash) throw new GatewayError('IDEMPOTENCY_KEY_REUSED')
      return { value: await existing.result, outcome: 'replayed' }
    }
    const result = create()
    const entry: Entry<T> = { bodyHash, result, at: now }
    this.#entries.set(key, entry)
    try {
      return { value: await result, outcome: 'first' }
    } catch (err) {
      // Only successes are remembered: the POS's retry of a failed create must try again.
      if (this.#entries.get(key) === entry) this.#entries.delete(key)
      throw err
    }
  }
}

/** SHA-256 of the body's canonical JSON (keys sorted at every depth). */
export function hashBody(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('base64url')
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort()
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
}
