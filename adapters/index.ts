/**
 * The adapter registry: CRM adapter name (the `crm.adapter` config value) → factory.
 *
 * It is a static object on purpose: every adapter is compiled and type-checked with the
 * gateway, and an unknown name fails at start-up, never per request.
 *
 * To add a CRM: create adapters/<name>/ (copy adapters/demo-crm/, see ./README.md), then add
 * one line below: `'<name>': create<Name>Adapter,`.
 */
import type { AdapterFactory } from '../src/core/port.js'
import { createDemoCrmAdapter } from './demo-crm/index.js'
import { createDynamics365Adapter } from './dynamics365/index.js'
import { createHubSpotAdapter } from './hubspot/index.js'
import { createRestAdapter } from './rest/index.js'
import { createSapC4cAdapter } from './sap-c4c/index.js'

export const adapterRegistry = {
  'demo-crm': createDemoCrmAdapter,
  dynamics365: createDynamics365Adapter,
  hubspot: createHubSpotAdapter,
  rest: createRestAdapter,
  'sap-c4c': createSapC4cAdapter
} as const satisfies Record<string, AdapterFactory>

export type AdapterName = keyof typeof adapterRegistry

export const adapterNames = Object.keys(adapterRegistry) as AdapterName[]

export function isAdapterName(name: string): name is AdapterName {
  // Object.hasOwn: "constructor" or "__proto__" are not adapters.
  return Object.hasOwn(adapterRegistry, name)
}

/** The factory for `name`; throws a start-up error listing the known names otherwise. */
export function resolveAdapterFactory(name: string): AdapterFactory {
  if (!isAdapterName(name)) {
    throw new Error(`unknown CRM adapter "${name}"; known adapters: ${adapterNames.join(', ')}`)
  }
  return adapterRegistry[name]
}
