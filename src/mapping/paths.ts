/**
 * Dot paths (`profile.address.city`, `PHONES.0.NUMBER`) parsed once at load into segment
 * arrays, and the two primitives the compiled mapper runs per call: read a path, write a path.
 *
 * Safety: segments `__proto__`, `constructor` and `prototype` are refused at parse time, reads
 * only follow own properties, and writes only ever create plain objects / arrays. So neither a
 * table nor a hostile CRM record can reach Object.prototype through a path.
 */

/** A property name, or a numeric index into a list. */
export type Segment = string | number

export interface Path {
  /** As written in the table, e.g. `LOYALTY.MAIL_ADDR.LINE1`. */
  readonly text: string
  readonly segments: readonly Segment[]
}

export const REFUSED_SEGMENTS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype'])

/** `REFUSED_SEGMENTS.has(key)` as plain comparisons, for the per-key loops of value copies. */
export function isRefusedKey(key: string): boolean {
  return key === '__proto__' || key === 'constructor' || key === 'prototype'
}

/**
 * A key: letters, digits, `_ $ -`, not all digits — so a CRM's own keys are written as they
 * are, even when they start with a digit (Pipedrive's custom fields: 40 hex digits such as
 * `9a1f…`). A segment of digits only is a list index.
 */
const NAME = /^(?![0-9]+$)[A-Za-z0-9_$-]+$/
const INDEX = /^(?:0|[1-9][0-9]{0,5})$/

const NAME_SRC = '(?![0-9]+(?:\\.|$))[A-Za-z0-9_$-]+'
const INDEX_SRC = '(?:0|[1-9][0-9]{0,5})'
/** The same rules as `parsePath`, as a JSON-schema pattern so editors flag bad paths early. */
export const PATH_PATTERN =
  '^(?!(?:.*\\.)?(?:__proto__|constructor|prototype)(?:\\.|$))' +
  `${NAME_SRC}(?:\\.(?:${NAME_SRC}|${INDEX_SRC}))*$`

export type PathResult = { readonly ok: true; readonly path: Path } | { readonly ok: false; readonly reason: string }

/** Parses a dot path; the reason says precisely what is wrong. */
export function parsePath(text: string): PathResult {
  if (text === '') return { ok: false, reason: 'empty path' }
  const parts = text.split('.')
  const segments: Segment[] = []
  for (const [i, part] of parts.entries()) {
    if (part === '') return { ok: false, reason: `bad path "${text}": empty segment (two dots, or a leading/trailing dot)` }
    if (REFUSED_SEGMENTS.has(part)) return { ok: false, reason: `bad path "${text}": segment "${part}" is refused` }
    if (INDEX.test(part)) {
      if (i === 0) return { ok: false, reason: `bad path "${text}": a path must start with a key, not an index` }
      segments.push(Number(part))
    } else if (NAME.test(part)) {
      segments.push(part)
    } else {
      return {
        ok: false,
        reason: `bad path "${text}": segment "${part}" must be a key (letters, digits, _ $ -; not digits only) or an index (0, 1, …)`
      }
    }
  }
  return { ok: true, path: { text, segments } }
}

/**
 * The value at `segments`; `undefined` when any step is missing. Only data is followed: a
 * function met on the way (an inherited method such as `toString`, which JSON never holds)
 * counts as missing, so a path cannot pull anything out of a prototype.
 */
export function getAt(root: unknown, segments: readonly Segment[]): unknown {
  let cur = root
  for (let i = 0; i < segments.length; i++) {
    if (typeof cur !== 'object' || cur === null) return undefined
    cur = (cur as Record<Segment, unknown>)[segments[i] as Segment]
  }
  return typeof cur === 'function' ? undefined : cur
}

type Container = Record<Segment, unknown>

/**
 * Sets `value` at `segments` in `root`, creating plain objects (or arrays before an index) on
 * the way. Segments were validated by `parsePath`, so a plain assignment cannot hit a prototype.
 */
export function setAt(root: Container, segments: readonly Segment[], value: unknown): void {
  let cur: Container = root
  const last = segments.length - 1
  for (let i = 0; i < last; i++) {
    const seg = segments[i] as Segment
    // `cur` is always an object this module created; an inherited method found under `seg`
    // is not an object, so it is shadowed by a fresh own container, never written into.
    let next = cur[seg]
    if (typeof next !== 'object' || next === null) {
      next = typeof segments[i + 1] === 'number' ? [] : {}
      cur[seg] = next
    }
    cur = next as Container
  }
  cur[segments[last] as Segment] = value
}

/** `addressList[2].city`-style display of a path, for error messages. */
export function displayPath(segments: readonly Segment[]): string {
  let out = ''
  for (const seg of segments) {
    if (typeof seg === 'number') out += `[${seg}]`
    else out += out === '' ? seg : `.${seg}`
  }
  return out === '' ? '(root)' : out
}

/** True when `prefix` is `path` or one of its ancestors. */
export function isPrefix(prefix: readonly Segment[], path: readonly Segment[]): boolean {
  if (prefix.length > path.length) return false
  for (let i = 0; i < prefix.length; i++) if (prefix[i] !== path[i]) return false
  return true
}
