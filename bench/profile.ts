/**
 * Where a server's CPU or memory went: summarizes a V8 .cpuprofile (from `npm run bench --
 * --cpu-prof gwMiss`, `bench/ab.ts --cpu-prof`, or any `node --cpu-prof`) as self time by
 * package or project folder, and the top functions by self time and by inclusive time; or a
 * .heapprofile (`bench/ab.ts --heap-prof`: sampled allocations, garbage included) the same way
 * in bytes allocated. `--per N` divides by N requests: µs or bytes per request.
 *
 *   node dist/bench-build/bench/profile.js dist/bench-profiles/gwMiss.cpuprofile [--top 30] [--per N]
 */
import { readFileSync } from 'node:fs'

interface CallFrame {
  functionName: string
  url: string
  lineNumber: number
}
interface ProfileNode {
  id: number
  callFrame: CallFrame
  hitCount?: number
  children?: number[]
}
interface HeapNode {
  callFrame: CallFrame
  selfSize: number
  children: HeapNode[]
}
interface HeapProfile {
  head: HeapNode
}
interface CpuProfile {
  nodes: ProfileNode[]
  startTime: number
  endTime: number
  samples?: number[]
}

/** node_modules/<package> (scoped too), a project folder (src/http, adapters/shared…), node:… */
export function groupOf(url: string): string {
  if (url === '') return '(native/V8)'
  if (url.startsWith('node:')) return 'node: internals'
  const nm = url.lastIndexOf('/node_modules/')
  if (nm !== -1) {
    const parts = url.slice(nm + '/node_modules/'.length).split('/')
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!
  }
  const project = /\/(?:dist\/bench-build\/)?((?:src|adapters|bench|demo-crm)\/(?:[^/]+\/)?)/.exec(url)
  if (project) return project[1]!.replace(/\/$/, '').replace(/\/[^/]+\.(?:js|ts)$/, '')
  return url
}

function option(name: string): number | undefined {
  const i = process.argv.indexOf(name)
  return i === -1 ? undefined : Number(process.argv[i + 1])
}

function fnKey(f: CallFrame): string {
  const where = f.url ? `${f.url.replace(/^.*\/(node_modules|dist\/bench-build)\//, '').replace(/^file:\/\/\/?/, '')}:${f.lineNumber + 1}` : ''
  return `${f.functionName || '(anonymous)'} ${where}`.trim()
}

function printTop(title: string, entries: Map<string, number>, limit: number, share: (n: number) => string, amount: (n: number) => string): void {
  console.log(`\n${title}`)
  for (const [k, n] of [...entries].sort((a, b) => b[1] - a[1]).slice(0, limit)) console.log(`  ${share(n)}  ${amount(n)}  ${k}`)
}

/** Bytes allocated (sampled) by package and by function, self and inclusive. */
function summarizeHeap(file: string, profile: HeapProfile, top: number, per: number | undefined): void {
  const self = new Map<string, number>()
  const byGroup = new Map<string, number>()
  const inclusive = new Map<string, number>()
  let total = 0
  const walk = (n: HeapNode, onStack: Set<string>): number => {
    const key = fnKey(n.callFrame)
    self.set(key, (self.get(key) ?? 0) + n.selfSize)
    const group = groupOf(n.callFrame.url)
    byGroup.set(group, (byGroup.get(group) ?? 0) + n.selfSize)
    total += n.selfSize
    let bytes = n.selfSize
    const fresh = !onStack.has(key)
    if (fresh) onStack.add(key)
    for (const c of n.children) bytes += walk(c, onStack)
    if (fresh) {
      onStack.delete(key)
      inclusive.set(key, (inclusive.get(key) ?? 0) + bytes)
    }
    return bytes
  }
  walk(profile.head, new Set())
  const share = (b: number): string => `${((100 * b) / Math.max(1, total)).toFixed(1).padStart(5)}%`
  const amount = (b: number): string => (per ? `${(b / per).toFixed(0).padStart(7)} B/req` : `${(b / 1048576).toFixed(1).padStart(8)} MiB`)
  console.log(`${file}: ${(total / 1048576).toFixed(1)} MiB allocated (sampled)${per ? `, ${(total / per).toFixed(0)} bytes per request over ${per} requests` : ''}`)
  printTop('allocated by package / folder (self)', byGroup, 30, share, amount)
  printTop(`top ${top} functions by bytes allocated (self)`, self, top, share, amount)
  printTop(`top ${top} functions by bytes allocated (inclusive)`, new Map([...inclusive].filter(([k]) => !k.startsWith('(root)'))), top, share, amount)
}

function main(): void {
  const file = process.argv[2]
  if (!file) throw new Error('usage: profile.js FILE.cpuprofile|FILE.heapprofile [--top N] [--per REQUESTS]')
  const top = option('--top') ?? 25
  const per = option('--per')
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile | HeapProfile
  if ('head' in parsed) return summarizeHeap(file, parsed, top, per)
  const profile = parsed
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const totalHits = profile.nodes.reduce((sum, n) => sum + (n.hitCount ?? 0), 0)
  const msPerHit = (profile.endTime - profile.startTime) / 1000 / Math.max(1, totalHits)
  const idle = profile.nodes.filter((n) => n.callFrame.functionName === '(idle)').reduce((s, n) => s + (n.hitCount ?? 0), 0)
  const busy = totalHits - idle

  const selfBy = (key: (n: ProfileNode) => string): Map<string, number> => {
    const out = new Map<string, number>()
    for (const n of profile.nodes) {
      if (!n.hitCount || n.callFrame.functionName === '(idle)') continue
      const k = key(n)
      out.set(k, (out.get(k) ?? 0) + n.hitCount)
    }
    return out
  }
  // Inclusive: hits in a node's subtree, counted once per function per stack (no recursion twice).
  const inclusive = new Map<string, number>()
  const walk = (id: number, onStack: Set<string>): number => {
    const n = byId.get(id)!
    const key = fnKey(n.callFrame)
    let hits = n.callFrame.functionName === '(idle)' ? 0 : (n.hitCount ?? 0)
    const fresh = !onStack.has(key)
    if (fresh) onStack.add(key)
    for (const c of n.children ?? []) hits += walk(c, onStack)
    if (fresh) {
      onStack.delete(key)
      inclusive.set(key, (inclusive.get(key) ?? 0) + hits)
    }
    return hits
  }
  walk(profile.nodes[0]!.id, new Set())

  const pct = (hits: number): string => `${((100 * hits) / Math.max(1, busy)).toFixed(1).padStart(5)}%`
  const time = (hits: number): string => (per ? `${((hits * msPerHit * 1000) / per).toFixed(1).padStart(6)} µs/req` : `${(hits * msPerHit).toFixed(0).padStart(7)} ms`)
  const print = (title: string, entries: Map<string, number>, limit: number): void => printTop(title, entries, limit, pct, time)
  console.log(
    `${file}: ${((profile.endTime - profile.startTime) / 1e6).toFixed(1)} s, ${((100 * busy) / Math.max(1, totalHits)).toFixed(1)}% of samples busy (not idle); percentages of busy time` +
      (per ? `; ${((busy * msPerHit * 1000) / per).toFixed(0)} µs busy per request over ${per} requests` : '')
  )
  print('self time by package / folder', selfBy((n) => groupOf(n.callFrame.url)), 30)
  print(`top ${top} functions by self time`, selfBy((n) => fnKey(n.callFrame)), top)
  const skip = /^\((root|program|idle|garbage collector)\)/
  print(`top ${top} functions by inclusive time`, new Map([...inclusive].filter(([k]) => !skip.test(k))), top)
}

main()
