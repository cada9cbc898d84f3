/**
 * Reads and checks a REST definition (`mappings/<crm>.rest.yaml`), reporting every problem as
 * `file:line:column where: what` — the same reporting as mapping tables (src/mapping), so an
 * invalid definition stops the gateway at start naming the line and the field.
 *
 * Two passes: the schema (./definition.ts: keys, types, the kind of each part that has kinds),
 * then what a schema cannot say: path templates, dotted paths, placeholders, regular
 * expressions, statuses, and which options go together.
 */
import { readFileSync } from 'node:fs'
import type { TSchema } from 'typebox'
import { Compile } from 'typebox/compile'
import { describeAllowed } from '../../src/config/describe-schema.js'
import { formatIssue } from '../../src/mapping/errors.js'
import type { TableIssue } from '../../src/mapping/errors.js'
import { displayNodePath, parseYaml } from '../../src/mapping/parse-yaml.js'
import type { NodePath } from '../../src/mapping/parse-yaml.js'
import {
  AUTH_SCHEMAS,
  CRITERIA_SCHEMAS,
  DefinitionSchema,
  OPERATION_NAMES,
  PAGING_SCHEMAS
} from './definition.js'
import type { AuthDefinition, CriteriaDefinition, PagingDefinition, RestDefinition, SearchDefinition } from './definition.js'
import { parseDotted, placeholdersOf } from './paths.js'

/** An invalid definition: every problem, each at its line. */
export class RestDefinitionError extends Error {
  readonly issues: readonly TableIssue[]

  constructor(issues: readonly TableIssue[]) {
    const count = issues.length === 1 ? '1 error' : `${issues.length} errors`
    const file = issues[0]?.file ?? 'REST definition'
    super(`invalid REST definition ${file} (${count}):\n` + issues.map((i) => '  ' + formatIssue(i)).join('\n'))
    this.name = 'RestDefinitionError'
    this.issues = issues
  }
}

export interface DefinitionCheck {
  /** Undefined when there are issues. */
  readonly definition: RestDefinition | undefined
  readonly issues: readonly TableIssue[]
}

/** Reads and checks the definition at `file` (synchronous: adapters are built at start). */
export function loadRestDefinition(file: string, shownAs: string = file): RestDefinition {
  let source: string
  try {
    source = readFileSync(file, 'utf8')
  } catch (err) {
    const code = (err as { code?: unknown }).code
    throw new RestDefinitionError([{ file: shownAs, line: 0, column: 0, path: '(file)', message: `cannot read the definition (${typeof code === 'string' ? code : 'unreadable'})` }])
  }
  const { definition, issues } = checkRestDefinition(source, shownAs)
  if (definition === undefined) throw new RestDefinitionError(issues)
  return definition
}

const compiled = new Map<TSchema, ReturnType<typeof Compile>>()
const validatorOf = (schema: TSchema): ReturnType<typeof Compile> => {
  let v = compiled.get(schema)
  if (v === undefined) {
    v = Compile(schema)
    compiled.set(schema, v)
  }
  return v
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const listOf = (v: number | readonly number[] | undefined): readonly number[] => (v === undefined ? [] : typeof v === 'number' ? [v] : v)

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
const PATH_CHARS = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@%/{}]*$/

/** Checks a definition's text; `file` is only for messages. */
export function checkRestDefinition(source: string, file: string): DefinitionCheck {
  const parsed = parseYaml(source, file)
  if (parsed.issues.length > 0) return { definition: undefined, issues: parsed.issues }
  const issues: TableIssue[] = []
  const seen = new Set<string>()
  const issue = (at: NodePath, message: string, key = false): void => {
    const path = displayNodePath(at)
    if (seen.has(`${path}\u0000${message}`)) return
    seen.add(`${path}\u0000${message}`)
    issues.push({ file, ...parsed.locate(at, { key }), path, message })
  }
  const value = parsed.value
  const shaped = schemaCheck(DefinitionSchema, value, [], issue)
  // The parts that come in kinds are checked whatever else is wrong: every problem at once.
  const at = (v: unknown, key: string): unknown => (isObject(v) ? v[key] : undefined)
  const search = at(at(value, 'operations'), 'search')
  // An absent part is the schema's to report ("auth" is required).
  const part = (schemas: Readonly<Record<string, TSchema>>, key: string, what: string, v: unknown, path: NodePath): unknown =>
    v === undefined ? undefined : kindCheck(schemas, key, what, v, path, issue)
  const auth = part(AUTH_SCHEMAS, 'kind', 'auth kind', at(value, 'auth'), ['auth']) as AuthDefinition | undefined
  const criteria = part(CRITERIA_SCHEMAS, 'style', 'criteria style', at(search, 'criteria'), ['operations', 'search', 'criteria']) as CriteriaDefinition | undefined
  const paging = part(PAGING_SCHEMAS, 'style', 'paging style', at(search, 'paging'), ['operations', 'search', 'paging']) as PagingDefinition | undefined
  if (auth !== undefined) checkAuth(auth, issue)
  if (!shaped || auth === undefined || criteria === undefined || paging === undefined) return { definition: undefined, issues: sortByLine(issues) }
  const definition = { ...(value as RestDefinition), file }
  semanticChecks(definition, criteria, paging, issue)
  return issues.length > 0 ? { definition: undefined, issues: sortByLine(issues) } : { definition, issues: [] }
}

type Issue = (at: NodePath, message: string, key?: boolean) => void

function sortByLine(issues: TableIssue[]): TableIssue[] {
  return issues.sort((a, b) => a.line - b.line || a.column - b.column)
}

/** Schema errors as issues, one per place; true when `value` fits. */
function schemaCheck(schema: TSchema, value: unknown, base: NodePath, issue: Issue): boolean {
  const validator = validatorOf(schema)
  if (validator.Check(value)) return true
  for (const e of validator.Errors(value)) {
    // Alternatives of a union are reported once, by the union's own error; "schema is false"
    // (an unknown key) by the additionalProperties error that names the key.
    if (e.keyword === 'boolean' || e.schemaPath.includes('/anyOf/')) continue
    const rel = e.instancePath.split('/').slice(1).map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
    const at: NodePath = [...base, ...rel.map((s) => (/^\d+$/.test(s) ? Number(s) : s))]
    const params = e.params as { requiredProperties?: string[]; additionalProperties?: string[] }
    if (e.keyword === 'required') {
      for (const name of params.requiredProperties ?? []) issue(at, `"${name}" is required`)
    } else if (e.keyword === 'additionalProperties') {
      for (const extra of params.additionalProperties ?? []) issue([...at, extra], describeAllowed(schema, e.instancePath, e.keyword, { additionalProperties: [extra] }), true)
    } else {
      const described = descriptionAt(schema, rel)
      const allowed = described === undefined ? describeAllowed(schema, e.instancePath, e.keyword, e.params) : `must be ${described}`
      issue(at, allowed === 'is not allowed here' ? e.message : allowed)
    }
  }
  return false
}

/** The `description` of the schema node at `path`, for the values whose rule a person reads better in words. */
function descriptionAt(schema: TSchema, path: readonly string[]): string | undefined {
  let node: unknown = schema
  for (const step of path) {
    const n = node as { properties?: Record<string, unknown>; items?: unknown }
    if (n.properties !== undefined && Object.hasOwn(n.properties, step)) node = n.properties[step]
    else if (n.items !== undefined && /^\d+$/.test(step)) node = n.items
    else return undefined
  }
  const description = (node as { description?: unknown }).description
  return typeof description === 'string' ? description : undefined
}

/** A part that comes in kinds: its kind first, then that kind's schema. */
function kindCheck(schemas: Readonly<Record<string, TSchema>>, key: string, what: string, value: unknown, at: NodePath, issue: Issue): unknown {
  const known = Object.keys(schemas).join(', ')
  if (!isObject(value)) {
    issue(at, `must be an object with a "${key}" (one of: ${known})`)
    return undefined
  }
  const kind = value[key]
  if (typeof kind !== 'string' || !Object.hasOwn(schemas, kind)) {
    issue(kind === undefined ? at : [...at, key], kind === undefined ? `"${key}" is required (one of: ${known})` : `unknown ${what} ${JSON.stringify(kind)} (known: ${known})`)
    return undefined
  }
  const schema = schemas[kind]
  if (schema === undefined || !schemaCheck(schema, value, at, issue)) return undefined
  return value
}

function checkAuth(auth: AuthDefinition, issue: Issue): void {
  if (auth.kind === 'api-key' && (auth.in ?? 'header') === 'header' && !HEADER_NAME.test(auth.name)) {
    issue(['auth', 'name'], `"${auth.name}" is not a header name`)
  }
  if (auth.kind === 'oauth2-client-credentials' && !isTokenUrl(auth.tokenUrl)) {
    issue(['auth', 'tokenUrl'], 'must be a path on the base URL (/oauth/token) or an absolute http(s) URL')
  }
}

function isTokenUrl(text: string): boolean {
  if (text.startsWith('/')) return PATH_CHARS.test(text) && !text.includes('{')
  try {
    const url = new URL(text)
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.username === '' && url.password === ''
  } catch {
    return false
  }
}

function semanticChecks(d: RestDefinition, criteria: CriteriaDefinition, paging: PagingDefinition, issue: Issue): void {
  const path = (text: string | undefined, at: NodePath): void => {
    if (text === undefined) return
    const parsed = parseDotted(text)
    if (!parsed.ok) issue(at, parsed.reason)
  }
  const regex = (text: string | undefined, at: NodePath): void => {
    if (text === undefined) return
    try {
      new RegExp(text, 'u')
    } catch {
      issue(at, `"${text}" is not a valid regular expression`)
    }
  }

  // ---- headers
  for (const [name, value] of Object.entries(d.headers ?? {})) {
    if (!HEADER_NAME.test(name)) issue(['headers', name], `"${name}" is not a header name`, true)
    if (/[\r\n]/.test(value)) issue(['headers', name], 'a header value cannot hold a line break')
  }

  // ---- record
  path(d.record.fields, ['record', 'fields'])
  path(d.record.idFrom, ['record', 'idFrom'])
  path(d.record.deletedWhen?.path, ['record', 'deletedWhen', 'path'])
  regex(d.record.idPattern, ['record', 'idPattern'])
  const version = d.record.version
  if (version !== undefined) {
    if (version.header !== undefined && !HEADER_NAME.test(version.header)) issue(['record', 'version', 'header'], `"${version.header}" is not a header name`)
    if (version.format !== undefined) {
      const { names, balanced } = placeholdersOf(version.format)
      if (!balanced || names.some((n) => n !== 'version') || !names.includes('version')) {
        issue(['record', 'version', 'format'], 'must hold {version} and no other placeholder, e.g. "\\"{version}\\""')
      }
    }
  }

  // ---- operations
  for (const name of OPERATION_NAMES) {
    const op = d.operations[name]
    const at: NodePath = ['operations', name]
    checkPathTemplate(op.path, name === 'get' || name === 'update', [...at, 'path'], issue)
    const success = listOf(op.status)
    for (const s of success) if (s >= 300) issue([...at, 'status'], `${s} is not a success status (2xx)`)
    if ('notFound' in op) {
      for (const s of listOf(op.notFound)) if (success.includes(s)) issue([...at, 'notFound'], `${s} cannot mean both success and not found`)
    }
    if ('body' in op && typeof op.body === 'string') path(op.body, [...at, 'body'])
    if ('answer' in op && typeof op.answer === 'string') path(op.answer, [...at, 'answer'])
  }
  const search = d.operations.search
  path(search.answer?.records, ['operations', 'search', 'answer', 'records'])
  path(search.answer?.total, ['operations', 'search', 'answer', 'total'])
  regex(search.fieldPattern, ['operations', 'search', 'fieldPattern'])
  const sendsBody = search.method !== 'GET'
  if (search.body !== undefined && !sendsBody) issue(['operations', 'search', 'body'], 'a GET search sends no body: use method POST')
  checkHits(search.hits, issue)
  checkCriteria(criteria, search.clientSideFilter, sendsBody, issue)
  checkPaging(paging, criteria, sendsBody, issue)
  if (criteria.style === 'term' && typeof criteria.withoutTerm === 'object' && paging.style !== 'none' && paging.in === 'body') {
    issue(['operations', 'search', 'criteria', 'withoutTerm'], 'a list endpoint is read with GET: the paging must be in the query')
  }

  // ---- errors
  path(d.errors?.code, ['errors', 'code'])
  d.errors?.rules?.forEach((rule, i) => {
    const at: NodePath = ['errors', 'rules', i]
    for (const s of listOf(rule.status)) if (s < 400) issue([...at, 'status'], `${s} is not an error status (4xx, 5xx)`)
    if (rule.when !== undefined) path(rule.when.path, [...at, 'when', 'path'])
    if (rule.field !== undefined) {
      if (rule.kind === 'rejected') path(rule.field, [...at, 'field'])
      else issue([...at, 'field'], `only a rejected rule names a field (this one is ${rule.kind})`, true)
    }
    for (const key of ['retryAfterSeconds', 'retryAfterHeader'] as const) {
      if (rule[key] !== undefined && rule.kind !== 'throttled' && rule.kind !== 'quota-exhausted') {
        issue([...at, key], `only a throttled or quota-exhausted rule waits (this one is ${rule.kind})`, true)
      }
    }
    if (rule.retryAfterHeader !== undefined && !HEADER_NAME.test(rule.retryAfterHeader)) issue([...at, 'retryAfterHeader'], `"${rule.retryAfterHeader}" is not a header name`)
  })
}

/** `/api/v1/contacts/{id}`: a path on the base URL; `{id}` once where an id goes, else never. */
function checkPathTemplate(template: string, wantsId: boolean, at: NodePath, issue: Issue): void {
  if (!template.startsWith('/')) return issue(at, 'must start with / (a path on the base URL)')
  if (template.includes('?') || template.includes('#')) return issue(at, 'must be a path only: constant query parameters go under "query"')
  if (!PATH_CHARS.test(template)) return issue(at, 'must be a path of URL characters (no spaces; percent-encode the others)')
  if (template.split('/').some((s) => s === '.' || s === '..')) return issue(at, 'cannot hold . or .. segments')
  const { names, balanced } = placeholdersOf(template)
  if (!balanced) return issue(at, 'has an unbalanced { or }')
  const other = names.find((n) => n !== 'id')
  if (other !== undefined) return issue(at, `unknown placeholder {${other}}: the only one is {id}`)
  if (wantsId && names.length !== 1) return issue(at, names.length === 0 ? 'must hold {id}, where the record id goes' : 'must hold {id} once')
  if (!wantsId && names.length > 0) return issue(at, 'takes no {id}: this operation names no record')
  if (wantsId && !/(^|\/)\{id\}(\/|$)/.test(template)) issue(at, '{id} must be a whole path segment (/contacts/{id})')
}

const CRITERION_PLACEHOLDERS = ['field', 'fields', 'operator', 'value', 'international']

/**
 * A criterion's templates: known placeholders, the field(s) and the value placed, one way to
 * tell operators apart. In a body, a text that is exactly "{fields}" is the list of names
 * (`wholeFieldsIsList`) and needs no separator.
 */
function checkTemplates(texts: readonly [string, NodePath][], separator: string | undefined, operatorCount: number, issue: Issue, at: NodePath, wholeFieldsIsList = false): void {
  const used = new Set<string>()
  let readable = true
  for (const [text, where] of texts) {
    const { names, balanced } = placeholdersOf(text)
    if (!balanced) issue(where, 'has an unbalanced { or }')
    for (const n of names) {
      if (!CRITERION_PLACEHOLDERS.includes(n)) issue(where, `unknown placeholder {${n}} (known: ${CRITERION_PLACEHOLDERS.map((p) => `{${p}}`).join(', ')})`)
      used.add(n)
    }
    readable &&= balanced && names.every((n) => CRITERION_PLACEHOLDERS.includes(n))
  }
  // What the templates mean is judged only once they can be read.
  if (!readable) return
  if (!used.has('field') && !used.has('fields')) issue(at, 'must name the field(s) compared: {field} or {fields}')
  if (!used.has('value') && !used.has('international')) issue(at, 'must place the value: {value} (or {international} for phones)')
  const joined = texts.some(([text]) => !(wholeFieldsIsList && text === '{fields}') && placeholdersOf(text).names.includes('fields'))
  if (joined && separator === undefined) issue(at, '{fields} needs a fieldSeparator (how the CRM joins fields it ORs)')
  if (!used.has('operator') && operatorCount > 1) issue([...at, 'operators'], 'several operators but no {operator}: the CRM could not tell them apart')
  if (operatorCount === 0) issue([...at, 'operators'], 'names no operator: the CRM could compare nothing')
}

/** Search hits: where their ids are, and a batch read's path, answer and statuses. */
function checkHits(hits: SearchDefinition['hits'], issue: Issue): void {
  if (hits === undefined) return
  const at: NodePath = ['operations', 'search', 'hits']
  const parsed = parseDotted(hits.id)
  if (!parsed.ok) issue([...at, 'id'], parsed.reason)
  if (hits.read === 'get') return
  const read: NodePath = [...at, 'read']
  checkPathTemplate(hits.read.path, false, [...read, 'path'], issue)
  if (hits.read.answer !== undefined) {
    const answer = parseDotted(hits.read.answer)
    if (!answer.ok) issue([...read, 'answer'], answer.reason)
  }
  for (const s of listOf(hits.read.status)) if (s >= 300) issue([...read, 'status'], `${s} is not a success status (2xx)`)
  if (Object.hasOwn(hits.read.query ?? {}, hits.read.ids)) issue([...read, 'ids'], `"${hits.read.ids}" is also a constant query parameter`)
}

function checkCriteria(c: CriteriaDefinition, clientSide: unknown, sendsBody: boolean, issue: Issue): void {
  const at: NodePath = ['operations', 'search', 'criteria']
  switch (c.style) {
    case 'query':
      checkTemplates([[c.parameter, [...at, 'parameter']], [c.value ?? '{value}', [...at, 'value']]], c.fieldSeparator, Object.keys(c.operators).length, issue, at)
      return
    case 'term':
      if (placeholdersOf(c.parameter).names.length > 0 || c.parameter.includes('{')) issue([...at, 'parameter'], 'is a parameter name: the term is its value')
      if (clientSide === undefined || clientSide === false) issue([...at, 'style'], 'a single-term search needs clientSideFilter: the criteria are applied to what the term finds')
      if (typeof c.withoutTerm === 'object') {
        checkPathTemplate(c.withoutTerm.path, false, [...at, 'withoutTerm', 'path'], issue)
        if (c.withoutTerm.answer !== undefined) {
          const answer = parseDotted(c.withoutTerm.answer)
          if (!answer.ok) issue([...at, 'withoutTerm', 'answer'], answer.reason)
        }
      }
      return
    case 'body': {
      if (!sendsBody) issue([...at, 'style'], 'a body search needs method POST (or PUT, PATCH)')
      const parsed = parseDotted(c.at)
      if (!parsed.ok) issue([...at, 'at'], parsed.reason)
      const texts: [string, NodePath][] = []
      collectTexts(c.criterion, [...at, 'criterion'], texts)
      checkTemplates(texts, c.fieldSeparator, Object.keys(c.operators).length, issue, at, true)
    }
  }
}

function collectTexts(value: unknown, at: NodePath, out: [string, NodePath][]): void {
  if (typeof value === 'string') out.push([value, at])
  else if (Array.isArray(value)) value.forEach((v, i) => collectTexts(v, [...at, i], out))
  else if (isObject(value)) for (const [k, v] of Object.entries(value)) collectTexts(v, [...at, k], out)
}

function checkPaging(p: PagingDefinition, c: CriteriaDefinition, sendsBody: boolean, issue: Issue): void {
  const at: NodePath = ['operations', 'search', 'paging']
  if (p.style === 'none') return
  const inBody = (p.in ?? (c.style === 'body' ? 'body' : 'query')) === 'body'
  if (inBody && !sendsBody) issue([...at, 'in'], 'paging in the body needs method POST')
  const names: [string, string][] =
    p.style === 'offset' ? [['offset', p.offset], ['limit', p.limit]] : p.style === 'page' ? [['page', p.page], ['size', p.size]] : [['cursor', p.cursor], ['limit', p.limit]]
  if (inBody) {
    for (const [key, name] of names) {
      const parsed = parseDotted(name)
      if (!parsed.ok) issue([...at, key], parsed.reason)
    }
  }
  if (p.style === 'cursor') {
    const parsed = parseDotted(p.next)
    if (!parsed.ok) issue([...at, 'next'], parsed.reason)
  }
}

