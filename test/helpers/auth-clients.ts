/**
 * POS clients of every kind the gateway accepts (CONTRACT §7), for tests that exercise each
 * way in: a static header, an api_key query parameter, OAuth with the token as Bearer, OAuth
 * with the bare token in a custom header, and a fixed Authorization header.
 */
export interface SecretsOfEveryKind {
  readonly header: string
  readonly query: string
  readonly oauth: string
  readonly custom: string
  readonly basic: string
}

export function clientsOfEveryKind(secrets: SecretsOfEveryKind, customHeader = 'x-pos-token') {
  return [
    { id: 'pos-header', method: 'header', secrets: [secrets.header] },
    { id: 'pos-query', method: 'query', secrets: [secrets.query] },
    { id: 'pos-oauth', method: 'oauth', secrets: [secrets.oauth] },
    { id: 'pos-custom', method: 'oauth', header: customHeader, secrets: [secrets.custom] },
    { id: 'pos-basic', method: 'header', header: 'authorization', secrets: [secrets.basic] }
  ]
}

/** `Authorization: Basic base64(id<sep>secret)`; the vendor's own spelling uses ": " (CONTRACT §7). */
export const basicAuth = (id: string, secret: string, sep = ':'): string =>
  `Basic ${Buffer.from(`${id}${sep}${secret}`).toString('base64')}`
