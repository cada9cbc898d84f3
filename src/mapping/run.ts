/**
 * Runs compiled plans (./plan.ts), per call. A value row runs inline here — read, absent and
 * `""` rules, conversion, write — so a customer costs no function call per field besides its
 * transforms and its path's own generated accessors (./path-access.ts); the conversion
 * helpers are the same functions for every row, which the JIT inlines.
 *
 * The absent / clear rules of src/core/mapper.ts, for every row alike:
 * - write: `undefined`/`null` → nothing (or the row's default); `""` → `""` (clears);
 * - read: `undefined`/`null`/`""` → nothing (or the default); empty results are dropped.
 * A write failure throws MappingValueError naming the SPI field (with list indexes); a read
 * failure drops that value and reports it to the issue sink, never failing the customer.
 *
 * Runners return whether they wrote anything.
 */
import { MappingValueError } from './errors.js'
import { readPath, writePath } from './path-access.js'
import type { Segment } from './paths.js'
import { FROM_GROUP, STEP, TO_GROUP, type CompiledTable, type Obj, type Plan, type ReadStep, type WriteStep } from './plan.js'
import { report, type ReadScope } from './read-scope.js'
import { cloneForRead, cloneForWrite } from './safe-value.js'
import { TransformError } from './transforms/index.js'
import { toCrmValue, toSpiValue } from './value-pipeline.js'

function valueError(field: string, err: unknown): unknown {
  return err instanceof TransformError ? new MappingValueError(field, err.reason) : err
}

/**
 * The object a FROM group's rows read from, as found (a function or any other non-object then
 * makes each of their paths missing, as `getAt` does). Not a generated accessor: measured, a
 * group's key through one made no difference (groups are few).
 */
function enter(src: unknown, key: Segment): unknown {
  return typeof src === 'object' && src !== null ? (src as Obj)[key] : undefined
}

function isContainer(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null
}

/** Reads one value row; false when nothing is written (absent or unreadable, no default). */
function readValue(plan: Plan<ReadStep>, src: unknown, dst: Obj, scope: ReadScope | undefined): boolean {
  const v = readPath(plan.from, src)
  let out: unknown
  if (v !== undefined && v !== null && v !== '') {
    try {
      out = toSpiValue(plan.pipeline, v)
    } catch (err) {
      if (!(err instanceof TransformError)) throw err
      if (scope !== undefined) report(scope, plan.spiText, plan.crmText, err.reason)
    }
  }
  if (out === undefined) {
    if (!plan.hasDefault) return false
    out = cloneForRead(plan.fallback)
    if (out === undefined) return false
  }
  writePath(plan.to, dst, out)
  return true
}

/**
 * The object a TO group fills: the one already under `key` (written by an earlier row),
 * else a new one that is attached only if a row writes into it — where the first of those
 * writes would have attached it, since the group's rows write nothing else into `dst`.
 */
function groupTarget(plan: Plan<unknown>, dst: Obj): Obj | undefined {
  if (plan.fresh) return undefined
  const existing = dst[plan.key]
  return isContainer(existing) ? existing : undefined
}

export function runWritePlans(plans: readonly Plan<WriteStep>[], src: unknown, dst: Obj): boolean {
  let wrote = false
  let i = 0
  // Set while a value row converts: a TransformError then becomes a MappingValueError naming
  // the row's SPI field. One try around the loop rather than one per row (measured ~2-3%
  // faster); what it catches outside a conversion is rethrown as is, as before.
  let converting = false
  try {
    for (; i < plans.length; i++) {
      const plan = plans[i] as Plan<WriteStep>
      switch (plan.kind) {
        case STEP:
          if ((plan.step as WriteStep)(src, dst)) wrote = true
          break
        case FROM_GROUP: {
          const inner = enter(src, plan.key)
          // Nothing under an absent object is written, unless a row has a default.
          if (!isContainer(inner) && !plan.anyDefault) break
          if (runWritePlans(plan.plans, inner, dst)) wrote = true
          break
        }
        case TO_GROUP: {
          const existing = groupTarget(plan, dst)
          const inner = existing ?? ((plan.list ? [] : {}) as Obj)
          if (!runWritePlans(plan.plans, src, inner)) break
          if (existing === undefined) dst[plan.key] = inner
          wrote = true
          break
        }
        default: {
          // A value row: absent → its default if any; "" → "" (clears); else converted.
          const v = readPath(plan.from, src)
          let out: unknown = ''
          if (v === undefined || v === null) {
            if (!plan.hasDefault) break
            out = cloneForWrite(plan.fallback)
          } else if (v !== '') {
            converting = true
            out = toCrmValue(plan.pipeline, v)
            converting = false
            // A transform declined the value (birthday:…|drop): the CRM field is left as it is.
            if (out === undefined) break
          }
          writePath(plan.to, dst, out)
          wrote = true
        }
      }
    }
  } catch (err) {
    throw converting ? valueError((plans[i] as Plan<WriteStep>).spiText, err) : err
  }
  return wrote
}

export function runReadPlans(plans: readonly Plan<ReadStep>[], src: unknown, dst: Obj, scope: ReadScope | undefined): boolean {
  let wrote = false
  for (let i = 0; i < plans.length; i++) {
    const plan = plans[i] as Plan<ReadStep>
    switch (plan.kind) {
      case STEP:
        if ((plan.step as ReadStep)(src, dst, scope)) wrote = true
        break
      case FROM_GROUP: {
        const inner = enter(src, plan.key)
        if (!isContainer(inner) && !plan.anyDefault) break
        if (runReadPlans(plan.plans, inner, dst, scope)) wrote = true
        break
      }
      case TO_GROUP: {
        const existing = groupTarget(plan, dst)
        const inner = existing ?? ((plan.list ? [] : {}) as Obj)
        if (!runReadPlans(plan.plans, src, inner, scope)) break
        if (existing === undefined) dst[plan.key] = inner
        wrote = true
        break
      }
      default:
        if (readValue(plan, src, dst, scope)) wrote = true
    }
  }
  return wrote
}

/** Maps `src` into `dst` with the table's write rows; false when nothing was written. */
export function runWrite(table: CompiledTable, src: unknown, dst: Obj): boolean {
  return runWritePlans(table.write.plans, src, dst)
}

/** Maps `src` into `dst` with the table's read rows; false when nothing was written. */
export function runRead(table: CompiledTable, src: unknown, dst: Obj, scope: ReadScope | undefined): boolean {
  return runReadPlans(table.read.plans, src, dst, scope)
}
