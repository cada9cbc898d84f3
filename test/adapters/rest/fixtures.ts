/**
 * For the rest adapter's tests: a small CRM on 127.0.0.1 whose answers each test writes (every
 * request recorded: method, path, query, headers, body), a generic definition to vary, and the
 * adapter built from a definition's text.
 */
import http from 'node:http'
import { stringify } from 'yaml'
import { restAdapter } from '../../../adapters/rest/index.js'
import { checkRestDefinition } from '../../../adapters/rest/validate.js'
import { formatIssue } from '../../../src/mapping/errors.js'
import type { CallContext, CrmAdapter } from '../../../src/core/port.js'
import { createSilentLogger } from '../../helpers/silent-logger.js'
import type { SilentLogger } from '../../helpers/silent-logger.js'
import { listenOnLoopback } from '../../helpers/loopback-server.js'

interface Teardown {
  teardown(fn: () => unknown): void
}

export interface Recorded {
  readonly method: string
  readonly path: string
  readonly query: URLSearchParams
  readonly headers: http.IncomingHttpHeaders
  /** Parsed JSON when it is some, else the text ('' for none). */
  readonly body: any
}

export interface Answer {
  readonly status: number
  readonly body?: unknown
  readonly headers?: Readonly<Record<string, string>>
  /** Sent as is instead of JSON. */
  readonly raw?: string
}

export type Handler = (req: Recorded) => Answer | Promise<Answer>

export interface TestCrm {
  readonly url: string
  readonly requests: Recorded[]
  answer(handler: Handler): void
}

export const json = (status: number, body: unknown, headers: Record<string, string> = {}): Answer => ({ status, body, headers })

export async function startCrm(t: Teardown, handler: Handler = () => json(404, {})): Promise<TestCrm> {
  let current = handler
  const requests: Recorded[] = []
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8')
      let body: unknown
      try {
        body = text === '' ? '' : JSON.parse(text)
      } catch {
        body = text
      }
      const url = new URL(req.url ?? '/', 'http://x')
      const recorded: Recorded = { method: req.method ?? '', path: url.pathname, query: url.searchParams, headers: req.headers, body }
      requests.push(recorded)
      Promise.resolve(current(recorded)).then(
        (a) => {
          const payload = a.raw ?? (a.body === undefined ? '' : JSON.stringify(a.body))
          res.writeHead(a.status, { ...(a.raw === undefined && a.body !== undefined ? { 'content-type': 'application/json' } : {}), ...a.headers })
          res.end(payload)
        },
        () => {
          res.writeHead(500)
          res.end()
        }
      )
    })
  })
  return { url: await listenOnLoopback(t, server), requests, answer: (h) => (current = h) }
}

/** A generic "JSON over HTTP" CRM: /customers, bearer token, offset paging, query filters. */
export function baseDefinition(): Record<string, any> {
  return {
    version: 1,
    name: 'generic',
    auth: { kind: 'bearer', setting: 'token' },
    record: { id: 'id' },
    operations: {
      get: { method: 'GET', path: '/customers/{id}' },
      create: { method: 'POST', path: '/customers' },
      update: { method: 'PATCH', path: '/customers/{id}' },
      search: {
        method: 'GET',
        path: '/customers',
        answer: { records: 'items', total: 'total' },
        criteria: { style: 'query', parameter: '{field}[{operator}]', operators: { equals: 'eq', prefix: 'sw', contains: 'co', phone: 'phone' } },
        paging: { style: 'offset', offset: 'offset', limit: 'limit', maxLimit: 50 }
      }
    }
  }
}

/** The definition's YAML text. */
export const yamlOf = (definition: unknown): string => stringify(definition)

export function context(log: SilentLogger = createSilentLogger(), signal: AbortSignal = new AbortController().signal): CallContext {
  return { signal, log, requestId: 'req-1' }
}

export interface BuildOptions {
  readonly secrets?: Readonly<Record<string, string>>
  readonly timeoutMs?: number
  readonly log?: SilentLogger
}

/** The adapter over a definition given as an object (checked first: a bad one fails the test). */
export function adapterOver(t: Teardown, baseUrl: string, definition: unknown, options: BuildOptions = {}): CrmAdapter {
  const { definition: checked, issues } = checkRestDefinition(yamlOf(definition), 'test.rest.yaml')
  if (checked === undefined) throw new Error(`test definition invalid:\n${issues.map(formatIssue).join('\n')}`)
  const adapter = restAdapter(checked, options.secrets ?? { token: 'secret-token-1' }, {
    baseUrl,
    settings: {},
    requestTimeoutMs: options.timeoutMs ?? 5000,
    log: options.log ?? createSilentLogger()
  })
  t.teardown(() => adapter.close?.())
  return adapter
}

/** `count` records `{id, name}` with ids c001…, for paging tests. */
export const records = (count: number, extra: (i: number) => Record<string, unknown> = () => ({})): Record<string, unknown>[] =>
  Array.from({ length: count }, (_, i) => ({ id: `c${String(i + 1).padStart(3, '0')}`, name: `Name ${i + 1}`, ...extra(i) }))
