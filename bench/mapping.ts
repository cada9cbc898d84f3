/**
 * Cost of mapping one full customer with the demo table, both ways.
 *
 * Run from the repository root:
 *   TS_NODE_TRANSPILE_ONLY=1 node --import @isaacs/ts-node-temp-fork-for-pr-2009/import bench/mapping.ts
 * (`npm run bench` runs its compiled form with `--json`, which adds one machine-readable last
 * line, and `--quick` for fewer, shorter rounds.)
 *
 * The customer is the richest sample of mappings/demo-crm.yaml (every profile field, three
 * phones, tier dates, balances, two list addresses). Each case warms up first (so V8 has
 * optimized the compiled closures), then reports the median of several timed rounds.
 */
import { loadMappingTable } from '../src/mapping/index.js'
import type { Customer } from '../src/spi/customer-schema.js'

const quick = process.argv.includes('--quick')
const WARMUP = 20_000
const ROUNDS = quick ? 5 : 7
const PER_ROUND = quick ? 20_000 : 50_000

function measure(name: string, fn: () => unknown): number {
  for (let i = 0; i < WARMUP; i++) fn()
  const perOp: number[] = []
  let sink = 0
  for (let r = 0; r < ROUNDS; r++) {
    const start = process.hrtime.bigint()
    for (let i = 0; i < PER_ROUND; i++) if (fn() !== undefined) sink++
    perOp.push(Number(process.hrtime.bigint() - start) / PER_ROUND)
  }
  perOp.sort((a, b) => a - b)
  const median = perOp[Math.floor(ROUNDS / 2)] ?? NaN
  console.log(`${name.padEnd(44)} ${median.toFixed(0).padStart(7)} ns/op  (min ${(perOp[0] ?? NaN).toFixed(0)}, ${sink > 0 ? 'ok' : '?'})`)
  return median
}

function withoutPhones(customer: Customer): Customer {
  const copy = structuredClone(customer) as Customer & { profile: Record<string, unknown> }
  delete copy.profile['phoneMobile']
  delete copy.profile['phoneHome']
  delete copy.profile['phone']
  return copy
}

const mapping = await loadMappingTable('mappings/demo-crm.yaml')
const sample = [...mapping.samples].sort((a, b) => JSON.stringify(b.spi).length - JSON.stringify(a.spi).length)[0]
if (sample === undefined) throw new Error('the demo table has no sample')
const customer = structuredClone<Customer>(sample.spi)
const record = structuredClone(sample.crm)
const issues: unknown[] = []
const onReadIssue = (issue: unknown): void => {
  issues.push(issue)
}

console.log(`node ${process.version}, table ${mapping.file}, sample "${sample.name}"`)
const toCrmNs = measure('toCrm  (full customer, 3 phones validated)', () => mapping.toCrm(customer))
const toCrmNoPhonesNs = measure('toCrm  (same customer without phones)', ((c) => () => mapping.toCrm(c))(withoutPhones(customer)))
const fromCrmNs = measure('fromCrm (full record)', () => mapping.fromCrm(record, onReadIssue))
measure('criterion (phone search)', () => mapping.criterion('phone', '(415) 555-0142'))
measure('criterion (email search)', () => mapping.criterion('email', 'Amelia.Okafor@Example.com'))
if (issues.length > 0) throw new Error(`unexpected read issues: ${issues.length}`)
if (process.argv.includes('--json')) console.log(`BENCH_MAPPING ${JSON.stringify({ toCrmNs, toCrmNoPhonesNs, fromCrmNs })}`)
