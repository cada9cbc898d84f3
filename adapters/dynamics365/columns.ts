/**
 * The contact columns the mapping table needs, checked against the environment's metadata: the
 * port's `fieldSchema`. Dataverse has its standard contact columns; the table's custom ones
 * (consents, loyalty, the address list: `cg_…`, the publisher's prefix) exist only once an
 * administrator adds them to the contact table, and a write naming a missing one is refused
 * (400, "The property 'cg_…' does not exist on type 'Microsoft.Dynamics.CRM.contact'").
 *
 * - check: one call, `EntityDefinitions(LogicalName='contact')/Attributes`
 *   (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query-metadata-web-api):
 *   which of the table's columns are missing, and which written ones have a type the table's
 *   values do not fit or cannot be written (`IsValidForCreate`/`IsValidForUpdate` false).
 *   Readiness (/readyz) fails naming them until they exist.
 * - provision: creates nothing. Columns belong in a solution of the merchant's, under its
 *   publisher (and prefix), managed through its environments' ALM; a gateway creating schema
 *   in production would bypass that. It reports what is missing, with the type to create.
 *   The application user's security role needs read access to table definitions for the check.
 */
import type { CallContext, CrmFieldUse, CrmValueKind, FieldMismatch, FieldReport, FieldSchema, ProvisionReport } from '../../src/core/port.js'
import type { DataverseClient } from './client.js'
import { dataverseFailure } from './errors.js'
import { readAttributes } from './wire.js'
import type { AttributeDefinition } from './wire.js'

/**
 * Which column types take the table's values (AttributeTypeCode), and the data type an
 * administrator picks in the maker portal to create one.
 */
const NEEDS: Readonly<Record<CrmValueKind, { fits: readonly string[]; create: string }>> = {
  // Text also fits a Date Only column: the Web API writes and reads one as `YYYY-MM-DD` text
  // (the table's `birthday:YYYY-MM-DD` rows are text); Dataverse refuses any other text there.
  text: { fits: ['String', 'Memo', 'DateTime'], create: 'Single line of text (Plain text)' },
  'long-text': { fits: ['Memo'], create: 'Multiple lines of text (Plain text, maximum 1,048,576 characters)' },
  phone: { fits: ['String'], create: 'Single line of text (Phone)' },
  number: { fits: ['Integer', 'Decimal', 'Double', 'BigInt'], create: 'Whole number' },
  boolean: { fits: ['Boolean'], create: 'Yes/no' },
  date: { fits: ['DateTime'], create: 'Date only' }
}

export function columnSchema(client: DataverseClient): FieldSchema {
  const definitions = async (ctx: CallContext): Promise<Map<string, AttributeDefinition>> => {
    const response = await client.contactAttributes(ctx)
    if (response.status !== 200) throw dataverseFailure(response, 'fieldSchema')
    return new Map(readAttributes(response, 'fieldSchema').map((a) => [a.LogicalName, a]))
  }

  /** Why a present column cannot take the table's writes, if it cannot. Read-only uses read any type. */
  const mismatch = (field: CrmFieldUse, column: AttributeDefinition): FieldMismatch | undefined => {
    if (!field.write) return undefined
    const need = NEEDS[field.kind]
    if (column.IsValidForCreate === false || column.IsValidForUpdate === false) {
      return { name: field.name, expected: `a writable ${need.fits.join(' or ')} column`, actual: 'read-only' }
    }
    if (!need.fits.includes(column.AttributeType)) return { name: field.name, expected: need.fits.join(' or '), actual: column.AttributeType }
    return undefined
  }

  const compare = (fields: readonly CrmFieldUse[], present: ReadonlyMap<string, AttributeDefinition>): FieldReport & { fitting: string[] } => {
    const missing: string[] = []
    const mismatched: FieldMismatch[] = []
    const fitting: string[] = []
    for (const field of fields) {
      const column = present.get(field.name)
      const wrong = column === undefined ? undefined : mismatch(field, column)
      if (column === undefined) missing.push(field.name)
      else if (wrong !== undefined) mismatched.push(wrong)
      else fitting.push(field.name)
    }
    return { missing, mismatched, fitting }
  }

  return {
    async check(fields, ctx) {
      const { missing, mismatched } = compare(fields, await definitions(ctx))
      return { missing, mismatched }
    },

    async provision(fields, ctx): Promise<ProvisionReport> {
      const { missing, mismatched, fitting } = compare(fields, await definitions(ctx))
      const byName = new Map(fields.map((f) => [f.name, f]))
      const notes = missing.map((name) => {
        const field = byName.get(name)
        const type = field === undefined ? 'a column' : NEEDS[field.kind].create
        return `create ${name} on the contact table (${type}; it carries ${field?.spi ?? 'a field of the table'}) in your solution`
      })
      if (missing.length > 0) notes.push('Dataverse columns are created by an administrator in a solution (the gateway creates no schema); see adapters/dynamics365/README.md')
      return { created: [], present: fitting, missing, mismatched, notes }
    }
  }
}
