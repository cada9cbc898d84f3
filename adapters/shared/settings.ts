/**
 * An adapter's `crm.options`: named, non-empty strings (credentials, account ids), nothing
 * else. Unknown keys are refused so a typo (`apikey`) fails at start instead of as 401s in
 * production; the error names the key, never its value (it may be a secret).
 */
import { Type } from 'typebox'
import { Compile } from 'typebox/compile'

export function stringSettings<K extends string>(adapter: string, keys: readonly K[]): (settings: unknown) => Readonly<Record<K, string>> {
  const schema = Type.Object(Object.fromEntries(keys.map((k) => [k, Type.String({ minLength: 1 })])), { additionalProperties: false })
  const check = Compile(schema)
  return (settings) => {
    if (check.Check(settings)) return settings as Record<K, string>
    const problems = check.Errors(settings).map((e) => {
      if (e.keyword === 'required') return `settings.${e.params.requiredProperties.join(', settings.')} is required`
      if (e.keyword === 'additionalProperties') {
        return `settings.${e.params.additionalProperties.join(', settings.')} is not a known setting (known: ${keys.join(', ')})`
      }
      const key = e.instancePath.replace(/^\//, '').replaceAll('/', '.')
      return key === '' ? 'settings must be an object' : `settings.${key} must be a non-empty string`
    })
    throw new Error(`${adapter} adapter: ${[...new Set(problems)].join('; ')}`)
  }
}
