/**
 * The shared store the configuration asks for: Redis when `state.redis.url` is set, else this
 * process's memory (one instance, or every instance on its own).
 */
import type { GatewayConfig } from '../config/config-schema.js'
import type { Logger } from '../core/logger.js'
import type { SharedStore, StoreStatus } from '../core/shared-store.js'
import { MemoryStore } from './memory-store.js'
import { RedisStore } from './redis-store.js'

export interface StoreEvents {
  readonly onStatus: (status: StoreStatus) => void
  readonly onFallback: () => void
}

export function sharedStoreFor(redis: GatewayConfig['state']['redis'], log: Logger, events: StoreEvents): SharedStore {
  if (redis.url === '') return new MemoryStore()
  const { url, keyPrefix, commandTimeoutMs, claimTimeoutMs } = redis
  return new RedisStore({ url, keyPrefix, commandTimeoutMs, claimTimeoutMs, log, ...events })
}
