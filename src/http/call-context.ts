/**
 * The call context for one SPI request: an AbortSignal that fires when the request's deadline
 * passes or the POS hangs up — the moment nobody waits for this request's answer any more, so
 * no CRM attempt, retry or queued update is started for it after that — the deadline itself
 * (retries fit inside it), the request's logger and id. The resilience layer gives each CRM
 * attempt a signal of its own (src/core/resilience/resilient-adapter.ts): this one never
 * cancels an attempt already sent.
 *
 * The signal, its deadline timer and its client-gone listener are made when a CRM call first
 * asks for the signal: a request answered without the CRM (a cache hit, a refused input)
 * never pays for them. Made late, they behave as if made at the start: the timer fires at the
 * same `deadlineAt`, and a POS already gone aborts the signal at once.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { CallContext } from '../core/port.js'
import type { Logger } from '../core/logger.js'
import { GatewayError } from '../spi/error-catalogue.js'

class RequestCallContext implements CallContext {
  readonly log: Logger
  readonly requestId: string
  readonly deadlineAt: number
  readonly #reply: FastifyReply
  readonly #deadlineMs: number
  #controller: AbortController | undefined

  constructor(request: FastifyRequest, reply: FastifyReply, deadlineMs: number) {
    this.log = request.log
    this.requestId = request.id
    this.deadlineAt = Date.now() + deadlineMs
    this.#reply = reply
    this.#deadlineMs = deadlineMs
  }

  get signal(): AbortSignal {
    return (this.#controller ??= this.#arm()).signal
  }

  #arm(): AbortController {
    const controller = new AbortController()
    const deadlineMs = this.#deadlineMs
    const expire = (): void => controller.abort(new GatewayError('CRM_TIMEOUT', { detail: `request deadline ${deadlineMs}ms` }))
    const hungUp = (): void => controller.abort(new GatewayError('CLIENT_CLOSED_REQUEST', { detail: 'the POS closed the connection' }))
    const raw = this.#reply.raw
    // The response closes either after it was sent or because the client went away; only the
    // second (not finished) means nobody waits for the CRM's answer any more.
    if (raw.closed) {
      if (!raw.writableFinished) hungUp()
      return controller
    }
    const remaining = this.deadlineAt - Date.now()
    if (remaining <= 0) {
      expire()
      return controller
    }
    // setTimeout rather than AbortSignal.timeout: tests drive it with a fake clock.
    const timer = setTimeout(expire, remaining)
    timer.unref()
    raw.once('close', () => {
      clearTimeout(timer)
      if (!raw.writableFinished) hungUp()
    })
    return controller
  }
}

export function callContext(request: FastifyRequest, reply: FastifyReply, deadlineMs: number): CallContext {
  return new RequestCallContext(request, reply, deadlineMs)
}

/**
 * The authenticated POS client's id (set by the authentication hook), for per-client state.
 * SPI routes never run unauthenticated; the fallback only serves apps built without auth.
 */
export function posClientOf(request: FastifyRequest): string {
  return request.clientId ?? 'anonymous'
}
