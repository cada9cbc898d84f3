/**
 * The registry of named transforms. A table refers to one as `name` or `name:param`; the part
 * after the first `:` is the parameter (it may itself contain `:`, e.g. `date:YYYY-MM-DD HH:mm`).
 * Adding a transform = one file exporting a definition + one line here + a test.
 */
import { booleanTransform } from './boolean.js'
import { dateTransforms } from './dates.js'
import { fullNameTransform } from './full-name.js'
import { jsonTransform } from './json.js'
import { languageTagTransform } from './language.js'
import { numberTransform } from './number.js'
import { e164Transform } from './phone.js'
import { textTransforms } from './text.js'
import { TransformParamError, type TransformDefinition } from './types.js'

export { TransformError, TransformParamError } from './types.js'
export type { JoinTransform, TransformDefinition, ValueTransform } from './types.js'

export const TRANSFORMS: readonly TransformDefinition[] = [
  ...textTransforms,
  e164Transform,
  ...dateTransforms,
  booleanTransform,
  numberTransform,
  jsonTransform,
  languageTagTransform,
  fullNameTransform
]

const byName = new Map(TRANSFORMS.map((t) => [t.name, t]))

export const TRANSFORM_NAMES: readonly string[] = TRANSFORMS.map((t) => t.name)

export interface TransformSpec {
  readonly definition: TransformDefinition
  readonly param: string | undefined
}

/**
 * Splits and checks `name[:param]`. Throws `TransformParamError` with the message a table
 * author needs (unknown name with the known list, missing or unexpected parameter).
 */
export function parseTransformSpec(spec: string): TransformSpec {
  const colon = spec.indexOf(':')
  const name = colon < 0 ? spec : spec.slice(0, colon)
  const param = colon < 0 ? undefined : spec.slice(colon + 1)
  const definition = byName.get(name)
  if (definition === undefined) {
    throw new TransformParamError(`unknown transform "${spec}" (known: ${TRANSFORM_NAMES.join(', ')})`)
  }
  if (definition.param === 'none' && param !== undefined) {
    throw new TransformParamError(`transform "${name}" takes no parameter (write "${name}")`)
  }
  if (definition.param === 'required' && (param === undefined || param === '')) {
    throw new TransformParamError(`transform "${name}" needs a parameter: ${definition.summary}`)
  }
  return { definition, param }
}
