/**
 * The rest adapter's `crm.options`: `definition` (the REST definition file, relative to the
 * project root) and the secrets its `auth` names (`apiKey`, `clientSecret`…), as strings —
 * give secrets as {fromEnv}/{fromFile} references. Any other key is refused, naming the key,
 * never its value (../shared/settings.ts).
 */
import { isAbsolute, resolve } from 'node:path'
import { Type } from 'typebox'
import { PROJECT_ROOT } from '../../src/config/project-root.js'
import { adapterSettings } from '../shared/settings.js'
import { credentialSettings } from './definition.js'
import type { AuthDefinition } from './definition.js'

export const REST_ADAPTER = 'rest'

export interface DefinitionFile {
  /** Where it is read from. */
  readonly path: string
  /** As configured, for messages. */
  readonly shownAs: string
}

/** Step one: where the definition is (its auth says which other settings there must be). */
export function definitionFileOf(settings: Readonly<Record<string, unknown>>): DefinitionFile {
  const value = settings['definition']
  if (typeof value !== 'string' || value === '') {
    throw new Error(`${REST_ADAPTER} adapter: settings.definition is required: the REST definition file, e.g. mappings/acme-crm.rest.yaml (relative to the project root)`)
  }
  return { path: isAbsolute(value) ? value : resolve(PROJECT_ROOT, value), shownAs: value }
}

/** Step two: the settings the definition's auth reads, each a non-empty string; nothing else. */
export function secretsOf(auth: AuthDefinition, settings: Readonly<Record<string, unknown>>): Readonly<Record<string, string>> {
  const names = credentialSettings(auth)
  const schema = Type.Object(
    { definition: Type.String({ minLength: 1 }), ...Object.fromEntries(names.map((n) => [n, Type.String({ minLength: 1 })])) },
    { additionalProperties: false }
  )
  const checked = adapterSettings(REST_ADAPTER, schema)(settings) as Record<string, string>
  return Object.fromEntries(names.map((n) => [n, checked[n] ?? '']))
}
