/**
 * `language-tag`: a BCP 47 language tag (the SPI's preferredLanguage, `en-US`), checked and
 * written in its canonical form (`Intl.getCanonicalLocales`: `EN-us` → `en-US`), and read back
 * in that form whatever the CRM's casing. `language-tag:lowercase` writes it lowercase, for a
 * CRM whose option values are (HubSpot's `hs_language`: `en-us`).
 */
import { expectText, TransformError, TransformParamError, type ValueTransformDefinition } from './types.js'

function canonical(v: unknown): string {
  const text = expectText(v).trim()
  try {
    const [tag] = Intl.getCanonicalLocales(text)
    if (tag !== undefined) return tag
  } catch {
    // RangeError: not a well-formed tag (reported below without quoting it).
  }
  throw new TransformError('not a language tag such as en-US')
}

export const languageTagTransform: ValueTransformDefinition = {
  name: 'language-tag',
  kind: 'value',
  param: 'optional',
  summary: 'BCP 47 language tag (en-US), canonical both ways; language-tag:lowercase writes en-us',
  create(param) {
    if (param === undefined) return { write: canonical, read: canonical }
    if (param !== 'lowercase') throw new TransformParamError(`bad language-tag option "${param}": expected language-tag or language-tag:lowercase`)
    return { write: (v) => canonical(v).toLowerCase(), read: canonical }
  }
}
