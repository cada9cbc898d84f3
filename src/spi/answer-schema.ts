/**
 * Schemas of the answers, for the OpenAPI document and for Fastify's schema-driven serializer.
 * The envelope is configuration (CONTRACT §2), so the answer schema is chosen per config.
 */
import { Type, type TSchema } from 'typebox'
import { CustomerSchema } from './customer-schema.js'
import type { Envelope } from './envelope.js'

export const ErrorBodySchema = Type.Object(
  {
    errorCode: Type.String({ description: 'stable code from the error catalogue' }),
    errorMessage: Type.String({ description: 'short text for the associate, localized from Accept-Language' })
  },
  { description: 'An error (401 has an empty body instead)' }
)

export function customerAnswerSchema(envelope: Envelope): TSchema {
  return envelope === 'wrapped' ? Type.Object({ customer: CustomerSchema }) : CustomerSchema
}

export function customersAnswerSchema(envelope: Envelope): TSchema {
  const list = Type.Array(CustomerSchema)
  return envelope === 'wrapped' ? Type.Object({ customers: list }) : list
}

/** Error statuses each SPI operation can answer with (CONTRACT §5). */
export function errorResponses(...statuses: number[]): Record<number, TSchema> {
  return Object.fromEntries(statuses.map((s) => [s, ErrorBodySchema]))
}
