/**
 * The error a promise rejects with, of the type a test expects; a resolution or any other
 * error fails the test (and shows what came instead).
 */
import { CrmFailure } from '../../src/core/port.js'

async function rejection<E extends Error>(promise: Promise<unknown>, type: abstract new (...args: never[]) => E): Promise<E> {
  const outcome = await promise.then(
    (value) => new Error(`expected a ${type.name}, got ${JSON.stringify(value)}`),
    (err: unknown) => err
  )
  if (!(outcome instanceof type)) throw outcome instanceof Error ? outcome : new Error(String(outcome))
  return outcome
}

/** The CrmFailure (an adapter's report) a promise rejects with. */
export function crmFailure(promise: Promise<unknown>): Promise<CrmFailure> {
  return rejection(promise, CrmFailure)
}
