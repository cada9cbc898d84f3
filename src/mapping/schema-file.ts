/**
 * mappings/schema.json is generated from the TypeBox schema (never edited by hand) so that
 * editors check tables against exactly what the loader accepts. A test fails when the
 * committed file is stale; `mapping schema` rewrites it.
 */
import { writeFile } from 'node:fs/promises'
import { MappingTableSchema } from './table-schema.js'

export function mappingSchemaJson(): string {
  return JSON.stringify(MappingTableSchema, null, 2) + '\n'
}

export async function writeMappingSchema(file: string): Promise<void> {
  await writeFile(file, mappingSchemaJson(), 'utf8')
}
