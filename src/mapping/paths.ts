/**
 * Paths as tables write them, parsed once at load, and the walkers that read and write them
 * per call — the only ones the mapping has.
 *
 * A path is keys and list positions joined by dots (`profile.address.city`, `PHONES.0.NUMBER`),
 * with two more forms for real CRM shapes:
 * - a quoted key, any text the CRM uses as a key: `custom_fields."Loyalty #"` (JSON string
 *   syntax); a key of letters, digits and `_ $ -` needs no quotes, even starting with a digit
 *   (Pipedrive's 40-hex custom field keys); digits only are a list position;
 * - a keyed list item, after a key: `phones[label=mobile].value`, `emails[primary=true].value`
 *   — the item of the list whose member equals the value (`true`/`false` are booleans; any
 *   other value is text, quoted when it holds other than letters, digits, `_ $ @ + . : -`).
 *
 * Safety: `__proto__`, `constructor` and `prototype` are refused as keys and members, reads
 * follow data only, and writes only create plain objects and lists, so neither a table nor a
 * hostile CRM record can reach Object.prototype through a path.
 */

/** A keyed list item: the first item whose `member` equals `equals`. */
export interface Selector {
  readonly member: string
  readonly equals: string | boolean
}

/** A key, a list position, or a keyed list item. */
export type Segment = string | number | Selector

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

export const isSelector = (seg: Segment): seg is Selector => typeof seg === 'object'

const NAME = /^[A-Za-z0-9_$-]+/
const INDEX = /^(?:0|[1-9][0-9]{0,5})$/
const MEMBER = /^[A-Za-z_$][A-Za-z0-9_$-]*$/
const BARE_VALUE = /^[A-Za-z0-9_$@+.:-]+$/
/** A JSON string literal at the start of the text. */
const QUOTED = /^"(?:[^"\\]|\\.)*"/

const NAME_SRC = '(?![0-9]+(?:[.[]|$))[A-Za-z0-9_$-]+'
const QUOTED_SRC = '"(?:[^"\\\\]|\\\\.)+"'
const INDEX_SRC = '(?:0|[1-9][0-9]{0,5})'
const SELECTOR_SRC = `\\[[A-Za-z_$][A-Za-z0-9_$-]*=(?:[A-Za-z0-9_$@+.:-]+|${QUOTED_SRC})\\]`
const KEY_SRC = `(?:${NAME_SRC}|${QUOTED_SRC})(?:${SELECTOR_SRC})?`
/** The rules of `parsePath`, as a JSON-schema pattern so editors flag bad paths early. */
export const PATH_PATTERN =
  '^(?!(?:.*[.[])?"?(?:__proto__|constructor|prototype)"?(?:[.[=\\]]|$))' + `${KEY_SRC}(?:\\.(?:${KEY_SRC}|${INDEX_SRC}))*$`

export type PathResult = { readonly ok: true; readonly path: Path } | { readonly ok: false; readonly reason: string }

/** A JSON string literal's text, or undefined when it is not one. */
function unquote(literal: string): string | undefined {
  try {
    const text: unknown = JSON.parse(literal)
    return typeof text === 'string' ? text : undefined
  } catch {
    return undefined
  }
}

/** `[member=value]` at the start of `rest`: the selector and its length, or why it is not one. */
function parseSelector(rest: string): { selector: Selector; length: number } | string {
  const close = findClose(rest)
  if (close === UNCLOSED_QUOTE) return 'a quoted value in [member="value"] needs its closing quote'
  if (close < 0) return 'a "[" opens a keyed item, e.g. phones[label=mobile], and needs its "]"'
  const inner = rest.slice(1, close)
  const eq = inner.indexOf('=')
  const member = eq < 0 ? inner : inner.slice(0, eq)
  if (eq < 0 || !MEMBER.test(member)) return `"[${inner}]" must be [member=value], the member a key such as label (letters, digits, _ $ -)`
  if (isRefusedKey(member)) return `the member "${member}" is refused`
  const raw = inner.slice(eq + 1)
  let equals: string | boolean
  if (raw === 'true' || raw === 'false') equals = raw === 'true'
  else if (raw.startsWith('"')) {
    const text = QUOTED.exec(raw)?.[0] === raw ? unquote(raw) : undefined
    if (text === undefined) return `the value in "[${inner}]" is not a complete "quoted text"`
    equals = text
  } else if (BARE_VALUE.test(raw)) equals = raw
  else return `the value in "[${inner}]" must be true, false, a word of letters, digits, _ $ @ + . : - or "quoted text"`
  return { selector: { member, equals }, length: close + 1 }
}

const UNCLOSED_QUOTE = -2

/** The index of the `]` closing a selector, skipping a quoted value; -1 when there is none. */
function findClose(rest: string): number {
  for (let i = 1; i < rest.length; i++) {
    if (rest[i] === ']') return i
    if (rest[i] === '"') {
      const quoted = QUOTED.exec(rest.slice(i))
      if (quoted === null) return UNCLOSED_QUOTE
      i += quoted[0].length - 1
    }
  }
  return -1
}

/** Parses a path; the reason says precisely what is wrong. */
export function parsePath(text: string): PathResult {
  const bad = (why: string): PathResult => ({ ok: false, reason: `bad path "${text}": ${why}` })
  if (text === '') return { ok: false, reason: 'empty path' }
  const segments: Segment[] = []
  let rest = text
  for (;;) {
    // One segment: a quoted key, or a run of name characters (a key, or digits: a position).
    let seg: Segment
    if (rest.startsWith('"')) {
      const literal = QUOTED.exec(rest)?.[0]
      const key = literal === undefined ? undefined : unquote(literal)
      if (literal === undefined || key === undefined) return bad('a quoted key needs its closing quote')
      if (key === '') return bad('a quoted key cannot be empty')
      if (isRefusedKey(key)) return bad(`segment "${key}" is refused`)
      seg = key
      rest = rest.slice(literal.length)
    } else {
      const name = NAME.exec(rest)?.[0]
      if (name === undefined) {
        if (rest === '' || rest.startsWith('.')) return bad('empty segment (two dots, or a leading/trailing dot)')
        return bad(`"${rest[0] ?? ''}" cannot start a segment: a key is letters, digits, _ $ - (or "quoted"), a position is digits`)
      }
      if (isRefusedKey(name)) return bad(`segment "${name}" is refused`)
      if (/^[0-9]+$/.test(name)) {
        if (segments.length === 0) return bad('a path must start with a key, not an index')
        if (!INDEX.test(name)) return bad(`"${name}" is not a list position (0, 1, … up to 999999, no leading zeros)`)
        seg = Number(name)
      } else {
        seg = name
      }
      rest = rest.slice(name.length)
    }
    segments.push(seg)
    if (rest.startsWith('[')) {
      if (typeof seg === 'number') return bad('a keyed item follows the key of its list (phones[label=mobile]), not a position')
      const parsed = parseSelector(rest)
      if (typeof parsed === 'string') return bad(parsed)
      segments.push(parsed.selector)
      rest = rest.slice(parsed.length)
      if (rest.startsWith('[')) return bad('one [member=value] per list item')
    }
    if (rest === '') return { ok: true, path: { text, segments } }
    if (!rest.startsWith('.')) {
      const start = text.slice(0, text.length - rest.length).lastIndexOf('.') + 1
      const segment = text.slice(start).split('.')[0] ?? ''
      return bad(`segment "${segment}" must be a key (letters, digits, _ $ -; not digits only), "quoted text" or a position (0, 1, …)`)
    }
    rest = rest.slice(1)
  }
}

/** The top-level field a path is under (a path starts with a key). */
export function rootKey(path: Path): string {
  const first = path.segments[0]
  return typeof first === 'string' ? first : ''
}

type Container = Record<string | number, unknown>

const isContainer = (value: unknown): value is Container => typeof value === 'object' && value !== null

/** True when `item` is an object whose member equals the selector's value (as text, so 1 = "1"). */
export function selects(selector: Selector, item: unknown): boolean {
  if (!isContainer(item)) return false
  const v = item[selector.member]
  return v === selector.equals || ((typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') && String(v) === String(selector.equals))
}

/** One step of a read: the member, item or selected item of `cur` (an object). */
function child(cur: Container, seg: Segment): unknown {
  if (!isSelector(seg)) return cur[seg]
  return Array.isArray(cur) ? (cur as unknown[]).find((item) => selects(seg, item)) : undefined
}

/**
 * The value at `segments`; `undefined` when any step is missing. Only data is followed: a
 * function met on the way (an inherited method such as `toString`, which JSON never holds)
 * counts as missing, so a path cannot pull anything out of a prototype.
 */
export function getAt(root: unknown, segments: readonly Segment[]): unknown {
  let cur = root
  for (const seg of segments) {
    if (!isContainer(cur)) return undefined
    cur = child(cur, seg)
  }
  return typeof cur === 'function' ? undefined : cur
}

/**
 * The container under `seg` in `cur`, made when missing: a plain object, or a list before a
 * position or a keyed item; a selected item missing from its list is appended, holding its key.
 * Anything else found (text, an inherited method) is shadowed by an own container, never
 * written into.
 */
function containerAt(cur: Container, seg: Segment, next: Segment): Container {
  if (isSelector(seg)) {
    const list = cur as unknown as unknown[]
    const found = list.find((item) => selects(seg, item))
    if (isContainer(found)) return found
    const item: Container = { [seg.member]: seg.equals }
    list.push(item)
    return item
  }
  const wantList = typeof next !== 'string'
  let n = cur[seg]
  if (!isContainer(n) || (wantList && !Array.isArray(n))) {
    n = wantList ? [] : {}
    cur[seg] = n
  }
  return n as Container
}

/**
 * Sets `value` at `segments` in `root`, creating what is missing on the way (`containerAt`).
 * Validation makes the last segment a key or a position, never a keyed item.
 */
export function setAt(root: Container, segments: readonly Segment[], value: unknown): void {
  let cur = root
  for (let i = 0; i < segments.length - 1; i++) cur = containerAt(cur, segments[i] as Segment, segments[i + 1] as Segment)
  const last = segments[segments.length - 1]
  if (last === undefined || isSelector(last)) throw new Error('a path ends with a key or a position')
  cur[last] = value
}

/** The part of `segments` up to and including its first keyed item (the list and the item). */
export function keyedItem(segments: readonly Segment[]): readonly Segment[] | undefined {
  const at = segments.findIndex(isSelector)
  return at < 0 ? undefined : segments.slice(0, at + 1)
}

/** Removes the items of the list at `item` (a path ending with a keyed item) that it selects. */
export function removeItems(root: Container, item: readonly Segment[]): void {
  const selector = item[item.length - 1]
  if (selector === undefined || !isSelector(selector)) return
  const list = getAt(root, item.slice(0, -1))
  if (!Array.isArray(list)) return
  for (let i = list.length - 1; i >= 0; i--) if (selects(selector, list[i])) list.splice(i, 1)
}

/** `[label=mobile]`, `[primary=true]`, `[kind="home phone"]`. */
function selectorText(selector: Selector): string {
  const v = selector.equals
  return `[${selector.member}=${typeof v === 'boolean' || BARE_VALUE.test(v) ? String(v) : JSON.stringify(v)}]`
}

/** `addressList[2].city`, `phones[label=mobile].value`: a path for messages. */
export function displayPath(segments: readonly Segment[]): string {
  let out = ''
  for (const seg of segments) {
    if (typeof seg === 'number') out += `[${seg}]`
    else if (isSelector(seg)) out += selectorText(seg)
    else out += out === '' ? seg : `.${seg}`
  }
  return out === '' ? '(root)' : out
}

/** A segment as a map key, for comparing paths (`[label=mobile]` for a keyed item). */
export function segmentKey(seg: Segment): string | number {
  return isSelector(seg) ? selectorText(seg) : seg
}

/**
 * True when `prefix` is `path` or one of its ancestors. A keyed item in `prefix` stands for
 * any position in `path` (which is a value's own path: samples' leaves).
 */
export function isPrefix(prefix: readonly Segment[], path: readonly Segment[]): boolean {
  if (prefix.length > path.length) return false
  for (let i = 0; i < prefix.length; i++) {
    const p = prefix[i] as Segment
    const s = path[i] as Segment
    if (isSelector(p) ? typeof s !== 'number' : segmentKey(p) !== segmentKey(s)) return false
  }
  return true
}
