/**
 * The contact properties the mapping table needs, checked and created through HubSpot's
 * properties API (https://developers.hubspot.com/docs/api/crm/properties): the port's
 * `fieldSchema`. A portal has HubSpot's default properties; the table's custom ones exist only
 * once someone creates them, and a write naming a missing one fails (400 PROPERTY_DOESNT_EXIST).
 *
 * - check: one call (every contact property definition); which of the table's fields are
 *   missing, and which written ones have a type their values do not fit or are read-only.
 * - provision: creates the missing ones in a property group of the gateway's own, each with the
 *   type and field type its row writes (below); idempotent (present ones are left alone, a
 *   second run creates nothing); a present property of the wrong type is reported, never altered.
 *   HubSpot's own (`hs_…`) properties cannot be created: a missing one is reported.
 */
import type { CallContext, CrmFieldUse, CrmValueKind, FieldMismatch, FieldReport, FieldSchema, ProvisionReport } from '../../src/core/port.js'
import type { HubSpotClient, PropertyCreate } from './client.js'
import { hubspotFailure } from './errors.js'
import { readGroupNames, readProperty, readPropertyList, type HubSpotProperty } from './wire.js'

/**
 * What a field the table writes needs: the property `type` and `fieldType` to create (the
 * properties guide, "Property type and fieldType values"), and the types an existing property
 * may have for the table's values to fit. Values are always sent as text; HubSpot checks them
 * against the type (a number property refuses "abc", a bool one anything but true/false).
 */
const NEEDS: Readonly<Record<CrmValueKind, { type: string; fieldType: string; fits: readonly string[] }>> = {
  text: { type: 'string', fieldType: 'text', fits: ['string', 'enumeration', 'phone_number'] },
  'long-text': { type: 'string', fieldType: 'textarea', fits: ['string'] },
  phone: { type: 'string', fieldType: 'phonenumber', fits: ['string', 'phone_number'] },
  number: { type: 'number', fieldType: 'number', fits: ['number'] },
  // A single checkbox; older portals describe theirs as an enumeration of true/false.
  boolean: { type: 'bool', fieldType: 'booleancheckbox', fits: ['bool', 'enumeration'] },
  date: { type: 'date', fieldType: 'date', fits: ['date'] }
}

/** A single checkbox's two options, as the properties guide creates them. */
const CHECKBOX_OPTIONS = [
  { label: 'Yes', value: 'true', hidden: false, displayOrder: 0 },
  { label: 'No', value: 'false', hidden: false, displayOrder: 1 }
] as const

const HUBSPOT_DEFINED = /^hs_/

/** `home_phone` → "Home phone": labels a person reads in HubSpot's UI. */
const labelOf = (name: string): string => {
  const words = name.replaceAll('_', ' ')
  return words.charAt(0).toUpperCase() + words.slice(1)
}

export interface PropertySchemaOptions {
  readonly client: HubSpotClient
  /** The group provisioned properties go in. */
  readonly group: string
  /** Told the unique-value properties each time definitions are read (for exact lookups). */
  readonly onDefinitions: (properties: readonly HubSpotProperty[]) => void
}

export function propertySchema(options: PropertySchemaOptions): FieldSchema {
  const { client, group } = options

  const definitions = async (ctx: CallContext): Promise<Map<string, HubSpotProperty>> => {
    const response = await client.listProperties(ctx)
    if (response.status !== 200) throw hubspotFailure(response, 'fieldSchema')
    const list = readPropertyList(response, 'fieldSchema')
    options.onDefinitions(list)
    return new Map(list.map((p) => [p.name, p]))
  }

  /** Why a present property cannot take the table's writes, if it cannot. */
  const mismatch = (field: CrmFieldUse, property: HubSpotProperty): FieldMismatch | undefined => {
    if (!field.write) return undefined // read or searched only: every value reads as text
    const need = NEEDS[field.kind]
    if (property.calculated === true || property.modificationMetadata?.readOnlyValue === true) {
      return { name: field.name, expected: `a writable ${need.type}`, actual: 'read-only' }
    }
    if (!need.fits.includes(property.type)) return { name: field.name, expected: need.type, actual: property.type }
    if (field.unique && property.hasUniqueValue !== true) return { name: field.name, expected: `${need.type} with unique values`, actual: property.type }
    return undefined
  }

  const compare = (fields: readonly CrmFieldUse[], present: ReadonlyMap<string, HubSpotProperty>): FieldReport & { fitting: string[] } => {
    const missing: string[] = []
    const mismatched: FieldMismatch[] = []
    const fitting: string[] = []
    for (const field of fields) {
      const property = present.get(field.name)
      if (property === undefined) missing.push(field.name)
      else {
        const wrong = mismatch(field, property)
        if (wrong) mismatched.push(wrong)
        else fitting.push(field.name)
      }
    }
    return { missing, mismatched, fitting }
  }

  const ensureGroup = async (ctx: CallContext): Promise<string | undefined> => {
    const listed = await client.listPropertyGroups(ctx)
    if (listed.status !== 200) throw hubspotFailure(listed, 'fieldSchema')
    if (readGroupNames(listed, 'fieldSchema').has(group)) return undefined
    const created = await client.createPropertyGroup(group, 'Clienteling', ctx)
    // 409: created meanwhile (another run): as good.
    if (created.status !== 201 && created.status !== 409) throw hubspotFailure(created, 'fieldSchema')
    return `created the property group "${group}"`
  }

  const toCreate = (field: CrmFieldUse): PropertyCreate => {
    const need = NEEDS[field.kind]
    return {
      name: field.name,
      label: labelOf(field.name),
      type: need.type,
      fieldType: need.fieldType,
      groupName: group,
      description: `Clienteling Gateway: ${field.spi}`,
      // Kept off forms: the gateway writes these, people read them.
      formField: false,
      ...(field.unique ? { hasUniqueValue: true } : {}),
      ...(field.kind === 'boolean' ? { options: CHECKBOX_OPTIONS } : {})
    }
  }

  return {
    async check(fields, ctx) {
      const { missing, mismatched } = compare(fields, await definitions(ctx))
      return { missing, mismatched }
    },

    async provision(fields, ctx): Promise<ProvisionReport> {
      const present = await definitions(ctx)
      const before = compare(fields, present)
      const notes: string[] = []
      const created: string[] = []
      const missing: string[] = []
      const creatable = before.missing.filter((name) => {
        if (!HUBSPOT_DEFINED.test(name)) return true
        missing.push(name)
        notes.push(`${name} is HubSpot's own property and cannot be created; is the portal's edition missing it?`)
        return false
      })
      if (creatable.length > 0) {
        const made = await ensureGroup(ctx)
        if (made) notes.push(made)
      }
      const byName = new Map(fields.map((f) => [f.name, f]))
      for (const name of creatable) {
        const field = byName.get(name)
        if (field === undefined) continue
        const response = await client.createProperty(toCreate(field), ctx)
        if (response.status === 201) {
          readProperty(response, 'fieldSchema')
          created.push(name)
        } else if (response.status === 409) {
          notes.push(`${name} was created meanwhile by someone else; run again to check its type`)
        } else {
          const failure = hubspotFailure(response, 'fieldSchema')
          missing.push(name)
          notes.push(`${name} could not be created: ${failure.message}`)
        }
      }
      return { created, present: before.fitting, missing, mismatched: before.mismatched, notes }
    }
  }
}
