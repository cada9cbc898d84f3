/**
 * Keeps wide output objects (a flat CRM record of 20+ fields, HubSpot's `properties`) in V8's
 * fast object layout. A table-driven mapper can only add properties with computed keys
 * (`obj[key] = value`), and V8 turns an object that gets more than about 19 properties that
 * way into a slow hash-table ("dictionary") object: measured at ~1 µs more per call for the
 * demo table's 22-field record, a quarter of `toCrm`. Properties added by
 * `Object.defineProperty` do not have that limit, and once V8 has built the fast layout for a
 * sequence of keys, later objects given the same keys in the same order reuse it even through
 * computed keys.
 *
 * So the first time an output object of a new shape is wide, its keys are replayed once onto a
 * skeleton object with `defineProperty`, and the skeleton is kept (V8 drops layouts no live
 * object uses). A shape is named by a hash of which steps wrote (a collision only costs the
 * speed-up); the number of shapes remembered is bounded, after which new shapes are simply
 * not warmed. This changes no result: only how V8 stores objects that are built as before.
 */

/** Fewer properties than this never leave the fast layout (V8 keeps up to ~19). */
export const WIDE_OBJECT_KEYS = 16
/** Shapes remembered per container kind; a few full customers and their usual gaps. */
const MAX_SHAPES = 64

export class ShapeWarmer {
  private readonly seen = new Set<number>()
  private readonly skeletons: object[] = []
  /** The shape seen last: objects of one shape usually come in a row. */
  private last = 0

  /** Called after an object of shape `shape` was built; cheap when the shape is known. */
  observe(shape: number, built: object): void {
    if (shape === this.last) return
    this.last = shape
    if (this.seen.has(shape) || this.seen.size >= MAX_SHAPES) return
    this.seen.add(shape)
    if (Array.isArray(built)) return
    const keys = Object.keys(built)
    if (keys.length < WIDE_OBJECT_KEYS) return
    const skeleton = {}
    for (const key of keys) Object.defineProperty(skeleton, key, { value: null, writable: true, enumerable: true, configurable: true })
    this.skeletons.push(skeleton)
  }

  /** For tests: how many shapes were warmed (kept skeletons). */
  get warmed(): number {
    return this.skeletons.length
  }
}

/** Mixes one more writing step into a shape hash (32-bit, order-sensitive, never 0: 0 is "nothing written"). */
export function mixShape(shape: number, step: number): number {
  return ((Math.imul(shape, 31) + step) | 0) || 1
}
