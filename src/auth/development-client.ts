/**
 * `npm start` on a fresh clone, with no POS client configured: in development mode the launcher
 * makes one client for this run, with a random secret, and prints how to call the SPI with it.
 * The gateway is never open — a caller still needs that secret — and production mode refuses
 * to start without configured clients instead (auth-config.ts). The secret lives only in this
 * process and on the console that started it; it changes at every start.
 */
import { randomBytes } from 'node:crypto'
import type { GatewayConfig } from '../config/config-schema.js'

export interface DevelopmentClient {
  readonly id: string
  readonly header: string
  readonly secret: string
}

export const DEVELOPMENT_CLIENT_ID = 'dev-pos'

/** The config with a development client added, when development mode has no client at all. */
export function withDevelopmentClient(config: GatewayConfig): { config: GatewayConfig; client?: DevelopmentClient } {
  if (config.auth.mode !== 'development' || config.auth.clients.length > 0) return { config }
  const client: DevelopmentClient = { id: DEVELOPMENT_CLIENT_ID, header: 'x-api-key', secret: randomBytes(24).toString('base64url') }
  const clients = [{ id: client.id, method: 'header' as const, header: client.header, secrets: [client.secret] }]
  return { config: { ...config, auth: { ...config.auth, clients } }, client }
}

/** What to print: the client, the header, and a curl that works as is. */
export function describeDevelopmentClient(client: DevelopmentClient, customersUrl: string): string {
  return [
    `auth       no POS client configured (development mode): client "${client.id}" made for this run`,
    `           send  ${client.header}: ${client.secret}`,
    `           curl -H '${client.header}: ${client.secret}' '${customersUrl}?lastName=a'`,
    '           configure auth.clients to keep a secret across restarts (SECURITY.md)',
    ''
  ].join('\n')
}
