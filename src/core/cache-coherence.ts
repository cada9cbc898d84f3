/**
 * Read caches kept coherent across instances (README, "Running several instances"): each
 * instance keeps its own LRU as the read path (src/core/read-cache.ts), and a create or update
 * on one instance tells the others, which drop that customer's entry — so the next GET there
 * reads the CRM. An instance that may have missed such messages (its connection to the shared
 * store was lost) drops its whole cache rather than serve what may be stale as fresh.
 *
 * With the in-process store (one instance) nothing is published and nothing arrives.
 */
import type { ReadCache } from './read-cache.js'
import type { SharedStore } from './shared-store.js'

/** The channel the customer keys of writes travel on. */
export const INVALIDATION_TOPIC = 'read-cache:written'

export interface CoherenceEvents {
  /** A key dropped for another instance's write, or the whole cache after a gap. */
  readonly invalidated?: (kind: 'customer' | 'gap') => void
}

export class CacheCoherence {
  readonly #store: SharedStore

  constructor(store: SharedStore, cache: ReadCache, events: CoherenceEvents = {}) {
    this.#store = store
    store.subscribe(
      INVALIDATION_TOPIC,
      (key) => {
        cache.delete(key)
        events.invalidated?.('customer')
      },
      () => {
        cache.clear()
        events.invalidated?.('gap')
      }
    )
  }

  /** This instance wrote `key`'s customer: the others drop their copy. Never rejects. */
  written(key: string): Promise<void> {
    return this.#store.publish(INVALIDATION_TOPIC, key)
  }
}
