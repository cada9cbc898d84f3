/**
 * Flags. SPI booleans are JSON booleans (CONTRACT §6); CRMs spell them their own way:
 * - `boolean`          the CRM holds JSON booleans too (a type check both ways);
 * - `boolean:Y/N`      the CRM holds one word for true and one for false (`boolean:1/0`,
 *                      `boolean:true/false`, `boolean:yes/no`, …). Writes send the word;
 *                      reads accept it in any case, and also a JSON boolean or number (1/0)
 *                      matching a word, because CRM APIs are not always consistent about types.
 */
import { TransformError, TransformParamError, type ValueTransformDefinition } from './types.js'

function expectBoolean(v: unknown): boolean {
  if (typeof v !== 'boolean') throw new TransformError('expected true or false')
  return v
}

export const booleanTransform: ValueTransformDefinition = {
  name: 'boolean',
  kind: 'value',
  param: 'optional',
  summary: 'SPI true/false ⇄ CRM flag words, e.g. boolean:Y/N, boolean:1/0; plain boolean for JSON booleans',
  create(param) {
    if (param === undefined) return { write: expectBoolean, read: expectBoolean, crmKind: 'boolean' }
    const words = param.split('/')
    const [yes, no] = words
    if (words.length !== 2 || yes === undefined || no === undefined || yes.trim() === '' || no.trim() === '' || yes.toLowerCase() === no.toLowerCase()) {
      throw new TransformParamError(`bad boolean words "${param}": expected two different words, true first, e.g. boolean:Y/N`)
    }
    const yesKey = yes.toLowerCase()
    const noKey = no.toLowerCase()
    // The CRM usually answers the very word the gateway wrote: recognise it before trimming
    // and lower-casing (which allocate), when that word is itself in canonical form.
    const yesExact = yes.trim().toLowerCase() === yesKey ? yes : null
    const noExact = no.trim().toLowerCase() === noKey ? no : null
    return {
      // "true"/"false" is what a typed CRM's checkbox holds (HubSpot's bool); other words are text.
      crmKind: yesKey === 'true' && noKey === 'false' ? 'boolean' : 'text',
      write: (v) => (expectBoolean(v) ? yes : no),
      read(v) {
        if (typeof v === 'string') {
          if (v === yesExact) return true
          if (v === noExact) return false
        }
        const key = typeof v === 'string' ? v.trim().toLowerCase() : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined
        if (key === yesKey) return true
        if (key === noKey) return false
        // A CRM answering a native boolean for a field documented as Y/N is still unambiguous.
        if (typeof v === 'boolean') return v
        throw new TransformError(`expected ${yes} or ${no}`)
      }
    }
  }
}
