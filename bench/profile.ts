/**
 * Where a server's CPU went: summarizes a V8 .cpuprofile (from `npm run bench -- --cpu-prof
 * gwMiss`, or any `node --cpu-prof`) as self time by package or project folder, and the top
 * functions by self time and by inclusive time.
 *
 *   node dist/bench-build/bench/profile.js dist/bench-profiles/gwMiss.cpuprofile [--top 30]
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

function main(): void {
  const file = process.argv[2]
  if (!file) throw new Error('usage: profile.js FILE.cpuprofile [--top N]')
  const topIndex = process.argv.indexOf('--top')
  const top = topIndex === -1 ? 25 : Number(process.argv[topIndex + 1])
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile
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
  const fnKey = (n: ProfileNode): string => {
    const f = n.callFrame
    const where = f.url ? `${f.url.replace(/^.*\/(node_modules|dist\/bench-build)\//, '').replace(/^file:\/\/\/?/, '')}:${f.lineNumber + 1}` : ''
    return `${f.functionName || '(anonymous)'} ${where}`.trim()
  }
  // Inclusive: hits in a node's subtree, counted once per function per stack (no recursion twice).
  const inclusive = new Map<string, number>()
  const walk = (id: number, onStack: Set<string>): number => {
    const n = byId.get(id)!
    const key = fnKey(n)
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
  const print = (title: string, entries: Map<string, number>, limit: number): void => {
    console.log(`\n${title}`)
    for (const [k, hits] of [...entries].sort((a, b) => b[1] - a[1]).slice(0, limit)) {
      console.log(`  ${pct(hits)}  ${(hits * msPerHit).toFixed(0).padStart(7)} ms  ${k}`)
    }
  }
  console.log(`${file}: ${((profile.endTime - profile.startTime) / 1e6).toFixed(1)} s, busy ${pct(busy).trim()} of samples are not idle; percentages of busy time`)
  print('self time by package / folder', selfBy((n) => groupOf(n.callFrame.url)), 30)
  print(`top ${top} functions by self time`, selfBy(fnKey), top)
  const skip = /^\((root|program|idle|garbage collector)\)/
  print(`top ${top} functions by inclusive time`, new Map([...inclusive].filter(([k]) => !skip.test(k))), top)
}

main()
