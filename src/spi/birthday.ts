/**
 * profile.birthday (CONTRACT §6): accept YYYY-MM-DD, --MM-DD or MM-DD (no year), or epoch
 * milliseconds read as a UTC date; emit YYYY-MM-DD, or --MM-DD when the year is unknown.
 * Returns undefined for a value that is not a real calendar date.
 */
const FULL = /^(\d{4})-(\d{2})-(\d{2})$/
const NO_YEAR = /^(?:--)?(\d{2})-(\d{2})$/

export function normalizeBirthday(value: string | number): string | undefined {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return undefined
    const d = new Date(value)
    return Number.isNaN(d.getTime()) ? undefined : d.toISOString().slice(0, 10)
  }
  const full = FULL.exec(value)
  if (full) {
    const [, y, m, d] = full as unknown as [string, string, string, string]
    return isRealDate(Number(y), Number(m), Number(d)) ? value : undefined
  }
  const partial = NO_YEAR.exec(value)
  if (partial) {
    const [, m, d] = partial as unknown as [string, string, string]
    // 2000 is a leap year, so --02-29 is a valid birthday without a year.
    return isRealDate(2000, Number(m), Number(d)) ? `--${m}-${d}` : undefined
  }
  return undefined
}

function isRealDate(y: number, m: number, d: number): boolean {
  const date = new Date(Date.UTC(y, m - 1, d))
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d
}
