/**
 * Normalizers: `trim`, `lowercase`, `uppercase`. They apply the same way in both directions,
 * so a value read back from the CRM has the same canonical form as one written to it
 * (e-mail addresses lowercased both ways, state codes uppercased both ways, …).
 *
 * Each is one plain function used for both directions: they run on most fields of every
 * customer, so no wrapper call sits between the mapper and the string method.
 */
import { expectText, type ValueTransform, type ValueTransformDefinition } from './types.js'

function normalizer(name: string, summary: string, fn: (v: unknown) => string): ValueTransformDefinition {
  const transform: ValueTransform = { write: fn, read: fn }
  return { name, kind: 'value', param: 'none', summary, create: () => transform }
}

/**
 * Whether `s` is plain ASCII without a letter between `from` and `to` (`A`–`Z` for lowercase),
 * i.e. the case change would give `s` back. Values are almost always stored normalized
 * already, and Node's case mapping (ICU, full Unicode rules) costs ~40 ns even for `US`,
 * while ASCII text only ever maps A–Z ⇄ a–z: such text is returned as is, anything else
 * (non-ASCII included) goes through the real method.
 */
function unchangedByCase(s: string, from: number, to: number): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c > 0x7f || (c >= from && c <= to)) return false
  }
  return true
}

const A = 0x41, Z = 0x5a, a = 0x61, z = 0x7a

/** Printable ASCII other than space: never white space or a line terminator for `trim`. */
function isInk(c: number): boolean {
  return c > 0x20 && c < 0x7f
}

function trim(v: unknown): string {
  const s = expectText(v)
  // Stored values rarely carry surrounding space: skip the call when both ends are visible.
  return s.length > 0 && isInk(s.charCodeAt(0)) && isInk(s.charCodeAt(s.length - 1)) ? s : s.trim()
}

function lowercase(v: unknown): string {
  const s = expectText(v)
  return unchangedByCase(s, A, Z) ? s : s.toLowerCase()
}

function uppercase(v: unknown): string {
  const s = expectText(v)
  return unchangedByCase(s, a, z) ? s : s.toUpperCase()
}

export const textTransforms: readonly ValueTransformDefinition[] = [
  normalizer('trim', 'removes leading and trailing white space, both ways', trim),
  normalizer('lowercase', 'lower-cases text, both ways (e.g. e-mail addresses)', lowercase),
  normalizer('uppercase', 'upper-cases text, both ways (e.g. state or country codes)', uppercase)
]
