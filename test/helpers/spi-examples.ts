/**
 * The vendor guide's scenario examples (test/fixtures/spi-examples, copied from the contract),
 * parsed afresh on each call so a test may edit what it gets.
 */
import { readFileSync } from 'node:fs'

export function example(name: string): Record<string, any> {
  return JSON.parse(readFileSync(new URL(`../fixtures/spi-examples/${name}.json`, import.meta.url), 'utf8')) as Record<string, any>
}
