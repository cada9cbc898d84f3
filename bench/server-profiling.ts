/**
 * Profiles of a running server, driven over IPC by the orchestrator so that only the measured
 * runs are in them (not start-up, not the warm-up): V8's CPU profiler, or its sampling heap
 * profiler. Unlike `node --heap-prof`, which keeps only the samples still alive when it stops,
 * the heap profile keeps the samples of objects already collected: on a request path almost
 * everything is garbage by then, and garbage is what is looked for.
 * (https://chromedevtools.github.io/devtools-protocol/tot/HeapProfiler/#method-startSampling,
 * https://chromedevtools.github.io/devtools-protocol/tot/Profiler/)
 */
import { Session } from 'node:inspector/promises'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Server } from './procs.js'

export type ProfileKind = 'cpu' | 'heap'

type ProfileMessage = { type: 'profile-start'; kind: ProfileKind } | { type: 'profile-stop'; file: string }

/** One heap sample per this many bytes allocated, on average (V8's default is 32 KiB). */
const HEAP_SAMPLING_BYTES = 4096
/** One CPU sample per this many µs (`node --cpu-prof`'s default is 1,000). */
const CPU_SAMPLING_US = 200

/** In a server process: answers profile-start / profile-stop (the stop writes `file`). */
export function serveProfiling(): void {
  let running: { session: Session; kind: ProfileKind } | undefined
  process.on('message', (message: ProfileMessage) => {
    void (async () => {
      if (message.type === 'profile-start' && running === undefined) {
        const session = new Session()
        session.connect()
        if (message.kind === 'heap') {
          await session.post('HeapProfiler.enable')
          await session.post('HeapProfiler.startSampling', {
            samplingInterval: HEAP_SAMPLING_BYTES,
            includeObjectsCollectedByMajorGC: true,
            includeObjectsCollectedByMinorGC: true
          })
        } else {
          await session.post('Profiler.enable')
          await session.post('Profiler.setSamplingInterval', { interval: CPU_SAMPLING_US })
          await session.post('Profiler.start')
        }
        running = { session, kind: message.kind }
        process.send?.({ type: 'profile-started' })
      } else if (message.type === 'profile-stop' && running !== undefined) {
        const { session, kind } = running
        running = undefined
        const { profile } = kind === 'heap' ? await session.post('HeapProfiler.stopSampling') : await session.post('Profiler.stop')
        session.disconnect()
        writeFileSync(message.file, JSON.stringify(profile))
        process.send?.({ type: 'profile-stopped' })
      }
    })()
  })
}

function ask(server: Server, message: ProfileMessage, answer: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${server.name} did not answer ${message.type}`)), 60_000)
    const onMessage = (m: { type?: string }): void => {
      if (m.type !== answer) return
      clearTimeout(timer)
      server.child.off('message', onMessage)
      resolve()
    }
    server.child.on('message', onMessage)
    server.child.send(message)
  })
}

export function startProfiling(server: Server, kind: ProfileKind): Promise<void> {
  return ask(server, { type: 'profile-start', kind }, 'profile-started')
}

/** Stops the profiler and has the server write its profile into `dir`; returns the file's path. */
export async function stopProfiling(server: Server, kind: ProfileKind, dir: string): Promise<string> {
  mkdirSync(dir, { recursive: true })
  const file = join(dir, `${server.name}.${kind === 'heap' ? 'heapprofile' : 'cpuprofile'}`)
  await ask(server, { type: 'profile-stop', file }, 'profile-stopped')
  return file
}
