/**
 * YAML → plain data, keeping what we need to point at the source: every later check reports
 * a table path (`fields[3].transform`) and `locate` turns it into a line and column.
 * YAML's own problems (syntax, duplicate keys) come back as issues with their position.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml'
import type { TableIssue } from './errors.js'

/** A path into the parsed table: map keys and sequence indexes. */
export type NodePath = readonly (string | number)[]

export interface Position {
  readonly line: number
  readonly column: number
}

export interface ParsedYaml {
  readonly value: unknown
  /**
   * The position of the node at `path`, or of its deepest existing ancestor.
   * `key: true` points at the key of the last step instead of its value (unknown keys).
   */
  locate(path: NodePath, options?: { key?: boolean }): Position
  /** YAML syntax problems; when non-empty, `value` must not be trusted. */
  readonly issues: readonly TableIssue[]
}

export function parseYaml(source: string, file: string): ParsedYaml {
  const lineCounter = new LineCounter()
  const doc = parseDocument(source, { lineCounter, prettyErrors: false, uniqueKeys: true })
  const position = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset)
    return { line, column: col }
  }
  const issues: TableIssue[] = doc.errors.map((err) => ({
    file,
    ...position(err.pos[0]),
    path: '(yaml)',
    message: err.message.split('\n')[0] ?? err.code
  }))

  const locate = (path: NodePath, options: { key?: boolean } = {}): Position => {
    let node: unknown = doc.contents
    let found: Node | undefined = isNode(node) ? node : undefined
    for (const [i, step] of path.entries()) {
      const last = i === path.length - 1
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && String(isScalar(p.key) ? p.key.value : p.key) === String(step))
        if (pair === undefined) break
        if (last && options.key === true && isNode(pair.key)) return nodeStart(pair.key, position)
        node = pair.value
        // A key with an empty value (`transform:`) has no value node: point at the key.
        if (!isNode(node)) { if (isNode(pair.key)) found = pair.key; break }
      } else if (isSeq(node) && typeof step === 'number') {
        node = node.items[step]
        if (!isNode(node)) break
      } else {
        break
      }
      found = node
    }
    return found === undefined ? { line: 1, column: 1 } : nodeStart(found, position)
  }

  return { value: issues.length > 0 ? undefined : doc.toJS({ maxAliasCount: 100 }), locate, issues }
}

function isNode(value: unknown): value is Node {
  return isMap(value) || isSeq(value) || isScalar(value)
}

function nodeStart(node: Node, position: (offset: number) => Position): Position {
  return node.range === undefined || node.range === null ? { line: 1, column: 1 } : position(node.range[0])
}

/** `fields[3].transform`-style display of a node path. */
export function displayNodePath(path: NodePath): string {
  let out = ''
  for (const step of path) {
    if (typeof step === 'number') out += `[${step}]`
    else out += out === '' ? step : `.${step}`
  }
  return out === '' ? '(root)' : out
}
