/**
 * Targets must not collide within one direction: two write rows filling the same CRM field,
 * two read rows filling the same SPI field, a field inside another mapped field, or a path
 * used both as a list (`X.0`) and as an object (`X.Y`). Sources may overlap freely.
 */
import type { Segment } from './paths.js'

interface TrieNode {
  readonly children: Map<Segment, TrieNode>
  /** Set when a row targets exactly this node. */
  leaf: string | undefined
  /** The first row that went through this node. */
  readonly via: string
}

export class TargetTrie {
  private readonly root: TrieNode = { children: new Map(), leaf: undefined, via: '' }

  /**
   * Records that `owner` (e.g. `fields[3] (line 12)`) targets `segments`; returns why it
   * cannot, or undefined. `what` names the side in messages (`CRM field`, `SPI field`).
   */
  claim(segments: readonly Segment[], text: string, owner: string, what: string): string | undefined {
    let node = this.root
    for (const [i, seg] of segments.entries()) {
      if (node.leaf !== undefined) {
        return `${what} "${text}" is inside "${segments.slice(0, i).join('.')}", already mapped by ${node.leaf}`
      }
      const [sibling] = node.children.keys()
      if (sibling !== undefined && typeof sibling !== typeof seg) {
        const kind = (s: Segment): string => (typeof s === 'number' ? 'a list' : 'an object')
        return `${what} "${text}" uses "${segments.slice(0, i).join('.')}" as ${kind(seg)}, but ${node.children.get(sibling)?.via ?? 'another row'} uses it as ${kind(sibling)}`
      }
      let next = node.children.get(seg)
      if (next === undefined) {
        next = { children: new Map(), leaf: undefined, via: owner }
        node.children.set(seg, next)
      }
      node = next
    }
    if (node.leaf !== undefined) return `duplicate ${what} "${text}": also mapped by ${node.leaf}`
    if (node.children.size > 0) {
      const [first] = node.children.values()
      return `${what} "${text}" would replace fields inside it mapped by ${first?.via ?? 'another row'}`
    }
    node.leaf = owner
    return undefined
  }
}
