/**
 * The mapping engine's public entry: load a table (read → parse → validate → compile →
 * prove its samples) into a CompiledMapping, the only place SPI and CRM field names meet.
 */
import { readFile } from 'node:fs/promises'
import { MappingTableError, type TableIssue } from './errors.js'
import { createMapping, type CompiledMapping, type MappingOptions } from './mapping.js'
import { parseYaml } from './parse-yaml.js'
import { verifySamples } from './samples.js'
import { checkSchema } from './schema-check.js'
import type { MappingTableSource } from './table-schema.js'
import { buildModel } from './validate.js'

export { MappingTableError, MappingValueError, formatIssue } from './errors.js'
export type { ReadIssue, ReadIssueHandler, TableIssue } from './errors.js'
export type { CompiledMapping, MappingOptions, MappingSample } from './mapping.js'
export { mappingSchemaJson, writeMappingSchema } from './schema-file.js'
export { MappingTableSchema } from './table-schema.js'
export { TRANSFORMS, TRANSFORM_NAMES } from './transforms/index.js'

function fail(issues: readonly TableIssue[]): never {
  throw new MappingTableError([...issues].sort((a, b) => a.line - b.line || a.column - b.column))
}

/**
 * Compiles a table from its YAML text. `file` only names the source in errors.
 * Throws MappingTableError listing every problem found at the stage that failed.
 */
export function compileMappingTable(source: string, file: string, options: MappingOptions = {}): CompiledMapping {
  const parsed = parseYaml(source, file)
  if (parsed.issues.length > 0) fail(parsed.issues)
  const schemaIssues = checkSchema(parsed.value, file, parsed)
  if (schemaIssues.length > 0) fail(schemaIssues)
  const { model, issues } = buildModel(parsed.value as MappingTableSource, file, parsed)
  if (model === undefined) return fail(issues)
  const mapping = createMapping(model, file, options)
  const sampleIssues = verifySamples(model, mapping, file, parsed)
  if (sampleIssues.length > 0) fail(sampleIssues)
  return mapping
}

/** Reads and compiles a table file; the gateway calls this once at start-up. */
export async function loadMappingTable(file: string, options: MappingOptions = {}): Promise<CompiledMapping> {
  let source: string
  try {
    source = await readFile(file, 'utf8')
  } catch (err) {
    const code = err instanceof Error && 'code' in err ? String(err.code) : 'unreadable'
    return fail([{ file, line: 0, column: 0, path: '(file)', message: `cannot read the table (${code})` }])
  }
  return compileMappingTable(source, file, options)
}
