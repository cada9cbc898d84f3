/**
 * `adapter new <name>`: generates into a temp directory, checks what it wrote, that the table
 * passes `mapping check`, that it refuses bad names and never overwrites — and runs the
 * generated conformance test in a child process, against the generated fake, inside a
 * throwaway checkout whose src/, adapters/shared/, kit and node_modules link to this one: as
 * generated, and edited into a CRM with fewer capabilities (the kit's other branches).
 */
import { spawn } from 'node:child_process'
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import type { Test } from 'tap'
import { fillTemplate, namesFor, runAdapterCli } from '../../src/cli/adapter.js'
import { runMappingCli } from '../../src/cli/mapping.js'

const repo = fileURLToPath(new URL('../../', import.meta.url))

function capture() {
  let out = ''
  let err = ''
  return {
    io: { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } },
    get out() { return out },
    get err() { return err }
  }
}

async function tempRoot(t: { teardown(fn: () => unknown): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'adapter-new-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1)).sort()
}

t.test('help, and names that cannot be an adapter’s', async (t) => {
  const root = await tempRoot(t)
  const usage = capture()
  t.equal(await runAdapterCli([], usage.io, { root }), 2, 'no command: usage, exit 2')
  t.match(usage.out, /new <name> +scaffold adapters\/<name>\//)
  const help = capture()
  t.equal(await runAdapterCli(['new', '--help'], help.io, { root }), 0)
  t.match(help.out, /kebab-case/)
  t.match(help.out, /generic JSON REST API/, 'the help says what the scaffold targets')
  const unknown = capture()
  t.equal(await runAdapterCli(['remove', 'x'], unknown.io, { root }), 2)
  t.match(unknown.err, /unknown command "remove"/)

  for (const name of ['AcmeCrm', 'acme_crm', 'acme--crm', '-acme', 'acme-', '1acme', 'acme crm', '../acme', 'shared', 'a'.repeat(41)]) {
    const run = capture()
    t.equal(await runAdapterCli(['new', name], run.io, { root }), 2, `"${name.slice(0, 12)}" refused`)
    t.match(run.err, /adapter new: /)
  }
  t.equal(await runAdapterCli(['new'], capture().io, { root }), 2, 'a name is required')
  t.equal(await runAdapterCli(['new', 'a', 'b'], capture().io, { root }), 2, 'one name only')
  t.same(await filesUnder(root), [], 'nothing written by a refused command')
})

t.test('adapter new acme-crm: the files, a valid table, the registry lines, no overwrite', async (t) => {
  const root = await tempRoot(t)
  const run = capture()
  t.equal(await runAdapterCli(['new', 'acme-crm'], run.io, { root }), 0)
  const files = await filesUnder(root)
  t.same(files, [
    'adapters/acme-crm/client.ts', 'adapters/acme-crm/errors.ts', 'adapters/acme-crm/index.ts', 'adapters/acme-crm/wire.ts',
    'mappings/acme-crm.yaml', 'test/conformance/acme-crm.test.ts', 'test/fakes/acme-crm-fake.ts'
  ])
  for (const file of files) {
    const text = await readFile(join(root, file), 'utf8')
    t.notMatch(text, /__(?:name|Name|NAME|label)__/, `${file}: every placeholder filled`)
  }
  const index = await readFile(join(root, 'adapters/acme-crm/index.ts'), 'utf8')
  t.match(index, /export const createAcmeCrmAdapter: AdapterFactory/)
  t.match(index, /export const ACME_CRM_ADAPTER = 'acme-crm'/)
  t.match(index, /PLACEHOLDER/, 'the places to change are marked')
  t.match(run.out, /import \{ createAcmeCrmAdapter \} from '\.\/acme-crm\/index\.js'\n {2}'acme-crm': createAcmeCrmAdapter,/, 'prints the lines for adapters/index.ts')

  const check = capture()
  t.equal(await runMappingCli(['check', 'mappings/acme-crm.yaml'], { ...check.io, cwd: root }), 0, 'the generated table passes mapping check')
  t.match(check.out, /^OK mappings\/acme-crm\.yaml \(\d+ CRM fields read, 1 sample round-trips, search: firstName, lastName, email, phone, customerId\)/)

  const again = capture()
  t.equal(await runAdapterCli(['new', 'acme-crm'], again.io, { root }), 1, 'a second run is refused')
  t.match(again.err, /refusing to overwrite: adapters\/acme-crm, adapters\/acme-crm\/index\.ts/)
  await mkdir(join(root, 'adapters', 'beta'), { recursive: true })
  const folder = capture()
  t.equal(await runAdapterCli(['new', 'beta'], folder.io, { root }), 1, 'an existing adapters/<name>/ folder is refused')
  t.same(await filesUnder(join(root, 'adapters')), files.filter((f) => f.startsWith('adapters/')).map((f) => f.slice('adapters/'.length)), 'and nothing was written for it')
  t.same(namesFor('my-big-crm2'), { name: 'my-big-crm2', Name: 'MyBigCrm2', NAME: 'MY_BIG_CRM2', label: 'My Big Crm2' })
  t.equal(fillTemplate('__NAME___X __Name__ __name__', namesFor('a-b')), 'A_B_X AB a-b')
})

/**
 * Generates acme-crm into a throwaway checkout (the generated files, and links to what they
 * import from this one), applies `edits` (file → [from, to] replacements, each checked to
 * apply) and runs the generated conformance test in a child process: its exit code and output.
 */
async function runGenerated(t: Test, edits: Record<string, ReadonlyArray<readonly [string, string]>> = {}) {
  const root = await tempRoot(t)
  t.equal(await runAdapterCli(['new', 'acme-crm'], capture().io, { root }), 0)
  const links = ['node_modules', 'src', 'adapters/shared', 'test/helpers', 'test/conformance/adapter-conformance.ts', 'test/fakes/fault-proxy.ts', 'package.json', 'tsconfig.json']
  for (const link of links) {
    await mkdir(dirname(join(root, link)), { recursive: true })
    await symlink(join(repo, link), join(root, link))
  }
  for (const [file, replacements] of Object.entries(edits)) {
    let text = await readFile(join(root, file), 'utf8')
    for (const [from, to] of replacements) {
      t.ok(text.includes(from), `${file}: the generated text to change is there (${from.slice(0, 40)}…)`)
      text = text.replace(from, to)
    }
    await writeFile(join(root, file), text)
  }
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TAP') && k !== 'NODE_OPTIONS'))
  const child = spawn(process.execPath, ['--import', '@isaacs/ts-node-temp-fork-for-pr-2009/import', 'test/conformance/acme-crm.test.ts'], {
    cwd: root,
    env: { ...env, TS_NODE_TRANSPILE_ONLY: '1' },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  child.stdout.on('data', (c: Buffer) => (output += c.toString()))
  child.stderr.on('data', (c: Buffer) => (output += c.toString()))
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  const summary = /# \{ total: (\d+), pass: (\d+)(?:, fail: \d+)?/.exec(output)
  return { code, output, summary }
}

t.test('the generated conformance test runs and passes against the generated fake', async (t) => {
  const { code, output, summary } = await runGenerated(t)
  t.equal(code, 0, 'the kit passes out of the box')
  t.ok(summary !== null && Number(summary[1]) > 40 && summary[1] === summary[2], `every check passed (${summary?.[0] ?? output.slice(-400)})`)
  t.match(output, /acme-crm \(generated fake\): every CRM failure is reported as its kind/)
})

t.test('the kit adapts to a CRM with fewer capabilities (a Pipedrive-like one)', async (t) => {
  // The fake loses its unique e-mail and its e-mail check; the adapter refuses `contains` and
  // a second criterion; the test declares so. The kit then checks what the port promises.
  const { code, output, summary } = await runGenerated(t, {
    'test/fakes/acme-crm-fake.ts': [
      ["throw fail(422, 'VALIDATION', 'email')", 'void 0'],
      ["throw fail(409, 'DUPLICATE')", 'void 0']
    ],
    'adapters/acme-crm/wire.ts': [
      [
        'export function toSearchCriteria(criteria: readonly CrmCriterion[]): SearchCriterion[] {',
        `export function toSearchCriteria(criteria: readonly CrmCriterion[]): SearchCriterion[] {
  if (criteria.length > 1) throw new CrmFailure('unsupported', { reason: 'criteria', detail: 'one criterion' })
  if (criteria.some((c) => c.operator === 'contains')) throw new CrmFailure('unsupported', { reason: 'criteria', detail: 'no contains' })`
      ]
    ],
    'test/conformance/acme-crm.test.ts': [
      ['uniqueEmail: true', 'uniqueEmail: false'],
      ['validatesEmail: true', 'validatesEmail: false'],
      ["searchOperators: ['equals', 'prefix', 'contains', 'phone']", "searchOperators: ['equals', 'prefix', 'phone']"],
      ['combinesCriteria: true', 'combinesCriteria: false']
    ]
  })
  t.equal(code, 0, 'the kit passes')
  t.ok(summary !== null && summary[1] === summary[2], `every check passed (${summary?.[0] ?? output.slice(-400)})`)
  for (const id of ['K09', 'K12', 'K22', 'K29', 'K30', 'K31', 'K33']) t.match(output, new RegExp(`^\\s*ok \\d+ - ${id} `, 'm'), `${id} ran`)
  for (const id of ['K11', 'K28', 'K32']) t.notMatch(output, new RegExp(` - ${id} `), `${id} did not`)
})
