/**
 * Config tests write real files and read start-up errors: a temp folder to write them in, and
 * the ConfigError message a load produced.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError } from '../../src/config/load-config.js'

/** A fresh temp folder; the returned function writes `text` to a file there and returns its path. */
export function configFileWriter(prefix: string): (name: string, text: string) => string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  return (name, text) => {
    const p = join(dir, name)
    writeFileSync(p, text)
    return p
  }
}

/** The ConfigError message `fn` throws, or "(no error)"; any other error is rethrown. */
export function configProblems(fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    if (err instanceof ConfigError) return err.message
    throw err
  }
  return '(no error)'
}
