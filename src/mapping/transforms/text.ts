/**
 * Normalizers: `trim`, `lowercase`, `uppercase`. They apply the same way in both directions,
 * so a value read back from the CRM has the same canonical form as one written to it
 * (e-mail addresses lowercased both ways, state codes uppercased both ways, …).
 */
import { expectText, type ValueTransform, type ValueTransformDefinition } from './types.js'

function normalizer(name: string, summary: string, fn: (s: string) => string): ValueTransformDefinition {
  const transform: ValueTransform = {
    write: (v) => fn(expectText(v)),
    read: (v) => fn(expectText(v))
  }
  return { name, kind: 'value', param: 'none', summary, create: () => transform }
}

export const textTransforms: readonly ValueTransformDefinition[] = [
  normalizer('trim', 'removes leading and trailing white space, both ways', (s) => s.trim()),
  normalizer('lowercase', 'lower-cases text, both ways (e.g. e-mail addresses)', (s) => s.toLowerCase()),
  normalizer('uppercase', 'upper-cases text, both ways (e.g. state or country codes)', (s) => s.toUpperCase())
]
