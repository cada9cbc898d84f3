/**
 * The two small languages of a REST definition:
 * - dotted paths into JSON (`data`, `error.fields.0`, `paging.next.after`): read from answers
 *   and written into request bodies;
 * - `{placeholder}` templates (`/api/v1/contacts/{id}`, `{fields}:{operator}:{value}`).
 */

/** A dotted path, split: keys, and indexes into lists. */
export type DottedPath = readonly string[]

/** Keys a path may never name: writing them would reach an object's prototype. */
const REFUSED = new Set(['__proto__', 'constructor', 'prototype'])

/** The path's segments, or why it is not a path. */
export function parseDotted(text: string): { ok: true; path: DottedPath } | { ok: false; reason: string } {
  const segments = text.split('.')
  if (segments.some((s) => s === '')) return { ok: false, reason: `"${text}" is not a dotted path (a.b.0): empty segment` }
  if (segments.some((s) => /\s/.test(s))) return { ok: false, reason: `"${text}" is not a dotted path (a.b.0): it holds a space` }
  const refused = segments.find((s) => REFUSED.has(s))
  if (refused !== undefined) return { ok: false, reason: `"${text}": the key "${refused}" is refused` }
  return { ok: true, path: segments }
}

/** A path already checked by the definition's validation. */
export function dotted(text: string): DottedPath {
  const parsed = parseDotted(text)
  if (!parsed.ok) throw new TypeError(parsed.reason)
  return parsed.path
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** The value at `path` (own keys of objects, indexes of lists), or undefined. */
export function readPath(value: unknown, path: DottedPath): unknown {
  let current = value
  for (const segment of path) {
    if (Array.isArray(current) && /^\d+$/.test(segment)) current = current[Number(segment)]
    else if (isPlainObject(current) && Object.hasOwn(current, segment)) current = current[segment]
    else return undefined
  }
  return current
}

/** Sets `path` in `target` to `value`, creating the objects on the way (never lists). */
export function writePath(target: Record<string, unknown>, path: DottedPath, value: unknown): void {
  let current = target
  for (const [i, segment] of path.entries()) {
    if (i === path.length - 1) {
      current[segment] = value
      return
    }
    const next = current[segment]
    if (isPlainObject(next)) {
      current = next
    } else {
      const created: Record<string, unknown> = {}
      current[segment] = created
      current = created
    }
  }
}

/** `value` placed at `path` of a new object; the value itself for no path. */
export function wrapAt(path: DottedPath | undefined, value: unknown): unknown {
  if (path === undefined) return value
  const out: Record<string, unknown> = {}
  writePath(out, path, value)
  return out
}

// ---------------------------------------------------------------------------------------------
// Templates

const PLACEHOLDER = /\{([^{}]*)\}/g

/** The placeholders a template names, and whether its braces are balanced. */
export function placeholdersOf(template: string): { names: string[]; balanced: boolean } {
  const names = [...template.matchAll(PLACEHOLDER)].map((m) => m[1] ?? '')
  const rest = template.replace(PLACEHOLDER, '')
  return { names, balanced: !rest.includes('{') && !rest.includes('}') }
}

/** The template with each `{name}` replaced by `values[name]` (names checked beforehand). */
export function fillTemplate(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(PLACEHOLDER, (whole, name: string) => (Object.hasOwn(values, name) ? (values[name] ?? '') : whole))
}
