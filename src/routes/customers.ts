/**
 * The four SPI operations (CONTRACT §1). Thin: contract in, service call, envelope out.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest, preValidationHookHandler } from 'fastify'
import type { CallContext } from '../core/port.js'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { CustomerService } from '../core/customer-service.js'
import { CustomerSchema, SEARCH_PARAMS } from '../spi/customer-schema.js'
import { cleanCustomerInput, unwrapCustomer, wrapCustomer, wrapCustomerJson, wrapCustomers, type Envelope } from '../spi/envelope.js'
import { customerAnswerSchema, customersAnswerSchema, errorResponses } from '../spi/answer-schema.js'
import { GatewayError } from '../spi/error-catalogue.js'
import { parseSearchQuery } from '../spi/search-query.js'
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

const CustomerIdParams = Type.Object({ customerId: Type.String({ description: "the CRM's customer id" }) })

const SearchQuery = Type.Object(
  {
    ...Object.fromEntries(SEARCH_PARAMS.map((p) => [p, Type.Optional(Type.String())])),
    phoneMobile: Type.Optional(Type.String({ description: 'alias of phone' })),
    phoneNumber: Type.Optional(Type.String({ description: 'alias of phone' })),
    limit: Type.Optional(Type.String({ description: 'page size, 1..100, default 20' })),
    offset: Type.Optional(Type.String({ description: 'results to skip, default 0' }))
  },
  { additionalProperties: true }
)

const bodyDoc = 'The customer object, bare or wrapped as {"customer": {…}}; `customerLoyaltyProfile` is accepted as loyaltyProfile.'

export const customerRoutes: FastifyPluginAsync<CustomerRoutesOptions> = async (fastify, opts) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const { service, envelope, deadlineMs } = opts
  const context = (request: FastifyRequest, reply: FastifyReply): CallContext => callContext(request, reply, deadlineMs)
  const one = customerAnswerSchema(envelope)
  const writeErrors = errorResponses(400, 404, 409, 413, 415, 422, 429, 502, 503, 504)
  const idempotencyHeader = Type.Object(
    { 'idempotency-key': Type.Optional(Type.String({ maxLength: 200, description: 'a repeated create with this key answers the first result' })) },
    { additionalProperties: true }
  )

  app.post(
    '/customers',
    {
      preValidation: normalizeBody,
      schema: {
        operationId: 'CREATE_CUSTOMER',
        summary: 'Create a customer',
        tags: ['SPI'],
        headers: idempotencyHeader,
        body: Type.Object(CustomerSchema.properties, { additionalProperties: true, description: bodyDoc }),
        response: { 200: one, ...writeErrors }
      }
    },
    async (request, reply) => {
      const key = request.headers['idempotency-key']
      const idempotencyKey = typeof key === 'string' && key !== '' ? key : undefined
      const customer = await service.create(request.body, context(request, reply), { client: posClientOf(request), idempotencyKey })
      return wrapCustomer(customer, envelope)
    }
  )

  const update = {
    preValidation: normalizeBody,
    schema: {
      operationId: 'UPDATE_CUSTOMER',
      summary: 'Update a customer (partial; id in profile.customerId)',
      tags: ['SPI'],
      body: Type.Object(CustomerSchema.properties, { additionalProperties: true, description: bodyDoc }),
      response: { 200: one, ...writeErrors }
    }
  }
  app.put('/customers', update, async (request, reply) => {
    const id = request.body.profile?.customerId
    if (!id) throw new GatewayError('CUSTOMER_ID_REQUIRED')
    return wrapCustomer(await service.update(id, request.body, context(request, reply)), envelope)
  })
  app.put(
    '/customers/:customerId',
    { ...update, schema: { ...update.schema, operationId: 'UPDATE_CUSTOMER_BY_PATH', params: CustomerIdParams } },
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
      schema: {
        operationId: 'SEARCH_CUSTOMERS',
        summary: 'Search customers (criteria ANDed)',
        tags: ['SPI'],
        querystring: SearchQuery,
        response: { 200: customersAnswerSchema(envelope), ...errorResponses(400, 429, 502, 503, 504) }
      }
    },
    async (request, reply) => {
      const query = parseSearchQuery(request.query, opts.searchDefaultLimit)
      return wrapCustomers(await service.search(query, context(request, reply)), envelope)
    }
  )

  app.get(
    '/customers/:customerId',
    {
      schema: {
        operationId: 'GET_CUSTOMER',
        summary: 'Get one customer',
        tags: ['SPI'],
        params: CustomerIdParams,
        response: { 200: one, ...errorResponses(400, 404, 429, 502, 503, 504) }
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
