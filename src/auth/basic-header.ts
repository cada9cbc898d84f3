/**
 * `Authorization: Basic base64(id:secret)` (RFC 7617), read tolerantly: the POS vendor's
 * instructions join id and secret with ": " (CONTRACT §7), so whitespace around the colon is
 * trimmed. OAuth (RFC 6749 §2.3.1) form-encodes both before joining them; secretSpellings()
 * offers that decoding as a second spelling, so strict and lax clients both get in.
 */

export type BasicHeader =
  | { readonly kind: 'absent' }
  /** Another scheme (e.g. Bearer): not Basic credentials at all. */
  | { readonly kind: 'other-scheme' }
  /** Basic, but not base64 of UTF-8 "id:secret" with both parts non-empty. */
  | { readonly kind: 'malformed' }
  | { readonly kind: 'basic'; readonly id: string; readonly secret: string }

/** Far beyond any real credentials; bounds the work done on a hostile header. */
const MAX_ENCODED_LENGTH = 2048
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/
const CONTROL = /\p{Cc}/u

export function parseBasicHeader(header: string | undefined): BasicHeader {
  if (header === undefined || header.trim() === '') return { kind: 'absent' }
  const match = /^\s*basic(?:\s+(.*))?$/is.exec(header)
  if (!match) return { kind: 'other-scheme' }
  const encoded = (match[1] ?? '').trim()
  if (encoded.length === 0 || encoded.length > MAX_ENCODED_LENGTH || !BASE64.test(encoded)) return { kind: 'malformed' }
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(encoded, 'base64'))
  } catch {
    return { kind: 'malformed' }
  }
  const colon = text.indexOf(':')
  if (colon === -1) return { kind: 'malformed' }
  const id = text.slice(0, colon).trim()
  const secret = text.slice(colon + 1).trim()
  if (id === '' || secret === '' || CONTROL.test(id) || CONTROL.test(secret)) return { kind: 'malformed' }
  return { kind: 'basic', id, secret }
}

/** The value as sent and, when it differs, its form-decoding (RFC 6749 §2.3.1). */
export function secretSpellings(value: string): string[] {
  if (!/[%+]/.test(value)) return [value]
  try {
    const decoded = decodeURIComponent(value.replace(/\+/g, ' '))
    return decoded === value ? [value] : [value, decoded]
  } catch {
    return [value]
  }
}
