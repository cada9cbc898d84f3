/** A JSON object (not null, not an array): the shape every customer, record and config node has. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
