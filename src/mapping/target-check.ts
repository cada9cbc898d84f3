/**
 * Targets must not collide within one direction: two write rows filling the same CRM field,
 * two read rows filling the same SPI field, a field inside another mapped field, or a path
 * used both as a list (`X.0`) and as an object (`X.Y`), or a list addressed both by position
 * (`X.0`) and by key (`X[label=mobile]`). Sources may overlap freely.
 */
import { displayPath, isSelector, segmentKey, type Segment } from './paths.js'

const kind = (s: Segment): string => (typeof s === 'number' ? 'a list by position' : isSelector(s) ? 'a list by key' : 'an object')

interface TrieNode {
  readonly children: Map<string | number, TrieNode>
  /** Set when a row targets exactly this node. */
  leaf: string | undefined
  /** The first row that went through this node. */
  readonly via: string
  /** The segment that leads here. */
  readonly segment: Segment
}

export class TargetTrie {
  private readonly root: TrieNode = { children: new Map(), leaf: undefined, via: '', segment: '' }

  /**
   * Records that `owner` (e.g. `fields[3] (line 12)`) targets `segments`; returns why it
   * cannot, or undefined. `what` names the side in messages (`CRM field`, `SPI field`).
   */
  claim(segments: readonly Segment[], text: string, owner: string, what: string): string | undefined {
    let node = this.root
    for (const [i, seg] of segments.entries()) {
      if (node.leaf !== undefined) {
        return `${what} "${text}" is inside "${displayPath(segments.slice(0, i))}", already mapped by ${node.leaf}`
      }
      const [sibling] = node.children.values()
      if (sibling !== undefined && kind(sibling.segment) !== kind(seg)) {
        return `${what} "${text}" uses "${displayPath(segments.slice(0, i))}" as ${kind(seg)}, but ${sibling.via} uses it as ${kind(sibling.segment)}`
      }
      let next = node.children.get(segmentKey(seg))
      if (next === undefined) {
        next = { children: new Map(), leaf: undefined, via: owner, segment: seg }
        node.children.set(segmentKey(seg), next)
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
