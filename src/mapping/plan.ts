/**
 * The compiled form of a table for one direction: a list of plans run in table order
 * (./run.ts). Most rows are plain value rows, run straight from their plan (no call per
 * row); sub-object, list and join rows carry their own step function.
 *
 * Consecutive rows under the same object share its lookup: `profile.firstName`,
 * `profile.lastName`… become one FROM group that reads `profile` once and runs the rows on
 * `firstName`, `lastName`…; rows writing under the same object (`LOYALTY.POINTS`,
 * `LOYALTY.TIER_CODE`…) become one TO group that finds or creates `LOYALTY` once. Groups nest
 * (`loyaltyProfile.currentTier.*` → `LOYALTY.*`). Running a group does exactly what running
 * its rows one by one does: same values, same keys in the same order, same errors.
 *
 * Every plan has the same fields (unused ones neutral), so the runner's reads of them stay
 * monomorphic, i.e. fast (see planOf).
 */
import { compilePath, type CompiledPath } from './path-access.js'
import type { Segment } from './paths.js'
import type { ReadScope } from './read-scope.js'
import { makePipeline, type Pipeline } from './value-pipeline.js'

export type Obj = Record<Segment, unknown>

/**
 * A row with its own function. Returns whether it wrote into `dst`. A write step throws
 * MappingValueError with a field relative to the table being run.
 */
export type WriteStep = (src: unknown, dst: Obj) => boolean
/** `scope` says where issues are reported; undefined when nobody listens. */
export type ReadStep = (src: unknown, dst: Obj, scope: ReadScope | undefined) => boolean

export const VALUE = 0
export const STEP = 1
export const FROM_GROUP = 2
export const TO_GROUP = 3

export interface Plan<S> {
  readonly kind: typeof VALUE | typeof STEP | typeof FROM_GROUP | typeof TO_GROUP
  /** VALUE: where the value is read, relative to the current source. */
  readonly from: CompiledPath
  /** VALUE: where it is written, relative to the current target. */
  readonly to: CompiledPath
  readonly pipeline: Pipeline
  readonly hasDefault: boolean
  /** VALUE with a default: the default as the target side holds it (copied per call). */
  readonly fallback: unknown
  /** The row's paths as written in the table, for errors and issues. */
  readonly spiText: string
  readonly crmText: string
  readonly step: S | undefined
  /** Groups: the key entered on the source (FROM) or target (TO) side. */
  readonly key: Segment
  /** TO group: the object created under `key` is a list (the next segments are indexes). */
  readonly list: boolean
  /** TO group: no earlier row can have written `key`, so there is nothing to look up. */
  readonly fresh: boolean
  readonly plans: readonly Plan<S>[]
  /** Groups: some row in it has a default (a FROM group then runs even when `key` is absent). */
  readonly anyDefault: boolean
}

/** The plans of one direction. */
export interface PlanList<S> {
  readonly plans: readonly Plan<S>[]
}

export interface CompiledTable {
  readonly write: PlanList<WriteStep>
  readonly read: PlanList<ReadStep>
}

const NO_PATH = compilePath({ text: '', segments: [] })
const NO_PIPELINE = makePipeline([], undefined)

/**
 * Every plan is this one object literal, every field present, always in this order: objects
 * made at one literal site with the same keys share one hidden class, so the runner's field
 * reads stay monomorphic (literals with different fields each got their own, which made those
 * reads megamorphic).
 */
function planOf<S>(fields: Partial<Plan<S>> & Pick<Plan<S>, 'kind'>): Plan<S> {
  return {
    kind: fields.kind,
    from: fields.from ?? NO_PATH,
    to: fields.to ?? NO_PATH,
    pipeline: fields.pipeline ?? NO_PIPELINE,
    hasDefault: fields.hasDefault ?? false,
    fallback: fields.fallback,
    spiText: fields.spiText ?? '',
    crmText: fields.crmText ?? '',
    step: fields.step,
    key: fields.key ?? '',
    list: fields.list ?? false,
    fresh: fields.fresh ?? false,
    plans: fields.plans ?? [],
    anyDefault: fields.anyDefault ?? false
  }
}

/**
 * One row as a direction sees it: read at `from`, written at `to` (relative to the group it
 * ends up in), and how to compile it once those are final.
 */
export interface Unit<S> {
  readonly from: readonly Segment[]
  readonly to: readonly Segment[]
  /** Join rows have several SPI paths and are never grouped. */
  readonly groupable: boolean
  readonly build: (from: readonly Segment[], to: readonly Segment[]) => Plan<S>
}

export function valuePlan<S>(fields: {
  from: readonly Segment[]
  to: readonly Segment[]
  pipeline: Pipeline
  fallback: { readonly value: unknown } | undefined
  spiText: string
  crmText: string
}): Plan<S> {
  return planOf<S>({
    kind: VALUE,
    from: compilePath({ text: '', segments: fields.from }),
    to: compilePath({ text: '', segments: fields.to }),
    pipeline: fields.pipeline,
    hasDefault: fields.fallback !== undefined,
    fallback: fields.fallback?.value,
    spiText: fields.spiText,
    crmText: fields.crmText
  })
}

/** `to` is only recorded (the step writes by itself), to size the object it writes into. */
export function stepPlan<S>(step: S, to: readonly Segment[]): Plan<S> {
  return planOf<S>({ kind: STEP, to: compilePath({ text: '', segments: to }), step })
}

/** How many units from `at` on share the first segment of `side` (2 or more segments each). */
function runLength<S>(units: readonly Unit<S>[], at: number, side: 'from' | 'to'): number {
  const first = units[at]
  if (first === undefined || !first.groupable || first[side].length < 2) return 0
  const key = first[side][0]
  const list = typeof first[side][1] === 'number'
  let n = 0
  for (let i = at; i < units.length; i++) {
    const u = units[i] as Unit<S>
    const path = u[side]
    if (!u.groupable || path.length < 2 || path[0] !== key) break
    // A TO group creates its object once, so its rows must agree on list vs object.
    if (side === 'to' && (typeof path[1] === 'number') !== list) break
    n++
  }
  return n
}

function anyDefault<S>(plans: readonly Plan<S>[]): boolean {
  return plans.some((p) => p.hasDefault || p.anyDefault)
}

/** What a plan list knows of the object it writes into, while it is planned. */
interface Target {
  /** The object is new (empty) whenever the list starts, and no join row wrote into it. */
  fresh: boolean
  /** Keys the plans so far may have written into it. */
  readonly written: Set<Segment>
}

/**
 * Plans for units in table order, grouping runs of two or more that share a first segment
 * (the longer run wins where FROM and TO runs overlap).
 */
function planUnits<S>(units: readonly Unit<S>[], target: Target): Plan<S>[] {
  const plans: Plan<S>[] = []
  let i = 0
  while (i < units.length) {
    const unit = units[i] as Unit<S>
    const fromRun = runLength(units, i, 'from')
    const toRun = runLength(units, i, 'to')
    if (fromRun < 2 && toRun < 2) {
      const plan = unit.build(unit.from, unit.to)
      plans.push(plan)
      // A join writes several keys; not worth tracking which.
      if (unit.groupable) target.written.add(plan.to.s0)
      else target.fresh = false
      i++
      continue
    }
    const side = fromRun >= toRun ? 'from' : 'to'
    const n = side === 'from' ? fromRun : toRun
    const members = units.slice(i, i + n).map((u) => rebase(u, side))
    const key = unit[side][0] as Segment
    // A FROM group writes into the same object; a TO group into the one under `key`, which
    // may be new or one an earlier row wrote, so nothing is assumed about it.
    const inner = planUnits(members, side === 'from' ? target : { fresh: false, written: new Set() })
    plans.push(planOf<S>({
      kind: side === 'from' ? FROM_GROUP : TO_GROUP,
      key,
      list: side === 'to' && typeof unit.to[1] === 'number',
      fresh: side === 'to' && target.fresh && !target.written.has(key),
      plans: inner,
      anyDefault: anyDefault(inner)
    }))
    if (side === 'to') target.written.add(key)
    i += n
  }
  return plans
}

/** The unit as seen from inside a group on `side`: that side's first segment dropped. */
function rebase<S>(unit: Unit<S>, side: 'from' | 'to'): Unit<S> {
  const from = side === 'from' ? unit.from.slice(1) : unit.from
  const to = side === 'to' ? unit.to.slice(1) : unit.to
  return { from, to, groupable: unit.groupable, build: unit.build }
}

/** The plans of a table: run on a new, empty object each time (see ./run.ts). */
export function planList<S>(units: readonly Unit<S>[]): PlanList<S> {
  const plans = planUnits(units, { fresh: true, written: new Set() })
  return { plans }
}
