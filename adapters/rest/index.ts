/**
 * The declarative REST adapter (`crm.adapter: rest`): the gateway's port (src/core/port.ts)
 * over any "JSON over HTTP" CRM described by a REST definition beside its mapping table
 * (`mappings/<crm>.rest.yaml`, reference: ./README.md). No TypeScript per CRM.
 *
 *   index.ts       the four operations, which answers mean what
 *   settings.ts    `crm.options`: the definition file and the secrets its auth names
 *   definition.ts  the definition's schema and types
 *   validate.ts    reading and checking a definition, problems as file:line:column
 *   auth.ts        API key, bearer, basic, OAuth2 client credentials (token cache, single flight)
 *   request.ts     building and sending one request (path, query, headers, body, 401 once)
 *   answers.ts     reading and checking answers (record, list, total, next cursor, search hits)
 *   search.ts      criteria in the CRM's words; the port's comparison applied here
 *   paging.ts      offset/limit over the CRM's paging style
 *   errors.ts      error answers → the port's failure kinds
 *
 * The definition is read and checked when the adapter is built (at gateway start): an invalid
 * one stops the start naming the file, line and field. Not-found is `null`; every failure is a
 * CrmFailure of the port's kinds.
 */
import type { AdapterFactory, CallContext, CallRates, CrmAdapter, CrmPage, CrmRecord, CrmSearchQuery, UpdateOptions } from '../../src/core/port.js'
import { CrmFailure } from '../../src/core/port.js'
import { checkBaseUrl } from '../shared/http-client.js'
import { badResponse } from '../shared/http-failure.js'
import { isAddressableId } from '../shared/path-segment.js'
import { answerItem, hitId, readItems, RecordReader } from './answers.js'
import type { AnswerPage, PageShape } from './answers.js'
import { createAuthenticator } from './auth.js'
import type { OperationName, RestDefinition } from './definition.js'
import { errorMapper } from './errors.js'
import { fetchWindow, maxWindowOf, scan } from './paging.js'
import type { PagingArgs } from './paging.js'
import { dotted, fillTemplate, readPath, writePath, wrapAt } from './paths.js'
import { entriesOf, fillPath, RestTransport } from './request.js'
import { CriteriaPlanner, matcher } from './search.js'
import type { CriteriaPlan } from './search.js'
import { definitionFileOf, REST_ADAPTER, secretsOf } from './settings.js'
import { loadRestDefinition } from './validate.js'

export { REST_ADAPTER } from './settings.js'
export { checkRestDefinition, loadRestDefinition, RestDefinitionError } from './validate.js'

/** Default `clientSideFilter.maxRecords`: records read from the CRM for one search at most. */
export const DEFAULT_MAX_RECORDS = 500

/** Full records of search hits read at once with `hits.read: get` (one call each). */
const GET_HITS_AT_ONCE = 4

/** A version that can travel in a header. */
const VERSION_TEXT = /^[\x21-\x7e]{1,256}$/

const OPS = { get: 'getCustomer', create: 'createCustomer', update: 'updateCustomer', search: 'searchCustomers' } as const satisfies Record<OperationName, keyof CallRates>

/** The operations' declared rates (`rate`), as the port's `callRates`; undefined when none is. */
function callRatesOf(definition: RestDefinition): CallRates | undefined {
  const rates: { -readonly [K in keyof CallRates]: CallRates[K] } = {}
  for (const name of ['get', 'create', 'update', 'search'] as const) {
    const rate = definition.operations[name].rate
    if (rate !== undefined) rates[OPS[name]] = { calls: rate.calls, perMs: rate.perSeconds * 1000 }
  }
  return Object.keys(rates).length === 0 ? undefined : rates
}

const statusList = (s: number | readonly number[] | undefined, fallback: readonly number[]): readonly number[] =>
  s === undefined ? fallback : typeof s === 'number' ? [s] : s

export const createRestAdapter: AdapterFactory = (options) => {
  const file = definitionFileOf(options.settings)
  checkBaseUrl(options.baseUrl, REST_ADAPTER)
  const definition = loadRestDefinition(file.path, file.shownAs)
  const secrets = secretsOf(definition.auth, options.settings)
  return restAdapter(definition, secrets, options)
}

/** The adapter over an already checked definition. */
export function restAdapter(
  definition: RestDefinition,
  secrets: Readonly<Record<string, string>>,
  options: Parameters<AdapterFactory>[0]
): CrmAdapter {
  const { get, create, update, search } = definition.operations
  const auth = createAuthenticator(definition.auth, secrets, { baseUrl: options.baseUrl, timeoutMs: options.requestTimeoutMs, log: options.log })
  const transport = new RestTransport({ baseUrl: options.baseUrl, timeoutMs: options.requestTimeoutMs, ...(definition.headers === undefined ? {} : { headers: definition.headers }) }, auth)
  const failureOf = errorMapper(definition)
  const reader = new RecordReader(definition.record)
  const planner = new CriteriaPlanner(search)
  const idPattern = definition.record.idPattern === undefined ? undefined : new RegExp(definition.record.idPattern, 'u')
  const version = definition.record.version
  const versionPath = version === undefined ? undefined : dotted(version.field)

  const success = {
    get: statusList(get.status, [200]),
    create: statusList(create.status, [201]),
    update: statusList(update.status, [200]),
    search: statusList(search.status, [200])
  }
  const notFound = { get: statusList(get.notFound, [404]), update: statusList(update.notFound, [404]) }
  const pathOf = (path: string | undefined) => (path === undefined ? undefined : dotted(path))
  const answers = { get: pathOf(get.answer), create: pathOf(create.answer), update: pathOf(update.answer) }
  const bodyPath = { create: pathOf(create.body), update: pathOf(update.body) }
  const shape: PageShape = {
    records: pathOf(search.answer?.records),
    total: pathOf(search.answer?.total),
    next: search.paging.style === 'cursor' ? dotted(search.paging.next) : undefined
  }
  const paging = search.paging
  const pagingInBody = paging.style !== 'none' && (paging.in ?? (search.criteria.style === 'body' ? 'body' : 'query')) === 'body'
  const clientSide = search.clientSideFilter
  const maxRecords = typeof clientSide === 'object' ? clientSide.maxRecords : DEFAULT_MAX_RECORDS
  const hits = search.hits
  const hitIdPath = hits === undefined ? undefined : dotted(hits.id)
  const batch = hits === undefined || hits.read === 'get' ? undefined : hits.read
  const batchAnswer = pathOf(batch?.answer)
  const batchSuccess = statusList(batch?.status, [200])
  // Style `term` without a term: every record read from a list endpoint, when the definition names one.
  const withoutTerm = search.criteria.style === 'term' && typeof search.criteria.withoutTerm === 'object' ? search.criteria.withoutTerm : undefined
  const listShape: PageShape = { ...shape, records: pathOf(withoutTerm?.answer), total: undefined }
  const deleted = definition.record.deletedWhen
  const deletedPath = deleted === undefined ? undefined : dotted(deleted.path)
  /** A record the CRM keeps readable after its deletion (`record.deletedWhen`): gone for the port. */
  const isDeleted = (record: CrmRecord): boolean => deletedPath !== undefined && readPath(record, deletedPath) === deleted?.equals

  /** Ids that cannot be a path segment, or that the definition says no record has: not found, no call. */
  const addressable = (id: string): boolean => isAddressableId(id) && (idPattern === undefined || idPattern.test(id))

  const read = async (id: string, ctx: CallContext): Promise<CrmRecord | null> => {
    const response = await transport.send({ op: OPS.get, method: get.method, path: fillPath(get.path, id), params: entriesOf(get.query) }, ctx)
    if (success.get.includes(response.status)) {
      const record = reader.record(answerItem(response, answers.get, OPS.get), OPS.get)
      return isDeleted(record) ? null : record
    }
    if (notFound.get.includes(response.status)) return null
    throw failureOf(response, 'get', OPS.get)
  }

  /**
   * The full records of search hits (`hits`), in the hits' order: by `get`, a few at a time, or
   * through the batch endpoint, `maxIds` ids a request. A hit whose record the CRM no longer
   * answers (deleted, no longer visible since the search) is left out; a record the CRM answers
   * that was not asked for means the definition misreads the endpoint: a `bad-response`.
   */
  const readHits = async (ids: readonly string[], ctx: CallContext): Promise<CrmRecord[]> => {
    const wanted = [...new Set(ids)]
    // Ids no record can have are not sent (as get would not send them).
    const sendable = wanted.filter(addressable)
    const found = new Map<string, CrmRecord>()
    if (batch === undefined) {
      for (let i = 0; i < sendable.length; i += GET_HITS_AT_ONCE) {
        const some = sendable.slice(i, i + GET_HITS_AT_ONCE)
        const records = await Promise.all(some.map((id) => read(id, ctx)))
        some.forEach((id, j) => {
          const record = records[j]
          if (record !== null && record !== undefined) found.set(id, record)
        })
      }
    } else {
      for (let i = 0; i < sendable.length; i += batch.maxIds) {
        const some = sendable.slice(i, i + batch.maxIds)
        const params: [string, string][] = [...entriesOf(batch.query), [batch.ids, some.join(batch.separator ?? ',')]]
        const response = await transport.send({ op: OPS.search, method: 'GET', path: batch.path, params }, ctx)
        if (!batchSuccess.includes(response.status)) throw failureOf(response, 'search', OPS.search)
        const list = answerItem(response, batchAnswer, OPS.search)
        if (!Array.isArray(list)) badResponse(OPS.search, 'the answer to a read by ids has no list of records where the definition says')
        const asked = new Set(some)
        for (const item of list as unknown[]) {
          const record = reader.record(item, OPS.search)
          const id = String(record[definition.record.id])
          if (!asked.has(id)) badResponse(OPS.search, 'a read by ids answered a record that was not asked for')
          found.set(id, record)
        }
      }
    }
    return wanted.flatMap((id) => {
      const record = found.get(id)
      return record === undefined || isDeleted(record) ? [] : [record]
    })
  }

  /** One search request: the criteria's parameters or body, and the paging's. */
  const fetchPage = (plan: CriteriaPlan, ctx: CallContext) => async (args: PagingArgs): Promise<AnswerPage> => {
    // Every record, from the list endpoint the definition names for a search without a term.
    const list = plan.everyRecord === true ? withoutTerm : undefined
    const params: (readonly [string, string])[] = [...entriesOf(list === undefined ? search.query : list.query), ...plan.params]
    let body: Record<string, unknown> | undefined
    if (search.method !== 'GET' && list === undefined) {
      // The constant members, then the criteria and the paging written into them.
      body = structuredClone(search.body ?? {})
      if (plan.body !== undefined) writePath(body, plan.body.at, plan.body.list)
    }
    for (const [name, value] of args) {
      if (pagingInBody && body !== undefined) writePath(body, dotted(name), value)
      else params.push([name, String(value)])
    }
    const request = list === undefined ? { method: search.method, path: search.path } : { method: 'GET', path: list.path }
    const response = await transport.send({ op: OPS.search, ...request, params, ...(body === undefined ? {} : { body }) }, ctx)
    if (!success.search.includes(response.status)) throw failureOf(response, 'search', OPS.search)
    const { items, ...rest } = readItems(response, list === undefined ? shape : listShape, OPS.search)
    // A list endpoint answers records; a search with `hits` answers summaries, read in full here.
    const records =
      hitIdPath === undefined || list !== undefined
        ? items.map((item) => reader.record(item, OPS.search)).filter((r) => !isDeleted(r))
        : await readHits(items.map((item) => hitId(item, hitIdPath, OPS.search)), ctx)
    return { records, size: items.length, ...rest }
  }

  /**
   * Client-side filtering: the CRM's records read a page at a time (with what criteria it can
   * take), the criteria applied here with the port's comparison, the window cut out of the
   * matches. At most `maxRecords` records are read; a search that would need more is refused,
   * never answered with some of its matches missing.
   */
  const filterHere = async (plan: CriteriaPlan, query: CrmSearchQuery, ctx: CallContext): Promise<CrmPage> => {
    const end = query.offset + query.limit
    if (end > Math.min(maxRecords, maxWindowOf(paging))) {
      throw new CrmFailure('unsupported', { detail: `searchCustomers: offset + limit beyond the ${maxRecords} records searched here`, reason: 'paging', field: 'offset' })
    }
    const matches: CrmRecord[] = []
    const meets = matcher(query.criteria)
    let read = 0
    for await (const { answer, last } of scan(paging, fetchPage(plan, ctx))) {
      read += answer.size
      matches.push(...answer.records.filter(meets))
      const records = matches.slice(query.offset, end)
      if (last) return { records, total: matches.length }
      if (matches.length >= end) return { records }
      if (read >= maxRecords) {
        throw new CrmFailure('unsupported', {
          detail: `searchCustomers: the criteria leave more than ${maxRecords} CRM records to filter (clientSideFilter.maxRecords)`,
          reason: 'criteria'
        })
      }
    }
    // scan() ends on a page marked last: never reached.
    return { records: matches.slice(query.offset, end), total: matches.length }
  }

  const callRates = callRatesOf(definition)
  const adapter: CrmAdapter = {
    name: REST_ADAPTER,
    ...(callRates === undefined ? {} : { callRates }),

    async getCustomer(id: string, ctx: CallContext): Promise<CrmRecord | null> {
      if (!addressable(id)) return null
      return read(id, ctx)
    },

    async searchCustomers(query: CrmSearchQuery, ctx: CallContext): Promise<CrmPage> {
      // Everything refused (too many criteria, a field name, a window too deep) before any call.
      const plan = planner.plan(query.criteria)
      if (plan.local) return filterHere(plan, query, ctx)
      return fetchWindow(paging, fetchPage(plan, ctx), query.offset, query.limit)
    },

    async createCustomer(record: CrmRecord, ctx: CallContext): Promise<CrmRecord> {
      // One request, never repeated here but after a 401 (request.ts): a create is not idempotent.
      const response = await transport.send(
        { op: OPS.create, method: create.method, path: fillPath(create.path), params: entriesOf(create.query), body: wrapAt(bodyPath.create, record) },
        ctx
      )
      if (!success.create.includes(response.status)) throw failureOf(response, 'create', OPS.create)
      const item = answerItem(response, answers.create, OPS.create)
      if (create.readBack !== true) return reader.record(item, OPS.create)
      const id = reader.idOf(item, OPS.create)
      const stored = addressable(id) ? await read(id, ctx) : null
      if (stored === null) throw new CrmFailure('bad-response', { detail: `${OPS.create}: the created record cannot be read back` })
      return stored
    },

    async updateCustomer(id: string, patch: CrmRecord, ctx: CallContext, updateOptions?: UpdateOptions): Promise<CrmRecord | null> {
      if (!addressable(id)) return null
      const headers: Record<string, string> = {}
      if (version !== undefined && updateOptions?.ifMatch !== undefined) {
        headers[version.header ?? 'If-Match'] = fillTemplate(version.format ?? '"{version}"', { version: updateOptions.ifMatch })
      }
      const response = await transport.send(
        { op: OPS.update, method: update.method, path: fillPath(update.path, id), params: entriesOf(update.query), headers, body: wrapAt(bodyPath.update, patch) },
        ctx
      )
      if (notFound.update.includes(response.status)) return null
      if (!success.update.includes(response.status)) throw failureOf(response, 'update', OPS.update)
      if (update.readBack === true) return read(id, ctx)
      const record = reader.record(answerItem(response, answers.update, OPS.update), OPS.update)
      return isDeleted(record) ? null : record
    },

    close(): Promise<void> {
      transport.close()
      return Promise.resolve()
    }
  }
  if (versionPath !== undefined) {
    adapter.versionOf = (record: CrmRecord): string | undefined => {
      const value = readPath(record, versionPath)
      const text = typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value)) ? String(value) : undefined
      // It goes back in a header: only visible ASCII, whatever the CRM wrote there.
      return text !== undefined && VERSION_TEXT.test(text) ? text : undefined
    }
  }
  return adapter
}
