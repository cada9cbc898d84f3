/**
 * The contract of a named transform. Transforms are code (never YAML): a table only names
 * them, e.g. `transform: date:MM/DD/YYYY`, and the registry (./index.ts) builds the instance
 * once at load with its parameter already parsed.
 *
 * The engine, not the transform, owns the absent / clear rules: `write` never sees `""`,
 * `null` or `undefined`, and `read` never sees `null`, `undefined` or `""`. A transform that
 * cannot convert a value throws `TransformError` with a reason that does not quote the value.
 */
import type { CrmValueKind } from '../../core/port.js'

export class TransformError extends Error {
  constructor(readonly reason: string) {
    super(reason)
    this.name = 'TransformError'
  }
}

/** One SPI value ⇄ one CRM value. */
export interface ValueTransform {
  /**
   * What the CRM field holds once written, when this transform decides it (a typed CRM such as
   * HubSpot checks and creates fields by it); undefined: the value's kind is unchanged (trim).
   */
  readonly crmKind?: CrmValueKind
  /** SPI → CRM. `undefined`: write nothing for this value (a policy such as `birthday:…|drop`). */
  write(value: unknown): unknown
  /** CRM → SPI. */
  read(value: unknown): unknown
}

/** Several SPI values ⇄ one CRM value (e.g. first + last name ⇄ FULL_NAME). */
export interface JoinTransform {
  /** SPI → CRM: every part is present (possibly `""`); at least one part is not `""`. */
  write(parts: readonly unknown[]): unknown
  /** CRM → SPI: one entry per part, `undefined` where the CRM value has nothing for it. */
  read(value: unknown): readonly (string | undefined)[]
}

interface DefinitionBase {
  /** The name used in tables, before any `:param`. */
  readonly name: string
  /** `none`: `name` only; `required`: `name:param`; `optional`: either. */
  readonly param: 'none' | 'optional' | 'required'
  /** One line for `--help`, error messages and docs. */
  readonly summary: string
}

export interface ValueTransformDefinition extends DefinitionBase {
  readonly kind: 'value'
  /** Throws `TransformParamError` on a bad parameter. */
  create(param: string | undefined): ValueTransform
}

export interface JoinTransformDefinition extends DefinitionBase {
  readonly kind: 'join'
  create(param: string | undefined, parts: number): JoinTransform
}

export type TransformDefinition = ValueTransformDefinition | JoinTransformDefinition

/** A bad transform parameter in a table (a load-time problem, not a value problem). */
export class TransformParamError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'TransformParamError'
  }
}

/** Text transforms and friends accept strings only; a shared guard keeps the reasons uniform. */
export function expectText(value: unknown): string {
  if (typeof value !== 'string') throw new TransformError('expected text')
  return value
}
