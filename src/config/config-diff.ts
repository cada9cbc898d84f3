/**
 * Which keys of two configurations differ, as dotted paths (`auth.clients.0.secrets.1`,
 * `server.port`): what a reload logs. Keys only — a value, a secret's least of all, is never
 * part of the answer.
 */
import { isPlainObject } from '../core/plain-object.js'

export function changedKeys(before: unknown, after: unknown, prefix = ''): string[] {
  if (isPlainObject(before) && isPlainObject(after)) {
    const keys = new Set([...Object.keys(before), ...Object.keys(after)])
    return [...keys].flatMap((k) => changedKeys(before[k], after[k], join(prefix, k)))
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const length = Math.max(before.length, after.length)
    return Array.from({ length }, (_, i) => changedKeys(before[i], after[i], join(prefix, String(i)))).flat()
  }
  return Object.is(before, after) ? [] : [prefix || '(root)']
}

/** Whether `key` is `root` or lies under it (`crm.options.apiKey` under `crm.options`). */
export function isUnder(key: string, root: string): boolean {
  return key === root || key.startsWith(`${root}.`)
}

function join(prefix: string, key: string): string {
  return prefix ? `${prefix}.${key}` : key
}
