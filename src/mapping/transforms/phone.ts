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
 * (every update carries the profile), so results are remembered, per region — but only what
 * is worth remembering, and bounded in bytes, because the keys are request data:
 * - successes only: a refusal answers a 400 and is not repeated by a working till, while
 *   remembering refusals let a caller fill the memo with whatever it sent;
 * - texts of at most MEMO_MAX_TEXT characters: a phone number, however punctuated, fits (the
 *   SPI schema's maxLength keeps longer ones out anyway); a longer text is parsed every time;
 * - at most MEMO_MAX_BYTES per memo (lru-cache's maxSize, sizes estimated by memoBytes).
 */
export const MEMO_MAX_TEXT = 32
export const MEMO_MAX_BYTES = 1024 * 1024
/** An entry's fixed cost: lru-cache's slots and the two strings' headers (an estimate on the safe side). */
const MEMO_ENTRY_OVERHEAD = 96

/** An entry's size: both strings at two bytes a character (V8's worst case) and the overhead. */
function memoBytes(text: string, number: string): number {
  return 2 * (text.length + number.length) + MEMO_ENTRY_OVERHEAD
}

/** A region's conversion and the memo behind it (`bytes`, `size` for tests). */
export class PhoneMemo {
  readonly #region: CountryCode | undefined
  readonly #memo = new LRUCache<string, string>({ maxSize: MEMO_MAX_BYTES, sizeCalculation: (number, text) => memoBytes(text, number) })

  constructor(region: CountryCode | undefined) {
    this.#region = region
  }

  /** `text` in E.164; throws TransformError for a number that cannot exist. */
  convert(text: string): string {
    const hit = this.#memo.get(text)
    if (hit !== undefined) return hit
    const number = toE164(text, this.#region)
    if (text.length <= MEMO_MAX_TEXT) this.#memo.set(text, number)
    return number
  }

  /** Bytes the memo counts itself as holding. */
  get bytes(): number {
    return this.#memo.calculatedSize
  }

  get size(): number {
    return this.#memo.size
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
    const memo = new PhoneMemo(region)
    return {
      crmKind: 'phone',
      write: (v) => memo.convert(expectText(v)),
      read: (v) => {
        const text = expectText(v)
        return isE164(text) ? text : memo.convert(text)
      }
    }
  }
}
