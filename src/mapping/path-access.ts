/**
 * A parsed path prepared once at load for the per-call reads and writes: a small function of
 * its own for each direction, generated from its segments (`c["profile"]["firstName"]`).
 *
 * Why generated: a table-driven mapper otherwise reads and writes every field through one
 * shared piece of code with a key from the table (`obj[key]`), whose inline cache sees every
 * field of every table and goes megamorphic: ~10–13 ns a field, a third of a round trip
 * (BENCHMARKS.md, change 9). A function per path has its own inline caches, each seeing one
 * property name (BENCHMARKS.md, change 10: ~6.1 → ~5.0 µs both ways, with wide records now
 * built by named stores, which keep V8's fast object layout). This is what ajv and
 * fast-json-stringify (Fastify's validators and serializers) already do, so the gateway never
 * ran where code generation is forbidden (`--disallow-code-generation-from-strings`).
 *
 * Nothing from a table reaches the generated code but property names and indexes, checked by
 * `parsePath` (names of letters, digits, `_ $ -`; never `__proto__`, `constructor`,
 * `prototype`) and written as JSON string literals or integers. The rules are those of the
 * generic walkers in ./paths.ts, whose results these equal exactly: a read follows data only
 * (a step under a non-object, or a function met, is missing); a write creates plain objects,
 * or arrays before an index, and shadows anything else found on the way.
 */
import type { Path, Segment } from './paths.js'

type Container = Record<Segment, unknown>

export interface CompiledPath {
  /** As written in the table, for messages. */
  readonly text: string
  /** The first segment (`''` for the empty path): what a group enters or creates. */
  readonly s0: Segment
  readonly segments: readonly Segment[]
  /** `getAt(root, segments)`. */
  readonly get: (root: unknown) => unknown
  /** `setAt(root, segments, value)`. */
  readonly set: (root: Container, value: unknown) => void
}

export function compilePath(path: Path): CompiledPath {
  const segments = [...path.segments]
  return { text: path.text, s0: segments[0] ?? '', segments, get: generateRead(segments), set: generateWrite(segments) }
}

/** `getAt(root, path.segments)`. */
export function readPath(path: CompiledPath, root: unknown): unknown {
  return path.get(root)
}

/** `setAt(root, path.segments, value)`. */
export function writePath(path: CompiledPath, root: Container, value: unknown): void {
  path.set(root, value)
}

/** A checked segment as a property access: `["name"]` (a JSON string literal) or `[3]`. */
function access(seg: Segment): string {
  if (typeof seg === 'number') {
    if (!Number.isSafeInteger(seg) || seg < 0) throw new Error(`bad path index ${seg}`)
    return `[${seg}]`
  }
  return `[${JSON.stringify(seg)}]`
}

function generateRead(segments: readonly Segment[]): (root: unknown) => unknown {
  let body = 'let c = root\n'
  for (const seg of segments) body += `if (typeof c !== "object" || c === null) return undefined\nc = c${access(seg)}\n`
  body += 'return typeof c === "function" ? undefined : c'
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- see the file's comment
  return new Function('root', body) as (root: unknown) => unknown
}

function generateWrite(segments: readonly Segment[]): (root: Container, value: unknown) => void {
  const last = segments[segments.length - 1]
  if (last === undefined) {
    return () => {
      throw new Error('the empty path cannot be written')
    }
  }
  let body = 'let c = root, n\n'
  for (let i = 0; i < segments.length - 1; i++) {
    const at = access(segments[i] as Segment)
    const made = typeof segments[i + 1] === 'number' ? '[]' : '{}'
    body += `n = c${at}\nif (typeof n !== "object" || n === null) { n = ${made}; c${at} = n }\nc = n\n`
  }
  body += `c${access(last)} = value`
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- see the file's comment
  return new Function('root', 'value', body) as (root: Container, value: unknown) => void
}
