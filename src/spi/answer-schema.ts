/**
 * Schemas of the answers, for the OpenAPI document and for Fastify's schema-driven serializer:
 * the customer (its envelope is configuration, CONTRACT §2, so the schema is chosen per
 * config), and every error status with what it means and the headers it carries (§5).
 *
 * Response headers are written as @fastify/swagger reads them (`headers` beside the body
 * schema; the serializer ignores them); `required: true` on one is lifted to the OpenAPI
 * header object by the docs (routes/docs.ts).
 */
import { Type, type TSchema } from 'typebox'
import { CustomerAnswerSchema } from './customer-schema.js'
import type { Envelope } from './envelope.js'
import { GatewayError, type ErrorCode, type ErrorParams } from './error-catalogue.js'
import { localizeError } from './localize-error.js'

/** `{errorCode, errorMessage}`: every error's body but 401's (which has none). */
const errorProperties = {
  errorCode: Type.String({ description: 'stable code from the error catalogue (CONTRACT §5)' }),
  errorMessage: Type.String({ description: 'short text for the associate, localized from Accept-Language' })
}

/** Seconds before trying again: 429 and 503 always carry it (CONTRACT §5). */
const RETRY_AFTER_HEADER = {
  type: 'integer',
  minimum: 0,
  description: 'seconds to wait before trying again (capped at resilience.maxRetryAfterSeconds when the wait is the CRM’s)',
  required: true
} as const

const ERROR_STATUS = {
  400: 'The request is wrong: the message names the field and why (INVALID_REQUEST, BAD_REQUEST, MALFORMED_JSON, CUSTOMER_ID_REQUIRED, CUSTOMER_ID_MISMATCH, INVALID_CUSTOMER_ID, SEARCH_CRITERIA_REQUIRED, SEARCH_PARAMETER_UNSUPPORTED, PAGING_OUT_OF_RANGE, CRM_VALIDATION_FAILED)',
  401: 'Missing or wrong credentials; checked before anything else. The body is empty',
  404: 'No such customer (CUSTOMER_NOT_FOUND)',
  409: 'The CRM refuses a duplicate (DUPLICATE_CUSTOMER), or a concurrent change could not be reconciled (UPDATE_CONFLICT)',
  413: 'The body is over server.bodyLimitBytes (BODY_TOO_LARGE)',
  415: 'A body that is not JSON (UNSUPPORTED_MEDIA_TYPE)',
  422: 'An Idempotency-Key used before with another body (IDEMPOTENCY_KEY_REUSED)',
  429: 'The POS client is over its rate (RATE_LIMITED), the CRM throttles the gateway (CRM_RATE_LIMITED), or the CRM’s allowance is spent (CRM_QUOTA_EXHAUSTED)',
  431: 'The request line and headers are over the server’s limit (HEADERS_TOO_LARGE); answered before the request is read, so before authentication',
  500: 'A fault of the gateway’s own (INTERNAL_ERROR)',
  502: 'The CRM answered with an error or with something its API does not promise (CRM_ERROR, CRM_BAD_RESPONSE)',
  503: 'The CRM cannot be reached, or its circuit is open (CRM_UNAVAILABLE)',
  504: 'The CRM did not answer within the request’s deadline (CRM_TIMEOUT)'
} as const

export type ErrorStatus = keyof typeof ERROR_STATUS

/** Headers each error status carries. */
function errorHeaders(status: ErrorStatus): Record<string, unknown> | undefined {
  switch (status) {
    case 401:
      return {
        'WWW-Authenticate': {
          type: 'string',
          description: 'a challenge per way in the configured clients accept (RFC 9110 §11.6.1), e.g. `APIKey realm="clienteling-gateway", header="x-api-key"`',
          required: true
        }
      }
    case 429:
      return {
        'Retry-After': RETRY_AFTER_HEADER,
        'x-ratelimit-limit': { type: 'integer', minimum: 1, description: 'the client’s requests per window (RATE_LIMITED only)' }
      }
    case 503:
      return { 'Retry-After': RETRY_AFTER_HEADER }
    default:
      return undefined
  }
}

/** The error each status shows as its example, with the catalogue's English message. */
const EXAMPLE_ERROR: Readonly<Record<Exclude<ErrorStatus, 401>, readonly [ErrorCode, ErrorParams?]>> = {
  400: ['INVALID_REQUEST', { field: 'profile.firstName', reason: 'tooLong' }],
  404: ['CUSTOMER_NOT_FOUND'],
  409: ['DUPLICATE_CUSTOMER'],
  413: ['BODY_TOO_LARGE'],
  415: ['UNSUPPORTED_MEDIA_TYPE'],
  422: ['IDEMPOTENCY_KEY_REUSED'],
  429: ['RATE_LIMITED'],
  431: ['HEADERS_TOO_LARGE'],
  500: ['INTERNAL_ERROR'],
  502: ['CRM_ERROR'],
  503: ['CRM_UNAVAILABLE'],
  504: ['CRM_TIMEOUT']
}

/** The response schema of one error status: the error body (401: none), its meaning, its headers. */
export function errorResponse(status: ErrorStatus): TSchema {
  const headers = errorHeaders(status)
  const options = { description: ERROR_STATUS[status], ...(headers ? { headers } : {}) }
  // 401 answers nothing: `type: 'null'` is @fastify/swagger's spelling of "no content".
  if (status === 401) return Type.Null(options)
  const [code, params] = EXAMPLE_ERROR[status]
  const example = localizeError(new GatewayError(code, params ? { params } : {}), 'en')
  return Type.Object(errorProperties, { ...options, required: ['errorCode', 'errorMessage'], examples: [example] })
}

/** Error statuses an operation can answer with (CONTRACT §5), each with its schema. */
export function errorResponses(...statuses: ErrorStatus[]): Record<number, TSchema> {
  return Object.fromEntries(statuses.map((s) => [s, errorResponse(s)]))
}

export function customerAnswerSchema(envelope: Envelope, description: string, headers?: Record<string, unknown>): TSchema {
  const options = { description, ...(headers ? { headers } : {}) }
  return envelope === 'wrapped'
    ? Type.Object({ customer: CustomerAnswerSchema }, { ...options, additionalProperties: false })
    : Type.Object(CustomerAnswerSchema.properties, { ...options, additionalProperties: true })
}

export function customersAnswerSchema(envelope: Envelope): TSchema {
  const list = Type.Array(CustomerAnswerSchema, { description: 'the matches, in the CRM’s order; empty when none' })
  const description = 'The customers matching every criterion'
  return envelope === 'wrapped'
    ? Type.Object({ customers: list }, { description, additionalProperties: false })
    : Type.Array(CustomerAnswerSchema, { description })
}
