/**
 * Picks the message language from Accept-Language, honouring q weights (negotiator implements
 * RFC 9110 §12.5.4 matching, including "fr-CA" → "fr"). English when nothing matches.
 */
import Negotiator from 'negotiator'
import { LANGUAGES, type Language } from '../spi/messages.js'

const available = [...LANGUAGES]

export function pickLanguage(acceptLanguage: string | undefined): Language {
  if (!acceptLanguage) return 'en'
  const best = new Negotiator({ headers: { 'accept-language': acceptLanguage } }).language(available)
  return (best as Language | undefined) ?? 'en'
}
