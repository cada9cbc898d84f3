/**
 * The four SPI operations (CONTRACT §1). Thin: contract in, service call, envelope out.
 *
 * Each route's schema is what its requests are validated against and its answers serialized
 * with, and what /openapi.json says of it: every status the operation can answer, with its
 * headers. What only the document needs — the body in both envelopes, the vendor scenarios as
 * examples — is added by the route's `swaggerTransform`, never validated against.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest, preValidationHookHandler } from 'fastify'
import type { SwaggerTransform } from '@fastify/swagger'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type, type TSchema } from 'typebox'
import type { CallContext } from '../core/port.js'
import { assertCustomerId, type CustomerService } from '../core/customer-service.js'
import { isPlainObject } from '../core/plain-object.js'
import { customerIdSchema, customerRequestSchema, SEARCH_PARAM_MAX_LENGTH } from '../spi/customer-schema.js'
import { cleanCustomerInput, unwrapCustomer, wrapCustomer, wrapCustomerJson, wrapCustomers, type Envelope } from '../spi/envelope.js'
import { customerAnswerSchema, customersAnswerSchema, errorResponses, type ErrorStatus } from '../spi/answer-schema.js'
import { GatewayError } from '../spi/error-catalogue.js'
import { MAX_LIMIT, MAX_OFFSET, parseSearchQuery, readPagingParams } from '../spi/search-query.js'
import {
  answerExample,
  EXAMPLE_CUSTOMER_ID,
  requestExample,
  searchAnswerExample,
  type ExampleObject,
  type ScenarioName
} from '../spi/examples.js'
import { callContext, posClientOf } from '../http/call-context.js'

export interface CustomerRoutesOptions {
  readonly service: CustomerService
  readonly envelope: Envelope
  readonly searchDefaultLimit: number
  /** Each SPI request's budget for its CRM calls. */
  readonly deadlineMs: number
}

/** Both envelopes in, legacy loyalty name, nulls and forbidden keys out — before validation. */
const normalizeBody: preValidationHookHandler = (request, _reply, done) => {
  request.body = cleanCustomerInput(unwrapCustomer(request.body))
  done()
}

/** The body's `profile.customerId`: undefined when absent, or when the body is no customer object (the schema says so). */
function bodyCustomerId(body: unknown): { readonly shaped: boolean; readonly id?: unknown } {
  if (!isPlainObject(body)) return { shaped: false }
  const profile = body['profile']
  if (profile === undefined) return { shaped: true }
  return isPlainObject(profile) ? { shaped: true, id: profile['customerId'] } : { shaped: false }
}

/**
 * The id rules before the schema's, so each keeps its own code (CUSTOMER_ID_REQUIRED,
 * CUSTOMER_ID_MISMATCH, INVALID_CUSTOMER_ID) rather than a generic INVALID_REQUEST.
 */
const requireBodyId: preValidationHookHandler = (request, _reply, done) => {
  const { shaped, id } = bodyCustomerId(request.body)
  if (!shaped) return done()
  if (id === undefined || id === '') return done(new GatewayError('CUSTOMER_ID_REQUIRED'))
  // Not text: the schema says so (INVALID_REQUEST, profile.customerId must be text).
  if (typeof id !== 'string') return done()
  checked(() => assertCustomerId(id, 'profile.customerId'), done)
}

const pathId = (request: FastifyRequest): string => (request.params as { customerId: string }).customerId

const checkPathId: preValidationHookHandler = (request, _reply, done) => {
  checked(() => assertCustomerId(pathId(request), 'customerId'), done)
}

const checkPathAndBodyIds: preValidationHookHandler = (request, _reply, done) => {
  const { id } = bodyCustomerId(request.body)
  if (id !== undefined && id !== pathId(request)) return done(new GatewayError('CUSTOMER_ID_MISMATCH'))
  checked(() => assertCustomerId(pathId(request), 'customerId'), done)
}

/** limit and offset read as numbers (PAGING_OUT_OF_RANGE naming the parameter) before the schema checks them. */
const readPaging: preValidationHookHandler = (request, _reply, done) => {
  checked(() => readPagingParams(request.query as Record<string, unknown>), done)
}

function checked(check: () => unknown, done: (err?: Error) => void): void {
  try {
    check()
  } catch (err) {
    return done(err as Error)
  }
  done()
}

const CustomerIdParams = Type.Object({
  customerId: customerIdSchema("the CRM's id of the customer: 1 to 128 of A-Z a-z 0-9 . _ ~ : @ -, not dots alone", {
    examples: [EXAMPLE_CUSTOMER_ID]
  })
})

function searchQuerySchema(defaultLimit: number) {
  const text = (maxLength: number, description: string) => Type.Optional(Type.String({ maxLength, description }))
  const m = SEARCH_PARAM_MAX_LENGTH
  return Type.Object(
    {
      firstName: text(m.firstName, 'the first name starts with this, case ignored'),
      lastName: text(m.lastName, 'the last name starts with this, case ignored'),
      email: text(m.email, 'the e-mail address is this, case ignored'),
      phone: text(m.phone, 'profile.phoneMobile, phone or phoneHome is this number (compared as numbers, formatting ignored)'),
      customerId: text(m.customerId, "the CRM's id of the customer"),
      loyaltyId: text(m.loyaltyId, 'the loyalty id'),
      phoneMobile: text(m.phone, 'alias of phone'),
      phoneNumber: text(m.phone, 'alias of phone'),
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LIMIT, default: defaultLimit, description: 'page size' })),
      offset: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_OFFSET, default: 0, description: 'results to skip' }))
    },
    {
      additionalProperties: true,
      description: 'At least one criterion (limit and offset are not criteria); criteria are ANDed; unknown parameters are ignored'
    }
  )
}

/** The body of a create or update as documented: the customer wrapped as {"customer": {…}}, or bare. */
function envelopes(customer: TSchema): TSchema {
  return Type.Union([Type.Object({ customer }, { required: ['customer'], additionalProperties: true }), customer], {
    description:
      'The customer, wrapped as {"customer": {…}} or bare. `null` means "leave as is", "" clears a field (update). ' +
      'Unknown fields pass through to the mapping table. `customerLoyaltyProfile` is read as loyaltyProfile.'
  })
}

const byName = (examples: readonly ExampleObject[], names: readonly ScenarioName[]): Record<string, ExampleObject> =>
  Object.fromEntries(examples.map((e, i) => [`scenario${names[i]!.charAt(0)}`, e]))

/**
 * The route's schema as /openapi.json shows it: the documented body (both envelopes) and
 * the scenarios as examples of its request and of its 200 answer.
 */
function documented(doc: { readonly body?: TSchema; readonly requests?: ScenarioName[]; readonly answers?: Record<string, ExampleObject> }): SwaggerTransform {
  return ({ schema, url }) => {
    const out: Record<string, unknown> = { ...schema }
    if (doc.body) {
      const requests = doc.requests ?? []
      out['body'] = { ...envelopes(doc.body), ...(requests.length ? { 'x-examples': byName(requests.map(requestExample), requests) } : {}) }
    }
    const response = schema.response as Record<number, object> | undefined
    if (doc.answers && response?.[200]) {
      out['response'] = { ...response, 200: { ...response[200], 'x-examples': doc.answers } }
    }
    return { schema: out, url }
  }
}

const UPDATE_SCENARIOS: ScenarioName[] = ['2-update-save-shipping-address', '3-update-profile-address']

/** Statuses every SPI operation can answer: credentials, rate, the gateway's own fault, the CRM's state. */
const ALWAYS: readonly ErrorStatus[] = [400, 401, 429, 431, 500, 502, 503, 504]
/** And those of an operation with a JSON body. */
const WITH_BODY: readonly ErrorStatus[] = [413, 415]

export const customerRoutes: FastifyPluginAsync<CustomerRoutesOptions> = async (fastify, opts) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const { service, envelope, deadlineMs } = opts
  const context = (request: FastifyRequest, reply: FastifyReply): CallContext => callContext(request, reply, deadlineMs)
  const idempotencyHeader = Type.Object(
    { 'idempotency-key': Type.Optional(Type.String({ maxLength: 200, description: 'a repeated create with this key answers the first result' })) },
    { additionalProperties: true }
  )
  const answers = (names: readonly ScenarioName[]): Record<string, ExampleObject> =>
    byName(names.map((n) => answerExample(n, envelope)), names)

  const createBody = customerRequestSchema('create')
  app.post(
    '/customers',
    {
      preValidation: normalizeBody,
      config: { swaggerTransform: documented({ body: createBody, requests: ['1-create-with-loyalty'], answers: answers(['1-create-with-loyalty']) }) },
      schema: {
        operationId: 'CREATE_CUSTOMER',
        summary: 'Create a customer',
        description:
          'The CRM assigns profile.customerId. A profile address is also the first saved address; consents.loyaltySignUp: true ' +
          'gives the customer a loyalty profile. The same create again within idempotency.createWindowSeconds (same ' +
          'Idempotency-Key, or same body, from the same client) answers the first customer and creates nothing.',
        tags: ['SPI'],
        headers: idempotencyHeader,
        body: createBody,
        response: {
          200: customerAnswerSchema(envelope, 'The customer created (or, for a repeated create, the first one)'),
          ...errorResponses(...ALWAYS, ...WITH_BODY, 409, 422)
        }
      }
    },
    async (request, reply) => {
      const key = request.headers['idempotency-key']
      const idempotencyKey = typeof key === 'string' && key !== '' ? key : undefined
      const customer = await service.create(request.body, context(request, reply), { client: posClientOf(request), idempotencyKey })
      return wrapCustomer(customer, envelope)
    }
  )

  const updateAnswer = customerAnswerSchema(envelope, 'The whole customer after the change')
  const updateErrors = errorResponses(...ALWAYS, ...WITH_BODY, 404, 409)
  const updateDescription =
    'Partial: absent fields are left unchanged, null is ignored, "" clears a field. An address replaces the previous one ' +
    'whole; addressList only adds (an address already saved is not saved twice).'
  const updateBody = customerRequestSchema('update')
  app.put(
    '/customers',
    {
      preValidation: [normalizeBody, requireBodyId],
      config: { swaggerTransform: documented({ body: updateBody, requests: UPDATE_SCENARIOS, answers: answers(UPDATE_SCENARIOS) }) },
      schema: {
        operationId: 'UPDATE_CUSTOMER',
        summary: 'Update a customer (partial; id in profile.customerId)',
        description: updateDescription,
        tags: ['SPI'],
        body: updateBody,
        response: { 200: updateAnswer, ...updateErrors }
      }
    },
    async (request, reply) => {
      const id = request.body.profile?.customerId
      if (!id) throw new GatewayError('CUSTOMER_ID_REQUIRED')
      return wrapCustomer(await service.update(id, request.body, context(request, reply)), envelope)
    }
  )

  const byPathBody = customerRequestSchema('updateByPath')
  app.put(
    '/customers/:customerId',
    {
      preValidation: [normalizeBody, checkPathAndBodyIds],
      config: { swaggerTransform: documented({ body: byPathBody, requests: UPDATE_SCENARIOS, answers: answers(UPDATE_SCENARIOS) }) },
      schema: {
        operationId: 'UPDATE_CUSTOMER_BY_PATH',
        summary: 'Update a customer (partial; id in the path)',
        description: `${updateDescription} A profile.customerId in the body must equal the path's.`,
        tags: ['SPI'],
        params: CustomerIdParams,
        body: byPathBody,
        response: { 200: updateAnswer, ...updateErrors }
      }
    },
    async (request, reply) => {
      const { customerId } = request.params
      const bodyId = request.body.profile?.customerId
      if (bodyId !== undefined && bodyId !== customerId) throw new GatewayError('CUSTOMER_ID_MISMATCH')
      return wrapCustomer(await service.update(customerId, request.body, context(request, reply)), envelope)
    }
  )

  app.get(
    '/customers',
    {
      preValidation: readPaging,
      config: {
        swaggerTransform: documented({ answers: { scenario3: searchAnswerExample('3-update-profile-address', envelope) } })
      },
      schema: {
        operationId: 'SEARCH_CUSTOMERS',
        summary: 'Search customers (criteria ANDed)',
        tags: ['SPI'],
        querystring: searchQuerySchema(opts.searchDefaultLimit),
        response: { 200: customersAnswerSchema(envelope), ...errorResponses(...ALWAYS) }
      }
    },
    async (request, reply) => {
      const query = parseSearchQuery(request.query, opts.searchDefaultLimit)
      return wrapCustomers(await service.search(query, context(request, reply)), envelope)
    }
  )

  const cacheHeaders = {
    'x-cache': {
      type: 'string',
      enum: ['hit', 'miss', 'stale'],
      description: 'hit: from the read cache; miss: from the CRM; stale: a recent copy, the CRM having failed or been too slow',
      required: true
    },
    Age: { type: 'integer', minimum: 0, description: 'seconds since the copy was read from the CRM (hit and stale only)' }
  }
  app.get(
    '/customers/:customerId',
    {
      preValidation: checkPathId,
      config: { swaggerTransform: documented({ answers: answers(['3-update-profile-address']) }) },
      schema: {
        operationId: 'GET_CUSTOMER',
        summary: 'Get one customer',
        tags: ['SPI'],
        params: CustomerIdParams,
        response: { 200: customerAnswerSchema(envelope, 'The whole customer', cacheHeaders), ...errorResponses(...ALWAYS, 404) }
      }
    },
    async (request, reply) => {
      const read = await service.getJson(request.params.customerId, context(request, reply))
      // The cache holds the customer as JSON bytes: a hit is answered without serializing.
      reply.header('x-cache', read.outcome === 'coalesced' ? 'miss' : read.outcome)
      if (read.outcome === 'stale' || read.outcome === 'hit') reply.header('age', String(read.ageSeconds))
      reply.type('application/json; charset=utf-8')
      return wrapCustomerJson(read.body, envelope)
    }
  )
}
