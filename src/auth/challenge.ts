/**
 * The `WWW-Authenticate` challenges of the SPI's 401 (whose body stays empty, CONTRACT §5).
 * RFC 9110 §11.6.1: a 401 MUST carry at least one challenge, naming a scheme the caller could
 * authenticate with; a client picks one it understands and ignores the others. The challenges
 * follow the configured clients, so only ways in that exist are named:
 *
 * - `Bearer realm="…"` (RFC 6750 §3) when a token or a secret is accepted as
 *   `Authorization: Bearer …` (OAuth clients on the default header; header clients on
 *   `authorization`, which take `Bearer <secret>` too);
 * - `Basic realm="…", charset="UTF-8"` (RFC 7617 §2, §2.1) when a header client on
 *   `authorization` takes `Basic base64(id:secret)`;
 * - `APIKey realm="…", header="<name>"` for a secret or token in a header of its own
 *   (`x-api-key`), and `APIKey realm="…", query="<name>"` for one in a query parameter. No
 *   registered scheme (IANA HTTP Authentication Scheme Registry) describes a key outside
 *   `Authorization`; RFC 9110 §11.1 allows any token as a scheme with auth-params, and a client
 *   that does not know it skips it. It names where the credential goes, never a value.
 *
 * One field line per challenge: equivalent to one comma-separated line (RFC 9110 §5.3), and
 * simpler for a client to parse when challenges carry parameters. The names are configuration,
 * not secrets: they are in the POS connector's setup and in this gateway's documentation.
 */
import { DEFAULT_TOKEN_HEADER, type ClientRegistry } from './client-registry.js'

export const REALM = 'clienteling-gateway'

export function challengesFor(registry: ClientRegistry): string[] {
  let bearer = false
  let basic = false
  const headers = new Set<string>()
  const params = new Set<string>()
  for (const client of registry.all()) {
    if (client.method === 'query') params.add(client.queryParam)
    else {
      const header = client.method === 'header' ? client.header : client.tokenHeader
      if (header !== DEFAULT_TOKEN_HEADER) headers.add(header)
      else {
        bearer = true
        basic ||= client.method === 'header'
      }
    }
  }
  const challenges: string[] = []
  if (bearer) challenges.push(`Bearer realm="${REALM}"`)
  if (basic) challenges.push(`Basic realm="${REALM}", charset="UTF-8"`)
  for (const header of [...headers].sort()) challenges.push(`APIKey realm="${REALM}", header="${header}"`)
  for (const param of [...params].sort()) challenges.push(`APIKey realm="${REALM}", query="${param}"`)
  // No client at all: nothing can succeed, but the 401 still names a scheme (§11.6.1).
  return challenges.length > 0 ? challenges : [`APIKey realm="${REALM}"`]
}
