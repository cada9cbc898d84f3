/**
 * The port's offset/limit over the CRM's paging style (`operations.search.paging`):
 *
 * - `offset` (offset/limit): the window itself, in requests of at most `maxLimit`;
 * - `page` (page/size): one page when the window fits one (a size from `limit` to twice it),
 *   else the pages of `limit` (or `maxSize`) that cover it, the window cut out of them;
 * - `cursor`: pages walked from the first, following the answer's next cursor, up to
 *   `maxWindow` records deep (default 200): a cursor cannot jump to an offset;
 * - `none`: the CRM answers every match at once; the window is cut out of it.
 *
 * `scan` reads the CRM's records from the first, a whole page at a time, for searches filtered
 * here (clientSideFilter). A window beyond `maxWindow` is refused before any call
 * (`unsupported`, reason `paging`, field `offset`).
 */
import { CrmFailure } from '../../src/core/port.js'
import type { CrmPage, CrmRecord } from '../../src/core/port.js'
import { badResponse } from '../shared/http-failure.js'
import type { AnswerPage } from './answers.js'
import type { PagingDefinition } from './definition.js'

/** The paging parameters of one request: name (or body path) → value. */
export type PagingArgs = readonly (readonly [string, string | number])[]
export type FetchPage = (args: PagingArgs) => Promise<AnswerPage>

/** Default depth of cursor paging: walking cursors costs a call per page. */
export const DEFAULT_CURSOR_WINDOW = 200

export function maxWindowOf(paging: PagingDefinition): number {
  return paging.maxWindow ?? (paging.style === 'cursor' ? DEFAULT_CURSOR_WINDOW : Infinity)
}

function checkWindow(paging: PagingDefinition, offset: number, limit: number): void {
  const max = maxWindowOf(paging)
  if (offset + limit > max) {
    throw new CrmFailure('unsupported', { detail: `searchCustomers: offset + limit beyond the CRM's reach (${max})`, reason: 'paging', field: 'offset' })
  }
}

/** The records [offset, offset + limit) of the CRM's answer to the search. */
export async function fetchWindow(paging: PagingDefinition, fetch: FetchPage, offset: number, limit: number): Promise<CrmPage> {
  checkWindow(paging, offset, limit)
  const end = offset + limit
  const records: CrmRecord[] = []
  let total: number | undefined
  const page = (answer: AnswerPage): void => {
    total ??= answer.total
    records.push(...answer.records)
  }
  switch (paging.style) {
    case 'none': {
      const answer = await fetch([])
      return { records: answer.records.slice(offset, end), total: answer.total ?? answer.records.length }
    }
    case 'offset': {
      for (let at = offset; at < end; ) {
        const size = Math.min(paging.maxLimit, end - at)
        const answer = await fetch([[paging.offset, at], [paging.limit, size]])
        page({ ...answer, records: answer.records.slice(0, size) })
        if (answer.size < size) break
        at += size
      }
      return withTotal(records.slice(0, limit), total)
    }
    case 'page': {
      const first = paging.firstPage ?? 1
      const plan = planPages(offset, limit, paging.maxSize)
      for (const { index, size } of plan.pages) {
        const answer = await fetch([[paging.page, index + first], [paging.size, size]])
        page(answer)
        if (answer.size < size) break // the last page: nothing after it
      }
      return withTotal(records.slice(plan.skip, plan.skip + limit), total)
    }
    case 'cursor': {
      const size = Math.min(paging.maxLimit, end)
      for await (const { answer } of walkCursor(paging, fetch, size)) {
        page(answer)
        if (records.length >= end) break
      }
      return withTotal(records.slice(offset, end), total)
    }
  }
}

const withTotal = (records: CrmRecord[], total: number | undefined): CrmPage => (total === undefined ? { records } : { records, total })

/** One page of a scan, and whether the CRM has more after it. */
export interface ScannedPage {
  readonly answer: AnswerPage
  readonly last: boolean
}

/** The CRM's records from the first, one whole (largest) page at a time. */
export async function* scan(paging: PagingDefinition, fetch: FetchPage): AsyncGenerator<ScannedPage> {
  switch (paging.style) {
    case 'none':
      yield { answer: await fetch([]), last: true }
      return
    case 'offset':
      for (let at = 0; ; at += paging.maxLimit) {
        const answer = await fetch([[paging.offset, at], [paging.limit, paging.maxLimit]])
        const last = answer.size < paging.maxLimit
        yield { answer, last }
        if (last) return
      }
    case 'page':
      for (let index = 0; ; index++) {
        const answer = await fetch([[paging.page, index + (paging.firstPage ?? 1)], [paging.size, paging.maxSize]])
        const last = answer.size < paging.maxSize
        yield { answer, last }
        if (last) return
      }
    case 'cursor':
      yield* walkCursor(paging, fetch, paging.maxLimit)
  }
}

/** Cursor pages from the first, until the answer gives no next cursor (or an empty page). */
async function* walkCursor(paging: Extract<PagingDefinition, { style: 'cursor' }>, fetch: FetchPage, size: number): AsyncGenerator<ScannedPage> {
  const seen = new Set<string>()
  let cursor: string | undefined
  for (;;) {
    const answer = await fetch(cursor === undefined ? [[paging.limit, size]] : [[paging.cursor, cursor], [paging.limit, size]])
    const last = answer.next === undefined || answer.size === 0
    yield { answer, last }
    if (last || answer.next === undefined) return
    // A cursor given twice would page forever: not an answer the CRM's paging promises.
    if (seen.has(answer.next)) return badResponse('searchCustomers', 'the CRM gave the same next cursor twice')
    seen.add(answer.next)
    cursor = answer.next
  }
}

/** The CRM pages to fetch for a window of records, and where the window starts in them. */
export interface PagePlan {
  /** 0-based page indexes and their size. */
  readonly pages: readonly { readonly index: number; readonly size: number }[]
  /** Records to drop from the start of the concatenated pages. */
  readonly skip: number
}

/**
 * The port's offset/limit over page/size:
 * - offset a multiple of limit (and limit within maxSize): exactly that page;
 * - else one larger page holding the whole window, when there is one no bigger than two pages'
 *   worth (one round trip, no more data than the fallback);
 * - else the pages of min(limit, maxSize) records that cover the window.
 */
export function planPages(offset: number, limit: number, maxSize: number): PagePlan {
  if (limit <= maxSize && offset % limit === 0) return { pages: [{ index: offset / limit, size: limit }], skip: 0 }
  const last = offset + limit - 1
  for (let size = limit + 1; size <= Math.min(2 * limit, maxSize); size++) {
    const index = Math.floor(offset / size)
    if (Math.floor(last / size) === index) return { pages: [{ index, size }], skip: offset - index * size }
  }
  const size = Math.min(limit, maxSize)
  const first = Math.floor(offset / size)
  const pages = []
  for (let index = first; index <= Math.floor(last / size); index++) pages.push({ index, size })
  return { pages, skip: offset - first * size }
}
