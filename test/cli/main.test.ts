/**
 * The ops command line as installed: package.json's `bin` names the compiled entry, and the
 * entry starts with a shebang — without one, an installed `clienteling-gateway` is run by the
 * shell and fails on its first line (found by installing the package into a prefix).
 */
import { readFile } from 'node:fs/promises'
import t from 'tap'

const root = new URL('../../', import.meta.url)

t.test('clienteling-gateway is runnable once installed', async (t) => {
  const pkg = JSON.parse(await readFile(new URL('package.json', root), 'utf8')) as { bin?: Record<string, string> }
  t.equal(pkg.bin?.['clienteling-gateway'], 'dist/src/cli/main.js', 'the bin is the compiled src/cli/main.ts')
  const source = await readFile(new URL('src/cli/main.ts', root), 'utf8')
  t.ok(source.startsWith('#!/usr/bin/env node\n'), 'the entry starts with a node shebang (tsc keeps it in the output)')
})
