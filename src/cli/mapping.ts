/**
 * `mapping` commands for ops: check tables, preview what a customer becomes, regenerate the
 * editor schema. Written as a function over argv and two streams so tests drive it directly;
 * ./main.ts is the process entry.
 */
import { readdir, readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { Compile } from 'typebox/compile'
import { CustomerSchema, type Customer } from '../spi/customer-schema.js'
import {
  formatIssue,
  loadMappingTable,
  MappingTableError,
  MappingValueError,
  TRANSFORMS,
  writeMappingSchema,
  type CompiledMapping,
  type ReadIssue
} from '../mapping/index.js'
import { checkTableAgainstCrm } from './crm.js'
import { checkRestDefinition } from '../../adapters/rest/validate.js'

export interface CliIo {
  readonly stdout: { write(text: string): unknown }
  readonly stderr: { write(text: string): unknown }
  /** Base for default paths (mappings/); the process's working directory by default. */
  readonly cwd?: string
  /** The environment the configuration is read from (`--crm`, `crm`); the process's by default. */
  readonly env?: Readonly<Record<string, string | undefined>>
}

const USAGE = `usage: mapping <command> [options]

commands:
  check [--crm] [files…]         validate mapping tables (default: every mappings/*.yaml)
  preview <table> <customer.json> show the CRM record a customer becomes and what reads back
  schema [--out <file>]           write the editor schema (default: mappings/schema.json)

Run "mapping <command> --help" for details.
`

const HELP: Record<string, string> = {
  check: `usage: mapping check [--crm] [files…]

Validates each table: YAML syntax, the schema, transforms, paths, duplicate targets, search
rows, and that every sample round-trips. Prints one OK line per valid table, and every problem
as <file>:<line>:<column> <where>: <what>. Exit code 0 when all tables are valid, 1 otherwise.
Without files, checks every *.yaml in mappings/.

--crm also asks the configured CRM (the gateway's configuration: CRM_ADAPTER, CRM_BASE_URL,
crm.options…) whether it has every field each table uses, with a fitting type — for CRMs whose
fields are declared before use, such as HubSpot ("crm provision" creates the missing ones).
`,
  preview: `usage: mapping preview [--json] [--stored <record.json>] <table> <customer.json>

Reads an SPI customer ({"customer": {…}} or bare), prints the CRM record toCrm makes of it,
then the SPI customer fromCrm reads back from that record (read-only fields such as
profile.customerId are absent, since the CRM assigns them). --json prints one JSON object
{crm, spi, readIssues}. Exit code 1 when the table or the customer is invalid.

--stored previews an update: the customer is the update's fields, the record is the CRM record
as stored. Keyed list items then keep the stored list's other items, and a composed field sent
in part takes its other parts from the record, as the gateway does.

Transforms: ${TRANSFORMS.map((t) => t.name).join(', ')}
`,
  schema: `usage: mapping schema [--out <file>]

Writes the JSON schema of mapping tables (for editors: "# yaml-language-server: $schema=./schema.json").
Default output: mappings/schema.json.
`
}

const wantsHelp = (args: readonly string[]): boolean => args.includes('--help') || args.includes('-h')

export async function runMappingCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...args] = argv
  const cwd = io.cwd ?? process.cwd()
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    io.stdout.write(USAGE)
    return command === undefined ? 2 : 0
  }
  const help = HELP[command]
  if (help === undefined) {
    io.stderr.write(`unknown command "${command}"\n\n${USAGE}`)
    return 2
  }
  if (wantsHelp(args)) {
    io.stdout.write(help)
    return 0
  }
  switch (command) {
    case 'check': return check(args.filter((a) => a !== '--crm'), cwd, io, args.includes('--crm'))
    case 'preview': return preview(args, cwd, io)
    default: return schema(args, cwd, io)
  }
}

async function check(files: readonly string[], cwd: string, io: CliIo, againstCrm: boolean): Promise<number> {
  let targets = files
  if (targets.length === 0) {
    const dir = join(cwd, 'mappings')
    const names = await readdir(dir).catch(() => [] as string[])
    targets = names.filter((n) => n.endsWith('.yaml') || n.endsWith('.yml')).sort().map((n) => join('mappings', n))
    if (targets.length === 0) {
      io.stderr.write(`no mapping tables (*.yaml) in ${dir}\n`)
      return 1
    }
  }
  let failed = 0
  for (const file of targets.filter((f) => !isRestDefinition(f))) {
    const mapping = await load(file, cwd, io)
    if (mapping === undefined) {
      failed++
      continue
    }
    const search = mapping.searchParams.length > 0 ? mapping.searchParams.join(', ') : 'none'
    const n = mapping.samples.length
    const samples = n === 0 ? 'no samples' : n === 1 ? '1 sample round-trips' : `${n} samples round-trip`
    io.stdout.write(`OK ${file} (${mapping.readPaths.length} CRM fields read, ${samples}, search: ${search})\n`)
    for (const warning of mapping.warnings) io.stdout.write(`warning ${formatIssue({ ...warning, file })}\n`)
    if (againstCrm && (await checkTableAgainstCrm(mapping.fields, io, io.env)) !== 0) failed++
  }
  // REST definitions (adapters/rest/README.md) live beside the tables: checked as what they are.
  for (const file of targets.filter(isRestDefinition)) if (!(await checkDefinition(file, cwd, io))) failed++
  return failed === 0 ? 0 : 1
}

const isRestDefinition = (file: string): boolean => /\.rest\.ya?ml$/.test(file)

/** Checks a REST definition, printing OK or its problems; false when it is invalid. */
async function checkDefinition(file: string, cwd: string, io: CliIo): Promise<boolean> {
  let source: string
  try {
    source = await readFile(resolve(cwd, file), 'utf8')
  } catch (err) {
    io.stderr.write(`${file} (file): cannot read the definition (${(err as { code?: string }).code ?? 'unreadable'})\n`)
    return false
  }
  const { definition, issues } = checkRestDefinition(source, file)
  for (const issue of issues) io.stderr.write(formatIssue(issue) + '\n')
  if (definition === undefined) return false
  const search = definition.operations.search
  io.stdout.write(`OK ${file} (REST definition ${definition.name}: auth ${definition.auth.kind}, search ${search.criteria.style}, paging ${search.paging.style})\n`)
  return true
}

/** Loads a table, printing its problems; undefined when it is invalid. */
async function load(file: string, cwd: string, io: CliIo): Promise<CompiledMapping | undefined> {
  try {
    return await loadMappingTable(resolve(cwd, file))
  } catch (err) {
    if (!(err instanceof MappingTableError)) throw err
    // Report the file as the user wrote it, not the absolute path the loader was given.
    for (const issue of err.issues) io.stderr.write(formatIssue({ ...issue, file }) + '\n')
    return undefined
  }
}

const validCustomer = Compile(CustomerSchema)

async function preview(args: readonly string[], cwd: string, io: CliIo): Promise<number> {
  const json = args.includes('--json')
  const storedAt = args.indexOf('--stored')
  const storedFile = storedAt < 0 ? undefined : args[storedAt + 1]
  const [tableFile, customerFile, extra] = args.filter((a, i) => a !== '--json' && (storedAt < 0 || (i !== storedAt && i !== storedAt + 1)))
  if (tableFile === undefined || customerFile === undefined || extra !== undefined || (storedAt >= 0 && storedFile === undefined)) {
    io.stderr.write(HELP['preview'] ?? '')
    return 2
  }
  const mapping = await load(tableFile, cwd, io)
  if (mapping === undefined) return 1
  const body = await readJson(customerFile, 'a JSON customer', cwd, io)
  if (body === undefined) return 1
  let stored: Record<string, unknown> | undefined
  if (storedFile !== undefined) {
    const record = await readJson(storedFile, 'a JSON CRM record', cwd, io)
    if (record === undefined) return 1
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      io.stderr.write(`${storedFile}: a CRM record is a JSON object\n`)
      return 1
    }
    stored = record as Record<string, unknown>
  }
  const customer = unwrap(body)
  if (!validCustomer.Check(customer)) {
    for (const e of validCustomer.Errors(customer)) io.stderr.write(`${customerFile}: ${e.instancePath || '(customer)'}: ${e.message}\n`)
    return 1
  }
  let crm: Record<string, unknown>
  try {
    crm = mapping.toCrm(customer, stored)
  } catch (err) {
    if (!(err instanceof MappingValueError)) throw err
    io.stderr.write(`${customerFile}: ${err.field}: ${err.reason}\n`)
    return 1
  }
  const readIssues: ReadIssue[] = []
  const spi = mapping.fromCrm(crm, (issue) => readIssues.push(issue))
  if (json) {
    io.stdout.write(JSON.stringify({ crm, spi, readIssues }, null, 2) + '\n')
    return 0
  }
  io.stdout.write(`CRM record (toCrm):\n${JSON.stringify(crm, null, 2)}\n\nSPI customer read back (fromCrm):\n${JSON.stringify(spi, null, 2)}\n`)
  for (const issue of readIssues) io.stdout.write(`read issue: ${issue.field} ← ${issue.crmField}: ${issue.reason}\n`)
  return 0
}

/** The parsed JSON of `file`, or undefined once the reason is written to stderr. */
async function readJson(file: string, what: string, cwd: string, io: CliIo): Promise<unknown> {
  try {
    return JSON.parse(await readFile(resolve(cwd, file), 'utf8')) as unknown
  } catch (err) {
    io.stderr.write(`${file}: cannot read ${what} (${err instanceof Error ? err.message : String(err)})\n`)
    return undefined
  }
}

/** CONTRACT §2: the customer comes wrapped as {customer: …} or bare. */
function unwrap(body: unknown): Customer {
  if (typeof body === 'object' && body !== null && !Array.isArray(body) && Object.keys(body).length === 1 && 'customer' in body) {
    return body.customer as Customer
  }
  return body as Customer
}

async function schema(args: readonly string[], cwd: string, io: CliIo): Promise<number> {
  const at = args.indexOf('--out')
  const out = at >= 0 ? args[at + 1] : join('mappings', 'schema.json')
  if (out === undefined || (at < 0 && args.length > 0)) {
    io.stderr.write(HELP['schema'] ?? '')
    return 2
  }
  await writeMappingSchema(resolve(cwd, out))
  io.stdout.write(`wrote ${out}\n`)
  return 0
}
