/**
 * The project's root folder (where package.json and mappings/ live), found from this file's
 * location so it is the same whether the code runs from src/ (tests) or dist/src/ (npm start).
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'mappings'))) return dir
    const parent = dirname(dir)
    if (parent === dir) return process.cwd()
    dir = parent
  }
}

export const PROJECT_ROOT = findRoot()

/** The mapping table for an adapter: the configured file, or mappings/<adapter>.yaml. */
export function mappingFileFor(adapter: string, configured: string): string {
  return configured ? resolve(configured) : join(PROJECT_ROOT, 'mappings', `${adapter}.yaml`)
}

/** The version in the project's package.json (npm's environment is not there under `node dist/…`). */
export function packageVersion(root: string = PROJECT_ROOT): string {
  try {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: unknown }
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0'
  } catch {
    return '0.0.0'
  }
}
