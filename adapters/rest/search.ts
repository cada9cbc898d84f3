/**
 * The port's search criteria in the CRM's words, as `operations.search.criteria` declares
 * them, and — for CRMs that cannot put every criterion (single-term search, one field per
 * parameter) — the port's own comparison, applied here to what the CRM answers.
 *
 * Styles:
 * - `query`: one query parameter per criterion, `parameter` = `value`, both templates over
 *   {field} (a criterion's one field), {fields} (its fields joined by `fieldSeparator`: the CRM
 *   ORs them), {operator} (the CRM's word for the operator), {value}, {international};
 * - `body`: the same, as a list of JSON objects (`criterion`) at `at` in the request body; a
 *   text that is exactly "{fields}" becomes the list of field names;
 * - `term`: one free-text parameter; the most selective criterion's value is sent (one the CRM
 *   takes: long enough, of a term operator) and every criterion is applied here
 *   (clientSideFilter). With none, every record is read — through the search itself, or the list
 *   endpoint the definition names — or the search is refused when the CRM requires a term.
 *
 * Values are raw user input: in a query they are URL-encoded by URLSearchParams, in a body they
 * are JSON strings; the CRM's filter language itself has no escaping in this adapter, so a
 * template must put the value where the language takes "the rest" (as the demo CRM's
 * `FIELDS:OP:VALUE` does). Field names come from the mapping table and must match
 * `fieldPattern`: a name that could change the query is `misconfigured`, never sent. A `term`
 * search spells no field name into its request, so there the names need only be the table's
 * paths (keys, positions, quoted keys), which the comparison here reads — a key after a list in
 * each of its items (`emails.value`).
 */
import { CrmFailure } from '../../src/core/port.js'
import type { CrmCriterion, CrmRecord, SearchOperator } from '../../src/core/port.js'
import type { CriteriaDefinition, SearchDefinition } from './definition.js'
import { parsePath } from '../../src/mapping/paths.js'
import type { Segment } from '../../src/mapping/paths.js'
import { dotted, fillTemplate, placeholdersOf } from './paths.js'
import type { DottedPath } from './paths.js'

/** Default `fieldPattern`: names and dotted paths of letters, digits and underscores. */
export const DEFAULT_FIELD_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*$'

/** What a search sends for its criteria, and what is left to check here. */
export interface CriteriaPlan {
  /** Query parameters (styles `query`, `term`). */
  readonly params: readonly (readonly [string, string])[]
  /** Style `body`: the list of criteria, and where it goes in the request body. */
  readonly body: { readonly at: DottedPath; readonly list: readonly unknown[] } | undefined
  /** Whether the records answered must be filtered here (then by every criterion). */
  readonly local: boolean
  /** Style `term` with no criterion fit for the term: every record is read (`withoutTerm`). */
  readonly everyRecord?: boolean
}

/** Most selective first: an exact value narrows more than a prefix, a prefix than a part. */
const SELECTIVITY: Readonly<Record<SearchOperator, number>> = { equals: 0, prefix: 1, contains: 2, phone: 3 }

export class CriteriaPlanner {
  readonly #criteria: CriteriaDefinition
  readonly #clientSide: boolean
  readonly #maxCriteria: number | undefined
  readonly #fieldPattern: RegExp
  /** Whether the templates name {field} / {fields}. */
  readonly #usesField: boolean
  readonly #usesFields: boolean

  constructor(search: SearchDefinition) {
    this.#criteria = search.criteria
    this.#clientSide = search.clientSideFilter !== undefined && search.clientSideFilter !== false
    this.#maxCriteria = search.maxCriteria
    this.#fieldPattern = new RegExp(search.fieldPattern ?? DEFAULT_FIELD_PATTERN, 'u')
    const texts = templatesOf(search.criteria)
    const names = new Set(texts.flatMap((t) => placeholdersOf(t).names))
    this.#usesField = names.has('field')
    this.#usesFields = names.has('fields')
  }

  plan(criteria: readonly CrmCriterion[]): CriteriaPlan {
    if (this.#maxCriteria !== undefined && criteria.length > this.#maxCriteria) {
      throw new CrmFailure('unsupported', { detail: `searchCustomers: ${criteria.length} criteria, the CRM takes at most ${this.#maxCriteria}`, reason: 'criteria' })
    }
    const def = this.#criteria
    for (const c of criteria) {
      // A term search spells no field name into its request: its names need only be readable here.
      const spelled = def.style !== 'term'
      if (c.fields.length === 0 || (spelled && !c.fields.every((f) => this.#fieldPattern.test(f))) || (this.#clientSide && !c.fields.every(readable))) {
        // Field names are the table's, not customer data: safe to name in the log detail.
        throw new CrmFailure('misconfigured', {
          detail: `rest: search fields "${c.fields.join('|')}" do not match the definition's fieldPattern, or are not paths of keys and positions (check the mapping table)`
        })
      }
    }
    if (def.style === 'term') return this.#term(def, criteria)
    const sent = criteria.filter((c) => this.#expressible(c))
    const local = sent.length < criteria.length
    if (local && !this.#clientSide) {
      const c = criteria.find((x) => !this.#expressible(x))
      throw new CrmFailure('unsupported', {
        detail: `searchCustomers: the CRM cannot compare ${c?.fields.join('|') ?? ''} with ${c?.operator ?? ''}`,
        reason: 'criteria',
        ...(c?.fields[0] === undefined ? {} : { field: c.fields[0] })
      })
    }
    if (def.style === 'query') {
      const params = sent.map((c): [string, string] => {
        const values = this.#values(c, def.operators, def.fieldSeparator)
        return [fillTemplate(def.parameter, values), fillTemplate(def.value ?? '{value}', values)]
      })
      return { params, body: undefined, local: this.#clientSide }
    }
    const list = sent.map((c) => fillJson(def.criterion, this.#values(c, def.operators, def.fieldSeparator), c.fields))
    return { params: [], body: { at: dotted(def.at), list }, local: this.#clientSide }
  }

  /** Whether the CRM can take `c` as declared: its operator, and its fields in one parameter. */
  #expressible(c: CrmCriterion): boolean {
    const def = this.#criteria
    if (def.style === 'term') return false
    if (def.operators[c.operator] === undefined) return false
    return c.fields.length === 1 || (this.#usesFields && !this.#usesField)
  }

  #values(c: CrmCriterion, operators: Partial<Record<SearchOperator, string>>, separator: string | undefined): Record<string, string> {
    return {
      field: c.fields[0] ?? '',
      fields: c.fields.join(separator ?? ''),
      operator: operators[c.operator] ?? '',
      value: c.value,
      international: c.international ?? c.value
    }
  }

  /**
   * One criterion's value as the term: of a term operator, at least `minLength` long (white
   * space trimmed), the most selective, then the longest.
   */
  #term(def: Extract<CriteriaDefinition, { style: 'term' }>, criteria: readonly CrmCriterion[]): CriteriaPlan {
    const allowed = new Set<SearchOperator>(def.operators ?? ['equals', 'prefix', 'contains'])
    const minLength = def.minLength ?? 1
    const best = criteria
      .filter((c) => allowed.has(c.operator) && c.value.trim().length >= minLength)
      .sort((a, b) => SELECTIVITY[a.operator] - SELECTIVITY[b.operator] || b.value.length - a.value.length)[0]
    if (best !== undefined) return { params: [[def.parameter, best.value]], body: undefined, local: true }
    if (def.withoutTerm === 'refuse') {
      // The CRM requires a term, and no value is one it takes: refused, never sent.
      throw new CrmFailure('unsupported', {
        detail: `searchCustomers: no criterion can be the search term (the CRM needs ${minLength} character(s) or more)`,
        reason: 'value',
        ...(criteria[0]?.fields[0] === undefined ? {} : { field: criteria[0].fields[0] })
      })
    }
    // No criterion fits the term: every record is read (within clientSideFilter.maxRecords).
    return { params: [], body: undefined, local: true, everyRecord: true }
  }
}

function templatesOf(c: CriteriaDefinition): string[] {
  if (c.style === 'query') return [c.parameter, c.value ?? '{value}']
  if (c.style === 'term') return []
  const out: string[] = []
  const walk = (v: unknown): void => {
    if (typeof v === 'string') out.push(v)
    else if (Array.isArray(v)) v.forEach(walk)
    else if (typeof v === 'object' && v !== null) Object.values(v).forEach(walk)
  }
  walk(c.criterion)
  return out
}

/** A JSON template with its texts filled; a text that is exactly "{fields}" becomes the list. */
function fillJson(template: unknown, values: Readonly<Record<string, string>>, fields: readonly string[]): unknown {
  if (typeof template === 'string') return template === '{fields}' ? [...fields] : fillTemplate(template, values)
  if (Array.isArray(template)) return template.map((v) => fillJson(v, values, fields))
  if (typeof template === 'object' && template !== null) {
    return Object.fromEntries(Object.entries(template).map(([k, v]) => [k, fillJson(v, values, fields)]))
  }
  return template
}

// ---------------------------------------------------------------------------------------------
// The port's comparison, applied here (src/core/port.ts, SearchOperator)

const digits = (s: string): string => s.replace(/\D/g, '')

function fieldMatches(raw: unknown, c: CrmCriterion): boolean {
  // Numbers compare as their decimal text; objects, lists and absent fields never match.
  if (typeof raw !== 'string' && typeof raw !== 'number') return false
  const text = String(raw)
  switch (c.operator) {
    case 'equals':
      return text.toLowerCase() === c.value.toLowerCase()
    case 'prefix':
      return text.toLowerCase().startsWith(c.value.toLowerCase())
    case 'contains':
      return text.toLowerCase().includes(c.value.toLowerCase())
    case 'phone': {
      // The field's digits, all else ignored, end with the national number: `(415) 555-0177`
      // and `+1 415 555 0177` are found by `4155550177`. A value without digits finds nothing.
      const wanted = digits(c.value)
      return wanted !== '' && digits(text).endsWith(wanted)
    }
  }
}

/** Whether the comparison here can read a field: a path of the table's syntax, keys and positions. */
const readable = (field: string): boolean => {
  const parsed = parsePath(field)
  return parsed.ok && parsed.path.segments.every((s) => typeof s === 'string' || typeof s === 'number')
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * The values at a path: own keys of objects, positions of lists; a key after a list is read in
 * each of its items (`emails.value`: every e-mail's value), so a criterion on it matches when
 * one item does.
 */
function valuesAt(value: unknown, segments: readonly Segment[], from = 0): unknown[] {
  if (from === segments.length) return [value]
  const seg = segments[from]
  if (typeof seg === 'number') return Array.isArray(value) ? valuesAt(value[seg], segments, from + 1) : []
  if (typeof seg !== 'string') return []
  if (Array.isArray(value)) return value.flatMap((item) => (isPlainObject(item) ? valuesAt(item, segments, from) : []))
  return isPlainObject(value) && Object.hasOwn(value, seg) ? valuesAt(value[seg], segments, from + 1) : []
}

/**
 * A test of the port's criteria on records (a criterion: any of its fields; criteria ANDed).
 * Fields are the table's paths (src/mapping/paths.ts: keys, positions, quoted keys such as
 * `custom_fields."Loyalty #"`), read by `valuesAt`.
 */
export function matcher(criteria: readonly CrmCriterion[]): (record: CrmRecord) => boolean {
  const parsed = criteria.map((c) => ({
    c,
    paths: c.fields.flatMap((f): (readonly Segment[])[] => {
      const p = parsePath(f)
      return p.ok ? [p.path.segments] : []
    })
  }))
  return (record) => parsed.every(({ c, paths }) => paths.some((segments) => valuesAt(record, segments).some((v) => fieldMatches(v, c))))
}

/** Whether `record` meets every criterion (a criterion: any of its fields). */
export function matchesAll(record: CrmRecord, criteria: readonly CrmCriterion[]): boolean {
  return matcher(criteria)(record)
}
