/**
 * Every failure leaves as `{errorCode, errorMessage}` from the catalogue, localized; 401 with
 * an empty body (CONTRACT §5). Fastify's own errors (bad JSON, body too large, wrong content
 * type, schema validation) are translated here, so the POS never sees Fastify's error shape;
 * so is any other error carrying a 4xx `statusCode` (a plugin's: the docs' static files refuse
 * a path, a Range, an If-Match): it stays that 4xx, under its catalogue code (STATUS_CODES),
 * and is logged as a refusal — only a 5xx is logged at error level.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { GatewayError, isGatewayError, retryAfterOf, type ErrorCode } from '../spi/error-catalogue.js'
import { localizeError } from '../spi/localize-error.js'
import type { Reason } from '../spi/messages.js'
import { pickLanguage } from './locale.js'
import { requestSpan } from './request-spans.js'

export function sendError(error: GatewayError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error.refusal) request.refused = true
  const retryAfter = retryAfterOf(error)
  if (retryAfter !== undefined) reply.header('retry-after', String(retryAfter))
  requestSpan(request)?.setAttribute('error.type', error.code)
  if (error.status === 401) return reply.code(401).send()
  const lang = pickLanguage(request.headers['accept-language'])
  return reply.code(error.status).type('application/json; charset=utf-8').send(localizeError(error, lang))
}

export function errorHandler(err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const error = toGatewayError(err)
  // A value the mapping table refused: the row's SPI field (never the value) on the trace.
  const field = (err as { field?: unknown }).field
  if (err.name === 'MappingValueError' && typeof field === 'string') requestSpan(request)?.addEvent('mapping.value_refused', { 'mapping.field': field })
  if (error.refusal) {
    // An open circuit or a throttle answers every call at once: one line (and stack) each would
    // cost the refusal path about a tenth of its CPU (BENCHMARKS.md, change 13) and say nothing
    // new; the breaker's opening is logged once, and the metrics count every refusal.
    request.log.debug({ errorCode: error.code, status: error.status }, 'request refused')
  } else if (error.status >= 500) {
    // The POS gets a plain message; the log gets the cause (never the request body).
    request.log.error({ err, errorCode: error.code }, 'request failed')
  } else {
    request.log.info({ errorCode: error.code, status: error.status }, 'request refused')
  }
  return sendError(error, request, reply)
}

export function toGatewayError(err: unknown): GatewayError {
  if (isGatewayError(err)) return err
  const e = err as Partial<FastifyError> & { name?: string; field?: string; reason?: string }
  if (e.validation && e.validation.length > 0) {
    const first = e.validation[0]!
    return new GatewayError('INVALID_REQUEST', { params: validationParams(first, e.validationContext) })
  }
  if (e.name === 'MappingValueError' && typeof e.field === 'string') {
    return new GatewayError('INVALID_REQUEST', { params: { field: e.field, reason: 'invalid' }, cause: err })
  }
  switch (e.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new GatewayError('MALFORMED_JSON', { cause: err })
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new GatewayError('BODY_TOO_LARGE', { cause: err })
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new GatewayError('UNSUPPORTED_MEDIA_TYPE', { cause: err })
  }
  if (e.name === 'SyntaxError' && e.statusCode === 400) return new GatewayError('MALFORMED_JSON', { cause: err })
  const status = typeof e.statusCode === 'number' ? e.statusCode : undefined
  if (status !== undefined && status >= 400 && status < 500) {
    return new GatewayError(STATUS_CODES[status] ?? 'BAD_REQUEST', { cause: err })
  }
  return new GatewayError('INTERNAL_ERROR', { cause: err })
}

/**
 * The catalogue code of a 4xx raised by Fastify or a plugin without a code of ours. A 4xx the
 * catalogue has no code for is answered 400 BAD_REQUEST: still the caller's error, still the
 * contract's shape, never a 500.
 */
const STATUS_CODES: Readonly<Partial<Record<number, ErrorCode>>> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'ROUTE_NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  408: 'REQUEST_TIMEOUT',
  412: 'PRECONDITION_FAILED',
  413: 'BODY_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  416: 'RANGE_NOT_SATISFIABLE',
  429: 'RATE_LIMITED',
  431: 'HEADERS_TOO_LARGE'
}

interface ValidationIssue {
  instancePath: string
  keyword: string
  params: Record<string, unknown>
}

const TYPE_REASONS: Readonly<Record<string, Reason>> = {
  string: 'string', boolean: 'boolean', integer: 'integer', number: 'number', object: 'object', array: 'array'
}

function validationParams(issue: ValidationIssue, context: string | undefined): { field: string; reason: Reason } {
  let field = issue.instancePath.slice(1).replaceAll('/', '.')
  if (issue.keyword === 'required' && typeof issue.params['missingProperty'] === 'string') {
    field = field ? `${field}.${issue.params['missingProperty']}` : issue.params['missingProperty']
  }
  if (!field) field = context ?? 'body'
  let reason: Reason = 'invalid'
  if (issue.keyword === 'type') reason = TYPE_REASONS[String(issue.params['type']).split(',')[0] ?? ''] ?? 'invalid'
  else if (issue.keyword === 'required') reason = 'required'
  else if (issue.keyword === 'maxLength' || issue.keyword === 'maxItems') reason = 'tooLong'
  else if (issue.keyword === 'pattern' || issue.keyword === 'format') reason = 'format'
  else if (issue.keyword === 'anyOf' && field.endsWith('birthday')) reason = 'date'
  return { field, reason }
}
