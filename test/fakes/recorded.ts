/**
 * What a vendor double records, the same for every double: each request it received, and the
 * requests it refused because they break the vendor's documented request shapes — so a test
 * can assert a whole run sent nothing the real API could refuse for its shape — each problem
 * naming the member it is about.
 */

export interface RecordedRequest {
  readonly method: string
  /** Path and query string as received. */
  readonly url: string
  readonly body: unknown
}

/** A request refused because it breaks a documented request shape (or is not JSON at all). */
export interface Violation {
  readonly method: string
  readonly url: string
  readonly problems: string[]
}

/**
 * A JSON pointer from a schema check as a member path a vendor's message would show:
 * `/filterGroups/0/filters/1/value` → `filterGroups[0].filters[1].value`.
 */
export function memberPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path === '' ? part : `${path}.${part}`), '')
}
