/**
 * The GatewayError a promise rejects with; a resolution or any other error fails the test.
 */
import { GatewayError } from '../../src/spi/error-catalogue.js'

export async function failure(promise: Promise<unknown>): Promise<GatewayError> {
  const outcome = await promise.then(
    (value) => new Error(`expected a rejection, got ${JSON.stringify(value)}`),
    (err: unknown) => err
  )
  if (!(outcome instanceof GatewayError)) throw outcome instanceof Error ? outcome : new Error(String(outcome))
  return outcome
}
