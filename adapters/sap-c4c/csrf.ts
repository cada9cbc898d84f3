/**
 * The CSRF token C4C requires on every modifying request, with the session cookies it belongs
 * to. Developer's guide, "CSRF Token" (https://github.com/SAP-archive/C4CODATAAPIDEVGUIDE#csrf-token):
 * a GET to the service with `x-csrf-token: fetch` answers the token in the `x-csrf-token`
 * response header; POST/PUT/PATCH (and DELETE) send it back. The token is bound to the session
 * the fetch opened, so the cookies that answer set go with it; a token the server no longer
 * knows (its session timed out) is refused with 403 and `x-csrf-token: Required` (SAP Gateway's
 * answer, the body "CSRF token validation failed").
 *
 * One token is shared by every concurrent write of the adapter: fetched once (single-flight:
 * writers arriving while a fetch runs wait for it), replaced only when a write was refused
 * with the very token in use (compare-and-clear), so a burst of refusals makes one new fetch.
 */

export interface CsrfCredentials {
  readonly token: string
  /** `name=value; name2=value2`: the session cookies the fetch's answer set ('' if none). */
  readonly cookie: string
}

export class CsrfSession {
  #current: CsrfCredentials | undefined
  #pending: Promise<CsrfCredentials> | undefined
  readonly #fetch: () => Promise<CsrfCredentials>

  constructor(fetchCredentials: () => Promise<CsrfCredentials>) {
    this.#fetch = fetchCredentials
  }

  /** The token in use, fetching one (once, for every waiter) when there is none. */
  get(): Promise<CsrfCredentials> {
    if (this.#current !== undefined) return Promise.resolve(this.#current)
    this.#pending ??= this.#fetch()
      .then((credentials) => {
        this.#current = credentials
        return credentials
      })
      .finally(() => {
        this.#pending = undefined
      })
    return this.#pending
  }

  /** A write was refused with `used`: forget it, unless another writer already replaced it. */
  invalidate(used: CsrfCredentials): void {
    if (this.#current === used) this.#current = undefined
  }
}

/**
 * The `Cookie` header for the cookies a response set: each `Set-Cookie`'s `name=value` pair,
 * attributes (Path, Expires, HttpOnly…) dropped. Only well-formed cookie names are kept.
 */
export function cookieHeader(setCookie: unknown): string {
  const lines = Array.isArray(setCookie) ? setCookie : typeof setCookie === 'string' ? [setCookie] : []
  const pairs: string[] = []
  for (const line of lines) {
    if (typeof line !== 'string') continue
    const pair = line.split(';', 1)[0]?.trim() ?? ''
    if (/^[!#$%&'*+.^_`|~0-9A-Za-z-]+=[^;\s]*$/.test(pair)) pairs.push(pair)
  }
  return pairs.join('; ')
}
