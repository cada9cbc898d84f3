/**
 * `e164` / `e164:REGION`: phone numbers in E.164 (`+14155550142`), parsed with
 * libphonenumber-js. REGION (ISO 3166 alpha-2, e.g. `US`) is how a national number such as
 * `(415) 555-0142` is understood; without it only international numbers (`+…`) are accepted.
 *
 * Write validates (a number that cannot exist is refused: 400). Read returns a value that is
 * already E.164 as is — the common case, since the gateway wrote it — and only parses other
 * formats (legacy data typed by hand), because a libphonenumber parse costs microseconds.
 */
import { LRUCache } from 'lru-cache'
import { isSupportedCountry, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js'
import { expectText, TransformError, TransformParamError, type ValueTransformDefinition } from './types.js'

/** `^\+[1-9][0-9]{6,14}$` (an E.164 number) tested without the regex engine: reads run it on every phone. */
export function isE164(text: string): boolean {
  const n = text.length
  if (n < 8 || n > 16 || text.charCodeAt(0) !== 0x2b) return false
  const first = text.charCodeAt(1)
  if (first < 0x31 || first > 0x39) return false
  for (let i = 2; i < n; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x30 || c > 0x39) return false
  }
  return true
}

function toE164(text: string, region: CountryCode | undefined): string {
  const parsed = parsePhoneNumberFromString(text, region)
  if (parsed === undefined || !parsed.isPossible()) {
    throw new TransformError(region === undefined ? 'not a possible international phone number (+ and country code)' : 'not a possible phone number')
  }
  // E.164 has no room for an extension: refuse rather than silently drop it.
  if (parsed.ext !== undefined) throw new TransformError('phone extensions cannot be stored in E.164')
  return parsed.number
}

/**
 * libphonenumber-js builds its regular expressions on every parse (~6 µs a number), which made
 * phones most of a customer's mapping cost. The same few numbers are written again and again
 * (every update carries the profile), so results are remembered, bounded, per region.
 */
const MEMO_ENTRIES = 10_000

/** A remembered outcome; one shape for both kinds, so reading it stays monomorphic. */
interface Outcome {
  readonly ok: string
  /** The refusal's reason, or undefined when `ok` holds the number. */
  readonly error: string | undefined
}

function memoized(region: CountryCode | undefined): (text: string) => string {
  const memo = new LRUCache<string, Outcome>({ max: MEMO_ENTRIES })
  return (text) => {
    let hit = memo.get(text)
    if (hit === undefined) {
      try {
        hit = { ok: toE164(text, region), error: undefined }
      } catch (err) {
        if (!(err instanceof TransformError)) throw err
        hit = { ok: '', error: err.message }
      }
      memo.set(text, hit)
    }
    if (hit.error !== undefined) throw new TransformError(hit.error)
    return hit.ok
  }
}

export const e164Transform: ValueTransformDefinition = {
  name: 'e164',
  kind: 'value',
  param: 'optional',
  summary: 'phone number in E.164 (+14155550142); e164:US reads national numbers as US ones',
  create(param) {
    let region: CountryCode | undefined
    if (param !== undefined) {
      if (!isSupportedCountry(param)) throw new TransformParamError(`unknown phone region "${param}" (expected an ISO country code such as US, GB, FR)`)
      region = param
    }
    const convert = memoized(region)
    return {
      write: (v) => convert(expectText(v)),
      read: (v) => {
        const text = expectText(v)
        return isE164(text) ? text : convert(text)
      }
    }
  }
}
