/**
 * The request shapes the HubSpot double (./hubspot-double.ts) accepts, restated in our own
 * words as TypeBox schemas from HubSpot's published OpenAPI description of CRM v3 contacts and
 * properties ([description] below: "HubSpot's published OpenAPI description of CRM v3
 * contacts/properties, schema <Name>"). HubSpot's SDKs are generated from that description, so
 * a request that breaks it is one a real portal may refuse ("Invalid input JSON").
 *
 * What is modelled: required members, JSON types, enumerations and 32-bit integer ranges. What is
 * not: the description's object schemas do not forbid members they do not name, so neither do
 * these (no `additionalProperties: false`).
 */
import { Type } from 'typebox'
import type { Static, TSchema } from 'typebox'
import { Compile } from 'typebox/compile'
import { memberPath } from './recorded.js'

/** [description] numbers marked `int32`: a 32-bit signed integer. */
const Int32 = (): ReturnType<typeof Type.Integer> => Type.Integer({ minimum: -2_147_483_648, maximum: 2_147_483_647 })

// ---------------------------------------------------------------------------------------------
// Contacts

/** [description] schema Filter: the operators a filter may name. */
export const FILTER_OPERATORS = ['BETWEEN', 'CONTAINS_TOKEN', 'EQ', 'GT', 'GTE', 'HAS_PROPERTY', 'IN', 'LT', 'LTE', 'NEQ', 'NOT_CONTAINS_TOKEN', 'NOT_HAS_PROPERTY', 'NOT_IN'] as const

/** [description] schema AssociationSpec: who defined an association type. */
const ASSOCIATION_CATEGORIES = ['HUBSPOT_DEFINED', 'INTEGRATOR_DEFINED', 'USER_DEFINED', 'WORK'] as const

/** Property values as the description types them: text only, for every property type. */
const PropertyValues = Type.Record(Type.String(), Type.String())

/**
 * [description] schema SimplePublicObjectInputForCreate: both members required — `properties`
 * (text values) and `associations` (a list, which may be empty), each association naming the
 * record it links to (schema PublicObjectId: `id`, text) and its types (schema AssociationSpec:
 * a category from a fixed list and a numeric type id).
 */
export const ContactCreateSchema = Type.Object({
  properties: PropertyValues,
  associations: Type.Array(
    Type.Object({
      to: Type.Object({ id: Type.String() }),
      types: Type.Array(Type.Object({ associationCategory: Type.Enum([...ASSOCIATION_CATEGORIES]), associationTypeId: Int32() }))
    })
  )
})

/** [description] schema SimplePublicObjectInput: `properties` (text values) required. */
export const ContactUpdateSchema = Type.Object({ properties: PropertyValues })

/**
 * [description] schema Filter: `propertyName` and `operator` required; `value` and `highValue`
 * are text, `values` a list of text (a number where text is expected is refused).
 */
const FilterSchema = Type.Object({
  propertyName: Type.String(),
  operator: Type.Enum([...FILTER_OPERATORS]),
  value: Type.Optional(Type.String()),
  highValue: Type.Optional(Type.String()),
  values: Type.Optional(Type.Array(Type.String()))
})
export type SearchFilter = Static<typeof FilterSchema>

/**
 * [description] schema PublicObjectSearchRequest: `after` (a text cursor), `filterGroups`
 * (schema FilterGroup: each with a required `filters` list), `limit` (integer), `properties`
 * (text list) and `sorts` all required; `query` optional text. `sorts` is a list of TEXT there —
 * a property name, with a leading "-" for descending — not the `{propertyName, direction}`
 * objects the search guide's prose shows.
 */
export const SearchRequestSchema = Type.Object({
  after: Type.String(),
  filterGroups: Type.Array(Type.Object({ filters: Type.Array(FilterSchema) })),
  limit: Int32(),
  properties: Type.Array(Type.String()),
  sorts: Type.Array(Type.String()),
  query: Type.Optional(Type.String())
})
export type SearchRequest = Static<typeof SearchRequestSchema>

/**
 * [description] GET /crm/v3/objects/contacts/{contactId} and PATCH of the same path: query
 * `archived` a boolean (in a query string: `true` or `false`), `idProperty` one text value.
 * `properties`, `associations` and `propertiesWithHistory` are lists (repeated parameters, or
 * comma lists as the contacts guide writes them): any text fits, so they are not constrained.
 */
export const ContactReadQuerySchema = Type.Object({
  archived: Type.Optional(Type.Enum(['true', 'false'])),
  idProperty: Type.Optional(Type.String())
})
export const ContactUpdateQuerySchema = Type.Object({ idProperty: Type.Optional(Type.String()) })

// ---------------------------------------------------------------------------------------------
// Properties

/** [description] schema PropertyCreate, member `type`: the data types a property may have. */
export const PROPERTY_TYPES = ['bool', 'date', 'datetime', 'enumeration', 'number', 'phone_number', 'string'] as const
/** [description] schema PropertyCreate, member `fieldType`: how HubSpot shows the property. */
export const FIELD_TYPES = ['booleancheckbox', 'calculation_equation', 'checkbox', 'date', 'file', 'html', 'number', 'phonenumber', 'radio', 'select', 'text', 'textarea'] as const
/** [description] schemas PropertyCreate and Property, member `dataSensitivity`. */
const DATA_SENSITIVITIES = ['highly_sensitive', 'non_sensitive', 'sensitive'] as const

/**
 * [description] schema OptionInput: an option of an enumeration — `label`, `value` (text) and
 * `hidden` (boolean) required; `displayOrder` (integer) and `description` (text) optional.
 */
const OptionInputSchema = Type.Object({
  label: Type.String(),
  value: Type.String(),
  hidden: Type.Boolean(),
  displayOrder: Type.Optional(Int32()),
  description: Type.Optional(Type.String())
})

/**
 * [description] schema PropertyCreate: `name`, `label`, `groupName` (text), `type` and
 * `fieldType` (each from its fixed list) required; the optional members typed as listed.
 */
export const PropertyCreateSchema = Type.Object({
  name: Type.String(),
  label: Type.String(),
  groupName: Type.String(),
  type: Type.Enum([...PROPERTY_TYPES]),
  fieldType: Type.Enum([...FIELD_TYPES]),
  description: Type.Optional(Type.String()),
  options: Type.Optional(Type.Array(OptionInputSchema)),
  hasUniqueValue: Type.Optional(Type.Boolean()),
  formField: Type.Optional(Type.Boolean()),
  hidden: Type.Optional(Type.Boolean()),
  displayOrder: Type.Optional(Int32()),
  externalOptions: Type.Optional(Type.Boolean()),
  showCurrencySymbol: Type.Optional(Type.Boolean()),
  calculationFormula: Type.Optional(Type.String()),
  currencyPropertyName: Type.Optional(Type.String()),
  referencedObjectType: Type.Optional(Type.String()),
  dataSensitivity: Type.Optional(Type.Enum([...DATA_SENSITIVITIES])),
  numberDisplayHint: Type.Optional(Type.Enum(['currency', 'duration', 'formatted', 'percentage', 'probability', 'unformatted'])),
  textDisplayHint: Type.Optional(
    Type.Enum(['domain_name', 'email', 'ip_address', 'multi_line', 'phone_number', 'physical_address', 'postal_code', 'unformatted_single_line'])
  )
})
export type PropertyCreate = Static<typeof PropertyCreateSchema>

/** [description] schema PropertyGroupCreate: `name` and `label` required, `displayOrder` an integer. */
export const PropertyGroupCreateSchema = Type.Object({ name: Type.String(), label: Type.String(), displayOrder: Type.Optional(Int32()) })
export type PropertyGroupCreate = Static<typeof PropertyGroupCreateSchema>

/**
 * [description] GET /crm/v3/properties/{objectType}: query `archived` a boolean,
 * `dataSensitivity` one of its fixed list, `locale` and `properties` single text values.
 */
export const PropertyListQuerySchema = Type.Object({
  archived: Type.Optional(Type.Enum(['true', 'false'])),
  dataSensitivity: Type.Optional(Type.Enum([...DATA_SENSITIVITIES])),
  locale: Type.Optional(Type.String()),
  properties: Type.Optional(Type.String())
})

// ---------------------------------------------------------------------------------------------
// Checking

/** A compiled schema and the name the description gives it (quoted in answers). */
export interface Shape {
  readonly name: string
  readonly where: 'body' | 'query'
  check(value: unknown): readonly string[]
}

function shape<T extends TSchema>(name: string, where: Shape['where'], schema: T): Shape {
  const compiled = Compile(schema)
  const whole = where === 'body' ? 'the body' : 'the query'
  return {
    name,
    where,
    check(value) {
      if (compiled.Check(value)) return []
      const problems = new Set<string>()
      for (const error of compiled.Errors(value)) {
        const at = memberPath(error.instancePath)
        const params = error.params as { requiredProperties?: string[]; type?: string; allowedValues?: unknown[]; limit?: number }
        if (error.keyword === 'required') {
          for (const member of params.requiredProperties ?? []) problems.add(`${at === '' ? member : `${at}.${member}`} is required but missing`)
        } else if (error.keyword === 'type') {
          problems.add(`${at === '' ? whole : at} must be ${params.type === 'integer' ? 'an integer' : `of JSON type ${params.type ?? '?'}`}`)
        } else if (error.keyword === 'enum') {
          problems.add(`${at === '' ? whole : at} must be one of ${(params.allowedValues ?? []).map(String).join(', ')}`)
        } else if (error.keyword === 'minimum' || error.keyword === 'maximum') {
          problems.add(`${at} is outside the 32-bit integer range`)
        } else {
          problems.add(`${at === '' ? whole : at}: ${error.message}`)
        }
      }
      return [...problems]
    }
  }
}

export const SHAPES = {
  contactCreate: shape('SimplePublicObjectInputForCreate', 'body', ContactCreateSchema),
  contactUpdate: shape('SimplePublicObjectInput', 'body', ContactUpdateSchema),
  search: shape('PublicObjectSearchRequest', 'body', SearchRequestSchema),
  contactReadQuery: shape('the query of GET /crm/v3/objects/contacts/{contactId}', 'query', ContactReadQuerySchema),
  contactUpdateQuery: shape('the query of PATCH /crm/v3/objects/contacts/{contactId}', 'query', ContactUpdateQuerySchema),
  propertyCreate: shape('PropertyCreate', 'body', PropertyCreateSchema),
  propertyGroupCreate: shape('PropertyGroupCreate', 'body', PropertyGroupCreateSchema),
  propertyListQuery: shape('the query of GET /crm/v3/properties/{objectType}', 'query', PropertyListQuerySchema)
} as const satisfies Record<string, Shape>
