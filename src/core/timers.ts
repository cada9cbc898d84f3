/**
 * The timer functions a component schedules with, injectable so tests drive time with a fake
 * clock instead of waiting. The real ones are unref'd: a pending timer never holds the process.
 */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

export const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout)
}
