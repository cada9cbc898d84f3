/**
 * The readiness check of the properties the mapping table needs (the port's `fieldSchema`),
 * read from the service's `$metadata` (guide, "OData Service Metadata",
 * https://github.com/SAP-archive/C4CODATAAPIDEVGUIDE#odata-service-metadata): the
 * `IndividualCustomer` entity type's `Property` and `NavigationProperty` elements, with their
 * `Type` and SAP's `sap:creatable` / `sap:updatable` annotations.
 *
 * The table's consents and loyalty fields are extension fields (`…_KUT`): a C4C administrator
 * adds them with the key user tools and then to the c4codataapi service in the OData Service
 * Explorer; until both are done, $metadata lacks them and a write naming one is refused. C4C
 * has no API to create them, so `provision` creates nothing: it reports what is missing and
 * says where to add it.
 *
 * The document is XML. Only the one entity type's elements are read, by their attribute
 * syntax; nothing in it is evaluated.
 */
import type { CallContext, CrmFieldUse, CrmValueKind, FieldMismatch, FieldReport, FieldSchema, ProvisionReport } from '../../src/core/port.js'
import { badResponse, headerValue } from '../shared/http-failure.js'
import type { C4cClient } from './client.js'
import { c4cFailure } from './errors.js'

export const ENTITY_TYPE = 'IndividualCustomer'

export interface PropertyInfo {
  readonly name: string
  /** `Edm.String`, `Edm.Boolean`, `Edm.DateTime`…; `navigation` for a navigation property. */
  readonly type: string
  readonly writable: boolean
}

/** Edm types a table value of each kind can be written to. */
const FITS: Readonly<Record<CrmValueKind, readonly string[]>> = {
  text: ['Edm.String'],
  'long-text': ['Edm.String', 'navigation'],
  phone: ['Edm.String'],
  number: ['Edm.Decimal', 'Edm.Int16', 'Edm.Int32', 'Edm.Int64', 'Edm.Double', 'Edm.String'],
  boolean: ['Edm.Boolean'],
  // A date the adapter does not convert (not in `dateProperties`) travels as text.
  date: ['Edm.String']
}

/** What a property the adapter converts to `/Date(ms)/` (settings `dateProperties`) must be. */
const DATE_TYPES = ['Edm.DateTime', 'Edm.DateTimeOffset']

const attribute = (element: string, name: string): string | undefined => {
  const m = new RegExp(`\\s${name.replace(':', '\\:')}="([^"]*)"`).exec(element)
  return m?.[1]
}

/** The properties of `entityType` in an EDMX document, by name; undefined when the type is absent. */
export function entityProperties(xml: string, entityType: string = ENTITY_TYPE): Map<string, PropertyInfo> | undefined {
  const start = xml.search(new RegExp(`<EntityType\\s+Name="${entityType}"[\\s>]`))
  if (start === -1) return undefined
  const end = xml.indexOf('</EntityType>', start)
  if (end === -1) return undefined
  const block = xml.slice(start, end)
  const found = new Map<string, PropertyInfo>()
  for (const m of block.matchAll(/<(Property|NavigationProperty)\s[^>]*>/g)) {
    const element = m[0]
    const name = attribute(element, 'Name')
    if (name === undefined) continue
    if (m[1] === 'NavigationProperty') {
      found.set(name, { name, type: 'navigation', writable: true })
      continue
    }
    // sap:creatable / sap:updatable default to true (SAP's OData annotations for V2).
    const writable = attribute(element, 'sap:creatable') !== 'false' || attribute(element, 'sap:updatable') !== 'false'
    found.set(name, { name, type: attribute(element, 'Type') ?? '', writable })
  }
  return found
}

/** What the table's fields lack in `present`. */
export function compareFields(
  fields: readonly CrmFieldUse[],
  present: ReadonlyMap<string, PropertyInfo>,
  dateProperties: ReadonlySet<string>
): FieldReport & { fitting: string[] } {
  const missing: string[] = []
  const mismatched: FieldMismatch[] = []
  const fitting: string[] = []
  for (const field of fields) {
    const property = present.get(field.name)
    if (property === undefined) {
      missing.push(field.name)
      continue
    }
    const fits = dateProperties.has(field.name) ? DATE_TYPES : FITS[field.kind]
    if (field.write && !property.writable) mismatched.push({ name: field.name, expected: 'a creatable or updatable property', actual: 'read-only' })
    else if (field.write && !fits.includes(property.type)) mismatched.push({ name: field.name, expected: fits.join(' or '), actual: property.type })
    else fitting.push(field.name)
  }
  return { missing, mismatched, fitting }
}

const XML_TYPE = /^(application|text)\/xml\s*(;|$)/i

export function metadataSchema(client: C4cClient, dateProperties: ReadonlySet<string>): FieldSchema {
  const read = async (ctx: CallContext): Promise<Map<string, PropertyInfo>> => {
    const response = await client.metadata(ctx)
    if (response.status !== 200) throw c4cFailure(response, 'fieldSchema')
    if (!XML_TYPE.test(headerValue(response, 'content-type') ?? '') || typeof response.data !== 'string') return badResponse('fieldSchema', '$metadata is not XML')
    const properties = entityProperties(response.data)
    if (properties === undefined) return badResponse('fieldSchema', `$metadata has no ${ENTITY_TYPE} entity type`)
    return properties
  }
  return {
    async check(fields, ctx) {
      const { missing, mismatched } = compareFields(fields, await read(ctx), dateProperties)
      return { missing, mismatched }
    },
    async provision(fields, ctx): Promise<ProvisionReport> {
      const { missing, mismatched, fitting } = compareFields(fields, await read(ctx), dateProperties)
      const notes =
        missing.length === 0
          ? []
          : [
              `C4C extension fields cannot be created through OData: add ${missing.join(', ')} to the individual customer with the key user tools ` +
                '(Adapt → Edit Master Layout → Add Fields), then to the c4codataapi service (Administrator → OData Services → OData Service Explorer)'
            ]
      return { created: [], present: fitting, missing, mismatched, notes }
    }
  }
}
