/**
 * What the benchmark's processes share: credentials, paths, the customer every scenario
 * serves, and the small IPC protocol between the orchestrator (run.ts) and its servers.
 */
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadMappingTable } from '../src/mapping/index.js'
import { mappingFileFor } from '../src/config/project-root.js'
import type { CrmRecord } from '../src/core/port.js'

/** The static-secret POS client the gateways are configured with (sent by wrk in x-api-key). */
export const POS_CLIENT_ID = 'bench-pos'
export const POS_SECRET = 'bench-pos-secret-0123456789abcdef'
/** The fake CRM's X-API-Key (demo-crm/API.md § Authentication). */
export const CRM_API_KEY = 'bench-crm-key-0123456789'

export const SPI_CUSTOMERS = '/endpoint/sa/customers'
export const CRM_CONTACTS = '/api/v1/contacts'
/** The customer GET scenarios read (the fake CRM answers any id; this one is the sample's). */
export const CUSTOMER_ID = 'C00000007'

/** This file's folder, compiled or not (the servers are its siblings). */
export const BENCH_DIR = dirname(fileURLToPath(import.meta.url))

/**
 * The contact the fake CRM serves: the richest sample of the demo table (every profile field,
 * three phones, tier dates, balances, two list addresses) — the one bench/mapping.ts maps.
 */
export async function benchContact(): Promise<CrmRecord> {
  const mapping = await loadMappingTable(mappingFileFor('demo-crm', ''))
  const richest = [...mapping.samples].sort((a, b) => JSON.stringify(b.spi).length - JSON.stringify(a.spi).length)[0]
  if (richest === undefined) throw new Error('the demo mapping table has no sample')
  return structuredClone(richest.crm)
}

/** A server's message to the orchestrator once it listens. */
export interface ReadyMessage {
  readonly type: 'ready'
  readonly url: string
}

/** The JSON argument (argv[2]) a server was started with. */
export function serverArgs<T>(): T {
  return JSON.parse(process.argv[2] ?? '{}') as T
}

/** Tells the orchestrator where the server listens; stops it when the orchestrator goes. */
export function serve(url: string, close: () => Promise<unknown>): void {
  const message: ReadyMessage = { type: 'ready', url }
  process.send?.(message)
  let stopping = false
  const stop = (): void => {
    if (stopping) return
    stopping = true
    const force = setTimeout(() => process.exit(0), 3000)
    force.unref()
    close().then(
      () => process.exit(0),
      () => process.exit(1)
    )
  }
  process.on('disconnect', stop)
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}

/** A server that cannot start says why on stderr (the orchestrator shows it) and exits. */
export function startOrDie(start: () => Promise<void>): void {
  start().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
    process.exit(1)
  })
}
