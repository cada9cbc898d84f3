/**
 * The process entry (`npm start`, `npm run serve`). Reads the config once; in development, when
 * it names no CRM (the demo-crm adapter without a base URL), it first starts the embedded demo
 * CRM on loopback and wires the gateway to it, so a fresh clone runs the whole real path with no
 * configuration (production mode refuses instead: config/embedded-demo.ts). Pointing at another
 * CRM is a config change: CRM_ADAPTER, CRM_BASE_URL, crm.options, a mapping file.
 */
import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { ConfigError, loadConfig } from './config/load-config.js'
import { usesEmbeddedDemoCrm } from './config/embedded-demo.js'
import type { GatewayConfig } from './config/config-schema.js'
import { closeOnSignals, reloadMappingOnSignal, startGateway } from './server.js'
import { buildDemoCrm } from '../demo-crm/app.js'
import { MappingTableError } from './mapping/index.js'
import { describeDevelopmentClient, withDevelopmentClient } from './auth/development-client.js'

async function main(): Promise<void> {
  const config = loadConfig()
  let demo: FastifyInstance | undefined
  let effective: GatewayConfig = config
  if (usesEmbeddedDemoCrm(config)) {
    const apiKey = config.demoCrm.apiKey || randomBytes(18).toString('base64url')
    demo = await buildDemoCrm({ apiKey, dataFile: config.demoCrm.dataFile })
    const demoUrl = await demo.listen({ host: config.demoCrm.host, port: config.demoCrm.port })
    effective = { ...config, crm: { ...config.crm, baseUrl: demoUrl, options: { ...config.crm.options, apiKey } } }
    process.stdout.write(
      `demo CRM   ${demoUrl}/api/v1/contacts  (X-API-Key: ${apiKey}; data in ${config.demoCrm.dataFile})\n`
    )
  }
  // No POS client in development mode: one for this run, printed below (never an open gateway).
  const dev = withDevelopmentClient(effective)
  effective = dev.config
  const gateway = await startGateway(effective)
  process.stdout.write(
    [
      `gateway    ${gateway.url}${config.spi.prefix}/customers  (adapter ${config.crm.adapter}, mapping ${gateway.mappingFile})`,
      `docs       ${gateway.url}/docs   health ${gateway.url}/healthz   ready ${gateway.url}/readyz`,
      ''
    ].join('\n')
  )
  if (dev.client) process.stdout.write(describeDevelopmentClient(dev.client, `${gateway.url}${config.spi.prefix}/customers`))
  reloadMappingOnSignal(gateway.mapping, gateway.app.log)
  closeOnSignals(
    async () => {
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
