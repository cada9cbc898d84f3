/**
 * Structural validation of a parsed table against the TypeBox schema, with messages written
 * for the person editing the YAML: one precise problem per place (`unknown key "tranform"
 * (expected one of: spi, crm, …)`), not a JSON-schema trace. For a union such as "a path or
 * a list of paths", the branch whose type fits the value explains the problem; when none
 * does, the message lists what is accepted.
 */
import { Compile } from 'typebox/compile'
import { Settings } from 'typebox/system'
import type { TLocalizedValidationError } from 'typebox/error'
import type { TableIssue } from './errors.js'
import { displayNodePath, type NodePath, type ParsedYaml } from './parse-yaml.js'
import { parsePath, PATH_PATTERN } from './paths.js'
import { MappingTableSchema, TABLE_NAME_PATTERN } from './table-schema.js'

const validator = Compile(MappingTableSchema)
/** TypeBox buffers 8 errors by default; a table author wants to see them all at once. */
const MAX_ERRORS = 200

type SchemaNode = Record<string, unknown>

/**
 * Keys an earlier table format accepted, with what to write instead: a table written for an
 * older gateway is then refused with its fix, not only with "unknown key".
 */
const RETIRED_KEYS: ReadonlyMap<string, string> = new Map([
  ['digitsOnly', '"digitsOnly" is no longer supported: replace it (and the row\'s operator) with "operator: phone", which compares phone numbers by their national number']
])

function schemaAt(pointer: string): SchemaNode {
  let node: unknown = MappingTableSchema
  for (const raw of pointer.replace(/^#\/?/, '').split('/')) {
    if (raw === '') continue
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~')
    node = typeof node === 'object' && node !== null ? (node as SchemaNode)[key] : undefined
  }
  return typeof node === 'object' && node !== null ? (node as SchemaNode) : {}
}

/** Instance pointer → node path, with indexes as numbers where the data holds a list. */
function nodePathOf(pointer: string, root: unknown): (string | number)[] {
  const path: (string | number)[] = []
  let cur = root
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~')
    const step = Array.isArray(cur) ? Number(key) : key
    path.push(step)
    cur = typeof cur === 'object' && cur !== null ? (cur as Record<string | number, unknown>)[step] : undefined
  }
  return path
}

function valueAt(root: unknown, path: NodePath): unknown {
  let cur = root
  for (const step of path) cur = typeof cur === 'object' && cur !== null ? (cur as Record<string | number, unknown>)[step] : undefined
  return cur
}

function jsonType(value: unknown): string {
  if (Array.isArray(value)) return 'array'
  if (value === null) return 'null'
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number'
  return typeof value
}

function fits(schema: SchemaNode, value: unknown): boolean {
  const actual = jsonType(value)
  const type = schema['type']
  if (typeof type === 'string') return type === actual || (type === 'number' && actual === 'integer')
  const allowed = schema['enum'] ?? ('const' in schema ? [schema['const']] : undefined)
  if (Array.isArray(allowed)) return allowed.some((v) => jsonType(v) === actual || (jsonType(v) === 'integer' && actual === 'number'))
  return true
}

/** "a path", "a list of paths", "one of read, write, both" … */
function describe(schema: SchemaNode): string {
  if (Array.isArray(schema['anyOf'])) return (schema['anyOf'] as SchemaNode[]).map(describe).join(' or ')
  if (Array.isArray(schema['enum'])) return `one of ${(schema['enum'] as unknown[]).join(', ')}`
  if ('const' in schema) return JSON.stringify(schema['const'])
  switch (schema['type']) {
    case 'string': return schema['pattern'] === PATH_PATTERN ? 'a path' : 'text'
    case 'array': return `a list of ${describe((schema['items'] ?? {}) as SchemaNode).replace(/^an? /, '')}s`
    case 'object': return 'a mapping (key: value)'
    case 'number': return 'a number'
    case 'integer': return 'a whole number'
    case 'boolean': return 'true or false'
    default: return 'a value'
  }
}

function patternMessage(pattern: unknown, value: unknown): string {
  if (pattern === PATH_PATTERN && typeof value === 'string') {
    const parsed = parsePath(value)
    if (!parsed.ok) return parsed.reason
  }
  if (pattern === TABLE_NAME_PATTERN) return `bad table name ${JSON.stringify(value)}: start with a letter, then letters, digits, _ or -`
  return `${JSON.stringify(value)} does not have the expected form (${String(pattern)})`
}

/** Drops the union noise: keeps the errors of the branch that fits, or one summary. */
function resolveUnions(errors: TLocalizedValidationError[], root: unknown): TLocalizedValidationError[] {
  let kept = errors.filter((e) => e.keyword !== 'boolean')
  const unions = kept.filter((e) => e.keyword === 'anyOf').sort((a, b) => a.schemaPath.length - b.schemaPath.length)
  for (const union of unions) {
    if (!kept.includes(union)) continue
    const prefix = union.schemaPath + '/anyOf/'
    const branches = (schemaAt(union.schemaPath)['anyOf'] ?? []) as SchemaNode[]
    const value = valueAt(root, nodePathOf(union.instancePath, root))
    const fitting = branches.flatMap((b, i) => (fits(b, value) ? [i] : []))
    // The same union schema serves every row: only this value's errors belong to it.
    const inBranch = (e: TLocalizedValidationError): boolean =>
      e.schemaPath.startsWith(prefix) && (e.instancePath === union.instancePath || e.instancePath.startsWith(union.instancePath + '/'))
    if (fitting.length === 1) {
      const own = `${prefix}${fitting[0]}`
      kept = kept.filter((e) => e !== union && (!inBranch(e) || e.schemaPath === own || e.schemaPath.startsWith(own + '/')))
    } else {
      kept = kept.filter((e) => !inBranch(e))
    }
  }
  return kept
}

export function checkSchema(value: unknown, file: string, parsed: ParsedYaml): TableIssue[] {
  if (validator.Check(value)) return []
  const previous = Settings.Get().maxErrors
  Settings.Set({ maxErrors: MAX_ERRORS })
  let errors: TLocalizedValidationError[]
  try {
    errors = validator.Errors(value)
  } finally {
    Settings.Set({ maxErrors: previous })
  }
  const issues: TableIssue[] = []
  const seen = new Set<string>()
  const add = (path: NodePath, message: string, key = false): void => {
    const id = `${displayNodePath(path)}\u0000${message}`
    if (seen.has(id)) return
    seen.add(id)
    issues.push({ file, ...parsed.locate(path, { key }), path: displayNodePath(path), message })
  }
  for (const error of resolveUnions(errors, value)) {
    const path = nodePathOf(error.instancePath, value)
    const schema = schemaAt(error.schemaPath)
    const got = valueAt(value, path)
    switch (error.keyword) {
      case 'additionalProperties': {
        const known = Object.keys(schema['properties'] ?? {})
        for (const extra of error.params.additionalProperties) {
          const retired = RETIRED_KEYS.get(extra)
          if (retired !== undefined) add([...path, extra], retired, true)
          else add([...path, extra], known.length > 0 ? `unknown key "${extra}" (expected one of: ${known.join(', ')})` : patternMessage(TABLE_NAME_PATTERN, extra), true)
        }
        break
      }
      case 'required':
        for (const key of error.params.requiredProperties) add(path, `missing required key "${key}"`)
        break
      case 'anyOf':
      case 'type':
      case 'enum':
      case 'const':
        add(path, `must be ${describe(schema)}${typeof got === 'string' || typeof got === 'number' ? ` (got ${JSON.stringify(got)})` : ''}`)
        break
      case 'pattern':
        add(path, patternMessage(error.params.pattern, got))
        break
      case 'minItems':
        add(path, `must hold at least ${error.params.limit} item${error.params.limit === 1 ? '' : 's'}`)
        break
      case 'minLength':
        add(path, 'must not be empty')
        break
      default:
        add(path, error.message)
    }
  }
  return issues
}
