/**
 * `crm` commands for whoever brings a CRM live: does it have every field the mapping table
 * uses (`crm check`), and create the ones it lacks (`crm provision`) — for CRMs whose fields
 * are declared before use (HubSpot properties; the adapter's `fieldSchema`). Both use the
 * gateway's own configuration (GATEWAY_CONFIG, CRM_ADAPTER, CRM_BASE_URL, crm.options…) and
 * table, so they check exactly what the gateway will run with. ./main.ts is the entry.
 */
import { loadConfig, ConfigError } from '../config/load-config.js'
import { mappingFileFor } from '../config/project-root.js'
import type { GatewayConfig } from '../config/config-schema.js'
import type { LogFn, Logger } from '../core/logger.js'
import { isCrmFailure, type CrmAdapter, type CrmFieldUse, type FieldReport, type ProvisionReport } from '../core/port.js'
import { loadMappingTable, MappingTableError, formatIssue } from '../mapping/index.js'
import { resolveAdapterFactory } from '../../adapters/index.js'
import type { CliIo } from './mapping.js'

type Env = Readonly<Record<string, string | undefined>>

const USAGE = `usage: crm <command>

commands:
  check       does the CRM have every field the mapping table uses, with a fitting type?
  provision   create the fields the CRM lacks (HubSpot: the table's custom contact properties)

Both read the gateway's configuration (GATEWAY_CONFIG, CRM_ADAPTER, CRM_BASE_URL, crm.options,
crm.mappingFile) and its mapping table, and call the CRM. Exit code 0 when the CRM has every
field the table needs, 1 otherwise (each missing or mistyped field is named), 2 for usage errors.
provision is idempotent: a second run creates nothing; a field of the wrong type is reported,
never altered.
`

/** Time for the whole command (a provision creates one property per call). */
const COMMAND_TIMEOUT_MS = 120_000

export async function runCrmCli(argv: readonly string[], io: CliIo): Promise<number> {
  const env = io.env
  const [command, ...rest] = argv
  if (command === undefined || command === 'help' || command === '--help' || command === '-h' || rest.includes('--help')) {
    io.stdout.write(USAGE)
    return command === undefined ? 2 : 0
  }
  if ((command !== 'check' && command !== 'provision') || rest.length > 0) {
    io.stderr.write(`unknown command or argument: ${argv.join(' ')}\n\n${USAGE}`)
    return 2
  }
  return askCrm(command, io, env)
}

/** `mapping check --crm`: the same check for one table, against the configured CRM. */
export function checkTableAgainstCrm(fields: readonly CrmFieldUse[], io: CliIo, env: Env | undefined = io.env): Promise<number> {
  return askCrm('check', io, env, fields)
}

/**
 * Runs `command` against the configured CRM for `fields` (default: the configured table's),
 * prints the report and returns the exit code. A CRM that cannot be asked is said plainly.
 */
async function askCrm(command: 'check' | 'provision', io: CliIo, env: Env | undefined, given?: readonly CrmFieldUse[]): Promise<number> {
  const setup = await open(io, env, given)
  if (setup === undefined) return 1
  const { adapter, fields, config } = setup
  try {
    if (!adapter.fieldSchema) {
      io.stdout.write(`the ${config.crm.adapter} adapter takes any field: nothing to ${command}\n`)
      return 0
    }
    const ctx = { signal: AbortSignal.timeout(COMMAND_TIMEOUT_MS), log: stderrLogger(io), requestId: `crm-${command}` }
    if (command === 'check') return printReport(await adapter.fieldSchema.check(fields, ctx), fields.length, io)
    return printProvision(await adapter.fieldSchema.provision(fields, ctx), io)
  } catch (err) {
    if (!isCrmFailure(err)) throw err
    io.stderr.write(`the CRM could not be asked (${err.kind}): ${err.message}\n`)
    return 1
  } finally {
    await adapter.close?.()
  }
}

interface Setup {
  readonly config: GatewayConfig
  readonly adapter: CrmAdapter
  readonly fields: readonly CrmFieldUse[]
}

/** The configured adapter and the fields to ask about, or undefined once the problem is printed. */
async function open(io: CliIo, env: Env | undefined, given: readonly CrmFieldUse[] | undefined): Promise<Setup | undefined> {
  let config: GatewayConfig
  try {
    // The process's environment unless a test gives its own (config/ reads process.env).
    config = loadConfig(env)
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    io.stderr.write(`configuration: ${err.message}\n`)
    return undefined
  }
  if (!config.crm.baseUrl) {
    io.stderr.write(`crm.baseUrl (env CRM_BASE_URL) is required: which ${config.crm.adapter} to ask?\n`)
    return undefined
  }
  let fields: readonly CrmFieldUse[] = given ?? []
  if (given === undefined) {
    try {
      fields = (await loadMappingTable(mappingFileFor(config.crm.adapter, config.crm.mappingFile))).fields
    } catch (err) {
      if (!(err instanceof MappingTableError)) throw err
      for (const issue of err.issues) io.stderr.write(formatIssue(issue) + '\n')
      return undefined
    }
  }
  try {
    const adapter = resolveAdapterFactory(config.crm.adapter)({
      baseUrl: config.crm.baseUrl,
      settings: config.crm.options,
      requestTimeoutMs: config.crm.requestTimeoutMs,
      log: stderrLogger(io),
      readFields: () => fields.filter((f) => f.read).map((f) => f.name)
    })
    return { config, adapter, fields }
  } catch (err) {
    io.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`)
    return undefined
  }
}

function printReport(report: FieldReport, checked: number, io: CliIo): number {
  for (const name of report.missing) io.stdout.write(`missing     ${name}\n`)
  for (const m of report.mismatched) io.stdout.write(`wrong type  ${m.name}: the CRM has ${m.actual}, the table needs ${m.expected}\n`)
  if (report.missing.length === 0 && report.mismatched.length === 0) {
    io.stdout.write(`OK: the CRM has all ${checked} fields the mapping table uses\n`)
    return 0
  }
  io.stdout.write(`${report.missing.length} missing, ${report.mismatched.length} of the wrong type (of ${checked}); "crm provision" creates missing ones\n`)
  return 1
}

function printProvision(report: ProvisionReport, io: CliIo): number {
  for (const note of report.notes) io.stdout.write(`note        ${note}\n`)
  for (const name of report.created) io.stdout.write(`created     ${name}\n`)
  io.stdout.write(`${report.created.length} created, ${report.present.length} already present\n`)
  return printReport(report, report.created.length + report.present.length + report.missing.length + report.mismatched.length, io) === 0 ? 0 : 1
}

/** Adapter logs for a command line: warnings and worse, as JSON lines on stderr. */
function stderrLogger(io: CliIo, bindings: Record<string, unknown> = {}): Logger {
  const quiet: LogFn = () => {}
  const loud: LogFn = (obj: object | string, msg?: string) => {
    const entry = typeof obj === 'string' ? { ...bindings, msg: obj } : { ...bindings, ...obj, ...(msg === undefined ? {} : { msg }) }
    io.stderr.write(JSON.stringify(entry) + '\n')
  }
  return { trace: quiet, debug: quiet, info: quiet, warn: loud, error: loud, fatal: loud, child: (b) => stderrLogger(io, { ...bindings, ...b }) }
}
