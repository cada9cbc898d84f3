/**
 * `adapter` commands for merchants adding a CRM: `adapter new <name>` scaffolds an adapter
 * (adapters/<name>/: index, client, wire, errors), its mapping table (mappings/<name>.yaml,
 * valid as generated) and a conformance test that runs (test/conformance/<name>.test.ts, with
 * a fake of the generic JSON REST API the scaffold targets: test/fakes/<name>-fake.ts).
 *
 * The templates are the files in ./templates/ with placeholders (__name__ kebab-case,
 * __Name__ PascalCase, __NAME__ UPPER_SNAKE, __label__ for prose). Nothing is overwritten and
 * adapters/index.ts is not edited: the command prints the two lines to add there.
 * Written as a function over argv and two streams so tests drive it; ./main.ts is the entry.
 */
import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { PROJECT_ROOT } from '../config/project-root.js'
import type { CliIo } from './mapping.js'

export interface AdapterCliOptions {
  /** The repository to generate into (default: the gateway's own root). */
  readonly root?: string
}

const USAGE = `usage: adapter <command> [options]

commands:
  new <name>    scaffold adapters/<name>/, mappings/<name>.yaml and a conformance test

Run "adapter new --help" for details.
`

const NEW_HELP = `usage: adapter new <name>

Scaffolds a CRM adapter named <name> (kebab-case: lowercase letters, digits and single
hyphens, starting with a letter, e.g. "acme-crm"):

  adapters/<name>/index.ts        the adapter: settings, the four operations
  adapters/<name>/client.ts       HTTP + authentication, one method per CRM endpoint
  adapters/<name>/wire.ts         the CRM's answer shapes and query spelling
  adapters/<name>/errors.ts       the CRM's errors → the port's failure kinds
  mappings/<name>.yaml            the mapping table (valid: passes "mapping check")
  test/conformance/<name>.test.ts the conformance kit for the adapter
  test/fakes/<name>-fake.ts       a fake of the API the scaffold targets

As generated, the adapter speaks a generic JSON REST API (adapters/<name>/client.ts) that the
generated fake serves, so the conformance test passes at once; replace both with your CRM's
API and a double or sandbox of it (adapters/README.md, "Adding your CRM in an afternoon").
Existing files are never overwritten. Prints the lines to add to adapters/index.ts.
`

/** kebab-case, as file names in this repository are. */
const NAME = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/
/** Folders of adapters/ that are not adapters, and names JavaScript objects already hold. */
const RESERVED = new Set(['shared', 'index', 'constructor', 'prototype', 'proto'])

/** Template file → where its output goes (relative to the root). */
const FILES: ReadonlyArray<readonly [string, (name: string) => string]> = [
  ['adapter-index.ts.tmpl', (n) => `adapters/${n}/index.ts`],
  ['adapter-client.ts.tmpl', (n) => `adapters/${n}/client.ts`],
  ['adapter-wire.ts.tmpl', (n) => `adapters/${n}/wire.ts`],
  ['adapter-errors.ts.tmpl', (n) => `adapters/${n}/errors.ts`],
  ['mapping.yaml.tmpl', (n) => `mappings/${n}.yaml`],
  ['conformance.test.ts.tmpl', (n) => `test/conformance/${n}.test.ts`],
  ['fake.ts.tmpl', (n) => `test/fakes/${n}-fake.ts`]
]

/** The templates, next to this file in src/, or in the checkout when running from dist/. */
function templatesDir(): string {
  const beside = fileURLToPath(new URL('./templates/', import.meta.url))
  return existsSync(beside) ? beside : join(PROJECT_ROOT, 'src', 'cli', 'templates')
}

export interface AdapterNames {
  readonly name: string
  readonly Name: string
  readonly NAME: string
  readonly label: string
}

export function namesFor(name: string): AdapterNames {
  const words = name.split('-')
  return {
    name,
    Name: words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join(''),
    NAME: words.map((w) => w.toUpperCase()).join('_'),
    label: words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join(' ')
  }
}

export function fillTemplate(template: string, names: AdapterNames): string {
  return template
    .replaceAll('__name__', names.name)
    .replaceAll('__Name__', names.Name)
    .replaceAll('__NAME__', names.NAME)
    .replaceAll('__label__', names.label)
}

/** Why a name cannot be an adapter's, or undefined when it can. */
export function nameProblem(name: string): string | undefined {
  if (!NAME.test(name)) return `"${name}" is not kebab-case (lowercase letters, digits and single hyphens, starting with a letter, e.g. acme-crm)`
  if (name.length > 40) return `"${name}" is longer than 40 characters`
  if (RESERVED.has(name)) return `"${name}" is reserved`
  return undefined
}

export async function runAdapterCli(argv: readonly string[], io: CliIo, options: AdapterCliOptions = {}): Promise<number> {
  const [command, ...args] = argv
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    io.stdout.write(USAGE)
    return command === undefined ? 2 : 0
  }
  if (command !== 'new') {
    io.stderr.write(`unknown command "${command}"\n\n${USAGE}`)
    return 2
  }
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout.write(NEW_HELP)
    return 0
  }
  const [name, extra] = args
  if (name === undefined || extra !== undefined) {
    io.stderr.write(NEW_HELP)
    return 2
  }
  const problem = nameProblem(name)
  if (problem !== undefined) {
    io.stderr.write(`adapter new: ${problem}\n`)
    return 2
  }

  const root = options.root ?? PROJECT_ROOT
  const targets = FILES.map(([template, target]) => ({ template, path: join(root, target(name)) }))
  const taken = [join(root, 'adapters', name), ...targets.map((t) => t.path)].filter((p) => existsSync(p))
  if (taken.length > 0) {
    io.stderr.write(`adapter new: refusing to overwrite: ${taken.map((p) => relative(root, p)).join(', ')}\n`)
    return 1
  }

  const names = namesFor(name)
  const dir = templatesDir()
  // Read every template before writing anything: a missing one leaves no half scaffold.
  const contents = await Promise.all(targets.map(async (t) => fillTemplate(await readFile(join(dir, t.template), 'utf8'), names)))
  for (const [i, target] of targets.entries()) {
    await mkdir(dirname(target.path), { recursive: true })
    // `wx`: fail rather than overwrite a file created since the check above.
    await writeFile(target.path, contents[i] ?? '', { flag: 'wx' })
    io.stdout.write(`created ${relative(root, target.path)}\n`)
  }
  io.stdout.write(`
Register it in adapters/index.ts (the registry is static, checked at start-up):
  import { create${names.Name}Adapter } from './${name}/index.js'
  '${name}': create${names.Name}Adapter,

Then:
  npx tap --disable-coverage test/conformance/${name}.test.ts   # the kit, against the generated fake
  replace the generic API in adapters/${name}/ and the field names in mappings/${name}.yaml with your CRM's
  (guide: adapters/README.md, "Adding your CRM in an afternoon")
`)
  return 0
}
