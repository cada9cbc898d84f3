/**
 * The two ways mapping fails, kept apart because they have different owners:
 * - `MappingTableError`: the table itself is wrong (ops' file). Raised at load, so the gateway
 *   refuses to start and the CLI can print every problem with its file, line and column.
 * - `MappingValueError`: one customer value cannot be converted (the caller's data). It is a
 *   `GatewayError` INVALID_REQUEST, so the service answers 400 naming the SPI field without
 *   any extra translation. Its reason never contains the value (no customer data in errors).
 */
import { GatewayError } from '../spi/error-catalogue.js'

/** One problem in a mapping table, located in its YAML source. */
export interface TableIssue {
  readonly file: string
  /** 1-based; 0 when the problem has no position (e.g. the file cannot be read). */
  readonly line: number
  /** 1-based; 0 when unknown. */
  readonly column: number
  /** Where in the table, e.g. `fields[3].transform`; `(file)` for whole-file problems. */
  readonly path: string
  readonly message: string
}

export function formatIssue(issue: TableIssue): string {
  const where = issue.line > 0 ? `${issue.file}:${issue.line}:${issue.column}` : issue.file
  return `${where} ${issue.path}: ${issue.message}`
}

export class MappingTableError extends Error {
  readonly issues: readonly TableIssue[]

  constructor(issues: readonly TableIssue[]) {
    const count = issues.length === 1 ? '1 error' : `${issues.length} errors`
    const file = issues[0]?.file ?? 'mapping table'
    super(`invalid mapping table ${file} (${count}):\n` + issues.map((i) => '  ' + formatIssue(i)).join('\n'))
    this.name = 'MappingTableError'
    this.issues = issues
  }
}

export class MappingValueError extends GatewayError {
  /** The SPI field, e.g. `profile.birthday` or `addressList[1].isDefault`. */
  readonly field: string
  /** Why, in plain words, without the value. */
  readonly reason: string

  constructor(field: string, reason: string) {
    super('INVALID_REQUEST', { params: { field, reason }, detail: `${field}: ${reason}` })
    this.name = 'MappingValueError'
    this.field = field
    this.reason = reason
  }
}

/**
 * A CRM value that could not be read back (e.g. an unparsable date). The value is dropped from
 * the customer and reported without the value itself, so the gateway can log it safely.
 */
export interface ReadIssue {
  /** The SPI field that stays absent, e.g. `profile.birthday`. */
  readonly field: string
  /** The CRM field it came from, e.g. `BIRTH_DATE`. */
  readonly crmField: string
  readonly reason: string
}

export type ReadIssueHandler = (issue: ReadIssue) => void
