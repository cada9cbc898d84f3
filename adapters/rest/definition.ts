/**
 * The REST definition's shape: what `mappings/<crm>.rest.yaml` may hold, as TypeBox schemas
 * (structure and types only), and the checked definition the adapter runs on. The rules the
 * schemas cannot say (path templates, placeholders, regular expressions, which options go
 * together) are ./validate.ts's; README.md is the reference for people.
 *
 * The parts that come in kinds (`auth.kind`, `criteria.style`, `paging.style`) are checked in
 * two steps — the kind first, then that kind's own schema — so an error names the kind's own
 * keys rather than every alternative of a union.
 */
import { Type } from 'typebox'
import type { Static, TObject } from 'typebox'

// ---------------------------------------------------------------------------------------------
// Building blocks

/** A dotted path into a JSON answer or body: `data`, `error.fields.0` (checked in validate.ts). */
const Path = Type.String({ minLength: 1 })
const Name = Type.String({ minLength: 1 })
const StatusCode = Type.Integer({ minimum: 100, maximum: 599 })
/** One status or a list of them. */
const Statuses = Type.Union([StatusCode, Type.Array(StatusCode, { minItems: 1 })], { description: 'an HTTP status (404) or a list of them ([400, 422])' })
const Method = Type.Union([Type.Literal('GET'), Type.Literal('POST'), Type.Literal('PUT'), Type.Literal('PATCH')])
/** Constant query parameters or headers: name → text. */
const Texts = Type.Record(Type.String(), Type.String())
const Operator = Type.Union([Type.Literal('equals'), Type.Literal('prefix'), Type.Literal('contains'), Type.Literal('phone')])
/** The CRM's word for each port operator it can compare with; an operator left out it cannot. */
const Operators = Type.Object(
  { equals: Type.Optional(Type.String()), prefix: Type.Optional(Type.String()), contains: Type.Optional(Type.String()), phone: Type.Optional(Type.String()) },
  { additionalProperties: false }
)

const closed = { additionalProperties: false } as const

// ---------------------------------------------------------------------------------------------
// auth (one schema per kind)

export const AUTH_SCHEMAS = {
  none: Type.Object({ kind: Type.Literal('none') }, closed),
  'api-key': Type.Object(
    {
      kind: Type.Literal('api-key'),
      /** `header` (default) or `query`. */
      in: Type.Optional(Type.Union([Type.Literal('header'), Type.Literal('query')])),
      /** The header or query parameter name, e.g. `X-API-Key`. */
      name: Name,
      /** The `crm.options` key holding the key. */
      setting: Name
    },
    closed
  ),
  bearer: Type.Object({ kind: Type.Literal('bearer'), setting: Name }, closed),
  basic: Type.Object({ kind: Type.Literal('basic'), usernameSetting: Name, passwordSetting: Name }, closed),
  'oauth2-client-credentials': Type.Object(
    {
      kind: Type.Literal('oauth2-client-credentials'),
      /** A path on the base URL (`/oauth/token`) or an absolute http(s) URL. */
      tokenUrl: Name,
      clientIdSetting: Name,
      clientSecretSetting: Name,
      scope: Type.Optional(Type.String()),
      audience: Type.Optional(Type.String()),
      /** How the client authenticates to the token endpoint: `basic` (default, RFC 6749 §2.3.1) or `body`. */
      clientAuth: Type.Optional(Type.Union([Type.Literal('basic'), Type.Literal('body')])),
      /** A token is renewed this long before it expires. Default 60. */
      refreshMarginSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 3600 }))
    },
    closed
  )
} as const satisfies Record<string, TObject>

export type AuthKind = keyof typeof AUTH_SCHEMAS
export type AuthDefinition = { [K in AuthKind]: Static<(typeof AUTH_SCHEMAS)[K]> }[AuthKind]
export type OAuth2Definition = Static<(typeof AUTH_SCHEMAS)['oauth2-client-credentials']>

// ---------------------------------------------------------------------------------------------
// search criteria (one schema per style)

export const CRITERIA_SCHEMAS = {
  /** One query parameter per criterion: `filter={fields}:{operator}:{value}`, `filter[{field}]={value}`. */
  query: Type.Object(
    {
      style: Type.Literal('query'),
      parameter: Name,
      /** Default `{value}`. */
      value: Type.Optional(Type.String()),
      /** Joins a criterion's fields for `{fields}` (the CRM ORs them). */
      fieldSeparator: Type.Optional(Type.String({ minLength: 1 })),
      operators: Operators
    },
    closed
  ),
  /** One free-text parameter (`q=…`): one criterion's value sent, every criterion applied here. */
  term: Type.Object(
    {
      style: Type.Literal('term'),
      parameter: Name,
      /** The operators whose values may be sent as the term. Default equals, prefix, contains. */
      operators: Type.Optional(Type.Array(Operator, { minItems: 1 })),
      /** The CRM refuses a shorter term (white space trimmed): such a value is never the term. Default 1. */
      minLength: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
      /**
       * How every record is read when no criterion can be the term: `search` (default: the
       * search without its term), `refuse` (`unsupported`, reason `value`: the CRM requires a
       * term) or a list endpoint of full records, paged as the search is.
       */
      withoutTerm: Type.Optional(
        Type.Union(
          [
            Type.Literal('search'),
            Type.Literal('refuse'),
            Type.Object({ path: Name, query: Type.Optional(Texts), answer: Type.Optional(Path) }, closed)
          ],
          { description: 'search, refuse, or { path, query?, answer? } (a list endpoint of full records)' }
        )
      )
    },
    closed
  ),
  /** A JSON body: the criteria as a list of objects built from `criterion` at `at`. */
  body: Type.Object(
    {
      style: Type.Literal('body'),
      /** Where the list goes in the request body, e.g. `filters`. */
      at: Path,
      /** One criterion: an object whose texts may hold placeholders. */
      criterion: Type.Record(Type.String(), Type.Unknown()),
      fieldSeparator: Type.Optional(Type.String({ minLength: 1 })),
      operators: Operators
    },
    closed
  )
} as const satisfies Record<string, TObject>

export type CriteriaStyle = keyof typeof CRITERIA_SCHEMAS
export type CriteriaDefinition = { [K in CriteriaStyle]: Static<(typeof CRITERIA_SCHEMAS)[K]> }[CriteriaStyle]

// ---------------------------------------------------------------------------------------------
// paging (one schema per style)

const PagingIn = Type.Optional(Type.Union([Type.Literal('query'), Type.Literal('body')]))
const MaxWindow = Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 }))

export const PAGING_SCHEMAS = {
  /** The CRM answers every match at once. */
  none: Type.Object({ style: Type.Literal('none'), maxWindow: MaxWindow }, closed),
  offset: Type.Object(
    { style: Type.Literal('offset'), offset: Name, limit: Name, maxLimit: Type.Integer({ minimum: 1, maximum: 10_000 }), in: PagingIn, maxWindow: MaxWindow },
    closed
  ),
  page: Type.Object(
    {
      style: Type.Literal('page'),
      page: Name,
      size: Name,
      /** 1 (default) or 0. */
      firstPage: Type.Optional(Type.Union([Type.Literal(0), Type.Literal(1)])),
      maxSize: Type.Integer({ minimum: 1, maximum: 10_000 }),
      in: PagingIn,
      maxWindow: MaxWindow
    },
    closed
  ),
  cursor: Type.Object(
    {
      style: Type.Literal('cursor'),
      /** The parameter carrying the cursor (absent on the first page). */
      cursor: Name,
      limit: Name,
      maxLimit: Type.Integer({ minimum: 1, maximum: 10_000 }),
      /** Where the next page's cursor is in the answer; absent, null or "" on the last page. */
      next: Path,
      in: PagingIn,
      /** How deep a search may page (offset + limit). Default 200. */
      maxWindow: MaxWindow
    },
    closed
  )
} as const satisfies Record<string, TObject>

export type PagingStyle = keyof typeof PAGING_SCHEMAS
export type PagingDefinition = { [K in PagingStyle]: Static<(typeof PAGING_SCHEMAS)[K]> }[PagingStyle]

// ---------------------------------------------------------------------------------------------
// operations

/**
 * The CRM's published request rate for an operation: at most `calls` in any `perSeconds`. The
 * gateway paces the port's calls to it (src/core/port.ts `callRates`), waiting within the
 * request's deadline rather than meeting the CRM's 429.
 */
export const RateSchema = Type.Object(
  { calls: Type.Integer({ minimum: 1, maximum: 100_000 }), perSeconds: Type.Number({ exclusiveMinimum: 0, maximum: 86_400 }) },
  { ...closed, description: '{ calls: 1..100000, perSeconds: more than 0, up to 86400 }' }
)

const operationBase = {
  method: Method,
  /** `/api/v1/contacts/{id}`: `{id}` is the only placeholder. */
  path: Name,
  query: Type.Optional(Texts),
  /** The status(es) of success. Defaults: get 200, create 201, update 200, search 200. */
  status: Type.Optional(Statuses),
  rate: Type.Optional(RateSchema)
}

export const GetSchema = Type.Object(
  {
    ...operationBase,
    /** Statuses meaning "no such record". Default 404. */
    notFound: Type.Optional(Statuses),
    /** Where the record is in the answer. Default: the answer itself. */
    answer: Type.Optional(Path)
  },
  closed
)

export const CreateSchema = Type.Object(
  {
    ...operationBase,
    /** Where the record goes in the request body (`properties`). Default: the body itself. */
    body: Type.Optional(Path),
    answer: Type.Optional(Path),
    /** Read the record with `get` after success (the answer need only hold the id). */
    readBack: Type.Optional(Type.Boolean())
  },
  closed
)

export const UpdateSchema = Type.Object(
  {
    ...operationBase,
    notFound: Type.Optional(Statuses),
    body: Type.Optional(Path),
    answer: Type.Optional(Path),
    /** Read the record with `get` after success (the answer is not read: a 204 is fine). */
    readBack: Type.Optional(Type.Boolean())
  },
  closed
)

/**
 * How the full records of search hits are read, when a search answers summaries (ids and a few
 * fields): `get`, one call per hit, or a batch endpoint taking a list of ids.
 */
export const HitsReadSchema = Type.Object(
  {
    /** A GET path on the base URL (no {id}). */
    path: Name,
    /** The query parameter carrying the ids, joined by `separator`. */
    ids: Name,
    /** Default ",". */
    separator: Type.Optional(Type.String({ minLength: 1 })),
    /** Ids the CRM takes in one request: longer lists are read in several. */
    maxIds: Type.Integer({ minimum: 1, maximum: 1000 }),
    query: Type.Optional(Texts),
    /** Where the list of records is in the answer. Default: the answer itself. */
    answer: Type.Optional(Path),
    /** Default 200. */
    status: Type.Optional(Statuses)
  },
  closed
)

export const HitsSchema = Type.Object(
  {
    /** Where a hit's record id is, in each item of the search's list (`item.id`). */
    id: Path,
    /** `get` (one call per hit) or a batch endpoint. */
    read: Type.Union([Type.Literal('get'), HitsReadSchema], { description: 'get, or { path, ids, maxIds, … } (a batch read by ids)' })
  },
  closed
)

export const SearchSchema = Type.Object(
  {
    ...operationBase,
    /** Where the list of records, and the total when the CRM gives one, are in the answer. */
    answer: Type.Optional(Type.Object({ records: Type.Optional(Path), total: Type.Optional(Path) }, closed)),
    criteria: Type.Unknown(),
    paging: Type.Unknown(),
    /** Constant members of a JSON request body (POST searches): sorts, field lists. */
    body: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    /** The search answers hits, not records: where their ids are and how the records are read. */
    hits: Type.Optional(HitsSchema),
    /** Apply the criteria here, on pages fetched from the CRM (single-term or partial search). */
    clientSideFilter: Type.Optional(
      Type.Union([Type.Boolean(), Type.Object({ maxRecords: Type.Integer({ minimum: 1, maximum: 100_000 }) }, closed)], {
        description: 'true, false or { maxRecords: 1..100000 }'
      })
    ),
    /** More criteria than this are refused (`unsupported`) before any call. */
    maxCriteria: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    /** Search field names must match this (they are spelled into the CRM's query). */
    fieldPattern: Type.Optional(Type.String({ minLength: 1 }))
  },
  closed
)

// ---------------------------------------------------------------------------------------------
// records and errors

export const RecordSchema = Type.Object(
  {
    /** The record's id field (after `fields` and `idFrom`), e.g. `CONTACT_ID`. */
    id: Name,
    /** Where a record's fields are in an answer item (`properties`). Default: the item itself. */
    fields: Type.Optional(Path),
    /** Where the id is in an answer item when it is not among `fields` (`id`); copied into the record as `id`. */
    idFrom: Type.Optional(Path),
    /** Ids that do not match are "not found" without a call. */
    idPattern: Type.Optional(Type.String({ minLength: 1 })),
    /**
     * A record holding this value is gone (a CRM that keeps deleted records readable for a
     * while): get and update answer not found, searches leave it out.
     */
    deletedWhen: Type.Optional(Type.Object({ path: Path, equals: Type.Union([Type.String(), Type.Number(), Type.Boolean()], { description: 'a text, number or boolean' }) }, closed)),
    /** Optimistic concurrency: a version field, sent back in a header on update. */
    version: Type.Optional(
      Type.Object({ field: Name, header: Type.Optional(Name), format: Type.Optional(Type.String()) }, closed)
    )
  },
  closed
)

export const OPERATION_NAMES = ['get', 'create', 'update', 'search'] as const
export type OperationName = (typeof OPERATION_NAMES)[number]

const Scalar = Type.Union([Type.String(), Type.Number(), Type.Boolean()])

export const ErrorRuleSchema = Type.Object(
  {
    status: Statuses,
    /** Only for these operations. Default: all. */
    on: Type.Optional(Type.Array(Type.Union([Type.Literal('get'), Type.Literal('create'), Type.Literal('update'), Type.Literal('search')]), { minItems: 1 })),
    /** Only when the error body holds (one of) `equals` at `path`. */
    when: Type.Optional(Type.Object({ path: Path, equals: Type.Union([Scalar, Type.Array(Scalar, { minItems: 1 })], { description: 'a text, number or boolean, or a list of them' }) }, closed)),
    kind: Type.Union([
      Type.Literal('rejected'),
      Type.Literal('duplicate'),
      Type.Literal('conflict'),
      Type.Literal('throttled'),
      Type.Literal('quota-exhausted'),
      Type.Literal('failed')
    ]),
    /** `rejected`: where the refused field's name is in the error body. */
    field: Type.Optional(Path),
    /** `throttled` / `quota-exhausted`: a header holding the seconds to wait, read when the answer has no Retry-After. */
    retryAfterHeader: Type.Optional(Name),
    /** `throttled` / `quota-exhausted`: the wait when the answer says none. */
    retryAfterSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400 }))
  },
  closed
)

export const DefinitionSchema = Type.Object(
  {
    version: Type.Literal(1, { description: '1 (the only version of the format so far)' }),
    name: Name,
    description: Type.Optional(Type.String()),
    /** Constant headers sent on every call (an API version). */
    headers: Type.Optional(Texts),
    auth: Type.Unknown(),
    record: RecordSchema,
    operations: Type.Object({ get: GetSchema, create: CreateSchema, update: UpdateSchema, search: SearchSchema }, closed),
    errors: Type.Optional(
      Type.Object(
        {
          /** Where the CRM's error code is in an error body, for logs (only code-like words are logged). */
          code: Type.Optional(Path),
          rules: Type.Optional(Type.Array(ErrorRuleSchema))
        },
        closed
      )
    )
  },
  closed
)

// ---------------------------------------------------------------------------------------------
// The checked definition

type Source = Static<typeof DefinitionSchema>
export type GetDefinition = Static<typeof GetSchema>
export type CreateDefinition = Static<typeof CreateSchema>
export type UpdateDefinition = Static<typeof UpdateSchema>
export type ErrorRule = Static<typeof ErrorRuleSchema>
export type RecordDefinition = Static<typeof RecordSchema>
export type HitsDefinition = Static<typeof HitsSchema>
export type HitsReadDefinition = Static<typeof HitsReadSchema>

export type SearchDefinition = Omit<Static<typeof SearchSchema>, 'criteria' | 'paging'> & {
  readonly criteria: CriteriaDefinition
  readonly paging: PagingDefinition
}

/** A definition that passed every check (./validate.ts). */
export interface RestDefinition extends Omit<Source, 'auth' | 'operations'> {
  /** The file it was read from, for messages. */
  readonly file: string
  readonly auth: AuthDefinition
  readonly operations: {
    readonly get: GetDefinition
    readonly create: CreateDefinition
    readonly update: UpdateDefinition
    readonly search: SearchDefinition
  }
}

/** The settings names (`crm.options` keys) a definition's auth reads its secrets from. */
export function credentialSettings(auth: AuthDefinition): string[] {
  switch (auth.kind) {
    case 'none': return []
    case 'api-key':
    case 'bearer': return [auth.setting]
    case 'basic': return [auth.usernameSetting, auth.passwordSetting]
    case 'oauth2-client-credentials': return [auth.clientIdSetting, auth.clientSecretSetting]
  }
}
