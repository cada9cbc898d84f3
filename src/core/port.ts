/**
 * The adapter port: the only contract between the gateway's core and a merchant CRM.
 *
 * Adapters know one CRM and nothing of the SPI: they take and return CRM-native records
 * (plain JSON objects in the CRM's own field names) and report failures as `CrmFailure`s of
 * the kinds below. The mapping engine is the only place where SPI field names meet CRM field
 * names; the core alone turns failure kinds into SPI error codes. An adapter imports from this
 * file, never from src/spi. See ../../adapters/README.md for the guide.
 */
import type { Logger } from './logger.js'

/** A CRM record as the CRM's API spells it: a plain JSON object. */
export type CrmRecord = Record<string, unknown>

/** Everything an adapter call receives besides its arguments. */
export interface CallContext {
  /**
   * Aborted when this attempt's time is up (its own timeout), or when the gateway shuts down.
   * Pass it to every HTTP request. It does not fire when the POS hangs up or stops waiting:
   * an attempt already sent runs to its end, so the circuit breaker judges the CRM by whole
   * attempts and a write's outcome is known. An adapter whose signal fired reports `timeout`.
   */
  readonly signal: AbortSignal
  /** A child logger carrying the request id. Log objects, never customer data. */
  readonly log: Logger
  readonly requestId: string
  /**
   * When the SPI request's deadline passes (epoch ms), if it has one. The resilience layer
   * reads it to start no attempt, retry or backoff the request can no longer wait for.
   */
  readonly deadlineAt?: number
}

/**
 * How a CRM compares a search value with a field (case-insensitively for text):
 * - `equals`, `prefix`, `contains`: the field's text is, starts with, contains `value`;
 * - `phone`: `value` is a phone number's national significant number (digits only: no country
 *   code, no trunk prefix such as a leading 0). A field matches when its digits, all else
 *   ignored, end with `value`, so a number stored as `(415) 555-0177`, `415.555.0177`,
 *   `+1 415 555 0177` or `14155550177` is found by `4155550177`. An adapter may match more
 *   widely than that (the core re-checks every record it returns) but never less.
 */
export type SearchOperator = 'equals' | 'prefix' | 'contains' | 'phone'

/**
 * One search criterion in CRM terms. A record matches when ANY of `fields` matches
 * (e.g. a phone searched across mobile, home and work phone). Criteria are ANDed.
 * Values are raw user input: the adapter escapes them for its CRM's query language.
 */
export interface CrmCriterion {
  readonly fields: readonly string[]
  readonly operator: SearchOperator
  readonly value: string
  /**
   * `phone` criteria: the number in E.164 (`+14155550177`) when it could be read as one, for
   * a CRM that can only compare whole stored values (it then finds numbers stored that way).
   */
  readonly international?: string
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
 * What went wrong with a CRM call, in the port's words. The core decides what each kind means
 * for the POS (its SPI error code), for the circuit breaker (counted or not), for retries and
 * for a create whose outcome is unknown — the adapter only says what happened:
 *
 * | kind              | what happened                                            | CRM may have acted? |
 * |-------------------|----------------------------------------------------------|---------------------|
 * | `unreachable`     | no connection could be made: the request was never sent | no                  |
 * | `interrupted`     | the connection broke during the exchange (reset, cut)    | maybe               |
 * | `timeout`         | no whole answer before the attempt's signal fired        | maybe               |
 * | `failed`          | the CRM answered an error of its own: 5xx, a status its  | maybe               |
 * |                   | API does not document, our credentials refused           |                     |
 * | `bad-response`    | an answer its API does not promise: not JSON, the wrong  | maybe               |
 * |                   | shape, a redirect, too large                             |                     |
 * | `throttled`       | the CRM asks us to slow down (429…): `retryAfterSeconds` | no                  |
 * | `quota-exhausted` | a daily or org-wide API allowance is spent (HubSpot      | no                  |
 * |                   | DAILY, Salesforce REQUEST_LIMIT_EXCEEDED)                |                     |
 * | `rejected`        | the CRM refused the values (validation): `field`         | no                  |
 * | `duplicate`       | the CRM refused a duplicate (an e-mail already taken)    | no                  |
 * | `conflict`        | optimistic concurrency: the version sent is stale        | no                  |
 * | `unsupported`     | the adapter cannot put this query to its CRM: `field`,   | no (never sent)     |
 * |                   | `reason` (a value with nothing searchable, a page beyond |                     |
 * |                   | the CRM's reach, more criteria than it takes)            |                     |
 * | `misconfigured`   | the gateway's configuration or table does not fit this   | no (never sent)     |
 * |                   | CRM (a field name its query language cannot take)        |                     |
 */
export type CrmFailureKind =
  | 'unreachable'
  | 'interrupted'
  | 'timeout'
  | 'failed'
  | 'bad-response'
  | 'throttled'
  | 'quota-exhausted'
  | 'rejected'
  | 'duplicate'
  | 'conflict'
  | 'unsupported'
  | 'misconfigured'

/** Why a query is `unsupported`: a value, the paging, or the criteria as a whole. */
export type UnsupportedReason = 'value' | 'paging' | 'criteria'

export interface CrmFailureOptions {
  /** For logs only (never shown to the POS): the operation, the status, never customer data. */
  readonly detail: string
  /** `throttled` / `quota-exhausted`: seconds the CRM asked us to wait, when it said. */
  readonly retryAfterSeconds?: number
  /** `rejected` / `unsupported`: the CRM field (or port parameter) concerned, when known. */
  readonly field?: string
  /** `unsupported`: what cannot be put to the CRM. Default `criteria`. */
  readonly reason?: UnsupportedReason
  readonly cause?: unknown
  /**
   * Set by the core only, when it answers for the CRM without calling it (a throttle gate, the
   * pacer): the SPI error it becomes is a refusal (src/spi/error-catalogue.ts `refusalError`).
   */
  readonly refused?: boolean
}

/** The one error type adapters throw (not-found is a value, `null`, never a failure). */
export class CrmFailure extends Error {
  readonly kind: CrmFailureKind
  readonly retryAfterSeconds: number | undefined
  readonly field: string | undefined
  readonly reason: UnsupportedReason | undefined
  readonly refused: boolean

  constructor(kind: CrmFailureKind, options: CrmFailureOptions) {
    super(options.detail, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'CrmFailure'
    this.kind = kind
    this.retryAfterSeconds = options.retryAfterSeconds
    this.field = options.field
    this.reason = options.reason
    this.refused = options.refused ?? false
  }
}

export function isCrmFailure(err: unknown): err is CrmFailure {
  return err instanceof CrmFailure
}

/**
 * A CRM adapter. Not-found is a value (`null`); every other failure throws a `CrmFailure`
 * (above). Anything else an adapter throws is treated as a bug of the gateway's (500).
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
   * must fail as a `conflict` (the service re-reads and tries again).
   */
  versionOf?(record: CrmRecord): string | undefined
  /**
   * Exact lookups by a field whose values the CRM keeps unique (HubSpot's `idProperty`): the
   * service uses one instead of a search wherever a criterion is `equals` on such a field —
   * an e-mail, the creation marker — so a customer created a moment ago is found (a search
   * index may lag) and no search quota is spent.
   */
  readonly uniqueLookup?: UniqueLookup
  /**
   * The CRM's published request rates, per operation, for the whole account: the core paces
   * its calls to stay within them (waiting within the request's deadline, refusing with a
   * Retry-After beyond it) instead of learning them from 429s.
   */
  readonly callRates?: CallRates
  /** For CRMs whose fields are declared before use (HubSpot properties): check and create them. */
  readonly fieldSchema?: FieldSchema
  /** Releases sockets and timers. */
  close?(): Promise<void>
}

export interface UniqueLookup {
  /** The fields known to hold unique values now (it may change as the CRM's schema is read). */
  fields(): ReadonlySet<string>
  /** The record whose `field` is `value`, or `null`. Only called for a field in `fields()`. */
  find(field: string, value: string, ctx: CallContext): Promise<CrmRecord | null>
}

/** At most `calls` calls in any `perMs` milliseconds. */
export interface CallRate {
  readonly calls: number
  readonly perMs: number
}

export type CallRates = Partial<Record<'getCustomer' | 'searchCustomers' | 'createCustomer' | 'updateCustomer', CallRate>>

/**
 * What a CRM field holds, as the mapping table writes it (its row's last typed transform):
 * `boolean:true/false` → boolean, `number:string` → number, `date:YYYY-MM-DD` → date, `json`
 * → long-text, `e164` → phone; anything else → text.
 */
export type CrmValueKind = 'text' | 'long-text' | 'number' | 'boolean' | 'date' | 'phone'

/** One top-level CRM field the mapping table uses, and how. */
export interface CrmFieldUse {
  readonly name: string
  readonly kind: CrmValueKind
  readonly read: boolean
  readonly write: boolean
  /** A search row compares it. */
  readonly search: boolean
  /** Each value belongs to one record only (the creation marker). */
  readonly unique: boolean
  /** The SPI field(s) it carries, for labels and messages (`profile.phoneHome`). */
  readonly spi: string
}

export interface FieldMismatch {
  readonly name: string
  /** What the table needs, in the CRM's words (`bool`, `number`…). */
  readonly expected: string
  /** What the CRM has. */
  readonly actual: string
}

export interface FieldReport {
  /** Fields the table uses that the CRM does not have. */
  readonly missing: readonly string[]
  /** Fields the CRM has with a type the table's values do not fit (never altered). */
  readonly mismatched: readonly FieldMismatch[]
}

export interface ProvisionReport extends FieldReport {
  /** Fields created by this run (in `missing` before it; gone from `missing` after). */
  readonly created: readonly string[]
  /** Fields that were already there with a fitting type. */
  readonly present: readonly string[]
  /** What else the run created (a field group), for the operator's log. */
  readonly notes: readonly string[]
}

export interface FieldSchema {
  /** Which of `fields` the CRM lacks or types differently. One or few calls; no change made. */
  check(fields: readonly CrmFieldUse[], ctx: CallContext): Promise<FieldReport>
  /**
   * Creates the fields the CRM lacks (idempotent: a second run creates nothing); a field that
   * exists with another type is reported in `mismatched`, never altered.
   */
  provision(fields: readonly CrmFieldUse[], ctx: CallContext): Promise<ProvisionReport>
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
