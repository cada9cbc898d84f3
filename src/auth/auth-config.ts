/**
 * The auth section's rules a schema cannot say, checked at start-up after secrets are
 * resolved (load-config): each problem names its key, never a secret's value.
 */
import type { GatewayConfig } from '../config/config-schema.js'

/** Long enough that guessing is hopeless; `openssl rand -base64 32` gives 44 characters. */
export const MIN_SECRET_LENGTH = 16
/** HS256 wants a key at least as long as its 256-bit output. */
export const MIN_SIGNING_KEY_LENGTH = 32

/** Headers with another job: a credential there would be logged, cached or rewritten. */
const RESERVED_HEADERS = new Set([
  'host', 'content-type', 'content-length', 'transfer-encoding', 'connection', 'cookie', 'accept',
  'accept-language', 'accept-encoding', 'user-agent', 'x-request-id', 'idempotency-key', 'x-forwarded-for'
])

export function authConfigProblems(config: GatewayConfig): string[] {
  const { auth } = config
  const problems: string[] = []
  if (auth.mode === 'production' && auth.clients.length === 0) {
    problems.push(
      'auth.clients: production mode (auth.mode) needs at least one POS client; without one every SPI call would be refused (see SECURITY.md)'
    )
  }
  const ids = new Map<string, number>()
  const secrets = new Map<string, string>()
  auth.clients.forEach((client, i) => {
    const at = `auth.clients.${i}`
    const first = ids.get(client.id)
    if (first !== undefined) problems.push(`${at}.id: "${client.id}" is already the id of auth.clients.${first}`)
    else ids.set(client.id, i)
    if (client.header !== undefined && client.method === 'query') {
      problems.push(`${at}.header: only for method header (the secret's header) or oauth (the token's header)`)
    }
    if (client.queryParam !== undefined && client.method !== 'query') problems.push(`${at}.queryParam: only for method query`)
    if (client.header !== undefined && RESERVED_HEADERS.has(client.header.toLowerCase())) {
      problems.push(`${at}.header: ${client.header} has another purpose in HTTP; choose e.g. x-api-key`)
    }
    client.secrets.forEach((secret, j) => {
      if (typeof secret !== 'string' || secret === '') return // a missing reference is reported where it is resolved
      const key = `${at}.secrets.${j}`
      if (secret.length < MIN_SECRET_LENGTH) problems.push(`${key}: must be at least ${MIN_SECRET_LENGTH} characters (e.g. openssl rand -base64 32)`)
      const owner = secrets.get(secret)
      if (owner !== undefined && !owner.startsWith(`${at}.`)) {
        problems.push(`${key}: the same secret as ${owner}; each client needs its own, or requests cannot be told apart`)
      } else secrets.set(secret, key)
    })
  })
  auth.signingKeys.forEach((key, i) => {
    if (typeof key === 'string' && key !== '' && key.length < MIN_SIGNING_KEY_LENGTH) {
      problems.push(`auth.signingKeys.${i}: must be at least ${MIN_SIGNING_KEY_LENGTH} characters (e.g. openssl rand -base64 48)`)
    }
  })
  return problems
}
