/**
 * Every answer a test receives must be one the gateway's own OpenAPI document promises.
 *
 * `checkAnswers(app)` (before `app.ready()`) adds an onSend hook that takes each answer of a
 * documented operation — through `app.inject` or real HTTP alike — and checks it against the
 * document the app serves (`app.swagger()`): its status is one the operation declares, its
 * required headers are there and every declared header it carries fits its schema, and its
 * body is what the declared content says (valid against the schema, with Ajv; none where none
 * is declared). Answers of undocumented routes (health, metrics, the 405s of other methods,
 * unknown URLs) are not checked, nor what is written for a POS that has hung up. The violations are collected and thrown when the app closes,
 * so the test that built the app fails at its teardown, naming each one.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Ajv, type ValidateFunction } from 'ajv'
import formats from 'ajv-formats'

type Json = Record<string, any>

export interface AnswerCheck {
  /** What broke the document so far, one line each. */
  readonly violations: string[]
  /** Answers checked against an operation. */
  readonly checked: () => number
}

/** An Ajv that reads OpenAPI 3.0 schemas: `nullable` and the formats known, `example` and other annotations ignored. */
export function openApiAjv(): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true })
  formats.default(ajv)
  return ajv
}

interface Operation {
  readonly id: string
  readonly responses: Readonly<Record<string, Json>>
}

/** Each documented operation by `METHOD fastify-url`, its path resolved against its server. */
export function operationsOf(doc: Json): Map<string, Operation> {
  const out = new Map<string, Operation>()
  const rootServer = (doc['servers']?.[0]?.url as string | undefined) ?? '/'
  for (const [path, item] of Object.entries((doc['paths'] ?? {}) as Record<string, Json>)) {
    for (const [method, op] of Object.entries(item)) {
      if (method === 'servers' || method === 'parameters' || typeof op !== 'object') continue
      const server = (op['servers']?.[0]?.url ?? item['servers']?.[0]?.url ?? rootServer) as string
      const full = `${server.replace(/\/$/, '')}${path}`.replace(/\{([^}]+)\}/g, ':$1')
      out.set(`${method.toUpperCase()} ${full}`, { id: String(op['operationId'] ?? `${method} ${path}`), responses: op['responses'] ?? {} })
    }
  }
  return out
}

export function checkAnswers(app: FastifyInstance): AnswerCheck {
  const violations: string[] = []
  let checked = 0
  let operations: Map<string, Operation> | undefined
  const ajv = openApiAjv()
  const validators = new Map<Json, ValidateFunction>()
  const validator = (schema: Json): ValidateFunction => {
    let v = validators.get(schema)
    if (!v) validators.set(schema, (v = ajv.compile(schema)))
    return v
  }

  const check = (request: FastifyRequest, reply: FastifyReply, payload: unknown): void => {
    if (!app.hasDecorator('swagger')) return
    operations ??= operationsOf(app.swagger())
    const op = operations.get(`${request.method} ${request.routeOptions.url ?? ''}`)
    if (!op) return
    // A POS that hung up receives nothing: what is written for it (499, CLIENT_CLOSED_REQUEST) is no answer.
    if (reply.statusCode === 499 || request.raw.destroyed || reply.raw.destroyed) return
    checked++
    const status = reply.statusCode
    const where = `${op.id} ${request.method} ${request.url.slice(0, 120)} → ${status}`
    const response = op.responses[String(status)] ?? op.responses['default']
    if (!response) {
      violations.push(`${where}: status ${status} is not in the document (${Object.keys(op.responses).join(', ')})`)
      return
    }
    for (const [name, header] of Object.entries((response['headers'] ?? {}) as Record<string, Json>)) {
      // `required: true` in a header's schema (where @fastify/swagger leaves it) means the header's.
      const { required: flag, ...schema } = (header['schema'] ?? {}) as Json
      const value = reply.getHeader(name.toLowerCase())
      if (value === undefined) {
        if (header['required'] === true || flag === true) violations.push(`${where}: required header ${name} missing`)
        continue
      }
      const text = String(value)
      const typed = schema['type'] === 'integer' || schema['type'] === 'number' ? (/^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text) : text
      const v = validator(schema)
      if (!v(typed)) violations.push(`${where}: header ${name}: ${text}: ${ajv.errorsText(v.errors)}`)
    }
    const content = response['content'] as Record<string, Json> | undefined
    const raw = payload === undefined || payload === null ? '' : Buffer.isBuffer(payload) ? payload.toString('utf8') : typeof payload === 'string' ? payload : undefined
    if (raw === undefined) {
      violations.push(`${where}: a body that is neither text nor bytes (a stream?) cannot be checked`)
      return
    }
    if (!content) {
      if (raw !== '') violations.push(`${where}: the document declares no body, the answer has one: ${raw.slice(0, 120)}`)
      return
    }
    const type = String(reply.getHeader('content-type') ?? '').split(';')[0]!.trim().toLowerCase()
    const media = content[type]
    if (!media) {
      violations.push(`${where}: content type "${type}" is not declared (${Object.keys(content).join(', ')})`)
      return
    }
    let body: unknown
    try {
      body = JSON.parse(raw)
    } catch {
      violations.push(`${where}: the body is not JSON: ${raw.slice(0, 120)}`)
      return
    }
    const v = validator((media['schema'] ?? {}) as Json)
    if (!v(body)) violations.push(`${where}: ${ajv.errorsText(v.errors, { separator: '; ' })} in ${raw.slice(0, 200)}`)
  }

  app.addHook('onSend', (request, reply, payload, done) => {
    try {
      check(request, reply, payload)
    } catch (err) {
      violations.push(`checking ${request.method} ${request.url}: ${(err as Error).message}`)
    }
    done(null, payload)
  })
  app.addHook('onClose', async () => {
    if (violations.length === 0) return
    const shown = violations.slice(0, 20).join('\n  ')
    const more = violations.length > 20 ? `\n  … and ${violations.length - 20} more` : ''
    throw new Error(`${violations.length} answer(s) break the OpenAPI document:\n  ${shown}${more}`)
  })
  return { violations, checked: () => checked }
}
