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

/** The DateParts field a token fills, as a number for the per-call switches. */
const YEAR = 0
const MONTH = 1
const DAY = 2
const HOUR = 3
const MINUTE = 4
const SECOND = 5
const MILLISECOND = 6
const FIELD: Record<TokenName, number> = { YYYY: YEAR, MM: MONTH, M: MONTH, DD: DAY, D: DAY, HH: HOUR, H: HOUR, mm: MINUTE, ss: SECOND, SSS: MILLISECOND }

function fieldOf(d: DateParts, field: number): number {
  switch (field) {
    case YEAR: return d.year ?? 0
    case MONTH: return d.month
    case DAY: return d.day
    case HOUR: return d.hour
    case MINUTE: return d.minute
    case SECOND: return d.second
    default: return d.millisecond
  }
}

type Draft = { -readonly [K in keyof DateParts]: DateParts[K] }

function setField(d: Draft, field: number, n: number): void {
  switch (field) {
    case YEAR: d.year = n; break
    case MONTH: d.month = n; break
    case DAY: d.day = n; break
    case HOUR: d.hour = n; break
    case MINUTE: d.minute = n; break
    case SECOND: d.second = n; break
    default: d.millisecond = n
  }
}

function draft(): Draft {
  return { year: undefined, month: 0, day: 0, hour: 0, minute: 0, second: 0, millisecond: 0 }
}

/** The pattern text of lexed parts (letters in literals bracketed again). */
function partsText(parts: readonly Part[]): string {
  return parts.map((p) => ('token' in p ? p.token : /[A-Za-z]/.test(p.literal) ? `[${p.literal}]` : p.literal)).join('')
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0')
}

/** A part in one shape (literal or token), for the formatter. */
interface Step {
  readonly literal: string
  /** The DateParts field of a token; -1 for a literal. */
  readonly field: number
  /** The digits a token is written with (at least). */
  readonly width: number
}

function toStep(p: Part): Step {
  return 'literal' in p ? { literal: p.literal, field: -1, width: 0 } : { literal: '', field: FIELD[p.token], width: WIDTH[p.token] }
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
  const re = new RegExp('^' + parts.map((p) => ('token' in p ? DIGITS[p.token] : p.literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('') + '$')
  const steps = parts.map(toStep)
  const fields = steps.flatMap((step) => (step.field < 0 ? [] : [step.field]))

  const pattern: DatePattern = {
    text,
    hasYear: seen.has('Y'),
    parse(input) {
      const m = re.exec(input)
      if (m === null) return undefined
      const d = draft()
      for (let i = 0; i < fields.length; i++) setField(d, fields[i] as number, Number(m[i + 1]))
      return isValidParts(d) ? d : undefined
    },
    format(d) {
      let out = ''
      for (let i = 0; i < steps.length; i++) {
        const step = steps[i] as Step
        out += step.field < 0 ? step.literal : pad(fieldOf(d, step.field), step.width)
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

const DAY_MS = 86_400_000
/** The Date range (ECMAScript time values), beyond which Date answers NaN fields. */
const MAX_TIME = 8.64e15
/** Days from 0000-03-01 to 1970-01-01 in the proleptic Gregorian calendar Date uses. */
const EPOCH_SHIFT = 719_468
const DAYS_PER_ERA = 146_097

function isIntIn(n: number, min: number, max: number): boolean {
  return n >= min && n <= max && Math.floor(n) === n
}

/**
 * Days since 1970-01-01 of a calendar date (H. Hinnant's days_from_civil), counting a day
 * past the month's end into the next month as Date.setUTCFullYear does.
 */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * DAYS_PER_ERA + doe - EPOCH_SHIFT
}

/** Epoch milliseconds of parts that carry a year (UTC); setUTCFullYear keeps years < 100 literal. */
export function partsToEpoch(p: DateParts): number {
  const year = p.year ?? 2000
  // What parsing yields (a 4-digit year, a real month, in-range times) is computed directly;
  // anything else takes Date's own rules, so results stay those of the Date code below.
  if (
    isIntIn(year, 0, 9999) && isIntIn(p.month, 1, 12) && isIntIn(p.day, 1, 31) && isIntIn(p.hour, 0, 23) &&
    isIntIn(p.minute, 0, 59) && isIntIn(p.second, 0, 59) && isIntIn(p.millisecond, 0, 999)
  ) {
    return daysFromCivil(year, p.month, p.day) * DAY_MS + p.hour * 3_600_000 + p.minute * 60_000 + p.second * 1000 + p.millisecond
  }
  const d = new Date(0)
  d.setUTCFullYear(year, p.month - 1, p.day)
  d.setUTCHours(p.hour, p.minute, p.second, p.millisecond)
  return d.getTime()
}

/** The UTC fields of an epoch time; the arithmetic of H. Hinnant's civil_from_days. */
export function epochToParts(epochMs: number): DateParts {
  // Date truncates a fractional time value; out of its range every field is NaN (Date's way).
  const ms = Math.trunc(epochMs)
  if (!(Math.abs(ms) <= MAX_TIME)) {
    const d = new Date(epochMs)
    return {
      year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(),
      hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(), millisecond: d.getUTCMilliseconds()
    }
  }
  const days = Math.floor(ms / DAY_MS)
  // Within Date's range every quantity below fits 32 bits: integer arithmetic (`| 0`, `%` on
  // int32) instead of floating-point division, floor and remainder.
  const inDay = (ms - days * DAY_MS) | 0
  const z = (days + EPOCH_SHIFT) | 0
  const era = Math.floor(z / DAYS_PER_ERA)
  const doe = (z - era * DAYS_PER_ERA) | 0
  const yoe = ((doe - ((doe / 1460) | 0) + ((doe / 36_524) | 0) - ((doe / 146_096) | 0)) / 365) | 0
  const doy = (doe - (365 * yoe + ((yoe / 4) | 0) - ((yoe / 100) | 0))) | 0
  const mp = ((5 * doy + 2) / 153) | 0
  const month = mp < 10 ? mp + 3 : mp - 9
  return {
    year: yoe + era * 400 + (month <= 2 ? 1 : 0),
    month,
    day: doy - (((153 * mp + 2) / 5) | 0) + 1,
    hour: (inDay / 3_600_000) | 0,
    minute: ((inDay / 60_000) | 0) % 60,
    second: ((inDay / 1000) | 0) % 60,
    millisecond: inDay % 1000
  }
}
