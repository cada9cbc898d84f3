/**
 * The POS clients allowed to call the SPI, built from the (resolved) config and replaced whole
 * when the configuration is reloaded (`replace`): whoever holds the registry (the auth hook,
 * the token endpoint's guard) sees the new clients at once. Only secrets' digests are kept;
 * lookups are by Map, so an id like "__proto__" is just unknown.
 */
import type { AuthClientConfig, AuthConfig, SecretRef } from '../config/config-schema.js'
import { digestSecret } from './secret-compare.js'

export const DEFAULT_SECRET_HEADER = 'x-api-key'
export const DEFAULT_QUERY_PARAM = 'api_key'
export const DEFAULT_TOKEN_HEADER = 'authorization'

interface ClientBase {
  readonly id: string
  /** SHA-256 of each accepted secret: one, or two while rotating. */
  readonly secretDigests: readonly Buffer[]
  readonly rateLimitMaxRequests: number | undefined
}
export interface HeaderClient extends ClientBase {
  readonly method: 'header'
  /** Lower case, as Node presents header names. */
  readonly header: string
}
export interface QueryClient extends ClientBase {
  readonly method: 'query'
  readonly queryParam: string
}
export interface OAuthClient extends ClientBase {
  readonly method: 'oauth'
  /** Lower case; `authorization` means `Bearer <token>`, any other header the bare token. */
  readonly tokenHeader: string
}
export type Client = HeaderClient | QueryClient | OAuthClient

/** Everything derived from one client list, swapped as one object so no reader sees a mix. */
interface RegistryState {
  readonly byId: ReadonlyMap<string, Client>
  readonly staticHeaders: ReadonlyMap<string, readonly HeaderClient[]>
  readonly queryParams: ReadonlyMap<string, readonly QueryClient[]>
  readonly customTokenHeaders: ReadonlySet<string>
  readonly hasOAuthClients: boolean
}

export class ClientRegistry {
  #state: RegistryState

  constructor(clients: readonly Client[]) {
    this.#state = stateOf(clients)
  }

  /** Requires a resolved config (load-config replaces every secret reference by its value). */
  static fromConfig(auth: AuthConfig): ClientRegistry {
    return new ClientRegistry(clientsOf(auth))
  }

  /** From now on only these clients (and secrets) are accepted. */
  replace(clients: readonly Client[]): void {
    this.#state = stateOf(clients)
  }

  /** Static-secret header name → the clients whose secret travels in it. */
  get staticHeaders(): ReadonlyMap<string, readonly HeaderClient[]> {
    return this.#state.staticHeaders
  }

  /** Query parameter name → the clients whose secret travels in it. */
  get queryParams(): ReadonlyMap<string, readonly QueryClient[]> {
    return this.#state.queryParams
  }

  /** Headers OAuth clients send their token in, besides `Authorization: Bearer`. */
  get customTokenHeaders(): ReadonlySet<string> {
    return this.#state.customTokenHeaders
  }

  get hasOAuthClients(): boolean {
    return this.#state.hasOAuthClients
  }

  get size(): number {
    return this.#state.byId.size
  }

  get(id: string): Client | undefined {
    return this.#state.byId.get(id)
  }

  /** Every configured client (for what is derived from them all: the 401's challenges). */
  all(): Iterable<Client> {
    return this.#state.byId.values()
  }
}

/** The clients of a resolved auth config (secrets as digests). */
export function clientsOf(auth: Pick<AuthConfig, 'clients'>): Client[] {
  return auth.clients.map(toClient)
}

function stateOf(clients: readonly Client[]): RegistryState {
  const oauth = clients.filter((c): c is OAuthClient => c.method === 'oauth')
  return {
    byId: new Map(clients.map((c) => [c.id, c])),
    staticHeaders: groupBy(clients.filter((c): c is HeaderClient => c.method === 'header'), (c) => c.header),
    queryParams: groupBy(clients.filter((c): c is QueryClient => c.method === 'query'), (c) => c.queryParam),
    customTokenHeaders: new Set(oauth.map((c) => c.tokenHeader).filter((h) => h !== DEFAULT_TOKEN_HEADER)),
    hasOAuthClients: oauth.length > 0
  }
}

function toClient(config: AuthClientConfig): Client {
  const base = {
    id: config.id,
    secretDigests: config.secrets.map((s) => digestSecret(resolvedSecret(s, `auth client ${config.id}`))),
    rateLimitMaxRequests: config.rateLimitMaxRequests
  }
  switch (config.method) {
    case 'header':
      return { ...base, method: 'header', header: (config.header ?? DEFAULT_SECRET_HEADER).toLowerCase() }
    case 'query':
      return { ...base, method: 'query', queryParam: config.queryParam ?? DEFAULT_QUERY_PARAM }
    case 'oauth':
      return { ...base, method: 'oauth', tokenHeader: (config.header ?? DEFAULT_TOKEN_HEADER).toLowerCase() }
  }
}

/**
 * Every header that carries credentials for some configured client (lower case), for log
 * redaction. Computed from the config, so it is known before the app (and its logger) exists.
 */
export function credentialHeaderNames(auth: AuthConfig): string[] {
  const names = new Set(['authorization', DEFAULT_SECRET_HEADER])
  for (const c of auth.clients) {
    if (c.method !== 'query' && c.header !== undefined) names.add(c.header.toLowerCase())
  }
  return [...names]
}

/** A secret after load-config resolved it; a reference left here is a wiring mistake. */
export function resolvedSecret(value: string | SecretRef, what: string): string {
  if (typeof value !== 'string') throw new Error(`${what}: secret reference not resolved (build the config with loadConfig/validateConfig)`)
  return value
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>()
  for (const item of items) {
    const k = key(item)
    const list = out.get(k)
    if (list) list.push(item)
    else out.set(k, [item])
  }
  return out
}
