/**
 * The demo CRM's error answers (demo-crm/API.md § Errors) as the port's failure kinds
 * (`CrmFailure`, src/core/port.ts). Only what this CRM documents is decided here; everything
 * HTTP-generic (429, 401/403, 5xx, redirects) is delegated to ../shared/http-failure.ts so
 * that every adapter reports those the same way. What each kind means for the POS is the
 * core's business, not the adapter's.
 *
 * 404 is not here: for get and update it is a value (`null`), decided at the call site.
 */
import type { AxiosResponse } from 'axios'
import { CrmFailure } from '../../src/core/port.js'
import { bodyWordForLog, classifyStatus } from '../shared/http-failure.js'
import { readErrorBody } from './wire.js'

/** A non-success answer of the demo CRM as a CrmFailure. `op` is for log details. */
export function demoCrmFailure(response: AxiosResponse<string>, op: string): CrmFailure {
  const body = readErrorBody(response)
  // The code is the CRM's text: logged only when it looks like a code (bodyWordForLog).
  const detail = `${op}: HTTP ${response.status} ${bodyWordForLog(body?.code)}`.trimEnd()
  switch (response.status) {
    case 400:
    case 422: {
      // API.md: 422 VALIDATION names the refused fields; 400 BAD_REQUEST is a body or filter
      // the CRM could not read. Both: the values sent are not acceptable to the CRM. The
      // field name (never its value) helps the associate see what to fix.
      const field = body?.fields?.[0]
      return new CrmFailure('rejected', { detail, ...(field === undefined ? {} : { field }) })
    }
    case 409:
      // API.md: 409 DUPLICATE_EMAIL, "existing_id" names the other contact. We do not pass
      // that id on: it would reveal another customer's record to whoever sent the e-mail.
      if (body?.code === 'DUPLICATE_EMAIL') return new CrmFailure('duplicate', { detail })
      return new CrmFailure('failed', { detail })
    case 412:
      // API.md: If-Match named a stale VERSION (someone else wrote in between).
      return new CrmFailure('conflict', { detail })
    default:
      // 401 AUTH_FAILED (our key is wrong), 429, 5xx, anything undocumented.
      return classifyStatus(response, op)
  }
}
