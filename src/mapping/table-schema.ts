/**
 * The JSON Schema of a mapping table (mappings/*.yaml), written with TypeBox: the loader
 * validates against it, and mappings/schema.json is generated from it for editors
 * (`# yaml-language-server: $schema=./schema.json`). Semantic rules a schema cannot express
 * (known transforms, duplicate targets, table references, samples) live in ./validate.ts.
 */
import { Type, type Static } from 'typebox'
import { SEARCH_PARAMS } from '../spi/customer-schema.js'
import { PATH_PATTERN } from './paths.js'

const closed = { additionalProperties: false } as const

/** Names in `tables`: letters first, then letters, digits, _ and -. */
export const TABLE_NAME_PATTERN = '^[A-Za-z][A-Za-z0-9_-]*$'

const PathString = Type.String({
  pattern: PATH_PATTERN,
  description:
    'A dot path of keys, "quoted keys", positions and keyed items, e.g. profile.address.city, PHONES.0.NUMBER, phones[label=mobile].value, custom_fields."Loyalty #"',
  examples: ['profile.address.city', 'PRIMARY_ADDR.CITY', 'PHONES.0.NUMBER', 'phones[label=mobile].value', 'emails[primary=true].value', 'custom_fields."Loyalty #"']
})

const Direction = Type.Enum(['read', 'write', 'both'], {
  description: 'read: CRM → SPI only; write: SPI → CRM only; both (default)'
})

const TransformName = Type.String({
  minLength: 1,
  description: 'A named transform, see mappings/README.md',
  examples: [
    'trim',
    'lowercase',
    'uppercase',
    'e164:US',
    'date:MM/DD/YYYY',
    'epoch-ms:MM/DD/YYYY',
    'birthday:MM/DD/YYYY',
    'birthday:YYYY-MM-DD|drop',
    'birthday:YYYY-MM-DD|refuse',
    'boolean:Y/N',
    'number',
    'json',
    'language-tag:lowercase',
    'full-name'
  ]
})

const TableRef = Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })], {
  description: 'A table name from `tables`, or a list of names whose rows are combined'
})

export const FieldRowSchema = Type.Object(
  {
    spi: Type.Union([PathString, Type.Array(PathString, { minItems: 2 })], {
      description: 'SPI path; a list of paths for a join transform such as full-name'
    }),
    crm: PathString,
    direction: Type.Optional(Direction),
    transform: Type.Optional(
      Type.Union([TransformName, Type.Array(TransformName, { minItems: 1 })], {
        description: 'A named transform, or a list applied in order on write (reverse order on read)'
      })
    ),
    values: Type.Optional(
      Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()]), {
        description: 'Value map {SPI value: CRM value}, applied both ways; keyed only true/false it maps a flag and reads back booleans',
        examples: [{ male: 'M', female: 'F' }, { true: '101', false: '102' }]
      })
    ),
    unmapped: Type.Optional(
      Type.Enum(['reject', 'pass'], { description: 'A value missing from `values`: reject (default) or pass it unchanged' })
    ),
    default: Type.Optional(Type.Unknown({ description: 'SPI value used when the source value is absent (see README)' })),
    table: Type.Optional(TableRef)
  },
  { ...closed, description: 'SPI path ⇄ CRM path' }
)

export const ArrayRowSchema = Type.Object(
  {
    spi: PathString,
    crm: PathString,
    direction: Type.Optional(Direction),
    table: TableRef
  },
  { ...closed, description: 'A list of objects ⇄ a CRM list; each item through `table`' }
)

export const SearchRowSchema = Type.Object(
  {
    param: Type.Enum([...SEARCH_PARAMS], { description: 'An SPI search parameter' }),
    crm: Type.Union([PathString, Type.Array(PathString, { minItems: 1 })], {
      description: 'CRM field, or several: a record matches when any of them matches'
    }),
    operator: Type.Optional(
      Type.Enum(['equals', 'prefix', 'contains', 'phone'], {
        description: 'default equals; phone: phone numbers compared by their national number, formatting ignored'
      })
    ),
    transform: Type.Optional(
      Type.Union([TransformName, Type.Array(TransformName, { minItems: 1 })], {
        description: 'Applied to the search value (its write side) before it reaches the CRM'
      })
    )
  },
  { ...closed, description: 'Which SPI search parameter the CRM can filter on, and how' }
)

export const SampleSchema = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    spi: Type.Record(Type.String(), Type.Unknown(), { description: 'An SPI customer (bare, not wrapped)' }),
    crm: Type.Record(Type.String(), Type.Unknown(), { description: 'The CRM record it corresponds to' })
  },
  { ...closed, description: 'An SPI customer and its CRM record; the loader proves they round-trip' }
)

export const MappingTableSchema = Type.Object(
  {
    version: Type.Literal(1, { description: 'Table format version' }),
    crm: Type.Optional(Type.String({ description: 'The adapter this table is written for, e.g. demo-crm' })),
    description: Type.Optional(Type.String()),
    tables: Type.Optional(
      Type.Record(Type.String({ pattern: TABLE_NAME_PATTERN }), Type.Array(FieldRowSchema), {
        additionalProperties: false,
        description: 'Named sub-tables: field rows relative to an object (an address, a list item)'
      })
    ),
    fields: Type.Array(FieldRowSchema),
    arrays: Type.Optional(Type.Array(ArrayRowSchema)),
    search: Type.Optional(Type.Array(SearchRowSchema)),
    samples: Type.Optional(Type.Array(SampleSchema))
  },
  {
    ...closed,
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://clienteling-gateway.local/schemas/mapping-table.json',
    title: 'Clienteling Gateway mapping table',
    description: 'SPI customer ⇄ CRM record mapping, one file per adapter. See mappings/README.md.'
  }
)

export type FieldRowSource = Static<typeof FieldRowSchema>
export type ArrayRowSource = Static<typeof ArrayRowSchema>
export type SearchRowSource = Static<typeof SearchRowSchema>
export type SampleSource = Static<typeof SampleSchema>
export type MappingTableSource = Static<typeof MappingTableSchema>
