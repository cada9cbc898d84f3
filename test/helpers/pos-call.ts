/**
 * One SPI call over real HTTP as the test POS client makes it: its authentication header, a
 * JSON body when there is one, the answer parsed.
 */
import { AUTH_HEADERS } from './build-test-app.js'

export interface PosAnswer {
  readonly status: number
  readonly headers: Headers
  readonly json: any
}

/** `auth` replaces the test client's authentication header (another client's). */
export async function posCall(method: string, url: string, body?: unknown, auth: Readonly<Record<string, string>> = AUTH_HEADERS): Promise<PosAnswer> {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? { ...auth } : { ...auth, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  const text = await res.text()
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined }
}
