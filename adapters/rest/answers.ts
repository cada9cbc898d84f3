/**
 * Reading the CRM's answers as the definition declares them, and checking them: a success
 * status whose body is not the documented envelope (not JSON, no record where `answer` points,
 * no list where `records` points, a record without its id) is a `bad-response`, never a record.
 * Only what the adapter relies on is checked, so fields the CRM adds never break it.
 */
import type { AxiosResponse } from 'axios'
import type { CrmRecord } from '../../src/core/port.js'
import { badResponse, parseJsonBody } from '../shared/http-failure.js'
import type { RecordDefinition } from './definition.js'
import { dotted, readPath } from './paths.js'
import type { DottedPath } from './paths.js'

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

const isId = (v: unknown): v is string | number => (typeof v === 'string' && v !== '') || (typeof v === 'number' && Number.isFinite(v))

/** How an answer item (a contact in an answer) becomes a record of the CRM's fields. */
export class RecordReader {
  readonly #id: string
  readonly #fields: DottedPath | undefined
  readonly #idFrom: DottedPath | undefined

  constructor(record: RecordDefinition) {
    this.#id = record.id
    this.#fields = record.fields === undefined ? undefined : dotted(record.fields)
    this.#idFrom = record.idFrom === undefined ? undefined : dotted(record.idFrom)
  }

  /** The record an answer item holds: its fields, with the id among them. */
  record(item: unknown, op: string): CrmRecord {
    if (!isPlainObject(item)) return badResponse(op, 'a record in the answer is not an object')
    const fields = this.#fields === undefined ? item : readPath(item, this.#fields)
    if (!isPlainObject(fields)) return badResponse(op, 'a record in the answer has no fields object where the definition says')
    const record: CrmRecord = { ...fields }
    if (this.#idFrom !== undefined) {
      const id = readPath(item, this.#idFrom)
      if (!isId(id)) return badResponse(op, 'a record in the answer has no id where the definition says')
      record[this.#id] = typeof id === 'number' ? String(id) : id
    }
    if (!isId(record[this.#id])) return badResponse(op, `a record in the answer has no ${this.#id}`)
    return record
  }

  /** The id of an answer item (a create answered with the id only, read back afterwards). */
  idOf(item: unknown, op: string): string {
    const id =
      this.#idFrom !== undefined
        ? readPath(item, this.#idFrom)
        : readPath(this.#fields === undefined ? item : readPath(item, this.#fields), [this.#id])
    if (!isId(id)) return badResponse(op, 'the answer has no id where the definition says')
    return String(id)
  }
}

/** The item at `path` of a JSON answer (the body itself without a path). */
export function answerItem(response: AxiosResponse<string>, path: DottedPath | undefined, op: string): unknown {
  const body = parseJsonBody(response, op)
  return path === undefined ? body : readPath(body, path)
}

export interface AnswerPage {
  readonly records: readonly CrmRecord[]
  /** How many items the CRM's page held (its records, or its hits before they were read). */
  readonly size: number
  readonly total?: number
  /** The next page's cursor (cursor paging); undefined on the last page. */
  readonly next?: string
}

export interface PageShape {
  readonly records: DottedPath | undefined
  readonly total: DottedPath | undefined
  readonly next: DottedPath | undefined
}

/** A search answer's items (records or hits), the total and the next cursor where declared. */
export interface AnswerItems {
  readonly items: readonly unknown[]
  readonly total?: number
  readonly next?: string
}

/** A search (or list) answer: the list of items, the total and the next cursor where declared. */
export function readItems(response: AxiosResponse<string>, shape: PageShape, op: string): AnswerItems {
  const body = parseJsonBody(response, op)
  const list = shape.records === undefined ? body : readPath(body, shape.records)
  if (!Array.isArray(list)) return badResponse(op, 'the answer has no list of records where the definition says')
  let total: number | undefined
  if (shape.total !== undefined) {
    const value = readPath(body, shape.total)
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) return badResponse(op, 'the answer has no total where the definition says')
    total = value
  }
  let next: string | undefined
  if (shape.next !== undefined) {
    const value = readPath(body, shape.next)
    if (typeof value === 'string' && value !== '') next = value
    else if (typeof value === 'number' && Number.isFinite(value)) next = String(value)
    else if (value !== undefined && value !== null && value !== '') return badResponse(op, 'the next cursor in the answer is neither text nor a number')
  }
  return { items: list as unknown[], ...(total === undefined ? {} : { total }), ...(next === undefined ? {} : { next }) }
}

/** The record id of a search hit, at `path` of the hit. */
export function hitId(item: unknown, path: DottedPath, op: string): string {
  const id = readPath(item, path)
  if (!isId(id)) return badResponse(op, 'a search hit has no id where the definition says')
  return String(id)
}
