/**
 * The CRM's error answers as the port's failure kinds, by the definition's `errors.rules`: the
 * first rule whose status (and operation, and body value at `when.path`) matches decides; a
 * status no rule claims goes to ../shared/http-failure.ts `classifyStatus`, so 401/403, 429,
 * 5xx and redirects are reported as every adapter reports them.
 *
 * Nothing of the body reaches a log but a code-like word (`errors.code`, through
 * bodyWordForLog); a `rejected` rule's field name is passed on only when it looks like a field
 * name, never free text (which could quote the refused value).
 */
import type { AxiosResponse } from 'axios'
import { CrmFailure } from '../../src/core/port.js'
import { bodyWordForLog, classifyStatus, headerValue, parseRetryAfter, retryAfterOf } from '../shared/http-failure.js'
import type { ErrorRule, OperationName, RestDefinition } from './definition.js'
import { dotted, readPath } from './paths.js'
import type { DottedPath } from './paths.js'

/** Error bodies bigger than this are not read (an error is a few hundred bytes). */
const MAX_ERROR_BODY_CHARS = 64 * 1024

/** What a CRM field name looks like: `EMAIL`, `LOYALTY.POINTS`, `ADDRESSES.0.IS_DEFAULT`, `firstname`. */
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_.:-]{0,127}$/

interface CompiledRule {
  readonly statuses: ReadonlySet<number>
  readonly on: ReadonlySet<OperationName> | undefined
  readonly when: { readonly path: DottedPath; readonly values: readonly (string | number | boolean)[] } | undefined
  readonly field: DottedPath | undefined
  readonly rule: ErrorRule
}

export type FailureOf = (response: AxiosResponse<string>, operation: OperationName, op: string) => CrmFailure

/** The definition's error rules, ready to apply. */
export function errorMapper(definition: RestDefinition): FailureOf {
  const codePath = definition.errors?.code === undefined ? undefined : dotted(definition.errors.code)
  const rules: CompiledRule[] = (definition.errors?.rules ?? []).map((rule) => ({
    statuses: new Set(typeof rule.status === 'number' ? [rule.status] : rule.status),
    on: rule.on === undefined ? undefined : new Set(rule.on),
    when: rule.when === undefined ? undefined : { path: dotted(rule.when.path), values: Array.isArray(rule.when.equals) ? rule.when.equals : [rule.when.equals] },
    field: rule.field === undefined ? undefined : dotted(rule.field),
    rule
  }))

  return (response, operation, op) => {
    const body = lenientJson(response.data)
    const code = codePath === undefined ? '' : bodyWordForLog(readPath(body, codePath))
    const detail = `${op}: HTTP ${response.status} ${code}`.trimEnd()
    const match = rules.find(
      (r) =>
        r.statuses.has(response.status) &&
        (r.on === undefined || r.on.has(operation)) &&
        (r.when === undefined || matchesValue(r.when.values, readPath(body, r.when.path)))
    )
    if (match === undefined) return withCode(classifyStatus(response, op), code)
    const { rule } = match
    switch (rule.kind) {
      case 'rejected': {
        const field = match.field === undefined ? undefined : readPath(body, match.field)
        return new CrmFailure('rejected', { detail, ...(typeof field === 'string' && FIELD_NAME.test(field) ? { field } : {}) })
      }
      case 'throttled':
      case 'quota-exhausted': {
        // Retry-After first (HTTP's own), then the CRM's rate-limit header the rule names
        // (Pipedrive: x-ratelimit-reset, the seconds left in its window), then the rule's wait.
        const named = rule.retryAfterHeader === undefined ? undefined : parseRetryAfter(headerValue(response, rule.retryAfterHeader))
        const retryAfterSeconds = retryAfterOf(response).retryAfterSeconds ?? named ?? rule.retryAfterSeconds
        return new CrmFailure(rule.kind, { detail, ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }) })
      }
      default:
        return new CrmFailure(rule.kind, { detail })
    }
  }
}

/** HTTP's generic meaning, its detail naming the CRM's code too (when it reads as one). */
function withCode(failure: CrmFailure, code: string): CrmFailure {
  if (code === '') return failure
  const { kind, retryAfterSeconds, field, reason } = failure
  return new CrmFailure(kind, {
    detail: `${failure.message} ${code}`,
    ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
    ...(field === undefined ? {} : { field }),
    ...(reason === undefined ? {} : { reason })
  })
}

/** Whether the body's value is one of `values` (same type and value: `409` is not `"409"`). */
function matchesValue(values: readonly (string | number | boolean)[], found: unknown): boolean {
  return values.some((v) => v === found)
}

/**
 * The body as JSON when it is some: an error status keeps its meaning even when a proxy
 * replaced the body with HTML, so nothing here fails.
 */
function lenientJson(data: unknown): unknown {
  if (typeof data !== 'string' || data.length > MAX_ERROR_BODY_CHARS) return undefined
  try {
    return JSON.parse(data)
  } catch {
    return undefined
  }
}
