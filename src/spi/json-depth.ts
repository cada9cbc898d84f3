/**
 * How deeply a request body may nest (SECURITY.md § Hostile input). The code that walks a body
 * — null-dropping (envelope.ts), the create fingerprint (core/create-dedup.ts), the mapping
 * table's copies — recurses once per level, so a 6 KB body nested 3,000 levels overflowed the
 * stack (a 500). A customer nests a handful of levels (customer › profile › address, a custom
 * field or two below): 32 leaves ample room and keeps every recursion a few dozen frames deep.
 */
export const MAX_JSON_DEPTH = 32

/** A field path in an error message: at most this many segments, each cut to SEGMENT_CHARS. */
const PATH_SEGMENTS = 4
const SEGMENT_CHARS = 64

/**
 * Where `value` first nests deeper than `max` objects and lists (the top-level object is level
 * 1), as a dotted field path (`x.0.0…`), or undefined when it does not. Measured with an
 * explicit stack, never by recursion: the check must not fail the way it protects against.
 */
export function tooDeepAt(value: unknown, max: number = MAX_JSON_DEPTH): string | undefined {
  const stack: Array<{ readonly value: unknown; readonly depth: number; readonly path: readonly string[] }> = [{ value, depth: 0, path: [] }]
  while (stack.length > 0) {
    const item = stack.pop()!
    if (typeof item.value !== 'object' || item.value === null) continue
    const depth = item.depth + 1
    if (depth > max) return fieldPath(item.path)
    // Only the first few segments (and one more, to know the path goes on) are kept: the path
    // is for a message, not for a lookup.
    const keep = item.path.length <= PATH_SEGMENTS
    const entries: Iterable<[string, unknown]> = Array.isArray(item.value)
      ? item.value.map((v, i): [string, unknown] => [String(i), v])
      : Object.entries(item.value)
    for (const [key, child] of entries) {
      if (typeof child === 'object' && child !== null) {
        stack.push({ value: child, depth, path: keep ? [...item.path, key.slice(0, SEGMENT_CHARS)] : item.path })
      }
    }
  }
  return undefined
}

function fieldPath(path: readonly string[]): string {
  if (path.length === 0) return 'body'
  return path.length <= PATH_SEGMENTS ? path.join('.') : `${path.slice(0, PATH_SEGMENTS).join('.')}…`
}
