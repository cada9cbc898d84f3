/** Which top-level customer fields flow which way (CONTRACT §3). */

/** Summaries the CRM provides; sent in a request they are ignored. */
export const READ_ONLY_KEYS: ReadonlySet<string> = new Set(['orderCount', 'orderList', 'cardList', 'products'])

/** Context for the CRM (who created or served the customer); never in answers. */
export const WRITE_ONLY_KEYS: ReadonlySet<string> = new Set(['storeAttribution'])

/**
 * The gateway's own context for the mapping table (`meta.createRequestId`, the creation
 * marker): set by the service, never taken from a request, never in answers.
 */
export const RESERVED_KEYS: ReadonlySet<string> = new Set(['meta'])
