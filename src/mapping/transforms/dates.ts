/**
 * Date transforms. The parameter names how the CRM holds the date — a pattern such as
 * `MM/DD/YYYY`, `iso` (ISO 8601 text) or `epoch-ms` (a number) — and the transform name says
 * what the SPI side holds:
 * - `date:<crm>`      SPI calendar date `YYYY-MM-DD` (write also accepts epoch ms);
 * - `epoch-ms:<crm>`  SPI epoch milliseconds (tier dates, CONTRACT §6);
 * - `birthday:<crm>`  the SPI birthday rules (CONTRACT §6): accepts `YYYY-MM-DD`, `--MM-DD`,
 *   `MM-DD` or epoch ms, answers `YYYY-MM-DD` or `--MM-DD`. A birthday without a year is held
 *   in the CRM pattern minus its year (`MM/DD/YYYY` → `MM/DD`), or in an explicit second
 *   pattern: `birthday:MM/DD/YYYY|MM/DD`.
 * Everything is UTC, so a date never shifts by a day with the server's time zone.
 */
import { compileDatePattern, epochToParts, isValidParts, partsToEpoch, type DateParts, type DatePattern } from './date-pattern.js'
import { TransformError, TransformParamError, type ValueTransformDefinition } from './types.js'
import type { CrmValueKind } from '../../core/port.js'

const DAY_MS = 86_400_000

/** How the CRM side holds a date-time, as epoch ms in and out. */
interface CrmDateCodec {
  readonly label: string
  format(epochMs: number): string | number
  /** Undefined when the CRM value is not a date of this form. */
  parse(value: unknown): number | undefined
}

function patternCodec(pattern: DatePattern): CrmDateCodec {
  return {
    label: pattern.text,
    format(ms) {
      const parts = epochToParts(ms)
      if (parts.year === undefined || parts.year < 0 || parts.year > 9999) throw new TransformError(`year out of range for ${pattern.text}`)
      return pattern.format(parts)
    },
    parse(value) {
      if (typeof value !== 'string') return undefined
      const parts = pattern.parse(value)
      return parts === undefined || parts.year === undefined ? undefined : partsToEpoch(parts)
    }
  }
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/

const isoCodec: CrmDateCodec = {
  label: 'ISO 8601',
  format: (ms) => new Date(ms).toISOString(),
  parse(value) {
    if (typeof value !== 'string') return undefined
    const m = ISO.exec(value)
    // Date.parse rolls 2021-02-30 over to March: check the calendar date first.
    if (m === null || !isValidParts({ year: Number(m[1]), month: Number(m[2]), day: Number(m[3]), hour: 0, minute: 0, second: 0, millisecond: 0 })) return undefined
    const ms = Date.parse(value)
    return Number.isNaN(ms) ? undefined : ms
  }
}

const epochCodec: CrmDateCodec = {
  label: 'epoch milliseconds',
  format: (ms) => ms,
  parse(value) {
    if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined
    return typeof value === 'string' && /^-?\d{1,16}$/.test(value) ? Number(value) : undefined
  }
}

function crmCodec(param: string | undefined, transform: string): CrmDateCodec {
  if (param === undefined || param === '') {
    throw new TransformParamError(`${transform} needs the CRM format: ${transform}:MM/DD/YYYY (any date pattern), ${transform}:iso or ${transform}:epoch-ms`)
  }
  if (param === 'iso') return isoCodec
  if (param === 'epoch-ms') return epochCodec
  const pattern = compileDatePattern(param)
  if (!pattern.hasYear) throw new TransformParamError(`bad date pattern "${param}": ${transform} needs a year (YYYY) in the CRM pattern`)
  return patternCodec(pattern)
}

// The SPI's own date forms, as patterns: strict like the CRM ones and parsed without a regex.
const SPI_DATE = compileDatePattern('YYYY-MM-DD')
const SPI_YEARLESS = compileDatePattern('--MM-DD')
const SPI_YEARLESS_SHORT = compileDatePattern('MM-DD')

function midnight(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS
}

/** `YYYY-MM-DD` → epoch ms at midnight UTC, or undefined. */
function parseSpiDate(text: string): number | undefined {
  const parts = SPI_DATE.parse(text)
  return parts === undefined ? undefined : partsToEpoch(parts)
}

/** `--MM-DD` or `MM-DD` (a birthday without a year; 29 February allowed), or undefined. */
function parseSpiYearless(text: string): DateParts | undefined {
  return SPI_YEARLESS.parse(text) ?? SPI_YEARLESS_SHORT.parse(text)
}

function formatSpiDate(ms: number): string {
  return SPI_DATE.format(epochToParts(ms))
}

function isEpoch(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value)
}

/** A field written as an ISO calendar date is a date field; as epoch ms, a number; else text. */
function kindOfDateField(param: string | undefined): CrmValueKind {
  return param === 'YYYY-MM-DD' ? 'date' : param === 'epoch-ms' ? 'number' : 'text'
}

const dateTransform: ValueTransformDefinition = {
  name: 'date',
  kind: 'value',
  param: 'required',
  summary: 'SPI YYYY-MM-DD ⇄ CRM date, e.g. date:MM/DD/YYYY, date:iso, date:epoch-ms',
  create(param) {
    const crm = crmCodec(param, 'date')
    return {
      crmKind: kindOfDateField(param),
      write(v) {
        const ms = typeof v === 'string' ? parseSpiDate(v) : isEpoch(v) ? midnight(v) : undefined
        if (ms === undefined) throw new TransformError('not a date (expected YYYY-MM-DD or epoch milliseconds)')
        return crm.format(ms)
      },
      read(v) {
        const ms = crm.parse(v)
        if (ms === undefined) throw new TransformError(`not a date in ${crm.label}`)
        return formatSpiDate(ms)
      }
    }
  }
}

const epochMsTransform: ValueTransformDefinition = {
  name: 'epoch-ms',
  kind: 'value',
  param: 'required',
  summary: 'SPI epoch milliseconds ⇄ CRM date, e.g. epoch-ms:MM/DD/YYYY (tier dates)',
  create(param) {
    const crm = crmCodec(param, 'epoch-ms')
    return {
      crmKind: kindOfDateField(param),
      write(v) {
        if (!isEpoch(v)) throw new TransformError('not a date (expected epoch milliseconds)')
        return crm.format(v)
      },
      read(v) {
        const ms = crm.parse(v)
        if (ms === undefined) throw new TransformError(`not a date in ${crm.label}`)
        return ms
      }
    }
  }
}

/**
 * What a birthday row does with a birthday without a year (`--04-17`), the part after `|`:
 * a pattern without YYYY writes it so (`MM/DD`); `drop` writes nothing (the CRM keeps what it
 * has); `refuse` answers the POS 400 naming the field. Without it, the full pattern minus its
 * year is used — which a CRM date field that needs a year refuses: say `drop` or `refuse`.
 */
type YearlessPolicy = { readonly kind: 'pattern'; readonly pattern: DatePattern } | { readonly kind: 'drop' | 'refuse' } | undefined

function yearlessPolicy(full: string | undefined, explicit: string | undefined): YearlessPolicy {
  if (explicit === 'drop' || explicit === 'refuse') return { kind: explicit }
  if (explicit !== undefined) {
    const pattern = compileDatePattern(explicit)
    if (pattern.hasYear) throw new TransformParamError(`birthday: the second pattern "${explicit}" is for dates without a year and must not contain YYYY (or say drop or refuse)`)
    return { kind: 'pattern', pattern }
  }
  if (full !== 'iso' && full !== 'epoch-ms' && full !== undefined) return { kind: 'pattern', pattern: compileDatePattern(full).withoutYear() }
  return undefined
}

const birthdayTransform: ValueTransformDefinition = {
  name: 'birthday',
  kind: 'value',
  param: 'required',
  summary: 'SPI birthday (YYYY-MM-DD, --MM-DD, MM-DD or epoch ms) ⇄ CRM date, e.g. birthday:MM/DD/YYYY (no year: MM/DD), birthday:YYYY-MM-DD|drop or |refuse',
  create(param) {
    const [full, explicitYearless, extra] = (param ?? '').split('|')
    if (extra !== undefined) throw new TransformParamError('birthday takes at most two parts: birthday:<with year>|<without year, drop or refuse>')
    const crm = crmCodec(full, 'birthday')
    const policy = yearlessPolicy(full, explicitYearless)
    const yearless = policy?.kind === 'pattern' ? policy.pattern : undefined
    const readLabel = yearless === undefined ? crm.label : `${crm.label} or ${yearless.text}`
    return {
      write(v) {
        if (isEpoch(v)) return crm.format(midnight(v))
        if (typeof v === 'string') {
          const ms = parseSpiDate(v)
          if (ms !== undefined) return crm.format(ms)
          const parts = parseSpiYearless(v)
          if (parts !== undefined) {
            if (policy?.kind === 'drop') return undefined
            if (yearless === undefined) throw new TransformError('this CRM field cannot hold a birthday without a year')
            return yearless.format(parts)
          }
        }
        throw new TransformError('not a birthday (expected YYYY-MM-DD, --MM-DD, MM-DD or epoch milliseconds)')
      },
      read(v) {
        const ms = crm.parse(v)
        if (ms !== undefined) return formatSpiDate(ms)
        const parts = yearless !== undefined && typeof v === 'string' ? yearless.parse(v) : undefined
        if (parts === undefined) throw new TransformError(`not a date in ${readLabel}`)
        return SPI_YEARLESS.format(parts)
      }
    }
  }
}

export const dateTransforms: readonly ValueTransformDefinition[] = [dateTransform, epochMsTransform, birthdayTransform]
