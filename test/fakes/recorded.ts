/**
 * What a vendor double records, the same for every double: each request it received, and the
 * requests it refused because they break the vendor's documented request shapes — so a test
 * can assert a whole run sent nothing the real API could refuse for its shape.
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
