/**
 * A record id as one segment of a CRM URL path. encodeURIComponent keeps an id from adding
 * segments (`/` becomes %2F) or a query (`?` becomes %3F), but leaves `.` and `..` as they are,
 * and URL resolution (RFC 3986 §5.2.4; WHATWG URL, which also reads `%2e` as a dot) removes
 * them: `GET /api/v1/contacts/..` reaches `GET /api/v1/`, the collection — or another API.
 * Encoding the dots is no way out (`%2E%2E` is a dot segment too), so such an id has no path.
 *
 * The core refuses those ids before any CRM call (assertCustomerId, 400 INVALID_CUSTOMER_ID);
 * adapters check again, as defence in depth: an id that cannot be addressed names no record,
 * so get and update answer "not found" (`null`) without a call, as for an empty id. Not
 * `rejected` — that says the CRM refused values of a write — and not `misconfigured`: the
 * gateway's configuration is fine, the id is impossible.
 */

/** Whether `id` can be a path segment of its own: not empty, not made of dots only. */
export function isAddressableId(id: string): boolean {
  return id !== '' && !/^\.+$/.test(id)
}

/**
 * `id` encoded as one path segment. Throws on an id that has none: adapters check
 * isAddressableId first, so reaching this with one is a bug of ours (a 500), never a request
 * sent to the wrong path.
 */
export function pathSegment(id: string): string {
  if (!isAddressableId(id)) throw new TypeError('pathSegment: an empty or dots-only id cannot be a path segment')
  return encodeURIComponent(id)
}
