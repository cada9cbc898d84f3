/**
 * Runs the demo CRM alone, as its own program (see ./README.md). The gateway does not use
 * this file: it embeds the CRM through buildDemoCrm(). This is the one place in demo-crm/
 * that reads process.env.
 *
 *   DEMO_CRM_API_KEY    required: the key clients send in X-API-Key
 *   DEMO_CRM_PORT       default 4010
 *   DEMO_CRM_HOST       default 127.0.0.1
 *   DEMO_CRM_DATA_FILE  default data/demo-crm.json
 */
import { buildDemoCrm } from './app.js'

function fail(message: string): never {
  process.stderr.write(`${message}\n`)
  process.exit(1)
}

const apiKey = process.env.DEMO_CRM_API_KEY ?? ''
if (apiKey === '') fail('demo CRM: set DEMO_CRM_API_KEY to the API key clients must send')

const portText = process.env.DEMO_CRM_PORT ?? '4010'
const port = Number(portText)
if (!/^\d+$/.test(portText) || port > 65535) fail(`demo CRM: DEMO_CRM_PORT must be a port number, got "${portText}"`)

const host = process.env.DEMO_CRM_HOST ?? '127.0.0.1'
const dataFile = process.env.DEMO_CRM_DATA_FILE ?? 'data/demo-crm.json'

try {
  const app = await buildDemoCrm({ apiKey, dataFile, logger: true })
  await app.listen({ host, port })
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      app.log.info({ signal }, 'demo CRM stopping')
      app.close().then(
        () => process.exit(0),
        (err: unknown) => {
          app.log.error({ err }, 'demo CRM failed to stop cleanly')
          process.exit(1)
        }
      )
    })
  }
} catch (err) {
  fail(err instanceof Error ? err.message : String(err))
}
