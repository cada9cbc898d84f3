/**
 * The adapter call context for one SPI request: an AbortSignal that fires when the POS hangs
 * up (so no CRM call outlives its caller), the request's logger and id.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { CallContext } from '../core/port.js'

export function callContext(request: FastifyRequest, reply: FastifyReply): CallContext {
  const controller = new AbortController()
  // The response closes either after it was sent or because the client went away; only the
  // second (not finished) means nobody waits for the CRM's answer any more.
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort(new Error('client closed the connection'))
  })
  return { signal: controller.signal, log: request.log, requestId: request.id }
}
