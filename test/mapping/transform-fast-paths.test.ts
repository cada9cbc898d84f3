/**
 * The transforms' own code (arithmetic dates instead of Date, patterns compiled to regular
 * expressions, character scans) against the straightforward references, kept here: same
 * results on every input, including the odd ones.
 */
import t from 'tap'
import fc from 'fast-check'
import { compileDatePattern, epochToParts, isValidParts, partsToEpoch, type DateParts } from '../../src/mapping/transforms/date-pattern.js'
import { parseTransformSpec, TransformError, type ValueTransform } from '../../src/mapping/transforms/index.js'
import { isE164 } from '../../src/mapping/transforms/phone.js'
import { isRefusedKey, REFUSED_SEGMENTS } from '../../src/mapping/paths.js'

function make(spec: string): ValueTransform {
  const { definition, param } = parseTransformSpec(spec)
  if (definition.kind !== 'value') throw new Error(`${spec} is not a value transform`)
  return definition.create(param)
}

/** The result or the refusal's reason, to compare both kinds of outcome. */
function outcome(fn: () => unknown): unknown {
  try {
    return { value: fn() }
  } catch (err) {
    if (err instanceof TransformError) return { reason: err.reason }
    throw err
  }
}

const sameParts = (a: DateParts | undefined, b: DateParts | undefined): boolean =>
  a === undefined || b === undefined
    ? a === b
    : (['year', 'month', 'day', 'hour', 'minute', 'second', 'millisecond'] as const).every((k) => Object.is(a[k], b[k]))

function dateEpochToParts(ms: number): DateParts {
  const d = new Date(ms)
  return {
    year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(),
    hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(), millisecond: d.getUTCMilliseconds()
  }
}

function datePartsToEpoch(p: DateParts): number {
  const d = new Date(0)
  d.setUTCFullYear(p.year ?? 2000, p.month - 1, p.day)
  d.setUTCHours(p.hour, p.minute, p.second, p.millisecond)
  return d.getTime()
}

t.test('epochToParts: the UTC fields Date gives, for every time value and beyond', async (t) => {
  const edges = [0, -0, 1, -1, 0.5, -0.5, 86_399_999, -86_400_000.5, 951_782_400_000, -62_167_219_200_000, -62_198_755_200_000, 253_402_300_799_999, 8.64e15, -8.64e15, 8.64e15 + 1, -8.64e15 - 1, 9e15, Number.NaN, Infinity, -Infinity]
  for (const ms of edges) t.ok(sameParts(epochToParts(ms), dateEpochToParts(ms)), String(ms))
  fc.assert(
    fc.property(fc.oneof(fc.integer({ min: -8.64e15, max: 8.64e15 }), fc.integer({ min: -1e11, max: 1e11 }), fc.double({ min: -9e15, max: 9e15 })), (ms) =>
      sameParts(epochToParts(ms), dateEpochToParts(ms))
    )
  )
})

t.test('partsToEpoch: Date.setUTCFullYear / setUTCHours results, in range or not', async (t) => {
  const n = (min: number, max: number) => fc.oneof(fc.integer({ min, max }), fc.constant(Number.NaN), fc.double({ min, max }))
  fc.assert(
    fc.property(
      fc.record({
        year: fc.oneof(fc.integer({ min: -3, max: 10_003 }), fc.constant(undefined)),
        month: n(-1, 14), day: n(-1, 33), hour: n(-1, 25), minute: n(-1, 61), second: n(-1, 61), millisecond: n(-1, 1001)
      }),
      (p) => Object.is(partsToEpoch(p), datePartsToEpoch(p))
    )
  )
  const early = { year: 99, month: 1, day: 2, hour: 0, minute: 0, second: 0, millisecond: 0 }
  t.equal(epochToParts(partsToEpoch(early)).year, 99, 'years below 100 stay literal')
})

t.test('date patterns accept exactly what their regular expression accepts', async (t) => {
  // The expressions the patterns compiled to before, with the field each group fills.
  const references: [string, RegExp, (keyof DateParts)[]][] = [
    ['MM/DD/YYYY', /^(\d{2})\/(\d{2})\/(\d{4})$/, ['month', 'day', 'year']],
    ['MM/DD', /^(\d{2})\/(\d{2})$/, ['month', 'day']],
    ['YYYY-MM-DD[T]HH:mm:ss.SSS', /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{3})$/, ['year', 'month', 'day', 'hour', 'minute', 'second', 'millisecond']],
    ['--MM-DD', /^--(\d{2})-(\d{2})$/, ['month', 'day']],
    ['DD.MM.YYYY', /^(\d{2})\.(\d{2})\.(\d{4})$/, ['day', 'month', 'year']]
  ]
  for (const [text, re, fields] of references) {
    const pattern = compileDatePattern(text)
    const reference = (input: string): DateParts | undefined => {
      const m = re.exec(input)
      if (m === null) return undefined
      const d: Record<keyof DateParts, number | undefined> = { year: undefined, month: 0, day: 0, hour: 0, minute: 0, second: 0, millisecond: 0 }
      fields.forEach((f, i) => (d[f] = Number(m[i + 1])))
      const parts = d as unknown as DateParts
      return isValidParts(parts) ? parts : undefined
    }
    // Inputs near the pattern: its own characters, digits, and a few strangers (٣ is a digit to Unicode).
    const chars = fc.constantFrom(...'0123456789/-.:T', '٣', 'x', ' ')
    const near = fc.array(chars, { minLength: text.length - 4, maxLength: text.length + 2 }).map((cs) => cs.join(''))
    const valid = fc.date({ min: new Date(Date.UTC(0, 0, 1)), max: new Date(Date.UTC(9999, 11, 31)), noInvalidDate: true }).map((d) => pattern.format(epochToParts(d.getTime())))
    fc.assert(fc.property(fc.oneof(near, valid), (input) => sameParts(pattern.parse(input), reference(input))))
  }
  t.equal(compileDatePattern('MM/DD/YYYY').parse('02/30/2021'), undefined, 'an impossible date is refused')
  t.equal(compileDatePattern('MM/DD/YYYY').parse('12/31/9999')?.year, 9999)
})

t.test('formatting pads like padStart, odd values included', async (t) => {
  const pattern = compileDatePattern('YYYY-MM-DD HH:mm:ss.SSS')
  const pad = (n: number, w: number) => String(n).padStart(w, '0')
  const n = fc.oneof(fc.integer({ min: -5, max: 150 }), fc.constantFrom(Number.NaN, -0, 0.5, 99.5, 1e21))
  fc.assert(
    fc.property(fc.record({ year: fc.oneof(fc.integer({ min: -5, max: 12_000 }), fc.constant(undefined)), month: n, day: n, hour: n, minute: n, second: n, millisecond: n }), (p) =>
      pattern.format(p) === `${pad(p.year ?? 0, 4)}-${pad(p.month, 2)}-${pad(p.day, 2)} ${pad(p.hour, 2)}:${pad(p.minute, 2)}:${pad(p.second, 2)}.${pad(p.millisecond, 3)}`
    )
  )
  t.pass('formats agree')
})

t.test('trim, lowercase, uppercase equal the String methods on any text', async (t) => {
  const trim = make('trim')
  const lower = make('lowercase')
  const upper = make('uppercase')
  const text = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom('', ' ', 'US', 'us', 'Straße', 'İstanbul', 'ǅ', '\u00a0x\u00a0', 'x\n', '\ufeffx', 'Ab-1_@.'))
  fc.assert(
    fc.property(text, (s) => trim.write(s) === s.trim() && trim.read(s) === s.trim() && lower.write(s) === s.toLowerCase() && lower.read(s) === s.toLowerCase() && upper.write(s) === s.toUpperCase() && upper.read(s) === s.toUpperCase())
  )
  t.pass('normalizers agree')
})

t.test('the E.164 check equals its regular expression', async (t) => {
  const E164 = /^\+[1-9][0-9]{6,14}$/
  const s = fc.array(fc.constantFrom(...'+0123456789 a'), { maxLength: 18 }).map((cs) => cs.join(''))
  fc.assert(fc.property(fc.oneof(s, fc.string()), (x) => isE164(x) === E164.test(x)))
  t.ok(isE164('+14155550142'))
  t.notOk(isE164('+04155550142'))
  t.notOk(isE164('+1415555014212345'))
})

t.test('boolean words: exact words are recognised without changing any answer', async (t) => {
  const reference = (yes: string, no: string, v: unknown): unknown => {
    const key = typeof v === 'string' ? v.trim().toLowerCase() : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined
    if (key === yes.toLowerCase()) return true
    if (key === no.toLowerCase()) return false
    if (typeof v === 'boolean') return v
    throw new TransformError(`expected ${yes} or ${no}`)
  }
  for (const [yes, no] of [['Y', 'N'], ['1', '0'], ['true', 'false'], ['Oui', 'Non'], [' Y', 'N ']] as const) {
    const transform = make(`boolean:${yes}/${no}`)
    const input = fc.oneof(fc.constantFrom(yes, no, yes.toLowerCase(), ` ${no} `, 'Y', 'N', 'y', 1, 0, true, false, null, undefined, ''), fc.string())
    fc.assert(fc.property(input, (v) => JSON.stringify(outcome(() => transform.read(v))) === JSON.stringify(outcome(() => reference(yes, no, v)))))
  }
  t.pass('boolean reads agree')
})

t.test('refused keys: the comparison and the set agree', async (t) => {
  for (const key of ['__proto__', 'constructor', 'prototype', 'proto', 'Constructor', '', 'toString']) t.equal(isRefusedKey(key), REFUSED_SEGMENTS.has(key), key)
})
