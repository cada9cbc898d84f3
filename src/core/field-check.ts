/**
 * Does the CRM have the fields the mapping table uses? For CRMs whose fields are declared
 * before use (HubSpot properties: the adapter's `fieldSchema`), a table naming a field the
 * CRM lacks fails on the first create as a validation error the POS cannot fix. So the
 * gateway checks at start and readiness fails, naming the missing fields, until they exist
 * (`crm provision` creates them).
 *
 * A check costs a CRM call: readiness answers from the last result and re-checks in the
 * background once it is older than the interval. A check that could not run (the CRM is
 * down) leaves the gateway ready: that is the breakers' business, and every instance shares
 * the CRM, so draining one would only move the load.
 */
import type { Logger } from './logger.js'
import type { CrmFieldUse, FieldMismatch, FieldSchema } from './port.js'

export type FieldCheckView =
  | { readonly status: 'unchecked' }
  | { readonly status: 'ok' }
  | { readonly status: 'missing'; readonly missing: readonly string[]; readonly mismatched: readonly FieldMismatch[] }
  | { readonly status: 'unknown'; readonly reason: string }

export interface FieldCheckOptions {
  readonly intervalMs: number
  /** One check's time budget. */
  readonly timeoutMs: number
  readonly log: Logger
}

export class FieldCheck {
  readonly #schema: FieldSchema
  readonly #fields: () => readonly CrmFieldUse[]
  readonly #options: FieldCheckOptions
  #view: FieldCheckView = { status: 'unchecked' }
  #checkedAt = -Infinity
  #running: Promise<FieldCheckView> | undefined

  constructor(schema: FieldSchema, fields: () => readonly CrmFieldUse[], options: FieldCheckOptions) {
    this.#schema = schema
    this.#fields = fields
    this.#options = options
  }

  /** The last result; starts a background re-check when it is older than the interval. */
  view(): FieldCheckView {
    if (Date.now() - this.#checkedAt >= this.#options.intervalMs) void this.run()
    return this.#view
  }

  /** Checks now (one check at a time: a second caller shares the running one). */
  run(): Promise<FieldCheckView> {
    this.#running ??= this.#check().finally(() => {
      this.#running = undefined
    })
    return this.#running
  }

  async #check(): Promise<FieldCheckView> {
    const { log, timeoutMs } = this.#options
    const signal = AbortSignal.timeout(timeoutMs)
    try {
      const report = await this.#schema.check(this.#fields(), { signal, log, requestId: 'field-check' })
      if (report.missing.length === 0 && report.mismatched.length === 0) {
        if (this.#view.status !== 'ok') log.info({ fieldCheck: 'ok' }, 'the CRM has every field the mapping table uses')
        this.#view = { status: 'ok' }
      } else {
        // Field names are the table's, never customer data.
        log.error(
          { fieldCheck: 'missing', missing: report.missing, mismatched: report.mismatched },
          'the CRM lacks fields the mapping table uses (run "crm provision"); not ready'
        )
        this.#view = { status: 'missing', missing: report.missing, mismatched: report.mismatched }
      }
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err)
      log.warn({ fieldCheck: 'unknown', reason }, 'could not check the CRM fields; will try again')
      this.#view = { status: 'unknown', reason }
    }
    this.#checkedAt = Date.now()
    return this.#view
  }
}
