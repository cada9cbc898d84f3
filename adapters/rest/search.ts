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
 * - `term`: one free-text parameter; the most selective criterion's value is sent and every
 *   criterion is applied here (clientSideFilter).
 *
 * Values are raw user input: in a query they are URL-encoded by URLSearchParams, in a body they
 * are JSON strings; the CRM's filter language itself has no escaping in this adapter, so a
 * template must put the value where the language takes "the rest" (as the demo CRM's
 * `FIELDS:OP:VALUE` does). Field names come from the mapping table and must match
 * `fieldPattern`: a name that could change the query is `misconfigured`, never sent.
 */
import { CrmFailure } from '../../src/core/port.js'
import type { CrmCriterion, CrmRecord, SearchOperator } from '../../src/core/port.js'
import type { CriteriaDefinition, SearchDefinition } from './definition.js'
import { dotted, fillTemplate, parseDotted, placeholdersOf, readPath } from './paths.js'
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
    for (const c of criteria) {
      if (c.fields.length === 0 || !c.fields.every((f) => this.#fieldPattern.test(f))) {
        // Field names are the table's, not customer data: safe to name in the log detail.
        throw new CrmFailure('misconfigured', { detail: `rest: search fields "${c.fields.join('|')}" do not match the definition's fieldPattern (check the mapping table)` })
      }
    }
    const def = this.#criteria
    if (def.style === 'term') return this.#term(def.parameter, def.operators, criteria)
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

  /** One criterion's value as the term: the most selective, then the longest. */
  #term(parameter: string, operators: readonly SearchOperator[] | undefined, criteria: readonly CrmCriterion[]): CriteriaPlan {
    const allowed = new Set<SearchOperator>(operators ?? ['equals', 'prefix', 'contains'])
    const best = criteria
      .filter((c) => allowed.has(c.operator) && c.value.trim() !== '')
      .sort((a, b) => SELECTIVITY[a.operator] - SELECTIVITY[b.operator] || b.value.length - a.value.length)[0]
    // No criterion fits the term: every record is read (within clientSideFilter.maxRecords).
    return { params: best === undefined ? [] : [[parameter, best.value]], body: undefined, local: true }
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

/** Whether `record` meets every criterion (a criterion: any of its fields). */
export function matchesAll(record: CrmRecord, criteria: readonly CrmCriterion[]): boolean {
  return criteria.every((c) =>
    c.fields.some((f) => {
      const path = parseDotted(f)
      return path.ok && fieldMatches(readPath(record, path.path), c)
    })
  )
}
