/**
 * Whether `npm start` runs the embedded demo CRM: in development, when the config names no CRM
 * (the demo-crm adapter without a base URL), so a fresh clone runs the whole real path with
 * nothing to configure. Production mode never does: the demo CRM prints its API key and keeps
 * customers in a local file, which no production deployment should do by omission.
 */
import type { GatewayConfig } from './config-schema.js'
import { ConfigError } from './load-config.js'

export function usesEmbeddedDemoCrm(config: GatewayConfig): boolean {
  if (config.crm.baseUrl) return false
  if (config.auth.mode === 'production') {
    throw new ConfigError([
      'crm.baseUrl (env CRM_BASE_URL): required in production mode — the embedded demo CRM is for development only (it prints its API key and stores customers in a local file)'
    ])
  }
  return config.crm.adapter === 'demo-crm'
}
