/**
 * The repository stands alone: a clone anywhere, with nothing beside it, has everything it
 * needs. No tracked file may name an absolute path of the machine it was written on (the
 * repository's own folder or the folder above it) or reach outside the repository with `../`.
 */
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import { readFileSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '')
const parent = dirname(root)
/** A clone straight in /tmp or / has a parent every machine has: only its own path is telling. */
const parentIsTelling = parent !== '/' && parent !== tmpdir()

/** Tracked files (and new ones not ignored): what a clone of this work holds. */
const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: root, encoding: 'utf8' })
  .split('\0')
  .filter((f) => f !== '' && f !== 'package-lock.json')

/** A `../`-relative reference: one or more `../`, then a path segment. */
const UPWARD = /(?:\.\.\/)+[\w@.-]*/g

export function outsideReferences(file: string, text: string): string[] {
  const found: string[] = []
  if (text.includes(`${root}/`) || text.includes(`${root}"`)) found.push(`names this checkout's absolute path ${root}`)
  if (parentIsTelling && text.includes(`${parent}/`)) found.push(`names ${parent}/, the folder above the repository`)
  for (const match of text.matchAll(UPWARD)) {
    const target = resolve(dirname(join(root, file)), match[0])
    const inside = relative(root, target)
    if (inside.startsWith('..') || inside.startsWith(sep)) found.push(`"${match[0]}" leads outside the repository`)
  }
  return found
}

t.test('no tracked file names a path outside the repository', async (t) => {
  t.ok(files.length > 100, `${files.length} files checked`)
  const problems: string[] = []
  for (const file of files) {
    let text: string
    try {
      text = readFileSync(join(root, file), 'utf8')
    } catch {
      continue // deleted in the working tree
    }
    if (text.includes('\u0000')) continue // binary
    for (const problem of outsideReferences(file, text)) problems.push(`${file}: ${problem}`)
  }
  t.same(problems, [], 'every path stays inside the repository')
})

t.test('the check finds what it must', async (t) => {
  t.match(outsideReferences('README.md', 'see ../outside-the-repo/CONTRACT.md'), [/leads outside/])
  if (parentIsTelling) t.match(outsideReferences('mappings/demo-crm.yaml', `# ${parent}/shared/spi/CONTRACT.md`), [/folder above/])
  t.match(outsideReferences('test/x.test.ts', `const f = '${root}/mappings/x.yaml'`), [/absolute path/])
  t.same(outsideReferences('adapters/demo-crm/client.ts', "import { x } from '../shared/http-client.js'"), [], 'a relative import inside the repository is fine')
  t.same(outsideReferences('docs/spi-contract.md', '[fixtures](../test/fixtures/spi-examples/)'), [])
})
