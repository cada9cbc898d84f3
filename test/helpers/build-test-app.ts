/**
 * Builds the real gateway app around the in-memory CRM, for route and rule tests.
 */
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.js'
import { validateConfig } from '../../src/config/load-config.js'
import { MemoryCrm, identityMapper } from './memory-crm.js'

export interface TestApp {
  app: FastifyInstance
  crm: MemoryCrm
}

export async function buildTestApp(overrides: Record<string, unknown> = {}): Promise<TestApp> {
  const config = validateConfig(overrides)
  const crm = new MemoryCrm()
  const app = await buildApp({ config, adapter: crm, mapper: identityMapper, logger: false })
  await app.ready()
  return { app, crm }
}
