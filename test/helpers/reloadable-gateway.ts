/**
 * A gateway started from a config file the way src/main.ts starts one (readConfig, then
 * startGateway), with its configuration reload (server.ts startConfigReload) reading that file
 * again; the reload's log is recorded. Closed with the test.
 */
import { readConfig } from '../../src/config/load-config.js'
import { startConfigReload, startGateway, type ConfigReload, type StartedGateway } from '../../src/server.js'
import type { Timers } from '../../src/core/timers.js'
import { createSilentLogger, type SilentLogger } from './silent-logger.js'

export interface ReloadableGateway {
  readonly gw: StartedGateway
  readonly live: ConfigReload
  readonly log: SilentLogger
}

export async function startReloadableGateway(t: { teardown(fn: () => unknown): void }, configFile: string, timers?: Timers): Promise<ReloadableGateway> {
  const env = { GATEWAY_CONFIG: configFile }
  const loaded = readConfig(env)
  const gw = await startGateway(loaded.config)
  t.teardown(() => gw.app.close())
  const log = createSilentLogger()
  const live = startConfigReload(gw, loaded.config, () => readConfig(env), loaded.secretFiles, { log, ...(timers ? { timers } : {}) })
  t.teardown(() => live.close())
  return { gw, live, log }
}

/** The events of the recorded log lines, in order. */
export function loggedEvents(log: SilentLogger): string[] {
  return log.records.map((r) => (r.obj as { event?: string } | undefined)?.event).filter((e): e is string => e !== undefined)
}
