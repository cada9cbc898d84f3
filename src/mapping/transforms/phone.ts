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

const E164 = /^\+[1-9][0-9]{6,14}$/

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

function memoized(region: CountryCode | undefined): (text: string) => string {
  const memo = new LRUCache<string, { ok: string } | { error: string }>({ max: MEMO_ENTRIES })
  return (text) => {
    let hit = memo.get(text)
    if (hit === undefined) {
      try {
        hit = { ok: toE164(text, region) }
      } catch (err) {
        if (!(err instanceof TransformError)) throw err
        hit = { error: err.message }
      }
      memo.set(text, hit)
    }
    if ('error' in hit) throw new TransformError(hit.error)
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
        return E164.test(text) ? text : convert(text)
      }
    }
  }
}
