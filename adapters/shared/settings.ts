/**
 * An adapter's `crm.options`, checked against the adapter's own schema. Unknown keys are
 * refused so a typo (`apikey`) fails at start instead of as 401s in production; the error names
 * the key, never its value (it may be a secret).
 */
import { Type, type Static, type TObject } from 'typebox'
import { Compile } from 'typebox/compile'
import { describeAllowed } from '../../src/config/describe-schema.js'

/** A reader of settings that must fit `schema` (give it `additionalProperties: false`). */
export function adapterSettings<S extends TObject>(adapter: string, schema: S): (settings: unknown) => Static<S> {
  const check = Compile(schema)
  const known = Object.keys(schema.properties).join(', ')
  return (settings) => {
    if (check.Check(settings)) return settings
    const problems = check.Errors(settings).flatMap((e) => {
      if (e.keyword === 'required') return [`settings.${e.params.requiredProperties.join(', settings.')} is required`]
      if (e.keyword === 'additionalProperties') return [`settings.${e.params.additionalProperties.join(', settings.')} is not a known setting (known: ${known})`]
      const key = e.instancePath.replace(/^\//, '').replaceAll('/', '.')
      if (key === '') return ['settings must be an object']
      // An unknown key is reported once, above, not again as a value the schema has no rule for.
      return key in schema.properties ? [`settings.${key} ${describeAllowed(schema, e.instancePath, e.keyword, e.params)}`] : []
    })
    throw new Error(`${adapter} adapter: ${[...new Set(problems)].join('; ')}`)
  }
}

/** Settings that are all named, non-empty strings (credentials, account ids), nothing else. */
export function stringSettings<K extends string>(adapter: string, keys: readonly K[]): (settings: unknown) => Readonly<Record<K, string>> {
  const schema = Type.Object(Object.fromEntries(keys.map((k) => [k, Type.String({ minLength: 1 })])), { additionalProperties: false })
  return adapterSettings(adapter, schema) as (settings: unknown) => Readonly<Record<K, string>>
}
