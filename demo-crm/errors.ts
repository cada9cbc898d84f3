/**
 * The demo CRM's own error answers (API.md § Errors): always
 * `{"error":{"code":"…","message":"…"}}`, plus extra keys where useful (`fields`,
 * `existing_id`, `current_version`). Handlers throw a `CrmHttpError`; the app's error handler
 * turns it into the answer, so every failure path produces the same shape.
 */

export type CrmErrorCode =
  | 'BAD_REQUEST'
  | 'AUTH_FAILED'
  | 'NOT_FOUND'
  | 'DUPLICATE_EMAIL'
  | 'VERSION_MISMATCH'
  | 'VALIDATION'
  | 'INTERNAL'

const STATUS: Readonly<Record<CrmErrorCode, number>> = {
  BAD_REQUEST: 400,
  AUTH_FAILED: 401,
  NOT_FOUND: 404,
  DUPLICATE_EMAIL: 409,
  VERSION_MISMATCH: 412,
  VALIDATION: 422,
  INTERNAL: 500
}

/** Extra keys of an error body, next to `code` and `message`. */
export interface CrmErrorExtras {
  readonly fields?: readonly string[]
  readonly existing_id?: string
  readonly current_version?: number
}

export interface CrmErrorBody {
  readonly error: { readonly code: CrmErrorCode; readonly message: string } & CrmErrorExtras
}

export class CrmHttpError extends Error {
  readonly status: number
  readonly code: CrmErrorCode
  readonly extras: CrmErrorExtras

  constructor(code: CrmErrorCode, message: string, extras: CrmErrorExtras = {}) {
    super(message)
    this.name = 'CrmHttpError'
    this.code = code
    this.status = STATUS[code]
    this.extras = extras
  }

  toBody(): CrmErrorBody {
    return { error: { code: this.code, message: this.message, ...this.extras } }
  }
}

export const badRequest = (message: string): CrmHttpError => new CrmHttpError('BAD_REQUEST', message)

export const authFailed = (): CrmHttpError => new CrmHttpError('AUTH_FAILED', 'invalid API key')

export const notFound = (message = 'no such contact'): CrmHttpError => new CrmHttpError('NOT_FOUND', message)

export const validationFailed = (fields: readonly string[]): CrmHttpError =>
  new CrmHttpError('VALIDATION', `invalid fields: ${fields.join(', ')}`, { fields })

export const duplicateEmail = (existingId: string): CrmHttpError =>
  new CrmHttpError('DUPLICATE_EMAIL', 'another contact has that e-mail', { existing_id: existingId })

export const versionMismatch = (currentVersion: number): CrmHttpError =>
  new CrmHttpError('VERSION_MISMATCH', 'If-Match names a stale VERSION', { current_version: currentVersion })

export const internalError = (): CrmHttpError => new CrmHttpError('INTERNAL', 'internal error')
