/**
 * Requests Node's HTTP parser refuses before Fastify ever sees them — request line and headers
 * over `maxHeaderSize` (431), a request that did not arrive in time (408), bytes that are not
 * HTTP (400) — answered in the contract's error shape instead of Fastify's own (its
 * `clientErrorHandler` option: https://fastify.dev/docs/latest/Reference/Server/#clienterrorhandler;
 * Node's 'clientError' event: https://nodejs.org/api/http.html#event-clienterror).
 *
 * There is no request to authenticate yet (its headers are what could not be read), so this is
 * the one refusal that comes before the 401-first rule; nor an Accept-Language to read: the
 * message is English. The answer closes the connection, as Node's own does.
 */
import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import { GatewayError, type ErrorCode } from '../spi/error-catalogue.js'
import { localizeError } from '../spi/localize-error.js'

function codeFor(err: NodeJS.ErrnoException): ErrorCode {
  if (err.code === 'HPE_HEADER_OVERFLOW') return 'HEADERS_TOO_LARGE'
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return 'REQUEST_TIMEOUT'
  return 'BAD_REQUEST'
}

/** The raw HTTP answer for a parser error (exported for tests). */
export function clientErrorAnswer(err: NodeJS.ErrnoException): string {
  const error = new GatewayError(codeFor(err))
  const body = JSON.stringify(localizeError(error, 'en'))
  return [
    `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? ''}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    '',
    body
  ].join('\r\n')
}

/**
 * Fastify calls this with `this` bound to the app. Only the error's code is logged, at debug:
 * a parser error carries the raw bytes received (`rawPacket`: headers, credentials included),
 * and whoever sends garbage must not be able to fill the logs.
 */
export function clientErrorHandler(this: { log: { debug(obj: object, msg: string): void } } | undefined, err: NodeJS.ErrnoException, socket: Socket): void {
  // A connection reset (or one already gone) has nobody left to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return
  this?.log.debug({ code: err.code }, 'unreadable request refused')
  // As Node and Fastify do: write the answer, then close (the request cannot be read further).
  if (socket.writable) socket.write(clientErrorAnswer(err))
  socket.destroy()
}
