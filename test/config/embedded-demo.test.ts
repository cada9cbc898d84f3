/**
 * When npm start runs the embedded demo CRM: a development convenience production never gets.
 */
import t from 'tap'
import { usesEmbeddedDemoCrm } from '../../src/config/embedded-demo.js'
import { ConfigError, validateConfig } from '../../src/config/load-config.js'

const production = { mode: 'production', clients: [{ id: 'pos', method: 'header', secrets: [{ fromEnv: 'POS_SECRET' }] }] }
const env = { POS_SECRET: 'a-production-secret-0123456789' }

t.test('development with no CRM configured: the embedded demo CRM', async (t) => {
  t.equal(usesEmbeddedDemoCrm(validateConfig({})), true)
  t.equal(usesEmbeddedDemoCrm(validateConfig({ crm: { baseUrl: 'http://crm.internal' } })), false, 'a configured CRM is used instead')
  t.equal(usesEmbeddedDemoCrm(validateConfig({ crm: { adapter: 'hubspot' } })), false, 'another adapter never gets the demo CRM')
})

t.test('production mode refuses to start without crm.baseUrl', async (t) => {
  const config = validateConfig({ auth: production }, new Map(), env)
  const err = (() => {
    try {
      usesEmbeddedDemoCrm(config)
    } catch (e) {
      return e
    }
    return undefined
  })()
  t.ok(err instanceof ConfigError)
  t.match(String((err as Error).message), /crm\.baseUrl \(env CRM_BASE_URL\): required in production mode/)
  t.equal(usesEmbeddedDemoCrm(validateConfig({ auth: production, crm: { baseUrl: 'https://crm.internal' } }, new Map(), env)), false)
})
