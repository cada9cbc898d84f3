/**
 * A parsed path prepared once at load for the per-call reads and writes: its first segments
 * held in fields, plus what a write creates before each of them. `readPath` / `writePath` then
 * do for 1-, 2- and 3-segment paths (nearly every path in a table) a few property accesses,
 * without the loop over a segment array of the generic walkers `getAt` / `setAt`
 * (./paths.ts), whose results they equal exactly. Both are small module functions, always the
 * same ones, so the JIT inlines them into the row steps that call them (a closure per path
 * would be a different function per row, hence a call that is never inlined).
 *
 * No generated code: nothing from a table is ever evaluated, so this stays injection-proof and
 * works under a CSP that forbids `eval`/`new Function`. The safety rules are those of
 * ./paths.ts: segments were checked by `parsePath` (no `__proto__`, `constructor`,
 * `prototype`); a read follows data only (a function met counts as missing); a write only
 * creates plain objects, or arrays before an index.
 */
import type { Path, Segment } from './paths.js'

type Container = Record<Segment, unknown>

export interface CompiledPath {
  /** As written in the table, for messages. */
  readonly text: string
  readonly length: number
  /** The first three segments; `''` past the end of a shorter path (never read then). */
  readonly s0: Segment
  readonly s1: Segment
  readonly s2: Segment
  /** Whether a write creates a list (the next segment is an index) under s0, s1. */
  readonly list1: boolean
  readonly list2: boolean
  readonly segments: readonly Segment[]
}

export function compilePath(path: Path): CompiledPath {
  const segments = [...path.segments]
  const [s0 = '', s1 = '', s2 = ''] = segments
  return {
    text: path.text,
    length: segments.length,
    s0,
    s1,
    s2,
    list1: typeof segments[1] === 'number',
    list2: typeof segments[2] === 'number',
    segments
  }
}

/** The step under a non-object (a string, a number, `null`…) is missing, as in `getAt`. */
function under(cur: unknown, seg: Segment): unknown {
  return typeof cur === 'object' && cur !== null ? (cur as Container)[seg] : undefined
}

/** `getAt(root, path.segments)`. */
export function readPath(path: CompiledPath, root: unknown): unknown {
  let cur: unknown
  switch (path.length) {
    case 1:
      cur = under(root, path.s0)
      break
    case 2:
      cur = under(under(root, path.s0), path.s1)
      break
    case 3:
      cur = under(under(under(root, path.s0), path.s1), path.s2)
      break
    default: {
      // Longer paths (and the empty one, which `parsePath` never yields) walk like `getAt`.
      const all = path.segments
      cur = root
      for (let i = 0; i < all.length; i++) cur = under(cur, all[i] as Segment)
    }
  }
  return typeof cur === 'function' ? undefined : cur
}

/** The container under `seg`, created (an array when `list`, else a plain object) if absent. */
function child(cur: Container, seg: Segment, list: boolean): Container {
  const next = cur[seg]
  // `cur` is always an object the mapper created; an inherited method found under `seg` is not
  // an object, so it is shadowed by a fresh own container, never written into.
  if (typeof next === 'object' && next !== null) return next as Container
  const made: Container = list ? ([] as unknown as Container) : {}
  cur[seg] = made
  return made
}

/** `setAt(root, path.segments, value)`. */
export function writePath(path: CompiledPath, root: Container, value: unknown): void {
  switch (path.length) {
    case 1:
      root[path.s0] = value
      return
    case 2:
      child(root, path.s0, path.list1)[path.s1] = value
      return
    case 3:
      child(child(root, path.s0, path.list1), path.s1, path.list2)[path.s2] = value
      return
    default: {
      const all = path.segments
      const last = all.length - 1
      let cur = root
      for (let i = 0; i < last; i++) cur = child(cur, all[i] as Segment, typeof all[i + 1] === 'number')
      cur[all[last] as Segment] = value
    }
  }
}
