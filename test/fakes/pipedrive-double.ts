/**
 * A Pipedrive test double: the Persons and PersonFields endpoints a clienteling integration
 * calls (create, read, partial update and search persons; the custom field metadata), as a
 * Fastify app on 127.0.0.1 (port 0), persisting in memory. Written from Pipedrive's public
 * reference; each behaviour names its source, and test/fakes/pipedrive-double.test.ts checks
 * each one.
 *
 * API VERSION. Persons are served on API v2 (`/api/v2/persons…`) ONLY. Pipedrive deprecated the
 * v1 Persons endpoints (GET/POST/PUT/DELETE /v1/persons…, /v1/persons/search) in favour of their
 * v2 equivalents from 1 January 2026 and declared them out of support from 1 August 2026
 * [deprecation]; its own Node SDK dropped them (v32.0.0). v2 is what a new integration must call:
 * `x-api-token` header, PATCH for partial updates, `custom_fields` as an object, option ids as
 * numbers, RFC 3339 times, cursor paging, strict input validation [migration]. A request to the
 * v1 persons paths gets the double's 404 (an adapter still calling them fails its tests here).
 * Person fields are served on v2 (`GET /api/v2/personFields[/{field_code}]`, the current
 * replacement [migration] "Fields API") AND on v1 (`GET /v1/personFields`, `/api/v1/personFields`,
 * not in the deprecation list), because an adapter may read either.
 *
 * Sources (tags used below):
 *   [persons]     https://developers.pipedrive.com/docs/api/v2/Persons
 *   [search]      https://developers.pipedrive.com/docs/api/v2/Persons#searchPersons
 *   [list]        https://developers.pipedrive.com/docs/api/v2/Persons#getPersons
 *   [fields]      https://developers.pipedrive.com/docs/api/v2/PersonFields
 *   [v1-fields]   https://developers.pipedrive.com/docs/api/v1/PersonFields
 *   [migration]   https://pipedrive.readme.io/docs/pipedrive-api-v2-migration-guide
 *                 (Persons API, Custom Fields, Pagination, Fields API sections)
 *   [description] Pipedrive's published OpenAPI 3 description of API v2 (and v1), operation <id>
 *                 (linked from https://developers.pipedrive.com/docs/api/v1 "OpenAPI 3");
 *                 `x-token-cost` there gives each operation's token price
 *   [auth]        https://pipedrive.readme.io/docs/core-api-concepts-authentication
 *   [responses]   https://pipedrive.readme.io/docs/core-api-concepts-responses (envelopes)
 *   [pagination]  https://pipedrive.readme.io/docs/core-api-concepts-pagination
 *   [rate-limits] https://pipedrive.readme.io/docs/core-api-concepts-rate-limiting
 *   [search-limit] https://developers.pipedrive.com/changelog/post/announcing-search-api-rate-limit
 *   [deprecation] https://developers.pipedrive.com/changelog/post/deprecation-of-selected-api-v1-endpoints
 *                 and …/changelog/post/deprecated-apiv1-endpoints-become-out-of-support
 *   [field-types] the `field_type` table of "Add a new person field" (v1 and v2 alike),
 *                 https://developers.pipedrive.com/docs/api/v2/PersonFields#addPersonField
 *   [duplicates]  https://support.pipedrive.com/hc/en-us/articles/208048865-How-does-Pipedrive-avoid-duplicates-
 *   [v2-errors]   the v2 validation answer `{success:false, error:"Validation failed: <path>:
 *                 <message>; …", code:"ERR_SCHEMA_VALIDATION_FAILED"}`, including "Parameter 'x'
 *                 is not allowed for this request", as quoted from a real answer in Pipedrive's
 *                 SDK tracker (https://github.com/pipedrive/client-nodejs/issues/651); the 500
 *                 answer `{success:false, error:"Internal Server Error", code:"ERR_UNKNOWN"}`
 *                 likewise (https://github.com/pipedrive/client-php/issues/234)
 *
 * Strictness: a request that breaks a documented request shape (the [description]'s types and
 * enumerations, unknown members, the [migration] rules for names and e-mail/phone lists, the
 * documented query limits) is answered 400 and listed in `violations`, so a test can assert a
 * whole run sent nothing Pipedrive would refuse for its shape. Values that depend on the
 * account's data (an unknown custom field key, an option id the field does not have, a day that
 * does not exist, a value of the wrong type for its field) are refused the same way but are not
 * shape violations. Where the reference is silent, the double takes the conservative reading
 * (the one an adapter cannot wrongly rely on) and says so ("silent:" below).
 *
 * Facts an adapter must live with (each test-covered):
 *   - NO uniqueness: two persons may share an e-mail (or anything else); Pipedrive detects
 *     duplicates only when importing, and merging is a separate endpoint [duplicates]. The API
 *     reference names no unique field (silent → none).
 *   - NO e-mail or phone syntax check: `emails[].value` and `phones[].value` are free text in the
 *     [description]; the `marketing_status` text even speaks of persons "without a valid email
 *     address" (silent → stored as sent).
 *   - A partial update (PATCH) changes only the members sent; `emails`/`phones` sent are the whole
 *     new list (silent for persons; [migration] says so of product prices); `custom_fields` sent
 *     change only the keys sent, `null` clears one.
 *   - Search matches parts of values (silent: case-insensitive substring), never enum/set/date
 *     custom fields ([search]: only address, varchar, text, varchar_auto, double, monetary, phone
 *     are searchable); results are hits to re-check, not an exact filter.
 *   - Booleans are not a custom field type a merchant can create ([field-types] and the v2
 *     addPersonField `field_type` list have none): a consent is a single-option field (`enum`)
 *     with a "Yes" and a "No" option, written as the option's numeric id.
 *
 * Deliberate simplifications: no organizations, users, labels, notes or pictures (ids are stored
 * as sent; `org_id` is never resolved); no contact sync fields; no saved filters (`filter_id`);
 * search sees every write at once (silent: no index lag modelled); result_score is the double's
 * own (1 exact, 0.75 starts with, 0.5 contains; silent); v1 personFields lists monetary and
 * address subfields inside the parent only.
 */
import { Buffer } from 'node:buffer'
import Fastify from 'fastify'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import type { TSchema } from 'typebox'
import { Compile } from 'typebox/compile'
import { memberPath, type RecordedRequest, type Violation } from './recorded.js'
export type { RecordedRequest, Violation } from './recorded.js'

// ---------------------------------------------------------------------------------------------
// Custom person fields

/**
 * [field-types] the custom field types this double models: varchar (text up to 255 characters),
 * varchar_auto (autocomplete text, 255), text (long text, "up to 65k"), double (a number),
 * monetary (a number and a currency), date (YYYY-MM-DD), enum (one option), set (several
 * options), phone (up to 255 characters) and address. (Pipedrive has more: user, org, people,
 * time, timerange, daterange.)
 */
export type PersonFieldType = 'varchar' | 'varchar_auto' | 'text' | 'double' | 'monetary' | 'date' | 'enum' | 'set' | 'phone' | 'address'

/** [fields] an option of an `enum` or `set` field: a numeric id and its label. */
export interface FieldOption {
  readonly id: number
  readonly label: string
}

export interface PersonFieldDefinition {
  /** [fields] `field_code` (v1 `key`): "randomly generated 40-character hashes" [persons]. */
  readonly key: string
  /** [fields] `field_name` (v1 `name`). */
  readonly name: string
  readonly field_type: PersonFieldType
  /** `enum` and `set` only: the options, ids unique within the field. */
  readonly options?: readonly FieldOption[]
}

/**
 * The keys of the default clienteling fields, by the merchant's own name for them. Real keys are
 * 40 lowercase hex digits (SHA-1-like), so about 10 in 16 start with a digit: 15 of these 26 do
 * (a mapping must quote such keys in YAML, and must not treat them as numbers).
 */
export const PERSON_FIELD_KEYS = {
  loyaltyAccountNumber: '18f60802d8b7e72d1f0ee89c2a7963645e9a5860',
  consentTerms: 'e3118f9fac6faa31bfc744184f03a51db8281ec7',
  consentDirectMail: '4f62351825be290573d1d430d7f26cac4008ae9d',
  consentEReceipt: '2c632efcaf8ce5bffed42ef91e03787a886a8d5c',
  consentNewsletter: 'f3a80c412f9a76976d24dc901385efa45ba6f793',
  consentPhone: '8e3b4446e37aed2206b553eff157d8f36f9617ff',
  consentSms: 'bbea672b973f03640dbc5ae946d123f661df27e2',
  consentLoyalty: '40209dc600a14116f078cdf0da2185af99fc2683',
  birthday: '0f014f523239d8965c21cd12103f90d392c32a09',
  preferredLanguage: '9215d9617d5aad138a0a026b546501b48b0bf222',
  loyaltyTier: '8bc6d74b4fcc7cbced07ccb8c47d6c46a8b99665',
  loyaltyPoints: 'eaf8c6f0e82af5970b5687c41f2d90efce48fa7e',
  storeCredit: '46bccbc1befedd7caad7a070739223dd1cf30df6',
  loyaltyTierStartDate: 'c8a85ea556200b7e0c33744247a5366fb5fba91b',
  addressList: '7d90660744b24c176e889abe0a20356b8f5c5708',
  loyaltyAddress: '23753f17ec1d4e631d6f11238e07e98381595c86',
  homeStore: 'd8ce693134dda8f9e6b24f1829def4afc3dd4ec3',
  interests: 'c8931e93121e5ba9f12bbe51197a43c80dbbb284',
  homePhone: '65f6f38ea5b2326a30d51311f70a0d1602fe74a9',
  postalAddress: 'a6188469f6bb86c25d50833e8b2874d87b3aece8',
  salutation: '3290b1e5feb2ab9fd30c4119ff09d7c6872f75be',
  gender: 'a54fe60cbc02b509c8c7d4f3bbbd38d625614aa9',
  loyaltyFirstName: '12b135518d1f185ae686ec09f488ff47cb4e3992',
  loyaltyLastName: 'cd109c9d9a4260a56a7da6e74dff18cbdd5ec1b3',
  loyaltyAttributes: 'fe049a81bce471d0c47675590d9a5db458ce6834',
  createRequestId: '34292e323ba1f8386156ac74c5027049f83017ee'
} as const

/** A Yes/No single-option field's options (how a merchant models a flag in Pipedrive). */
const yesNo = (yes: number): FieldOption[] => [
  { id: yes, label: 'Yes' },
  { id: yes + 1, label: 'No' }
]

/** The Yes and No option ids of each default consent field (Yes is odd, No the next id). */
export const CONSENT_OPTION_IDS = {
  consentTerms: { yes: 11, no: 12 },
  consentDirectMail: { yes: 13, no: 14 },
  consentEReceipt: { yes: 15, no: 16 },
  consentNewsletter: { yes: 17, no: 18 },
  consentPhone: { yes: 19, no: 20 },
  consentSms: { yes: 21, no: 22 },
  consentLoyalty: { yes: 23, no: 24 }
} as const

const K = PERSON_FIELD_KEYS
const C = CONSENT_OPTION_IDS

/**
 * A merchant's custom person fields for a clienteling table: the loyalty system's account number,
 * the consents (Yes/No single options), birthday, preferred language and loyalty tier (single
 * options), points (number), store credit (monetary), the address list and loyalty address as
 * JSON in long text, the home store, interests (multiple options), a home phone and a postal
 * address (address type); and the texts Pipedrive persons lack natively: a salutation, a gender,
 * the loyalty profile's names, free-form loyalty attributes (JSON in long text) and a field for an
 * integration's own creation marker.
 */
export const DEFAULT_PERSON_FIELDS: readonly PersonFieldDefinition[] = [
  { key: K.loyaltyAccountNumber, name: 'Loyalty account number', field_type: 'varchar' },
  { key: K.consentTerms, name: 'Agreed to terms', field_type: 'enum', options: yesNo(C.consentTerms.yes) },
  { key: K.consentDirectMail, name: 'Direct mail sign-up', field_type: 'enum', options: yesNo(C.consentDirectMail.yes) },
  { key: K.consentEReceipt, name: 'E-receipt', field_type: 'enum', options: yesNo(C.consentEReceipt.yes) },
  { key: K.consentNewsletter, name: 'Newsletter sign-up', field_type: 'enum', options: yesNo(C.consentNewsletter.yes) },
  { key: K.consentPhone, name: 'Phone sign-up', field_type: 'enum', options: yesNo(C.consentPhone.yes) },
  { key: K.consentSms, name: 'SMS sign-up', field_type: 'enum', options: yesNo(C.consentSms.yes) },
  { key: K.consentLoyalty, name: 'Loyalty sign-up', field_type: 'enum', options: yesNo(C.consentLoyalty.yes) },
  { key: K.birthday, name: 'Birthday', field_type: 'date' },
  {
    key: K.preferredLanguage,
    name: 'Preferred language',
    field_type: 'enum',
    options: ['en-US', 'en-GB', 'fr-FR', 'de-DE', 'es-ES', 'it-IT', 'ja-JP', 'zh-CN'].map((label, i) => ({ id: 31 + i, label }))
  },
  {
    key: K.loyaltyTier,
    name: 'Loyalty tier',
    field_type: 'enum',
    options: ['Bronze', 'Silver', 'Gold', 'Platinum'].map((label, i) => ({ id: 41 + i, label }))
  },
  { key: K.loyaltyPoints, name: 'Loyalty points', field_type: 'double' },
  { key: K.storeCredit, name: 'Store credit', field_type: 'monetary' },
  { key: K.loyaltyTierStartDate, name: 'Loyalty tier start date', field_type: 'date' },
  { key: K.addressList, name: 'Clienteling addresses (JSON)', field_type: 'text' },
  { key: K.loyaltyAddress, name: 'Loyalty address (JSON)', field_type: 'text' },
  { key: K.homeStore, name: 'Home store', field_type: 'varchar' },
  {
    key: K.interests,
    name: 'Interests',
    field_type: 'set',
    options: ['Shoes', 'Bags', 'Jewelry', 'Watches'].map((label, i) => ({ id: 51 + i, label }))
  },
  { key: K.homePhone, name: 'Home phone', field_type: 'phone' },
  { key: K.postalAddress, name: 'Postal address', field_type: 'address' },
  { key: K.salutation, name: 'Salutation', field_type: 'varchar' },
  { key: K.gender, name: 'Gender', field_type: 'varchar' },
  { key: K.loyaltyFirstName, name: 'Loyalty first name', field_type: 'varchar' },
  { key: K.loyaltyLastName, name: 'Loyalty last name', field_type: 'varchar' },
  { key: K.loyaltyAttributes, name: 'Loyalty attributes (JSON)', field_type: 'text' },
  { key: K.createRequestId, name: 'Clienteling creation marker', field_type: 'varchar' }
]

// ---------------------------------------------------------------------------------------------
// Rate limits

/** A sliding window of `max` requests per `windowMs`, per token. */
export interface RateLimit {
  readonly max: number
  readonly windowMs: number
}

/**
 * What Pipedrive documents, for tests that want the real numbers (the double's defaults are
 * generous instead). [rate-limits]: requests are limited per token in a 2-second window, by plan
 * (api_token: Lite 20, Growth 40, Premium 100 as the current page is transcribed; Ultimate could
 * not be confirmed; the page's earlier, request-based version gave Essential 20, Advanced 40,
 * Professional 80, Power 100, Enterprise 120, and four times as many for OAuth tokens); each
 * company has a daily token budget of 30,000 × plan multiplier (Lite 1, Growth 2, Premium 5,
 * Ultimate 7) × seats, reset daily. [search-limit]: the search endpoints have their own limit of
 * 10 requests per 2 seconds per token.
 */
export const DOCUMENTED_LIMITS = {
  burstWindowMs: 2000,
  apiTokenBurst: { lite: 20, growth: 40, premium: 100 },
  search: { max: 10, windowMs: 2000 },
  dailyTokensPerSeat: 30_000,
  planMultiplier: { lite: 1, growth: 2, premium: 5, ultimate: 7 }
} as const

/** Generous defaults, so that no test trips a limit it does not set up. */
const DEFAULT_BURST: RateLimit = { max: 1000, windowMs: 2000 }
const DEFAULT_SEARCH: RateLimit = { max: 1000, windowMs: 2000 }

/**
 * [description] `x-token-cost` of each operation the double serves (what a call takes from the
 * daily budget). v1 personFields is dearer than its v2 replacement ([deprecation]: v2 "consume[s]
 * 50% fewer tokens").
 */
export const TOKEN_COSTS: Readonly<Record<string, number>> = {
  'POST /api/v2/persons': 5,
  'GET /api/v2/persons': 10,
  'GET /api/v2/persons/:id': 1,
  'PATCH /api/v2/persons/:id': 5,
  'DELETE /api/v2/persons/:id': 3,
  'GET /api/v2/persons/search': 20,
  'GET /api/v2/personFields': 10,
  'GET /api/v2/personFields/:field_code': 1,
  'GET /v1/personFields': 20,
  'GET /api/v1/personFields': 20
}

// ---------------------------------------------------------------------------------------------
// Public types

export interface PipedriveDoubleOptions {
  /** [auth] the user's API token the double accepts (in `x-api-token`, or `?api_token=`). */
  readonly apiToken: string
  /** [auth] an OAuth access token accepted as `Authorization: Bearer …` (none by default). */
  readonly accessToken?: string
  /**
   * [auth] whether `?api_token=` is accepted besides the header. The current authentication page
   * and the [description]'s security scheme name only the `x-api-token` header; the page's earlier
   * text named the query parameter, and users report it still works on v2 (pipedrive/client-nodejs
   * #658). Default true; false makes a test prove the adapter uses the header.
   */
  readonly acceptQueryToken?: boolean
  /** The company's custom person fields. Default DEFAULT_PERSON_FIELDS. */
  readonly personFields?: readonly PersonFieldDefinition[]
  /** [rate-limits] per-token window of the non-search endpoints. Default 1000 per 2000 ms. */
  readonly burstRateLimit?: RateLimit
  /** [search-limit] per-token window of the search endpoint. Default 1000 per 2000 ms. */
  readonly searchRateLimit?: RateLimit
  /** [rate-limits] the company's daily token budget (reset at midnight UTC). Default Infinity. */
  readonly dailyTokenBudget?: number
  /** The clock of rate windows, the daily budget and timestamps (ms since the epoch). */
  readonly now?: () => number
  /** First person id given out. Default 1. */
  readonly firstId?: number
  /** The id of the user the token belongs to (a new person's `owner_id`). Default 1. */
  readonly userId?: number
}

/** [persons] an e-mail or phone entry: `{value, label, primary}`. */
export interface ContactEntry {
  readonly value: string
  readonly label: string
  readonly primary: boolean
}

/** A custom field value as stored (v2 format: numbers for options, objects for monetary/address). */
export type CustomValue = string | number | readonly number[] | Readonly<Record<string, string | number | null>>

export interface StoredPerson {
  readonly id: number
  name: string
  first_name: string | null
  last_name: string | null
  owner_id: number
  org_id: number | null
  emails: ContactEntry[]
  phones: ContactEntry[]
  visible_to: number
  label_ids: number[]
  marketing_status: string | null
  /** Custom field values by key; unset fields are absent. */
  readonly custom_fields: Map<string, CustomValue>
  add_time: number
  update_time: number
  is_deleted: boolean
}

export interface PipedriveDouble {
  /** `http://127.0.0.1:<port>` (Pipedrive's base would be `https://<company>.pipedrive.com`). */
  readonly url: string
  readonly persons: ReadonlyMap<number, StoredPerson>
  /** The company's custom person fields, by key. */
  readonly fields: ReadonlyMap<string, PersonFieldDefinition>
  /** Every request received (authorized or not), in order. */
  readonly requests: readonly RecordedRequest[]
  /** Every authorized request that broke a documented request shape, in order (also when answered 429). */
  readonly violations: readonly Violation[]
  /** Tokens spent today from the daily budget. */
  readonly tokensSpent: number
  /**
   * Writes one custom field as another Pipedrive user (or an app such as a loyalty system) would,
   * in the v2 format (an option id for `enum`, ids for `set`, `{value, currency}` for monetary…);
   * `null` clears. Throws when the person or field is unknown or the value does not fit.
   */
  setFieldValue(id: number, key: string, value: unknown): void
  /** Marks a person deleted, as another user would ([persons] "Delete a person"). */
  deletePerson(id: number): void
  setBurstRateLimit(limit: RateLimit): void
  setSearchRateLimit(limit: RateLimit): void
  setDailyTokenBudget(tokens: number): void
  /** Forgets the rate windows (a new 2-second window began). */
  resetRateWindows(): void
  close(): Promise<void>
}

// ---------------------------------------------------------------------------------------------
// Errors

const ERROR_INFO = 'Please check developers.pipedrive.com for more information about Pipedrive API.'

class PipedriveFailure extends Error {
  constructor(
    readonly status: number,
    readonly body: Readonly<Record<string, unknown>>,
    readonly headers: Readonly<Record<string, string>> = {}
  ) {
    super(typeof body['error'] === 'string' ? body['error'] : `HTTP ${status}`)
  }
}

/** [v2-errors] a refused request: every problem, `<path>: <message>`, joined by "; ". */
const validationFailed = (problems: readonly string[]): PipedriveFailure =>
  new PipedriveFailure(400, { success: false, error: `Validation failed: ${problems.join('; ')}`, code: 'ERR_SCHEMA_VALIDATION_FAILED' })

/**
 * [description] the v2 "not found" answer (the description shows it for other v2 endpoints;
 * silent for persons, so the same body).
 */
const notFound = (): PipedriveFailure =>
  new PipedriveFailure(404, { success: false, error: 'Entity was not found', error_info: 'Object was not found.', data: null, additional_data: null })

/**
 * [description] the unauthorized answer (`unathorizedResponse`: success, error "unauthorized
 * access", errorCode 401), with the [responses] envelope's other members.
 */
const unauthorized = (): PipedriveFailure =>
  new PipedriveFailure(401, { success: false, error: 'unauthorized access', errorCode: 401, error_info: ERROR_INFO, data: null, additional_data: null })

// ---------------------------------------------------------------------------------------------
// Request shapes ([description] schemas, made strict as [migration] "significantly stricter input
// validation" and [v2-errors] "Parameter '…' is not allowed for this request" show)

/**
 * [description] the items of `emails` and `phones`: `value` (text), `primary` (boolean), `label`
 * (text); [migration] "Only the value field is required". silent: other members refused.
 */
const ContactSchema = Type.Object(
  { value: Type.String(), primary: Type.Optional(Type.Boolean()), label: Type.Optional(Type.String()) },
  { additionalProperties: false }
)

export const MARKETING_STATUSES = ['no_consent', 'unsubscribed', 'subscribed', 'archived'] as const

/**
 * [description] operations addPerson and updatePerson, request body: every member optional and
 * typed; integers are integers ([migration]: "Numeric fields no longer coerce string input");
 * `first_name`/`last_name` are accepted as [migration] "POST /api/v2/persons" describes;
 * `custom_fields` an object whose values depend on each field's type (checked separately).
 * silent: `org_id: null` (unlink) is accepted.
 */
const PersonBodySchema = Type.Object(
  {
    name: Type.Optional(Type.String()),
    first_name: Type.Optional(Type.String()),
    last_name: Type.Optional(Type.String()),
    owner_id: Type.Optional(Type.Integer()),
    org_id: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
    add_time: Type.Optional(Type.String()),
    update_time: Type.Optional(Type.String()),
    emails: Type.Optional(Type.Array(ContactSchema)),
    phones: Type.Optional(Type.Array(ContactSchema)),
    visible_to: Type.Optional(Type.Integer()),
    label_ids: Type.Optional(Type.Array(Type.Integer())),
    marketing_status: Type.Optional(Type.Enum([...MARKETING_STATUSES])),
    custom_fields: Type.Optional(Type.Record(Type.String(), Type.Unknown()))
  },
  { additionalProperties: false }
)

interface PersonBody {
  name?: string
  first_name?: string
  last_name?: string
  owner_id?: number
  org_id?: number | null
  add_time?: string
  update_time?: string
  emails?: { value: string; primary?: boolean; label?: string }[]
  phones?: { value: string; primary?: boolean; label?: string }[]
  visible_to?: number
  label_ids?: number[]
  marketing_status?: (typeof MARKETING_STATUSES)[number]
  custom_fields?: Record<string, unknown>
}

/** Problems of a value against a compiled schema, in [v2-errors]'s `<path>: <message>` wording. */
function schemaChecker<T extends TSchema>(schema: T): (value: unknown) => string[] {
  const compiled = Compile(schema)
  return (value) => {
    if (compiled.Check(value)) return []
    const problems = new Set<string>()
    const errors = [...compiled.Errors(value)]
    // A union's branches each complain too: its own message says it once.
    const unions = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath))
    for (const error of errors) {
      if (error.keyword !== 'anyOf' && unions.has(error.instancePath)) continue
      const at = memberPath(error.instancePath)
      const params = error.params as { requiredProperties?: string[]; additionalProperties?: string[]; type?: string; allowedValues?: unknown[] }
      const prefix = (name: string) => (at === '' ? name : `${at}.${name}`)
      switch (error.keyword) {
        case 'boolean': // "schema is false": the additionalProperties entry below says it better
          break
        case 'additionalProperties':
          for (const name of params.additionalProperties ?? []) problems.add(`${prefix(name)}: Parameter '${name}' is not allowed for this request`)
          break
        case 'required':
          for (const name of params.requiredProperties ?? []) problems.add(`${prefix(name)}: is required`)
          break
        case 'type':
          problems.add(`${at === '' ? 'body' : at}: must be ${params.type === 'integer' ? 'an integer' : `of type ${params.type ?? '?'}`}`)
          break
        case 'enum':
          problems.add(`${at}: must be one of ${(params.allowedValues ?? []).map(String).join(', ')}`)
          break
        case 'anyOf': // the only union: org_id
          problems.add(`${at}: must be an integer or null`)
          break
        default:
          problems.add(`${at === '' ? 'body' : at}: ${error.message}`)
      }
    }
    return [...problems]
  }
}

const checkPersonBody = schemaChecker(PersonBodySchema)

/**
 * [migration] "POST /api/v2/persons": "Either name or both first_name and last_name must be
 * provided"; "Empty strings are accepted for first_name and last_name, but both can not be empty
 * strings at the same time"; "at most only 1 value for each field type can be marked as primary".
 * PATCH: the same rule "when updating the person's name". silent: an empty or blank `name` is
 * refused (the name is what is required).
 */
function personRuleProblems(body: PersonBody, creating: boolean): string[] {
  const problems: string[] = []
  const { name, first_name: first, last_name: last } = body
  if (name !== undefined) {
    if (name.trim() === '') problems.push('name: must not be empty')
  } else if (first !== undefined || last !== undefined || creating) {
    if (first === undefined || last === undefined) problems.push('name: Either name or both first_name and last_name must be provided')
    else if (first.trim() === '' && last.trim() === '') problems.push('first_name: first_name and last_name can not both be empty strings')
  }
  for (const list of ['emails', 'phones'] as const) {
    if ((body[list] ?? []).filter((entry) => entry.primary === true).length > 1) problems.push(`${list}: at most one value can be marked as primary`)
  }
  return problems
}

/** What a query parameter may hold. */
type ParamKind = 'string' | 'integer' | 'boolean' | { readonly list: readonly string[] } | { readonly oneOf: readonly string[] }

/** [description] the include_fields values of getPerson. */
const PERSON_INCLUDE_FIELDS = [
  'next_activity_id', 'last_activity_id', 'open_deals_count', 'related_open_deals_count', 'closed_deals_count', 'related_closed_deals_count',
  'participant_open_deals_count', 'participant_closed_deals_count', 'email_messages_count', 'activities_count', 'done_activities_count',
  'undone_activities_count', 'files_count', 'notes_count', 'followers_count', 'won_deals_count', 'related_won_deals_count', 'lost_deals_count',
  'related_lost_deals_count', 'last_incoming_mail_time', 'last_outgoing_mail_time', 'marketing_status', 'doi_status', 'smart_bcc_email'
] as const

/** [list] the include_fields values of getPersons (getPerson's, but for smart_bcc_email). */
const LIST_INCLUDE_FIELDS = PERSON_INCLUDE_FIELDS.filter((f) => f !== 'smart_bcc_email')

/** [search] the `fields` a person search may look in. */
export const SEARCH_FIELDS = ['custom_fields', 'email', 'notes', 'phone', 'name'] as const

/** [fields] include_fields of the v2 fields endpoints (the description lists the combinations). */
const FIELD_NAMESPACES = ['ui_visibility', 'important_fields', 'required_fields'] as const

/**
 * [description] the query parameters of each route (`api_token` everywhere, [auth]). A repeated
 * parameter, a value of the wrong kind, or a parameter the operation does not have is a
 * violation (silent: unknown parameters refused, as unknown body members are [v2-errors]).
 */
const QUERY_OF: Readonly<Record<string, { readonly params: Readonly<Record<string, ParamKind>>; readonly required?: readonly string[] }>> = {
  'POST /api/v2/persons': { params: {} },
  'GET /api/v2/persons/:id': {
    params: { include_fields: { list: PERSON_INCLUDE_FIELDS }, custom_fields: 'string', include_option_labels: 'boolean', include_labels: 'boolean' }
  },
  'GET /api/v2/persons': {
    params: {
      filter_id: 'integer',
      ids: 'string',
      owner_id: 'integer',
      org_id: 'integer',
      updated_since: 'string',
      updated_until: 'string',
      sort_by: { oneOf: ['id', 'update_time', 'add_time'] },
      sort_direction: { oneOf: ['asc', 'desc'] },
      include_fields: { list: LIST_INCLUDE_FIELDS },
      custom_fields: 'string',
      limit: 'integer',
      cursor: 'string'
    }
  },
  'PATCH /api/v2/persons/:id': { params: {} },
  'DELETE /api/v2/persons/:id': { params: {} },
  'GET /api/v2/persons/search': {
    params: { term: 'string', fields: { list: SEARCH_FIELDS }, exact_match: 'boolean', organization_id: 'integer', include_fields: { oneOf: ['person.picture'] }, limit: 'integer', cursor: 'string' },
    required: ['term']
  },
  'GET /api/v2/personFields': { params: { include_fields: { list: FIELD_NAMESPACES }, limit: 'integer', cursor: 'string' } },
  'GET /api/v2/personFields/:field_code': { params: { include_fields: { list: FIELD_NAMESPACES } } },
  'GET /v1/personFields': { params: { start: 'integer', limit: 'integer' } },
  'GET /api/v1/personFields': { params: { start: 'integer', limit: 'integer' } }
}

function queryProblems(query: Readonly<Record<string, unknown>>, spec: (typeof QUERY_OF)[string]): string[] {
  const problems: string[] = []
  for (const name of spec.required ?? []) if (query[name] === undefined) problems.push(`${name}: is required`)
  for (const [name, raw] of Object.entries(query)) {
    if (name === 'api_token') continue
    const kind = spec.params[name]
    if (kind === undefined) {
      problems.push(`${name}: Parameter '${name}' is not allowed for this request`)
      continue
    }
    if (typeof raw !== 'string') {
      problems.push(`${name}: must be a single value`)
      continue
    }
    if (kind === 'integer' && !/^-?\d+$/.test(raw)) problems.push(`${name}: must be an integer`)
    // [migration] booleans "only return and accept true and false".
    if (kind === 'boolean' && raw !== 'true' && raw !== 'false') problems.push(`${name}: must be true or false`)
    if (typeof kind === 'object' && 'oneOf' in kind && !kind.oneOf.includes(raw)) problems.push(`${name}: must be one of ${kind.oneOf.join(', ')}`)
    if (typeof kind === 'object' && 'list' in kind) {
      const bad = raw.split(',').map((s) => s.trim()).filter((s) => !kind.list.includes(s))
      if (bad.length > 0) problems.push(`${name}: ${bad.map((b) => `'${b}'`).join(', ')} not among ${kind.list.join(', ')}`)
    }
  }
  return problems
}

/** [pagination] "If not provided, 100 items will be returned. … a maximum value of 500 is allowed." */
const PAGE = { defaultLimit: 100, maxLimit: 500 } as const

/** [persons] getPerson, [list] getPersons: "A maximum of 15 keys is allowed" in `custom_fields`. */
const MAX_CUSTOM_FIELD_KEYS = 15

/** [list] `ids`: "up to 100 entity ids". */
const MAX_LIST_IDS = 100

/**
 * Documented rules of query values that need no account data: [search] the term ("Minimum 2
 * characters (or 1 if using exact_match)"), [pagination] limit 1…500, [persons] at most 15
 * custom field keys, [v1-fields] start ≥ 0, [list] at most 100 ids (each an integer id), times
 * in RFC 3339.
 */
function queryRuleProblems(route: string, query: Readonly<Record<string, unknown>>): string[] {
  const problems: string[] = []
  const text = (name: string): string | undefined => (typeof query[name] === 'string' ? query[name] : undefined)
  const limit = text('limit')
  if (limit !== undefined && /^-?\d+$/.test(limit) && (Number(limit) < 1 || Number(limit) > PAGE.maxLimit)) {
    problems.push(`limit: must be between 1 and ${PAGE.maxLimit}`)
  }
  const start = text('start')
  if (start !== undefined && /^-?\d+$/.test(start) && Number(start) < 0) problems.push('start: must not be negative')
  if (route === 'GET /api/v2/persons/search') {
    const term = text('term')
    const exact = text('exact_match') === 'true'
    // silent: the length is counted after trimming white space.
    if (term !== undefined && term.trim().length < (exact ? 1 : 2)) {
      problems.push(`term: must be at least ${exact ? '1 character' : '2 characters'} long${exact ? '' : ' (or 1 with exact_match)'}`)
    }
  }
  if (route === 'GET /api/v2/persons') {
    const ids = text('ids')
    if (ids !== undefined) {
      const list = ids.split(',').map((id) => id.trim())
      if (list.some((id) => !/^[1-9]\d*$/.test(id))) problems.push('ids: must be a comma-separated list of integer ids')
      else if (list.length > MAX_LIST_IDS) problems.push(`ids: at most ${MAX_LIST_IDS} ids are allowed`)
    }
    for (const name of ['updated_since', 'updated_until']) {
      const at = text(name)
      if (at !== undefined && (!RFC3339.test(at) || Number.isNaN(Date.parse(at)))) problems.push(`${name}: must be an RFC 3339 date-time`)
    }
  }
  if (route === 'GET /api/v2/persons/:id' || route === 'GET /api/v2/persons') {
    const keys = text('custom_fields')
    if (keys !== undefined && keys.split(',').filter((k) => k.trim() !== '').length > MAX_CUSTOM_FIELD_KEYS) {
      problems.push(`custom_fields: A maximum of ${MAX_CUSTOM_FIELD_KEYS} keys is allowed`)
    }
  }
  return problems
}

// ---------------------------------------------------------------------------------------------
// Custom field values ([migration] "Custom Fields" gives the v2 format of each type)

const DAY = /^\d{4}-\d{2}-\d{2}$/
const isDay = (value: string): boolean => {
  const at = Date.parse(`${value}T00:00:00Z`)
  return DAY.test(value) && !Number.isNaN(at) && new Date(at).toISOString().slice(0, 10) === value
}

/** [migration] the subfields of an address value; "Only value subfield is required". */
const ADDRESS_SUBFIELDS = [
  'value', 'street_number', 'route', 'sublocality', 'subpremise', 'locality', 'admin_area_level_1', 'admin_area_level_2', 'country', 'postal_code', 'formatted_address'
] as const

/** [field-types] maximum text lengths: varchar, autocomplete and phone 255; long text "65k" (silent: 65,535). */
const MAX_LENGTH: Partial<Record<PersonFieldType, number>> = { varchar: 255, varchar_auto: 255, phone: 255, text: 65_535 }

const isInteger = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v)
const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * A custom field value checked against its field, in the v2 format: text for text types, a number
 * for `double`, `{value, currency}` for monetary, "YYYY-MM-DD" for date, an option id (number)
 * for `enum`, a non-empty list of option ids for `set` ([persons]: "sending an empty array [] is
 * not supported"), `{value, …subfields}` for address. `null` clears ([persons] "To clear a custom
 * field value, set it to null"). silent: "" clears a text field too.
 */
function customValue(def: PersonFieldDefinition, raw: unknown): { value: CustomValue | null } | { problem: string } {
  if (raw === null) return { value: null }
  const optionIds = new Set((def.options ?? []).map((o) => o.id))
  switch (def.field_type) {
    case 'varchar':
    case 'varchar_auto':
    case 'text':
    case 'phone': {
      if (typeof raw !== 'string') return { problem: `must be a string (field type ${def.field_type})` }
      const max = MAX_LENGTH[def.field_type] ?? Infinity
      if (raw.length > max) return { problem: `must be at most ${max} characters long` }
      return { value: raw === '' ? null : raw }
    }
    case 'double':
      // [migration] "Numeric fields no longer coerce string input to number".
      return typeof raw === 'number' && Number.isFinite(raw) ? { value: raw } : { problem: 'must be a number' }
    case 'monetary': {
      if (!isPlainObject(raw)) return { problem: 'must be an object {value, currency}' }
      const extra = Object.keys(raw).filter((k) => k !== 'value' && k !== 'currency')
      if (extra.length > 0) return { problem: `unknown member ${extra.join(', ')}` }
      if (typeof raw['value'] !== 'number' || !Number.isFinite(raw['value'])) return { problem: 'value: must be a number' }
      // silent: the currency is required, as an ISO 4217 code.
      if (typeof raw['currency'] !== 'string' || !/^[A-Z]{3}$/.test(raw['currency'])) return { problem: 'currency: must be a 3-letter currency code' }
      return { value: { value: raw['value'], currency: raw['currency'] } }
    }
    case 'date':
      if (typeof raw !== 'string' || !DAY.test(raw)) return { problem: 'must be a date in the format YYYY-MM-DD' }
      return isDay(raw) ? { value: raw } : { problem: `${raw} is not a valid date` }
    case 'enum':
      if (!isInteger(raw)) return { problem: 'must be an option id (integer)' }
      return optionIds.has(raw) ? { value: raw } : { problem: `${raw} is not a valid option id` }
    case 'set': {
      if (!Array.isArray(raw) || !raw.every(isInteger)) return { problem: 'must be an array of option ids (integers)' }
      if (raw.length === 0) return { problem: 'an empty array is not supported; use null to clear' }
      const unknown = raw.filter((id) => !optionIds.has(id))
      if (unknown.length > 0) return { problem: `${unknown.join(', ')} not valid option ids` }
      return { value: [...new Set(raw)] }
    }
    case 'address': {
      if (!isPlainObject(raw)) return { problem: 'must be an object with at least value' }
      const known: readonly string[] = ADDRESS_SUBFIELDS
      const extra = Object.keys(raw).filter((k) => !known.includes(k))
      if (extra.length > 0) return { problem: `unknown subfield ${extra.join(', ')}` }
      if (typeof raw['value'] !== 'string' || raw['value'].trim() === '') return { problem: 'value: is required' }
      const stored: Record<string, string | null> = {}
      for (const name of ADDRESS_SUBFIELDS) {
        const v = raw[name]
        if (v !== undefined && v !== null && typeof v !== 'string') return { problem: `${name}: must be a string` }
        // [migration] "All other subfields are optional and will be set to null if not provided".
        stored[name] = typeof v === 'string' ? v : null
      }
      return { value: stored }
    }
  }
}

/** The text search sees in a custom field ([search]: only these types are searchable). */
function searchableText(def: PersonFieldDefinition, value: CustomValue): string | undefined {
  switch (def.field_type) {
    case 'varchar':
    case 'varchar_auto':
    case 'text':
    case 'phone':
      return typeof value === 'string' ? value : undefined
    case 'double':
      return typeof value === 'number' ? String(value) : undefined
    case 'monetary':
    case 'address': {
      const inner = isPlainObject(value) ? value['value'] : undefined
      return typeof inner === 'number' || typeof inner === 'string' ? String(inner) : undefined
    }
    default:
      return undefined
  }
}

// ---------------------------------------------------------------------------------------------
// The double

/** [migration] "All timestamps in the v2 API are now in RFC 3339 format (e.g. 2024-01-01T00:00:00Z)". */
const rfc3339 = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/

/** [persons] visible_to: 1 owner & followers, 3 entire company, 5 / 7 (higher plans' groups). */
const VISIBILITIES = [1, 3, 5, 7] as const

/** Opaque cursors: base64url of the next offset (clients must not read them). */
const encodeCursor = (offset: number): string => Buffer.from(JSON.stringify({ offset })).toString('base64url')
function decodeCursor(cursor: string): number | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
    const offset = isPlainObject(parsed) ? parsed['offset'] : undefined
    return isInteger(offset) && offset >= 0 ? offset : undefined
  } catch {
    return undefined
  }
}

/**
 * [migration] "If name is provided, first_name and last_name are derived from splitting the name
 * with the same logic as in v1 API" (silent: the first word, then the rest).
 */
function splitName(name: string): { first: string | null; last: string | null } {
  const words = name.trim().split(/\s+/)
  const [first, ...rest] = words
  return { first: first === undefined || first === '' ? null : first, last: rest.length === 0 ? null : rest.join(' ') }
}

/**
 * [migration] e-mails and phones: "label is optional and will default to work"; "If none are
 * marked as primary, the first value is marked as primary".
 */
function contactList(entries: readonly { value: string; primary?: boolean; label?: string }[]): ContactEntry[] {
  const anyPrimary = entries.some((e) => e.primary === true)
  return entries.map((e, i) => ({ value: e.value, label: e.label ?? 'work', primary: anyPrimary ? e.primary === true : i === 0 }))
}

/** The system person fields listed besides the custom ones (a subset; silent which exactly). */
const SYSTEM_FIELDS: readonly { code: string; name: string; type: string; mandatory?: boolean }[] = [
  { code: 'name', name: 'Name', type: 'varchar', mandatory: true },
  { code: 'first_name', name: 'First name', type: 'varchar' },
  { code: 'last_name', name: 'Last name', type: 'varchar' },
  { code: 'email', name: 'Email', type: 'varchar' },
  { code: 'phone', name: 'Phone', type: 'phone' },
  { code: 'owner_id', name: 'Owner', type: 'user' },
  { code: 'org_id', name: 'Organization', type: 'org' },
  { code: 'label_ids', name: 'Labels', type: 'set' },
  { code: 'visible_to', name: 'Visible to', type: 'visible_to' },
  { code: 'add_time', name: 'Person created', type: 'date' },
  { code: 'update_time', name: 'Update time', type: 'date' }
]

/** [fields] subfields of the complex types (monetary, address); null for the others. */
function subfieldsOf(def: PersonFieldDefinition): { field_code: string; field_name: string; field_type: string }[] | null {
  if (def.field_type === 'monetary') {
    return [
      { field_code: 'value', field_name: `Value of ${def.name}`, field_type: 'double' },
      { field_code: 'currency', field_name: `Currency of ${def.name}`, field_type: 'varchar' }
    ]
  }
  if (def.field_type === 'address') return ADDRESS_SUBFIELDS.map((code) => ({ field_code: code, field_name: `${code} of ${def.name}`, field_type: 'varchar' }))
  return null
}

/** Checks the merchant's definitions the way Pipedrive would have made them. */
function checkDefinitions(defs: readonly PersonFieldDefinition[]): void {
  const keys = new Set<string>()
  for (const def of defs) {
    if (!/^[0-9a-f]{40}$/.test(def.key)) throw new Error(`pipedrive double: field key ${def.key} is not 40 lowercase hex digits`)
    if (keys.has(def.key)) throw new Error(`pipedrive double: field key ${def.key} defined twice`)
    keys.add(def.key)
    const hasOptions = def.field_type === 'enum' || def.field_type === 'set'
    const ids = (def.options ?? []).map((o) => o.id)
    if (hasOptions && ids.length === 0) throw new Error(`pipedrive double: ${def.name} (${def.field_type}) needs options`)
    if (!hasOptions && ids.length > 0) throw new Error(`pipedrive double: ${def.name} (${def.field_type}) cannot have options`)
    if (new Set(ids).size !== ids.length || !ids.every(isInteger)) throw new Error(`pipedrive double: ${def.name}: option ids must be distinct integers`)
  }
}

const SEARCH_ROUTE = 'GET /api/v2/persons/search'

export async function startPipedriveDouble(options: PipedriveDoubleOptions): Promise<PipedriveDouble> {
  const now = options.now ?? Date.now
  const acceptQueryToken = options.acceptQueryToken ?? true
  const userId = options.userId ?? 1
  const definitions = options.personFields ?? DEFAULT_PERSON_FIELDS
  checkDefinitions(definitions)
  const fields = new Map(definitions.map((d) => [d.key, d]))
  let burstLimit = options.burstRateLimit ?? DEFAULT_BURST
  let searchLimit = options.searchRateLimit ?? DEFAULT_SEARCH
  let dailyBudget = options.dailyTokenBudget ?? Infinity
  let tokensSpent = 0
  let budgetDay = new Date(now()).toISOString().slice(0, 10)
  const hits = new Map<string, number[]>()

  const persons = new Map<number, StoredPerson>()
  const requests: RecordedRequest[] = []
  const violations: Violation[] = []
  let nextId = options.firstId ?? 1

  // ---- values and answers

  const optionLabel = (def: PersonFieldDefinition, id: number): { id: number; label: string | null } => ({ id, label: def.options?.find((o) => o.id === id)?.label ?? null })

  /**
   * [persons] the v2 person object. `custom_fields` holds every custom field, null when unset
   * (silent: every key is listed), or only those asked for with `custom_fields=`;
   * `include_option_labels=true` turns option ids into `{id, label}`.
   */
  const answer = (p: StoredPerson, opts: { keys?: readonly string[]; optionLabels?: boolean; include?: readonly string[] } = {}) => {
    const custom: Record<string, unknown> = {}
    for (const def of definitions) {
      if (opts.keys !== undefined && !opts.keys.includes(def.key)) continue
      const v = p.custom_fields.get(def.key) ?? null
      if (opts.optionLabels === true && def.field_type === 'enum' && typeof v === 'number') custom[def.key] = optionLabel(def, v)
      else if (opts.optionLabels === true && def.field_type === 'set' && Array.isArray(v)) custom[def.key] = (v as readonly number[]).map((id) => optionLabel(def, id))
      else custom[def.key] = v
    }
    const extra: Record<string, unknown> = {}
    // [persons] include_fields: optional members; the double keeps no deals, activities or mail.
    for (const name of opts.include ?? []) {
      if (name === 'marketing_status') extra[name] = p.marketing_status ?? 'no_consent'
      else extra[name] = name.endsWith('_count') ? 0 : null
    }
    return {
      id: p.id,
      name: p.name,
      first_name: p.first_name,
      last_name: p.last_name,
      owner_id: p.owner_id,
      org_id: p.org_id,
      add_time: rfc3339(p.add_time),
      update_time: rfc3339(p.update_time),
      emails: p.emails.map((e) => ({ ...e })),
      phones: p.phones.map((e) => ({ ...e })),
      is_deleted: p.is_deleted,
      visible_to: p.visible_to,
      label_ids: [...p.label_ids],
      picture_id: null,
      custom_fields: custom,
      ...extra
    }
  }

  /**
   * Checks and applies a create/update body (its shape already checked): the values that depend
   * on the account's data are refused here, all problems at once, before anything changes.
   */
  const applyBody = (p: StoredPerson, body: PersonBody): void => {
    const problems: string[] = []
    const custom = new Map<string, CustomValue | null>()
    for (const [key, raw] of Object.entries(body.custom_fields ?? {})) {
      const def = fields.get(key)
      // silent: a key that is no custom field of the company is refused.
      if (def === undefined) {
        problems.push(`custom_fields.${key}: is not a custom field of persons`)
        continue
      }
      const checked = customValue(def, raw)
      if ('problem' in checked) problems.push(`custom_fields.${key}: ${checked.problem}`)
      else custom.set(key, checked.value)
    }
    for (const list of ['emails', 'phones'] as const) {
      // silent: an entry without a value is refused (only `value` is required [migration]).
      body[list]?.forEach((e, i) => {
        if (e.value.trim() === '') problems.push(`${list}[${i}].value: must not be empty`)
      })
    }
    if (body.visible_to !== undefined && !(VISIBILITIES as readonly number[]).includes(body.visible_to)) {
      problems.push(`visible_to: must be one of ${VISIBILITIES.join(', ')}`)
    }
    for (const member of ['add_time', 'update_time'] as const) {
      const v = body[member]
      if (v !== undefined && (!RFC3339.test(v) || Number.isNaN(Date.parse(v)))) problems.push(`${member}: must be an RFC 3339 date-time`)
    }
    if (problems.length > 0) throw validationFailed(problems)

    if (body.name !== undefined) {
      const { first, last } = splitName(body.name)
      p.name = body.name.trim()
      p.first_name = first
      p.last_name = last
    } else if (body.first_name !== undefined && body.last_name !== undefined) {
      // [migration] "If first_name and last_name are provided, name is created by concatenating these."
      p.first_name = body.first_name.trim() === '' ? null : body.first_name.trim()
      p.last_name = body.last_name.trim() === '' ? null : body.last_name.trim()
      p.name = [p.first_name, p.last_name].filter((s) => s !== null).join(' ')
    }
    if (body.owner_id !== undefined) p.owner_id = body.owner_id
    if (body.org_id !== undefined) p.org_id = body.org_id
    if (body.emails !== undefined) p.emails = contactList(body.emails)
    if (body.phones !== undefined) p.phones = contactList(body.phones)
    if (body.visible_to !== undefined) p.visible_to = body.visible_to
    if (body.label_ids !== undefined) p.label_ids = [...body.label_ids]
    if (body.marketing_status !== undefined) p.marketing_status = body.marketing_status
    for (const [key, value] of custom) {
      if (value === null) p.custom_fields.delete(key)
      else p.custom_fields.set(key, value)
    }
    if (body.add_time !== undefined) p.add_time = Date.parse(body.add_time)
    p.update_time = body.update_time !== undefined ? Date.parse(body.update_time) : now()
  }

  /** [persons] an id names a person (deleted ones included: they are only marked). */
  const personOr404 = (raw: string): StoredPerson => {
    const p = persons.get(Number(raw))
    if (p === undefined) throw notFound()
    return p
  }

  // ---- HTTP: auth, shape checks, rate limits, errors

  const app = Fastify({ logger: false })

  /**
   * [auth] the API token in the `x-api-token` header (or, when accepted, `?api_token=`), or an
   * OAuth access token as `Authorization: Bearer`; anything else is 401. The token used keys the
   * rate windows ([rate-limits] "considered per token").
   */
  const tokenOf = new WeakMap<FastifyRequest, string>()
  const recorded = new WeakMap<FastifyRequest, number>()
  app.addHook('onRequest', async (request) => {
    recorded.set(request, requests.push({ method: request.method, url: request.url, body: undefined }) - 1)
    const header = request.headers['x-api-token']
    const queryToken = (request.query as Record<string, unknown>)['api_token']
    const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1]
    let token: string | undefined
    if (header === options.apiToken) token = `api:${options.apiToken}`
    else if (header === undefined && acceptQueryToken && queryToken === options.apiToken) token = `api:${options.apiToken}`
    else if (header === undefined && options.accessToken !== undefined && bearer === options.accessToken) token = `oauth:${options.accessToken}`
    if (token === undefined) throw unauthorized()
    tokenOf.set(request, token)
  })

  const routeOf = (request: FastifyRequest): string => `${request.method} ${request.routeOptions.url ?? ''}`

  /** Every documented-shape problem of the request (path id, query, body), or []. */
  const shapeProblems = (request: FastifyRequest): string[] => {
    const route = routeOf(request)
    const querySpec = QUERY_OF[route]
    if (querySpec === undefined) return []
    const query = { ...(request.query as Record<string, unknown>) }
    const problems = [...queryProblems(query, querySpec), ...queryRuleProblems(route, query)]
    const id = (request.params as Record<string, unknown>)['id']
    // [description] the path id is an integer.
    if (typeof id === 'string' && !/^[1-9]\d*$/.test(id)) problems.push('id: must be a positive integer')
    if (request.method === 'POST' || request.method === 'PATCH') {
      if (request.body === undefined) problems.push('body: a JSON object is required')
      else {
        const found = checkPersonBody(request.body)
        problems.push(...found)
        if (found.length === 0) problems.push(...personRuleProblems(request.body as PersonBody, request.method === 'POST'))
      }
    }
    return problems
  }

  /** Sliding window per token; true when the request is over the limit. */
  const overLimit = (key: string, limit: RateLimit): boolean => {
    const list = hits.get(key) ?? []
    hits.set(key, list)
    const at = now()
    while (list.length > 0 && (list[0] ?? 0) <= at - limit.windowMs) list.shift()
    if (list.length >= limit.max) return true
    list.push(at)
    return false
  }

  /**
   * [rate-limits] "Each Pipedrive API request will include the following rate limit response
   * headers": x-ratelimit-limit (requests per window), x-ratelimit-remaining (left in the window),
   * x-ratelimit-reset ("The remaining window before the rate limit resets", in seconds).
   */
  const windowHeaders = (key: string, limit: RateLimit): Record<string, string> => {
    const list = hits.get(key) ?? []
    const oldest = list[0]
    const resetMs = oldest === undefined ? limit.windowMs : oldest + limit.windowMs - now()
    return {
      'x-ratelimit-limit': String(limit.max),
      'x-ratelimit-remaining': String(Math.max(0, limit.max - list.length)),
      'x-ratelimit-reset': String(Math.max(1, Math.ceil(resetMs / 1000)))
    }
  }

  const tooMany = (error: string, headers: Record<string, string>): PipedriveFailure =>
    // silent: the 429 body's wording (the [responses] envelope); no Retry-After (the current page names none).
    new PipedriveFailure(429, { success: false, error, error_info: ERROR_INFO, data: null, additional_data: null }, headers)

  app.addHook('preHandler', async (request, reply) => {
    const index = recorded.get(request)
    const entry = index === undefined ? undefined : requests[index]
    if (index !== undefined && entry !== undefined) requests[index] = { ...entry, body: request.body }
    const problems = shapeProblems(request)
    if (problems.length > 0) violations.push({ method: request.method, url: request.url, problems })

    const route = routeOf(request)
    const token = tokenOf.get(request) ?? ''
    // [rate-limits] the daily budget "resets at the start of the next day" (silent: midnight UTC).
    const today = new Date(now()).toISOString().slice(0, 10)
    if (today !== budgetDay) {
      budgetDay = today
      tokensSpent = 0
    }
    const search = route === SEARCH_ROUTE
    // [search-limit] the search endpoints have their own window; the others share the burst window.
    const key = `${search ? 'search' : 'burst'}:${token}`
    const limit = search ? searchLimit : burstLimit
    // [rate-limits] "Once this budget is exhausted, further requests will be temporarily blocked".
    if (tokensSpent >= dailyBudget) throw tooMany('Daily API token budget exhausted', windowHeaders(key, limit))
    if (overLimit(key, limit)) throw tooMany('Too Many Requests', windowHeaders(key, limit))
    void reply.headers(windowHeaders(key, limit))
    tokensSpent += TOKEN_COSTS[route] ?? 0
    if (problems.length > 0) throw validationFailed(problems)
  })

  app.setErrorHandler((err, request, reply) => {
    if (err instanceof PipedriveFailure) {
      return reply.code(err.status).headers(err.headers).type('application/json; charset=utf-8').send(err.body)
    }
    // A body Fastify could not take (not JSON, not an object, wrong content type): a violation, 400.
    const status = typeof (err as { statusCode?: unknown }).statusCode === 'number' ? (err as { statusCode: number }).statusCode : 500
    if (status >= 400 && status < 500) {
      const problem = `body: not a JSON request body (${err instanceof Error ? err.message : String(err)})`
      violations.push({ method: request.method, url: request.url, problems: [problem] })
      return reply.code(400).type('application/json; charset=utf-8').send({ success: false, error: `Validation failed: ${problem}`, code: 'ERR_SCHEMA_VALIDATION_FAILED' })
    }
    return reply.code(500).type('application/json; charset=utf-8').send({ success: false, error: 'Internal Server Error', code: 'ERR_UNKNOWN' })
  })

  // silent: the answer to a path Pipedrive does not have (the v1 persons endpoints included [deprecation]).
  app.setNotFoundHandler((request, reply) => {
    const v1Persons = /^\/(api\/)?v1\/persons\b/.test(request.url)
    const error = v1Persons ? 'This double serves persons on API v2 only (/api/v2/persons); the v1 persons endpoints are deprecated' : `Unknown method ${request.method} ${request.url.split('?')[0] ?? ''}`
    void reply.code(404).type('application/json; charset=utf-8').send({ success: false, error, error_info: ERROR_INFO, data: null, additional_data: null })
  })

  const send = (reply: FastifyReply, body: unknown) => reply.code(200).type('application/json; charset=utf-8').send(body)
  const listParam = (raw: unknown): string[] => (typeof raw === 'string' ? raw.split(',').map((s) => s.trim()).filter((s) => s !== '') : [])
  /** A single query value (shapes are checked before a handler runs). */
  const text = (raw: unknown): string => (typeof raw === 'string' ? raw : '')
  type IdRoute = { Params: { id: string }; Querystring: Record<string, unknown> }
  type Query = { Querystring: Record<string, unknown> }

  // ---- persons ([persons])

  // addPerson: POST /api/v2/persons → 200 {success, data: person} ([description]: the answer is 200).
  // [migration] "It is no longer possible to create an already deleted entity with POST" (the
  // body has no is_deleted member at all).
  app.post('/api/v2/persons', async (request, reply) => {
    const at = now()
    const p: StoredPerson = {
      id: nextId,
      name: '',
      first_name: null,
      last_name: null,
      owner_id: userId,
      org_id: null,
      emails: [],
      phones: [],
      visible_to: 3, // silent: the company's default visibility; "Entire company" here
      label_ids: [],
      marketing_status: null,
      custom_fields: new Map(),
      add_time: at,
      update_time: at,
      is_deleted: false
    }
    applyBody(p, request.body as PersonBody)
    nextId += 1
    persons.set(p.id, p)
    return send(reply, { success: true, data: answer(p) })
  })

  /**
   * getPersons: GET /api/v2/persons[?ids=1,2][&owner_id=][&org_id=][&updated_since=][&updated_until=]
   * [&sort_by=id|update_time|add_time][&sort_direction=asc|desc][&custom_fields=][&include_fields=]
   * [&limit=][&cursor=] → {success, data: [person], additional_data: {next_cursor}}. [list] "If any
   * of the requested entities do not exist or are not visible, they are not included in the
   * response"; `filter_id` takes precedence over the other filters. silent: deleted persons are
   * not listed; the answer is in `sort_by` order, never in the order of `ids`; the double keeps
   * no saved filters, so a `filter_id` is refused (400, not a shape violation).
   */
  app.get<Query>('/api/v2/persons', async (request, reply) => {
    const q = request.query
    if (q['filter_id'] !== undefined) throw validationFailed([`filter_id: there is no filter ${text(q['filter_id'])}`])
    const ids = q['ids'] === undefined ? undefined : new Set(listParam(q['ids']).map(Number))
    const owner = q['owner_id'] === undefined ? undefined : Number(q['owner_id'])
    const org = q['org_id'] === undefined ? undefined : Number(q['org_id'])
    const since = q['updated_since'] === undefined ? undefined : Date.parse(text(q['updated_since']))
    const until = q['updated_until'] === undefined ? undefined : Date.parse(text(q['updated_until']))
    const sortBy = text(q['sort_by']) || 'id'
    const direction = text(q['sort_direction']) === 'desc' ? -1 : 1
    const limit = q['limit'] === undefined ? PAGE.defaultLimit : Number(q['limit'])
    const offset = q['cursor'] === undefined ? 0 : decodeCursor(text(q['cursor']))
    if (offset === undefined) throw validationFailed(['cursor: is not a cursor this endpoint gave out'])
    const keys = q['custom_fields'] === undefined ? undefined : listParam(q['custom_fields'])
    const key = (p: StoredPerson): number => (sortBy === 'update_time' ? p.update_time : sortBy === 'add_time' ? p.add_time : p.id)
    const listed = [...persons.values()]
      .filter((p) => !p.is_deleted)
      .filter((p) => ids === undefined || ids.has(p.id))
      .filter((p) => (owner === undefined || p.owner_id === owner) && (org === undefined || p.org_id === org))
      .filter((p) => (since === undefined || p.update_time >= since) && (until === undefined || p.update_time < until))
      .sort((a, b) => direction * (key(a) - key(b)) || direction * (a.id - b.id))
    const more = offset + limit < listed.length
    return send(reply, {
      success: true,
      data: listed.slice(offset, offset + limit).map((p) => answer(p, { ...(keys === undefined ? {} : { keys }), include: listParam(q['include_fields']) })),
      additional_data: { next_cursor: more ? encodeCursor(offset + limit) : null }
    })
  })

  // getPerson: GET /api/v2/persons/{id}[?custom_fields=k1,k2&include_option_labels=true&include_fields=…].
  // silent: a deleted person is answered, with is_deleted: true (it is only marked for 30 days).
  app.get<IdRoute>('/api/v2/persons/:id', async (request, reply) => {
    const p = personOr404(request.params.id)
    const keys = request.query['custom_fields'] === undefined ? undefined : listParam(request.query['custom_fields'])
    return send(reply, {
      success: true,
      data: answer(p, { ...(keys === undefined ? {} : { keys }), optionLabels: request.query['include_option_labels'] === 'true', include: listParam(request.query['include_fields']) })
    })
  })

  // updatePerson: PATCH /api/v2/persons/{id} → 200 {success, data: person}; only the members sent change.
  // silent: a deleted person cannot be updated (404), [migration] "It is no longer possible to use
  // PATCH (former PUT) requests to delete an entity".
  app.patch<IdRoute>('/api/v2/persons/:id', async (request, reply) => {
    const p = personOr404(request.params.id)
    if (p.is_deleted) throw notFound()
    applyBody(p, request.body as PersonBody)
    return send(reply, { success: true, data: answer(p) })
  })

  // deletePerson: "Marks a person as deleted. After 30 days, the person will be permanently deleted."
  app.delete<IdRoute>('/api/v2/persons/:id', async (request, reply) => {
    const p = personOr404(request.params.id)
    if (p.is_deleted) throw notFound() // silent: deleting twice
    p.is_deleted = true
    p.update_time = now() // [migration] "If the person has is_deleted: true, update_time is the delete_time."
    return send(reply, { success: true, data: { id: p.id } })
  })

  // ---- search ([search])

  /**
   * searchPersons: GET /api/v2/persons/search?term=…[&fields=name,email,phone,notes,custom_fields]
   * [&exact_match=true][&organization_id=][&limit=][&cursor=] → {success, data: {items:
   * [{result_score, item}]}, additional_data: {next_cursor}}. exact_match: "only full exact
   * matches against the given term are returned. It is not case sensitive." Without it (silent):
   * a value containing the term, any case. Phones are compared as stored (silent: no number
   * normalization). Deleted persons are never found (silent). `notes` are not modelled.
   */
  app.get<Query>('/api/v2/persons/search', async (request, reply) => {
    const q = request.query
    const term = text(q['term']).trim().toLowerCase()
    const exact = q['exact_match'] === 'true'
    const searched = new Set(q['fields'] === undefined ? SEARCH_FIELDS : listParam(q['fields']))
    const limit = q['limit'] === undefined ? PAGE.defaultLimit : Number(q['limit'])
    const offset = q['cursor'] === undefined ? 0 : decodeCursor(text(q['cursor']))
    if (offset === undefined) throw validationFailed(['cursor: is not a cursor this endpoint gave out'])
    const org = q['organization_id'] === undefined ? undefined : Number(q['organization_id'])

    const score = (text: string): number => {
      const t = text.toLowerCase()
      if (t === term) return 1
      if (exact) return 0
      return t.startsWith(term) ? 0.75 : t.includes(term) ? 0.5 : 0
    }
    const found: { score: number; person: StoredPerson; customHits: string[] }[] = []
    for (const p of persons.values()) {
      if (p.is_deleted || (org !== undefined && p.org_id !== org)) continue
      const texts: string[] = []
      if (searched.has('name')) texts.push(p.name)
      if (searched.has('email')) texts.push(...p.emails.map((e) => e.value))
      if (searched.has('phone')) texts.push(...p.phones.map((e) => e.value))
      const customHits: string[] = []
      if (searched.has('custom_fields')) {
        for (const [key, value] of p.custom_fields) {
          const def = fields.get(key)
          const text = def === undefined ? undefined : searchableText(def, value)
          if (text !== undefined && score(text) > 0) customHits.push(text)
        }
      }
      const best = Math.max(0, ...texts.map(score), ...customHits.map(score))
      if (best > 0) found.push({ score: best, person: p, customHits })
    }
    found.sort((a, b) => b.score - a.score || a.person.id - b.person.id)
    const page = found.slice(offset, offset + limit)
    const more = offset + limit < found.length
    return send(reply, {
      success: true,
      data: {
        items: page.map(({ score: s, person: p, customHits }) => ({
          result_score: s,
          item: {
            id: p.id,
            type: 'person',
            name: p.name,
            phones: p.phones.map((e) => e.value),
            emails: p.emails.map((e) => e.value),
            visible_to: p.visible_to,
            owner: { id: p.owner_id },
            organization: p.org_id === null ? null : { id: p.org_id, name: null, address: null },
            custom_fields: customHits,
            notes: [],
            ...(q['include_fields'] === 'person.picture' ? { picture: null } : {})
          }
        }))
      },
      additional_data: { next_cursor: more ? encodeCursor(offset + limit) : null }
    })
  })

  // ---- person fields ([fields], [v1-fields])

  const includeNamespaces = (raw: unknown): Set<string> => new Set(listParam(raw))
  const v2Field = (def: PersonFieldDefinition, include: Set<string>) => ({
    field_code: def.key,
    field_name: def.name,
    field_type: def.field_type,
    options: def.options === undefined ? null : def.options.map((o) => ({ id: o.id, label: o.label, color: null, add_time: null, update_time: null })),
    subfields: subfieldsOf(def),
    is_custom_field: true,
    is_optional_response_field: false,
    ...namespaces(include, false)
  })
  const v2System = (f: (typeof SYSTEM_FIELDS)[number], include: Set<string>) => ({
    field_code: f.code,
    field_name: f.name,
    field_type: f.type,
    options: null,
    subfields: null,
    is_custom_field: false,
    is_optional_response_field: false,
    ...namespaces(include, f.mandatory === true)
  })
  /** [fields] the optional namespaces, "only included when requested via include_fields". */
  function namespaces(include: Set<string>, required: boolean): Record<string, unknown> {
    return {
      ...(include.has('ui_visibility') ? { ui_visibility: { add_visible_flag: true, details_visible_flag: true, show_in_add_deal_dialog: { show: false, order: null } } } : {}),
      ...(include.has('important_fields') ? { important_fields: { enabled: false, stage_ids: [] } } : {}),
      ...(include.has('required_fields') ? { required_fields: { enabled: required } } : {})
    }
  }

  // getPersonFields (v2): every field, system then custom, cursor paging ([pagination]).
  app.get<Query>('/api/v2/personFields', async (request, reply) => {
    const include = includeNamespaces(request.query['include_fields'])
    const all = [...SYSTEM_FIELDS.map((f) => v2System(f, include)), ...definitions.map((d) => v2Field(d, include))]
    const limit = request.query['limit'] === undefined ? PAGE.defaultLimit : Number(request.query['limit'])
    const offset = request.query['cursor'] === undefined ? 0 : decodeCursor(text(request.query['cursor']))
    if (offset === undefined) throw validationFailed(['cursor: is not a cursor this endpoint gave out'])
    const more = offset + limit < all.length
    return send(reply, { success: true, data: all.slice(offset, offset + limit), additional_data: { next_cursor: more ? encodeCursor(offset + limit) : null } })
  })

  // getPersonField (v2): one field by field_code, or 404.
  app.get<{ Params: { field_code: string }; Querystring: Record<string, unknown> }>('/api/v2/personFields/:field_code', async (request, reply) => {
    const include = includeNamespaces(request.query['include_fields'])
    const def = fields.get(request.params.field_code)
    const system = SYSTEM_FIELDS.find((f) => f.code === request.params.field_code)
    if (def === undefined && system === undefined) throw notFound()
    return send(reply, { success: true, data: def !== undefined ? v2Field(def, include) : v2System(system as (typeof SYSTEM_FIELDS)[number], include) })
  })

  /**
   * getPersonFields (v1): `{success, data: [Field], additional_data: {pagination: {start, limit,
   * more_items_in_collection, next_start}}}` ([responses] success envelope; [v1-fields] Field:
   * id, key, name, field_type, options, edit_flag true for custom fields, …).
   */
  const v1Fields = async (request: FastifyRequest<Query>, reply: FastifyReply) => {
    const all = [
      ...SYSTEM_FIELDS.map((f) => ({ key: f.code, name: f.name, field_type: f.type, options: null, edit_flag: false, mandatory_flag: f.mandatory === true })),
      ...definitions.map((d) => ({ key: d.key, name: d.name, field_type: d.field_type, options: d.options?.map((o) => ({ ...o })) ?? null, edit_flag: true, mandatory_flag: false }))
    ].map((f, i) => ({
      id: i + 1,
      ...f,
      order_nr: i,
      active_flag: true,
      index_visible_flag: true,
      details_visible_flag: true,
      add_visible_flag: true,
      important_flag: false,
      bulk_edit_allowed: true,
      searchable_flag: false,
      filtering_allowed: true,
      sortable_flag: true
    }))
    const start = request.query['start'] === undefined ? 0 : Number(request.query['start'])
    const limit = request.query['limit'] === undefined ? PAGE.defaultLimit : Number(request.query['limit'])
    const more = start + limit < all.length
    return send(reply, {
      success: true,
      data: all.slice(start, start + limit),
      additional_data: { pagination: { start, limit, more_items_in_collection: more, ...(more ? { next_start: start + limit } : {}) } }
    })
  }
  app.get<Query>('/v1/personFields', v1Fields)
  app.get<Query>('/api/v1/personFields', v1Fields)

  const url = await app.listen({ host: '127.0.0.1', port: 0 })

  return {
    url,
    persons,
    fields,
    requests,
    violations,
    get tokensSpent() {
      return tokensSpent
    },
    setFieldValue(id, key, value) {
      const p = persons.get(id)
      if (p === undefined) throw new Error(`pipedrive double: no person ${id}`)
      const def = fields.get(key)
      if (def === undefined) throw new Error(`pipedrive double: no person field ${key}`)
      const checked = customValue(def, value)
      if ('problem' in checked) throw new Error(`pipedrive double: ${def.name}: ${checked.problem}`)
      if (checked.value === null) p.custom_fields.delete(key)
      else p.custom_fields.set(key, checked.value)
      p.update_time = now()
    },
    deletePerson(id) {
      const p = persons.get(id)
      if (p === undefined) throw new Error(`pipedrive double: no person ${id}`)
      p.is_deleted = true
      p.update_time = now()
    },
    setBurstRateLimit(limit) {
      burstLimit = limit
    },
    setSearchRateLimit(limit) {
      searchLimit = limit
    },
    setDailyTokenBudget(tokens) {
      dailyBudget = tokens
    },
    resetRateWindows() {
      hits.clear()
    },
    close: () => app.close()
  }
}
