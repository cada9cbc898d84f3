/**
 * The adapter call context for one SPI request: an AbortSignal that fires when the request's
 * deadline passes or the POS hangs up (so no CRM call outlives its usefulness), the deadline
 * itself (retries fit inside it), the request's logger and id.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { CallContext } from '../core/port.js'
import { GatewayError } from '../spi/error-catalogue.js'

export function callContext(request: FastifyRequest, reply: FastifyReply, deadlineMs: number): CallContext {
  const controller = new AbortController()
  const deadlineAt = Date.now() + deadlineMs
  // setTimeout rather than AbortSignal.timeout: tests drive it with a fake clock.
  const timer = setTimeout(
    () => controller.abort(new GatewayError('CRM_TIMEOUT', { detail: `request deadline ${deadlineMs}ms` })),
    deadlineMs
  )
  timer.unref()
  // The response closes either after it was sent or because the client went away; only the
  // second (not finished) means nobody waits for the CRM's answer any more.
  reply.raw.once('close', () => {
    clearTimeout(timer)
    if (!reply.raw.writableFinished) controller.abort(new Error('client closed the connection'))
  })
  return { signal: controller.signal, log: request.log, requestId: request.id, deadlineAt }
}

/**
 * The authenticated POS client's id (set by the authentication hook), for per-client state.
 * SPI routes never run unauthenticated; the fallback only serves apps built without auth.
 */
export function posClientOf(request: FastifyRequest): string {
  return request.clientId ?? 'anonymous'
}
