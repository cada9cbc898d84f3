/**
 * The logging surface the core and adapters depend on: the subset of pino's API we use,
 * so adapters and tests do not need Fastify's logger type.
 */
export interface LogFn {
  (obj: object, msg?: string): void
  (msg: string): void
}

export interface Logger {
  readonly trace: LogFn
  readonly debug: LogFn
  readonly info: LogFn
  readonly warn: LogFn
  readonly error: LogFn
  readonly fatal: LogFn
  child(bindings: Record<string, unknown>): Logger
}
