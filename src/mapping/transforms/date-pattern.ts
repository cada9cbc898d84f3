/**
 * Date patterns such as `MM/DD/YYYY` or `YYYY-MM-DD[T]HH:mm:ss`, compiled once into a regular
 * expression and a formatter (no per-call pattern parsing), strict both ways: `02/30/2021`,
 * `2/3/2021` for `MM/DD/YYYY` or trailing text are refused rather than guessed at.
 * All dates are UTC: a calendar date is midnight UTC, as CONTRACT §6 reads epoch birthdays.
 *
 * Tokens: YYYY, MM, M, DD, D, HH, H, mm, ss, SSS. Any other letter must sit inside [brackets];
 * other characters are literal.
 */
import { TransformParamError } from './types.js'

export interface DateParts {
  readonly year: number | undefined
  readonly month: number
  readonly day: number
  readonly hour: number
  readonly minute: number
  readonly second: number
  readonly millisecond: number
}

type TokenName = 'YYYY' | 'MM' | 'M' | 'DD' | 'D' | 'HH' | 'H' | 'mm' | 'ss' | 'SSS'
type Part = { readonly token: TokenName } | { readonly literal: string }

// Longest first, so `MM` is not read as two `M`.
const TOKENS: readonly TokenName[] = ['YYYY', 'SSS', 'MM', 'DD', 'HH', 'mm', 'ss', 'M', 'D', 'H']
const DIGITS: Record<TokenName, string> = {
  YYYY: '(\\d{4})', MM: '(\\d{2})', M: '(\\d{1,2})', DD: '(\\d{2})', D: '(\\d{1,2})',
  HH: '(\\d{2})', H: '(\\d{1,2})', mm: '(\\d{2})', ss: '(\\d{2})', SSS: '(\\d{3})'
}
const WIDTH: Record<TokenName, number> = { YYYY: 4, MM: 2, M: 1, DD: 2, D: 1, HH: 2, H: 1, mm: 2, ss: 2, SSS: 3 }

export interface DatePattern {
  readonly text: string
  readonly hasYear: boolean
  /** Undefined when the text does not match or names an impossible date. */
  parse(text: string): DateParts | undefined
  format(parts: DateParts): string
  /** The same pattern without the year and the separator next to it (`MM/DD/YYYY` → `MM/DD`). */
  withoutYear(): DatePattern
}

function lex(text: string): Part[] {
  const parts: Part[] = []
  const pushLiteral = (s: string): void => {
    const last = parts[parts.length - 1]
    if (last !== undefined && 'literal' in last) parts[parts.length - 1] = { literal: last.literal + s }
    else parts.push({ literal: s })
  }
  let i = 0
  while (i < text.length) {
    const ch = text.charAt(i)
    if (ch === '[') {
      const end = text.indexOf(']', i)
      if (end < 0) throw new TransformParamError(`bad date pattern "${text}": "[" without "]"`)
      pushLiteral(text.slice(i + 1, end))
      i = end + 1
      continue
    }
    const token = TOKENS.find((t) => text.startsWith(t, i))
    if (token !== undefined) {
      parts.push({ token })
      i += token.length
    } else if (/[A-Za-z]/.test(ch)) {
      throw new TransformParamError(
        `bad date pattern "${text}": unknown token "${ch}" at position ${i + 1} (tokens: ${TOKENS.join(', ')}; put other letters in [brackets])`
      )
    } else {
      pushLiteral(ch)
      i += 1
    }
  }
  return parts
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

function daysInMonth(year: number, month: number): number {
  if (month !== 2) return MONTH_DAYS[month - 1] ?? 0
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28
}

/** True when the parts name a real calendar date and time; a missing year allows 29 February. */
export function isValidParts(p: DateParts): boolean {
  return (
    p.month >= 1 && p.month <= 12 &&
    p.day >= 1 && p.day <= daysInMonth(p.year ?? 2000, p.month) &&
    p.hour <= 23 && p.minute <= 59 && p.second <= 59
  )
}

function fieldOf(d: DateParts, token: TokenName): number {
  switch (token) {
    case 'YYYY': return d.year ?? 0
    case 'MM': case 'M': return d.month
    case 'DD': case 'D': return d.day
    case 'HH': case 'H': return d.hour
    case 'mm': return d.minute
    case 'ss': return d.second
    case 'SSS': return d.millisecond
  }
}

/** The pattern text of lexed parts (letters in literals bracketed again). */
function partsText(parts: readonly Part[]): string {
  return parts.map((p) => ('token' in p ? p.token : /[A-Za-z]/.test(p.literal) ? `[${p.literal}]` : p.literal)).join('')
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0')
}

function build(text: string, parts: readonly Part[]): DatePattern {
  const seen = new Set<string>()
  for (const p of parts) {
    if (!('token' in p)) continue
    const kind = p.token.charAt(0)
    if (seen.has(kind)) throw new TransformParamError(`bad date pattern "${text}": "${p.token}" appears twice`)
    seen.add(kind)
  }
  if (!seen.has('M') || !seen.has('D')) throw new TransformParamError(`bad date pattern "${text}": needs a month (MM or M) and a day (DD or D)`)
  const tokens = parts.flatMap((p) => ('token' in p ? [p.token] : []))
  const re = new RegExp('^' + parts.map((p) => ('token' in p ? DIGITS[p.token] : p.literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('') + '$')

  const pattern: DatePattern = {
    text,
    hasYear: seen.has('Y'),
    parse(input) {
      const m = re.exec(input)
      if (m === null) return undefined
      let year: number | undefined
      let month = 0, day = 0, hour = 0, minute = 0, second = 0, millisecond = 0
      for (let i = 0; i < tokens.length; i++) {
        const n = Number(m[i + 1])
        switch (tokens[i]) {
          case 'YYYY': year = n; break
          case 'MM': case 'M': month = n; break
          case 'DD': case 'D': day = n; break
          case 'HH': case 'H': hour = n; break
          case 'mm': minute = n; break
          case 'ss': second = n; break
          case 'SSS': millisecond = n; break
        }
      }
      const parsed = { year, month, day, hour, minute, second, millisecond }
      return isValidParts(parsed) ? parsed : undefined
    },
    format(d) {
      let out = ''
      for (const p of parts) {
        if ('literal' in p) { out += p.literal; continue }
        out += pad(fieldOf(d, p.token), WIDTH[p.token])
      }
      return out
    },
    withoutYear() {
      const at = parts.findIndex((p) => 'token' in p && p.token === 'YYYY')
      if (at < 0) return pattern
      // Drop the year and the separator that joins it to the rest: after it when the year
      // leads (`YYYY-MM-DD` → `MM-DD`), before it otherwise (`MM/DD/YYYY` → `MM/DD`).
      const sep = at === 0 ? 1 : at - 1
      const sepPart = parts[sep]
      const drop = sepPart !== undefined && 'literal' in sepPart ? [at, sep] : [at]
      const kept = parts.filter((_, i) => !drop.includes(i))
      return build(partsText(kept), kept)
    }
  }
  return pattern
}

export function compileDatePattern(text: string): DatePattern {
  if (text.trim() === '') throw new TransformParamError('empty date pattern')
  return build(text, lex(text))
}

/** Epoch milliseconds of parts that carry a year (UTC); setUTCFullYear keeps years < 100 literal. */
export function partsToEpoch(p: DateParts): number {
  const d = new Date(0)
  d.setUTCFullYear(p.year ?? 2000, p.month - 1, p.day)
  d.setUTCHours(p.hour, p.minute, p.second, p.millisecond)
  return d.getTime()
}

export function epochToParts(ms: number): DateParts {
  const d = new Date(ms)
  return {
    year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(),
    hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(), millisecond: d.getUTCMilliseconds()
  }
}
