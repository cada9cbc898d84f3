/**
 * `full-name`: several SPI name parts ⇄ one CRM text field, e.g.
 * `spi: [profile.firstName, profile.lastName]` ⇄ `crm: FULL_NAME`.
 *
 * Write joins the parts in the row's order with one space, skipping empty parts.
 * Read splits on white space; each part after the first takes one word from the end and the
 * first part takes everything left, so `Mary Ann Smith` → first `Mary Ann`, last `Smith` and
 * a single word goes to the last part (`Cher` → last name), as most CRMs require a last name.
 * Splitting is a guess by nature: a multi-word last name reads back as part of the first name.
 */
import { TransformError, TransformParamError, type JoinTransformDefinition } from './types.js'

export const fullNameTransform: JoinTransformDefinition = {
  name: 'full-name',
  kind: 'join',
  param: 'none',
  summary: 'several SPI name parts (spi: [first, last]) ⇄ one CRM name field, joined with a space',
  create(_param, parts) {
    if (parts < 2) throw new TransformParamError('full-name joins at least two SPI fields: spi: [profile.firstName, profile.lastName]')
    return {
      write(values) {
        const words: string[] = []
        for (const v of values) {
          if (typeof v !== 'string') throw new TransformError('expected text')
          const t = v.trim()
          if (t !== '') words.push(t)
        }
        return words.join(' ')
      },
      read(value) {
        if (typeof value !== 'string') throw new TransformError('expected text')
        const words = value.trim().split(/\s+/).filter((w) => w !== '')
        const out: (string | undefined)[] = new Array<string | undefined>(parts).fill(undefined)
        for (let i = parts - 1; i > 0 && words.length > 0; i--) out[i] = words.pop()
        if (words.length > 0) out[0] = words.join(' ')
        return out
      }
    }
  }
}
