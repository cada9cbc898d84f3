/**
 * Reloads the configuration while the gateway runs (SIGHUP, or a watched secret file changing):
 * loaded again the way start-up loaded it, validated, and compared with the one in force.
 *
 * - An invalid configuration (a bad value, a secret file missing or empty, an adapter that
 *   refuses its settings) is refused with every problem logged; nothing changes.
 * - What can change live is applied: `auth.clients` and `auth.signingKeys` (the authenticator
 *   takes them for the next credential checked: SECURITY.md § Rotating secrets), and
 *   `crm.baseUrl` with `crm.options` (a new adapter from the registry factory; calls in flight
 *   finish on the old one: core/swappable-adapter.ts).
 * - Anything else that differs is not applied and is logged as needing a restart, by key.
 *
 * Logs name keys, never values. Synchronous: two reloads never interleave.
 */
import type { GatewayConfig } from './config-schema.js'
import { ConfigError } from './load-config.js'
import { changedKeys, isUnder } from './config-diff.js'
import type { Authenticator } from '../auth/authenticator.js'
import { ClientRegistry, credentialHeaderNames } from '../auth/client-registry.js'
import { challengesFor } from '../auth/challenge.js'
import type { CrmAdapter } from '../core/port.js'
import type { Logger } from '../core/logger.js'
import type { SwappableAdapter } from '../core/swappable-adapter.js'

export interface ConfigReloaderOptions {
  /** The configuration in force (as start-up made it: secrets resolved, start-up's additions made). */
  readonly running: GatewayConfig
  /** Loads and validates the configuration as start-up did; throws ConfigError when invalid. */
  readonly load: () => GatewayConfig
  readonly authenticator: Authenticator
  readonly adapter: SwappableAdapter
  /** A new adapter from the registry factory, with these CRM settings. */
  readonly buildAdapter: (crm: GatewayConfig['crm']) => CrmAdapter
  readonly log: Logger
}

export type ReloadOutcome =
  | { readonly status: 'refused'; readonly problems: readonly string[] }
  | { readonly status: 'applied'; readonly applied: readonly string[]; readonly needsRestart: readonly string[] }

const CLIENTS = 'auth.clients'
const SIGNING_KEYS = 'auth.signingKeys'
const CRM_LIVE = ['crm.baseUrl', 'crm.options']

export class ConfigReloader {
  #running: GatewayConfig
  readonly #options: ConfigReloaderOptions
  /** Set when the app was built: the log's redaction and the 401's challenges. */
  readonly #redactedHeaders: ReadonlySet<string>
  readonly #challenges: string

  constructor(options: ConfigReloaderOptions) {
    this.#options = options
    this.#running = options.running
    this.#redactedHeaders = new Set(credentialHeaderNames(options.running.auth))
    this.#challenges = challengesFor(ClientRegistry.fromConfig(options.running.auth)).join('\n')
  }

  /** The configuration in force: the last one loaded, less what needs a restart. */
  get running(): GatewayConfig {
    return this.#running
  }

  reload(): ReloadOutcome {
    const { log } = this.#options
    let next: GatewayConfig
    try {
      next = this.#options.load()
    } catch (err) {
      return this.#refuse(err instanceof ConfigError ? err.problems : [messageOf(err)])
    }
    const changed = changedKeys(this.#running, next)
    const clientKeys = changed.filter((k) => isUnder(k, CLIENTS))
    const keyKeys = changed.filter((k) => isUnder(k, SIGNING_KEYS))
    const crmKeys = changed.filter((k) => CRM_LIVE.some((root) => isUnder(k, root)))
    const needsRestart = changed.filter((k) => !clientKeys.includes(k) && !keyKeys.includes(k) && !crmKeys.includes(k))

    // A header that carries credentials is redacted from the logs by a list fixed when the
    // logger was made: a client using one not on it waits for a restart, rather than risk its secret.
    const unredacted = credentialHeaderNames(next.auth).filter((h) => !this.#redactedHeaders.has(h))
    const clientsApply = clientKeys.length > 0 && unredacted.length === 0
    if (!clientsApply) needsRestart.push(...clientKeys)

    let adapter: CrmAdapter | undefined
    // Another adapter (or mapping table) is a restart: its settings belong to it.
    if (crmKeys.length > 0 && !needsRestart.some((k) => isUnder(k, 'crm.adapter'))) {
      if (!next.crm.baseUrl) return this.#refuse([`crm.baseUrl (env CRM_BASE_URL) is required for the "${next.crm.adapter}" adapter`])
      try {
        adapter = this.#options.buildAdapter(next.crm)
      } catch (err) {
        return this.#refuse([`crm.options: the ${next.crm.adapter} adapter refused its settings: ${messageOf(err)}`])
      }
      const differences = this.#options.adapter.differences(adapter)
      if (differences.length > 0) {
        log.warn({ event: 'config_reload_adapter_differs', differences }, 'the new CRM settings change what the adapter declares; they need a restart')
        // Never used: its close failing changes nothing.
        adapter.close?.().catch(() => undefined)
        adapter = undefined
      }
    }
    if (adapter === undefined) needsRestart.push(...crmKeys)

    const applied: string[] = []
    if (clientsApply || keyKeys.length > 0) {
      const auth = { clients: clientsApply ? next.auth.clients : this.#running.auth.clients, signingKeys: next.auth.signingKeys }
      this.#options.authenticator.reconfigure(auth)
      applied.push(...(clientsApply ? clientKeys : []), ...keyKeys)
      this.#running = { ...this.#running, auth: { ...this.#running.auth, ...auth } }
      if (clientsApply && challengesFor(ClientRegistry.fromConfig(next.auth)).join('\n') !== this.#challenges) {
        log.warn({ event: 'config_reload_challenges_stale', keys: clientKeys }, "the 401's WWW-Authenticate challenges name the clients' methods as at start until a restart")
      }
    }
    if (adapter !== undefined) {
      this.#options.adapter.swap(adapter)
      applied.push(...crmKeys)
      this.#running = { ...this.#running, crm: { ...this.#running.crm, baseUrl: next.crm.baseUrl, options: next.crm.options } }
    }

    if (unredacted.length > 0 && clientKeys.length > 0) {
      log.warn({ event: 'config_reload_new_credential_header', headers: unredacted }, 'auth.clients not applied: a new credential header is redacted from logs only after a restart')
    }
    if (needsRestart.length > 0) log.warn({ event: 'config_needs_restart', keys: needsRestart }, 'configuration changes not applied: they need a restart')
    if (applied.length > 0) log.info({ event: 'config_reloaded', applied }, 'configuration reloaded')
    else if (needsRestart.length === 0) log.info({ event: 'config_reload_unchanged' }, 'configuration reloaded: nothing changed')
    return { status: 'applied', applied, needsRestart }
  }

  #refuse(all: readonly string[]): ReloadOutcome {
    // First lines only: a YAML error goes on to quote the file's text around the fault.
    const problems = all.map((p) => p.split('\n', 1)[0] ?? '')
    this.#options.log.error({ event: 'config_reload_refused', problems }, 'configuration reload refused; the running configuration stays in force')
    return { status: 'refused', problems }
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
