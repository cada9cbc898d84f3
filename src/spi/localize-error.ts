/**
 * Builds the SPI error body `{errorCode, errorMessage}` in the caller's language.
 */
import { retryAfterOf, type GatewayError } from './error-catalogue.js'
import { MESSAGES, REASONS, type Language, type Reason } from './messages.js'

export interface ErrorBody {
  errorCode: string
  errorMessage: string
}

export function localizeError(error: GatewayError, lang: Language): ErrorBody {
  const code = error.code === 'UNAUTHORIZED' ? 'INTERNAL_ERROR' : error.code
  const template = MESSAGES[lang][code]
  const params: Record<string, string> = {}
  for (const [k, v] of Object.entries(error.params)) params[k] = String(v)
  if (params['reason'] !== undefined && Object.hasOwn(REASONS, params['reason'])) {
    params['reason'] = REASONS[params['reason'] as Reason][lang]
  }
  const retryAfter = retryAfterOf(error)
  if (retryAfter !== undefined) params['retry'] = String(retryAfter)
  const errorMessage = template.replace(/\{(\w+)\}/g, (_, name: string) => params[name] ?? '?')
  return { errorCode: error.code, errorMessage }
}
