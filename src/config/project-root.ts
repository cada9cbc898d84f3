/**
 * The project's root folder (where package.json and mappings/ live), found from this file's
 * location so it is the same whether the code runs from src/ (tests) or dist/src/ (npm start).
 */
import { existsSync } from 'node:fs'
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
