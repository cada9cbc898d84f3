/**
 * Every failure leaves as `{errorCode, errorMessage}` from the catalogue, localized; 401 with
 * an empty body (CONTRACT §5). Fastify's own errors (bad JSON, body too large, wrong content
 * type, schema validation) are translated here, so the POS never sees Fastify's error shape.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { GatewayError, isGatewayError, retryAfterOf } from '../spi/error-catalogue.js'
import { localizeError } from '../spi/localize-error.js'
import type { Reason } from '../spi/messages.js'
import { pickLanguage } from './locale.js'

export function sendError(error: GatewayError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const retryAfter = retryAfterOf(error)
  if (retryAfter !== undefined) reply.header('retry-after', String(retryAfter))
  if (error.status === 401) return reply.code(401).send()
  const lang = pickLanguage(request.headers['accept-language'])
  return reply.code(error.status).type('application/json; charset=utf-8').send(localizeError(error, lang))
}

export function errorHandler(err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const error = toGatewayError(err)
  if (error.status >= 500) {
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
  if (e.statusCode === 413) return new GatewayError('BODY_TOO_LARGE', { cause: err })
  if (e.statusCode === 415) return new GatewayError('UNSUPPORTED_MEDIA_TYPE', { cause: err })
  return new GatewayError('INTERNAL_ERROR', { cause: err })
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
