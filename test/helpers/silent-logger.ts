/**
 * Loggers (src/core/logger.ts) for tests, printing nothing:
 * - `silentLogger` drops everything (for call contexts whose logs do not matter);
 * - `createSilentLogger()` records every call, so a test can assert what was (or was not)
 *   logged, e.g. that no customer data or secret reaches a log. Children share their
 *   parent's records and add their bindings.
 */
import type { LogFn, Logger } from '../../src/core/logger.js'

const noop = (): void => {}

export const silentLogger: Logger = {
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  fatal: noop,
  child: () => silentLogger
}

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'

export interface LogRecord {
  readonly level: LogLevel
  readonly bindings: Readonly<Record<string, unknown>>
  readonly obj?: object
  readonly msg?: string
}

export interface SilentLogger extends Logger {
  /** Every call made on this logger or any of its children, in order. */
  readonly records: LogRecord[]
}

export function createSilentLogger(
  bindings: Readonly<Record<string, unknown>> = {},
  records: LogRecord[] = []
): SilentLogger {
  const at =
    (level: LogLevel): LogFn =>
    (objOrMsg: object | string, msg?: string): void => {
      records.push(
        typeof objOrMsg === 'string' ? { level, bindings, msg: objOrMsg } : { level, bindings, obj: objOrMsg, msg }
      )
    }
  return {
    records,
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    fatal: at('fatal'),
    child: (more) => createSilentLogger({ ...bindings, ...more }, records)
  }
}
