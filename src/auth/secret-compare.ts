/**
 * Secret comparison in constant time (SECURITY.md § Secrets). Secrets are compared as SHA-256
 * digests: equal lengths whatever was presented (timingSafeEqual needs them), and the time
 * taken says nothing about how much of a guess was right. Every configured digest is compared,
 * so neither does it say which of a client's two secrets matched.
 */
import { hash, timingSafeEqual } from 'node:crypto'

/** SHA-256 of the UTF-8 secret (one-shot `crypto.hash`: no Hash object per request). */
export function digestSecret(secret: string): Buffer {
  return hash('sha256', secret, 'buffer')
}

/** The index of the digest `presented` equals, or -1. Compares against every one. */
export function findMatchingDigest(presented: Buffer, expected: readonly Buffer[]): number {
  let match = -1
  for (let i = expected.length - 1; i >= 0; i--) {
    if (timingSafeEqual(presented, expected[i]!)) match = i
  }
  return match
}

/**
 * The first of `candidates` (spellings of one presented secret) that matches, as its digest
 * and the matched index; every candidate is compared.
 */
export function matchSecret(
  candidates: readonly string[],
  expected: readonly Buffer[]
): { readonly digest: Buffer; readonly index: number } | undefined {
  let found: { digest: Buffer; index: number } | undefined
  for (const candidate of candidates) {
    const digest = digestSecret(candidate)
    const index = findMatchingDigest(digest, expected)
    if (index !== -1 && found === undefined) found = { digest, index }
  }
  return found
}
