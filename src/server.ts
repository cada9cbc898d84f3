/**
 * Starts the gateway from a validated config: adapter from the static registry, mapping table
 * loaded and compiled (an invalid table stops start-up, naming file, line and field), app
 * built and listening. Shutdown is the caller's (see main.ts). Changes without a restart:
 * SIGHUP reloads the mapping table and the configuration (startConfigReload, reloadOnSignal).
 */
import type { FastifyInstance } from 'fastify'
import type { GatewayConfig } from './config/config-schema.js'
import type { LoadedConfig } from './config/load-config.js'
import { ConfigReloader, type ReloadOutcome } from './config/reload-config.js'
import { SecretFileWatch } from './config/secret-file-watch.js'
import { Authenticator } from './auth/authenticator.js'
import type { CrmAdapter } from './core/port.js'
import { SwappableAdapter } from './core/swappable-adapter.js'
import type { Timers } from './core/timers.js'
import { mappingFileFor, packageVersion } from './config/project-root.js'
import { buildApp } from './app.js'
import { LiveMapping } from './mapping/live-mapping.js'
import { MappingTableError } from './mapping/index.js'
import type { Logger } from './core/logger.js'
import { resolveAdapterFactory } from '../adapters/index.js'
import { trace } from '@opentelemetry/api'
import { startTracing } from './observability/tracing.js'

export interface StartedGateway {
  readonly app: FastifyInstance
  /** Where it listens, e.g. http://127.0.0.1:3000 */
  readonly url: string
  readonly mappingFile: string
  readonly mapping: LiveMapping
  /** What a configuration reload replaces in the running app. */
  readonly live: LiveParts
}

export interface LiveParts {
  readonly authenticator: Authenticator
  /** The adapter the core holds; its inner adapter is swapped by a reload. */
  readonly adapter: SwappableAdapter
  /** An adapter from the registry factory, with other CRM settings (the same adapter name). */
  readonly buildAdapter: (crm: GatewayConfig['crm']) => CrmAdapter
}

export async function startGateway(config: GatewayConfig): Promise<StartedGateway> {
  const factory = resolveAdapterFactory(config.crm.adapter)
  if (!config.crm.baseUrl) {
    throw new Error(`crm.baseUrl (env CRM_BASE_URL) is required for the "${config.crm.adapter}" adapter`)
  }
  if (config.crm.adapter === 'rest' && !config.crm.mappingFile) {
    // The REST adapter serves any CRM: which table it maps through must be said.
    throw new Error('crm.mappingFile (env CRM_MAPPING_FILE) is required with the "rest" adapter: the table its definition serves, e.g. mappings/demo-crm.yaml')
  }
  const mappingFile = mappingFileFor(config.crm.adapter, config.crm.mappingFile)
  // The app's logger exists only once the app does; read issues before that have no reader.
  const logRef: { current?: Logger } = {}
  const mapper = await LiveMapping.load(mappingFile, {
    // A CRM value the table cannot read is left out of the answer; say so, without the value.
    onReadIssue: (issue) => {
      logRef.current?.warn({ mappingIssue: issue }, 'unreadable CRM value left out')
      // The request being answered, when tracing is on (its span is the current one).
      trace.getActiveSpan()?.addEvent('mapping.read_issue', { 'mapping.field': issue.field, 'mapping.crm_field': issue.crmField, 'mapping.reason': issue.reason })
    }
  })
  // Off unless the OTEL_* environment asked for it (config/otel-env.ts).
  const tracing = startTracing(config.tracing, packageVersion())
  const authenticator = Authenticator.fromConfig(config.auth)
  let adapters: Omit<LiveParts, 'authenticator'> | undefined
  const app = await buildApp({
    config,
    mapper,
    tracing,
    authenticator,
    adapter: (log) => {
      const buildAdapter = (crm: GatewayConfig['crm']): CrmAdapter =>
        factory({
          baseUrl: crm.baseUrl,
          settings: crm.options,
          requestTimeoutMs: config.crm.requestTimeoutMs,
          log: log.child({ adapter: config.crm.adapter }),
          readFields: () => mapper.current.readFields
        })
      // Every attempt ends by the HTTP backstop (crm.requestTimeoutMs); twice that leaves
      // room for an adapter's own preliminary call (an OAuth token) before the old one closes.
      const adapter = new SwappableAdapter(buildAdapter(config.crm), { log, drainTimeoutMs: 2 * config.crm.requestTimeoutMs })
      adapters = { adapter, buildAdapter }
      return adapter
    }
  })
  if (!adapters) throw new Error('buildApp did not ask for the CRM adapter')
  logRef.current = app.log
  // Its origin only: a URL may carry credentials.
  if (tracing) app.log.info({ tracesTo: URL.canParse(tracing.endpoint) ? new URL(tracing.endpoint).origin : 'unparsable' }, 'exporting traces over OTLP')
  for (const warning of mapper.current.warnings) app.log.warn({ mappingWarning: warning }, 'mapping table warning (the table is in force)')
  const address = await app.listen({ host: config.server.host, port: config.server.port })
  return { app, url: address, mappingFile, mapping: mapper, live: { authenticator, ...adapters } }
}

export interface ConfigReload {
  /** Loads the configuration again and applies what can change live (SIGHUP calls this). */
  readonly reload: () => ReloadOutcome
  /** The secret file watch, when `reload.watchSecretFiles` is on. */
  readonly watch: SecretFileWatch | undefined
  readonly close: () => void
}

/**
 * Reloading the configuration of a started gateway: `read` loads it again as start-up did
 * (the same loader and environment, start-up's own additions made), `running` is what start-up
 * made of it. With `reload.watchSecretFiles`, a change to a `{fromFile}` secret reloads too.
 */
export function startConfigReload(
  gateway: StartedGateway,
  running: GatewayConfig,
  read: () => LoadedConfig,
  secretFiles: readonly string[],
  options: { readonly timers?: Timers; readonly log?: Logger } = {}
): ConfigReload {
  const log: Logger = options.log ?? gateway.app.log
  let files = secretFiles
  const reloader = new ConfigReloader({
    running,
    load: () => {
      const next = read()
      files = next.secretFiles
      return next.config
    },
    ...gateway.live,
    log
  })
  const reload = (): ReloadOutcome => {
    let outcome: ReloadOutcome
    try {
      outcome = reloader.reload()
    } catch (err) {
      // A bug of ours must not take a running gateway down with a signal.
      log.error({ event: 'config_reload_failed', err }, 'configuration reload failed; the running configuration stays in force')
      return { status: 'refused', problems: ['internal error'] }
    }
    // A reload may name other secret files; a refused one keeps watching the old ones.
    if (outcome.status === 'applied') watch?.update(files)
    return outcome
  }
  const { watchSecretFiles, debounceMs } = running.reload
  const watch = watchSecretFiles ? new SecretFileWatch(files, { debounceMs, log, onChange: () => void reload(), ...(options.timers ? { timers: options.timers } : {}) }) : undefined
  if (watch) log.info({ event: 'secret_watch_started', directories: watch.directories.length }, 'watching secret files for changes')
  return { reload, watch, close: () => watch?.close() }
}

/**
 * SIGHUP reloads, without a restart, the mapping table and the configuration, each validated on
 * its own: an invalid one is refused with every problem logged, and the running one stays.
 */
export function reloadOnSignal(mapping: LiveMapping, reloadConfig: () => unknown, log: FastifyInstance['log']): void {
  process.on('SIGHUP', () => {
    reloadMapping(mapping, log)
    reloadConfig()
  })
}

/** The mapping table again: an invalid edit is refused, logged with every problem (file, line, field), the running table kept. */
function reloadMapping(mapping: LiveMapping, log: FastifyInstance['log']): void {
  mapping.reload().then(
    (table) => log.info({ mappingFile: table.file }, 'mapping table reloaded'),
    (err: unknown) => {
      const issues = err instanceof MappingTableError ? err.issues : undefined
      log.error({ mappingFile: mapping.current.file, issues, err: issues ? undefined : err }, 'mapping table reload refused; the previous table stays in force')
    }
  )
}

/** Drains in-flight requests on SIGTERM/SIGINT, then exits; exits anyway after the grace period. */
export function closeOnSignals(close: () => Promise<void>, graceMs: number, log: FastifyInstance['log']): void {
  let stopping = false
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      if (stopping) return
      stopping = true
      log.info({ signal, graceMs }, 'shutting down')
      const timer = setTimeout(() => {
        log.error({ graceMs }, 'shutdown grace period over; exiting with requests still open')
        process.exit(1)
      }, graceMs)
      timer.unref()
      close().then(
        () => process.exit(0),
        (err: unknown) => {
          log.error({ err }, 'shutdown failed')
          process.exit(1)
        }
      )
    })
  }
}
