/**
 * The shared store the configuration asks for: Redis when `state.redis.url` is set, else this
 * process's memory (one instance, or every instance on its own).
 */
import type { GatewayConfig } from '../config/config-schema.js'
import type { Logger } from '../core/logger.js'
import type { SharedStore, StoreStatus } from '../core/shared-store.js'
import { MemoryStore } from './memory-store.js'
import { RedisStore } from './redis-store.js'

export function sharedStoreFor(
  redis: GatewayConfig['state']['redis'],
  log: Logger,
  onStatus: (status: StoreStatus, changed: boolean) => void
): SharedStore {
  if (redis.url === '') return new MemoryStore()
  return new RedisStore({ url: redis.url, keyPrefix: redis.keyPrefix, commandTimeoutMs: redis.commandTimeoutMs, log, onStatus: (status) => onStatus(status, true) })
}
