/**
 * The process entry (`npm start`, `npm run serve`). Reads the config (again on SIGHUP, and on a
 * secret file's change with reload.watchSecretFiles: server.ts startConfigReload); in development, when
 * it names no CRM (the demo-crm adapter without a base URL), it first starts the embedded demo
 * CRM on loopback and wires the gateway to it, so a fresh clone runs the whole real path with no
 * configuration (production mode refuses instead: config/embedded-demo.ts). Pointing at another
 * CRM is a config change: CRM_ADAPTER, CRM_BASE_URL, crm.options, a mapping file.
 */
import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { ConfigError, readConfig } from './config/load-config.js'
import { usesEmbeddedDemoCrm } from './config/embedded-demo.js'
import type { GatewayConfig } from './config/config-schema.js'
import { closeOnSignals, reloadOnSignal, startConfigReload, startGateway } from './server.js'
import { buildDemoCrm } from '../demo-crm/app.js'
import { MappingTableError } from './mapping/index.js'
import { describeDevelopmentClient, withDevelopmentClient } from './auth/development-client.js'

async function main(): Promise<void> {
  const loaded = readConfig()
  const config = loaded.config
  let demo: FastifyInstance | undefined
  let withDemo = (c: GatewayConfig): GatewayConfig => c
  if (usesEmbeddedDemoCrm(config)) {
    const apiKey = config.demoCrm.apiKey || randomBytes(18).toString('base64url')
    demo = await buildDemoCrm({ apiKey, dataFile: config.demoCrm.dataFile })
    const demoUrl = await demo.listen({ host: config.demoCrm.host, port: config.demoCrm.port })
    // Also applied to a reloaded config that still names no CRM: the same demo CRM, key and all.
    withDemo = (c) => (usesEmbeddedDemoCrm(c) ? { ...c, crm: { ...c.crm, baseUrl: demoUrl, options: { ...c.crm.options, apiKey } } } : c)
    process.stdout.write(
      `demo CRM   ${demoUrl}/api/v1/contacts  (X-API-Key: ${apiKey}; data in ${config.demoCrm.dataFile})\n`
    )
  }
  // No POS client in development mode: one for this run, printed below (never an open gateway).
  const dev = withDevelopmentClient(withDemo(config))
  const effective = dev.config
  // What start-up made of a loaded config, for a reload: the development client keeps its
  // secret as long as the configuration still names no client.
  const asStarted = (c: GatewayConfig): GatewayConfig => {
    const next = withDemo(c)
    const keepDev = dev.client !== undefined && next.auth.mode === 'development' && next.auth.clients.length === 0
    return keepDev ? { ...next, auth: { ...next.auth, clients: effective.auth.clients } } : next
  }
  const gateway = await startGateway(effective)
  process.stdout.write(
    [
      `gateway    ${gateway.url}${config.spi.prefix}/customers  (adapter ${config.crm.adapter}, mapping ${gateway.mappingFile})`,
      `docs       ${gateway.url}/docs   health ${gateway.url}/healthz   ready ${gateway.url}/readyz`,
      ''
    ].join('\n')
  )
  if (dev.client) process.stdout.write(describeDevelopmentClient(dev.client, `${gateway.url}${config.spi.prefix}/customers`))
  const reload = startConfigReload(
    gateway,
    effective,
    () => {
      const next = readConfig()
      return { config: asStarted(next.config), secretFiles: next.secretFiles }
    },
    loaded.secretFiles
  )
  reloadOnSignal(gateway.mapping, reload.reload, gateway.app.log)
  closeOnSignals(
    async () => {
      reload.close()
      await gateway.app.close()
      await demo?.close()
    },
    config.server.shutdownGraceMs,
    gateway.app.log
  )
}

main().catch((err: unknown) => {
  // Start-up errors are for a person: say what is wrong, no stack for the expected kinds.
  const expected = err instanceof ConfigError || err instanceof MappingTableError
  process.stderr.write(`cannot start: ${expected || !(err instanceof Error) ? String((err as Error).message ?? err) : (err.stack ?? err.message)}\n`)
  process.exit(1)
})
