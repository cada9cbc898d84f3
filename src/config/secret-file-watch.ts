/**
 * `reload.watchSecretFiles`: reloads the configuration when a `{fromFile}` secret changes.
 *
 * The directory of each file is watched, not the file: Kubernetes updates a Secret volume by
 * writing a new timestamped directory and renaming a `..data` symlink over the old one, so the
 * file's path keeps pointing at a new inode and a watch on the old inode would hear nothing
 * (or only its deletion). A directory watch hears the rename, an editor's replace-by-rename and
 * an in-place write alike. An update is a burst of events: one reload runs `debounceMs` after
 * the last. Only events naming a secret file or a Kubernetes entry (`..data`, `..<timestamp>`)
 * count: a directory that also holds a file the gateway writes (its log, say) must not reload
 * on every write — each reload's own log line would trigger the next.
 */
import { watch, type FSWatcher } from 'node:fs'
import { basename, dirname, resolve } from 'node:path'
import type { Logger } from '../core/logger.js'
import { realTimers, type Timers } from '../core/timers.js'

export interface SecretFileWatchOptions {
  readonly debounceMs: number
  /** What a change triggers (the same reload SIGHUP runs). */
  readonly onChange: () => void
  readonly log: Logger
  /** The debounce's timers (tests pass a fake clock's). */
  readonly timers?: Timers
}


export class SecretFileWatch {
  readonly #options: SecretFileWatchOptions
  readonly #timers: Timers
  /** Directory → its watcher. */
  readonly #watchers = new Map<string, FSWatcher>()
  /** Directory → the names of the secret files in it. */
  #names = new Map<string, ReadonlySet<string>>()
  #pending: unknown

  constructor(files: readonly string[], options: SecretFileWatchOptions) {
    this.#options = options
    this.#timers = options.timers ?? realTimers
    this.update(files)
  }

  /** The directories watched now. */
  get directories(): readonly string[] {
    return [...this.#watchers.keys()]
  }

  /** Watches these files' directories from now on (after a reload named other files). */
  update(files: readonly string[]): void {
    const wanted = new Map<string, Set<string>>()
    for (const file of files.map((f) => resolve(f))) {
      const names = wanted.get(dirname(file)) ?? new Set<string>()
      names.add(basename(file))
      wanted.set(dirname(file), names)
    }
    this.#names = wanted
    for (const [dir, watcher] of this.#watchers) {
      if (!wanted.has(dir)) {
        watcher.close()
        this.#watchers.delete(dir)
      }
    }
    for (const dir of wanted.keys()) {
      if (!this.#watchers.has(dir)) this.#watch(dir)
    }
  }

  close(): void {
    if (this.#pending !== undefined) this.#timers.clearTimeout(this.#pending)
    this.#pending = undefined
    for (const watcher of this.#watchers.values()) watcher.close()
    this.#watchers.clear()
  }

  #watch(dir: string): void {
    let watcher: FSWatcher
    try {
      // persistent: false — a watch must never keep the process alive at shutdown.
      watcher = watch(dir, { persistent: false }, (_event, name) => {
        // No name (some platforms): cannot tell, so it counts.
        if (name === null || name.startsWith('..') || this.#names.get(dir)?.has(name)) this.#changed()
      })
    } catch (err) {
      // A directory that is not there yet is watched after the next reload that finds it.
      this.#options.log.warn({ event: 'secret_watch_failed', directory: dir, code: (err as NodeJS.ErrnoException).code }, 'cannot watch a secret file directory')
      return
    }
    watcher.on('error', (err: NodeJS.ErrnoException) => {
      // The directory went away (a volume unmounted): stop; SIGHUP still reloads.
      this.#options.log.warn({ event: 'secret_watch_failed', directory: dir, code: err.code }, 'secret file directory watch stopped')
      watcher.close()
      this.#watchers.delete(dir)
    })
    this.#watchers.set(dir, watcher)
  }

  #changed(): void {
    if (this.#pending !== undefined) this.#timers.clearTimeout(this.#pending)
    this.#pending = this.#timers.setTimeout(() => {
      this.#pending = undefined
      this.#options.log.info({ event: 'secret_file_changed' }, 'a secret file changed: reloading the configuration')
      this.#options.onChange()
    }, this.#options.debounceMs)
  }
}
