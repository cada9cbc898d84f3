/**
 * The adapter port: the only contract between the gateway's core and a merchant CRM.
 *
 * Adapters know one CRM and nothing of the SPI: they take and return CRM-native records
 * (plain JSON objects in the CRM's own field names). The mapping engine is the only place
 * where SPI field names meet CRM field names. See ../../adapters/README.md for the guide.
 */
import type { Logger } from './logger.js'

/** A CRM record as the CRM's API spells it: a plain JSON object. */
export type CrmRecord = Record<string, unknown>

/** Everything an adapter call receives besides its arguments. */
export interface CallContext {
  /**
   * Aborted when the caller gives up (breaker timeout, request deadline, client gone).
   * Pass it to every HTTP request so that nothing keeps running in the background.
   */
  readonly signal: AbortSignal
  /** A child logger carrying the request id. Log objects, never customer data. */
  readonly log: Logger
  readonly requestId: string
  /**
   * When the SPI request's deadline passes (epoch ms), if it has one. `signal` fires then
   * too; the resilience layer reads it to keep retries and backoff inside the budget.
   */
  readonly deadlineAt?: number
}

/** How a CRM compares a search value with a field. */
export type SearchOperator = 'equals' | 'prefix' | 'contains'

/**
 * One search criterion in CRM terms. A record matches when ANY of `fields` matches
 * (e.g. a phone searched across mobile, home and work phone). Criteria are ANDed.
 * Values are raw user input: the adapter escapes them for its CRM's query language.
 */
export interface CrmCriterion {
  readonly fields: readonly string[]
  readonly operator: SearchOperator
  readonly value: string
  /** The comparison ignores everything but digits (phone numbers). */
  readonly digitsOnly?: boolean
}

export interface CrmSearchQuery {
  readonly criteria: readonly CrmCriterion[]
  /** Page size, 1..100. */
  readonly limit: number
  /** Records to skip, >= 0. */
  readonly offset: number
}

export interface CrmPage {
  readonly records: readonly CrmRecord[]
  /** Total matches when the CRM reports it. */
  readonly total?: number
}

/**
 * A CRM adapter. Not-found is a value (`null`); every other failure throws a
 * `GatewayError` from the catalogue (src/spi/error-catalogue.ts):
 * - CRM 4xx (validation, duplicate) → client-class codes, which never trip a breaker;
 * - 5xx, timeouts, resets, garbage answers → upstream-class codes, which do.
 */
export interface CrmAdapter {
  /** Registry name, e.g. "demo-crm"; used in cache keys, metrics and logs. */
  readonly name: string
  getCustomer(id: string, ctx: CallContext): Promise<CrmRecord | null>
  searchCustomers(query: CrmSearchQuery, ctx: CallContext): Promise<CrmPage>
  createCustomer(record: CrmRecord, ctx: CallContext): Promise<CrmRecord>
  /**
   * Partial update: `patch` holds only the CRM fields to change. An empty string clears a
   * field; an absent key leaves it unchanged. Lists (e.g. addresses) are sent whole.
   * Resolves to the full record after the update, or `null` when the id is unknown.
   */
  updateCustomer(id: string, patch: CrmRecord, ctx: CallContext, options?: UpdateOptions): Promise<CrmRecord | null>
  /**
   * The record's version for optimistic concurrency (an ETag, a version field), when the CRM
   * offers one. The service then sends it back as `UpdateOptions.ifMatch`, and a stale version
   * must fail with `UPDATE_CONFLICT` (the service re-reads and tries again).
   */
  versionOf?(record: CrmRecord): string | undefined
  /** Releases sockets and timers. */
  close?(): Promise<void>
}

export interface UpdateOptions {
  /** Apply only if the record is still at this version (see `versionOf`). */
  readonly ifMatch?: string
}

/** What every adapter factory receives from the gateway's configuration. */
export interface AdapterOptions {
  /** The CRM's base URL (from config only, never from a request). */
  readonly baseUrl: string
  /** Adapter-specific settings from config (`crm.options`), e.g. an API key. */
  readonly settings: Readonly<Record<string, unknown>>
  /** Per-request HTTP timeout in milliseconds, a backstop under the breaker's. */
  readonly requestTimeoutMs: number
  readonly log: Logger
  /**
   * The CRM field names the mapping table reads (top level), for CRMs whose API wants an
   * explicit field list on reads (HubSpot's `properties`). A function: the table may be reloaded.
   */
  readonly readFields?: () => readonly string[]
}

export type AdapterFactory = (options: AdapterOptions) => CrmAdapter
