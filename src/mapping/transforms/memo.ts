/**
 * A bounded memo for conversions that are costly and see the same inputs again and again
 * (phone numbers: every update carries the profile). Two generations of plain Maps: lookups
 * hit the young one, a hit in the old one is carried over, and when the young one is full the
 * old one is dropped. At most `max` entries are kept, recently used ones survive, and a hit
 * costs one Map lookup (an LRU list's bookkeeping cost several times that per phone).
 */
export class Memo<V> {
  private young = new Map<string, V>()
  private old = new Map<string, V>()
  private readonly generation: number

  constructor(max: number) {
    this.generation = Math.max(1, Math.floor(max / 2))
  }

  get(key: string): V | undefined {
    const hit = this.young.get(key)
    if (hit !== undefined) return hit
    const aged = this.old.get(key)
    if (aged !== undefined) this.set(key, aged)
    return aged
  }

  set(key: string, value: V): void {
    if (this.young.size >= this.generation) {
      this.old = this.young
      this.young = new Map()
    }
    this.young.set(key, value)
  }

  /** Entries held, for tests. */
  get size(): number {
    return this.young.size + this.old.size
  }
}
