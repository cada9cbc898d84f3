/**
 * The gateway's configuration, one schema. Every option has a default, so the gateway starts
 * with no configuration at all (on the embedded demo CRM). Units are in the option names.
 */
import { Type, type Static } from 'typebox'

/** A secret is never written in the config file's text: it names where to read it from. */
export const SecretRefSchema = Type.Union([
  Type.Object({ fromEnv: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
  Type.Object({ fromFile: Type.String({ minLength: 1 }) }, { additionalProperties: false })
])

/**
 * A POS client's secret or the token signing key: a {fromEnv}/{fromFile} reference, or — in
 * development mode only — the value itself (auth.mode production refuses literal values).
 */
export const SecretValueSchema = Type.Union([Type.String({ minLength: 1 }), SecretRefSchema])

/** An HTTP header name (RFC 9110 token). */
const HEADER_NAME = "^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$"

/** One POS connector allowed to call the SPI (SECURITY.md § Configuring clients). */
export const AuthClientSchema = Type.Object(
  {
    /** The OAuth client_id; also names the client in logs and rate limits. */
    id: Type.String({ pattern: '^[A-Za-z0-9._~-]{1,64}$' }),
    /** header: static secret in a header; query: static secret in a query parameter; oauth: client credentials → token. */
    method: Type.Union([Type.Literal('header'), Type.Literal('query'), Type.Literal('oauth')]),
    /** One secret, or two while rotating (both accepted). At least 16 characters each. */
    secrets: Type.Array(SecretValueSchema, { minItems: 1, maxItems: 2 }),
    /** header: the secret's header (default x-api-key). oauth: the token's header (default authorization, as Bearer; another header carries the bare token). */
    header: Type.Optional(Type.String({ pattern: HEADER_NAME })),
    /** query: the parameter carrying the secret (default api_key). */
    queryParam: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._~-]{1,64}$' })),
    /** This client's own rate limit per window, instead of rateLimit.maxRequests. */
    rateLimitMaxRequests: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 }))
  },
  { additionalProperties: false }
)

/** One trusted proxy for server.trustProxy: an IPv4/IPv6 address or CIDR, or proxy-addr's named ranges. */
const PROXY_ADDRESS = '(?:loopback|linklocal|uniquelocal|[0-9A-Fa-f]*[.:][0-9A-Fa-f.:]*(?:/[0-9]{1,3})?)'

/**
 * Fastify's `trustProxy` (https://fastify.dev/docs/latest/Reference/Server/#trustproxy): whom
 * to believe about the caller's address in X-Forwarded-For. false: nobody (the socket's peer
 * is the caller); true: every peer (only behind a proxy that overwrites the header, reachable
 * by nobody else); addresses or CIDR ranges: those proxies (comma-separated in env
 * TRUST_PROXY). No hop count: Fastify 5 trusts nobody for one (it cannot check the peer). An
 * address needs a `.` or `:`, so that "true" and "false" from the environment read as booleans.
 */
const TrustProxy = Type.Union(
  [
    Type.Boolean(),
    Type.String({ pattern: `^\\s*${PROXY_ADDRESS}(?:\\s*,\\s*${PROXY_ADDRESS})*\\s*$` }),
    Type.Array(Type.String({ pattern: `^${PROXY_ADDRESS}$` }), { minItems: 1 })
  ],
  { default: false }
)

const LogLevel = Type.Union(
  ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l))
)

export const ConfigSchema = Type.Object(
  {
    server: Type.Object(
      {
        host: Type.String({ default: '127.0.0.1', minLength: 1, description: 'env HOST; 0.0.0.0 to listen on every interface' }),
        port: Type.Integer({ default: 3000, minimum: 0, maximum: 65535, description: 'env PORT' }),
        bodyLimitBytes: Type.Integer({ default: 262_144, minimum: 1024, maximum: 10_485_760 }),
        /** How long in-flight requests may take to finish on SIGTERM before the process exits anyway. */
        shutdownGraceMs: Type.Integer({ default: 10_000, minimum: 0, maximum: 120_000 }),
        /**
         * env TRUST_PROXY. Which proxies may name the caller's address (X-Forwarded-For): it keys
         * the token endpoint's failure counting. SECURITY.md § Behind a proxy for the trade-off.
         */
        trustProxy: TrustProxy
      },
      { default: {}, additionalProperties: false }
    ),
    spi: Type.Object(
      {
        /** The POS CMS gives each endpoint its own URL; only the prefix is ours to choose. */
        prefix: Type.String({ default: '/endpoint/sa', pattern: '^(/[A-Za-z0-9._~-]+)*$' }),
        /** `wrapped`: {customer:{…}} / {customers:[…]}; `bare`: the object / the array itself. */
        envelope: Type.Union([Type.Literal('wrapped'), Type.Literal('bare')], { default: 'wrapped' }),
        searchDefaultLimit: Type.Integer({ default: 20, minimum: 1, maximum: 100 }),
        docs: Type.Boolean({ default: true, description: 'serve /openapi.json and /docs' })
      },
      { default: {}, additionalProperties: false }
    ),
    crm: Type.Object(
      {
        adapter: Type.String({ default: 'demo-crm', minLength: 1 }),
        /** Empty with the demo-crm adapter: `npm start` fills it with the embedded demo CRM's URL. */
        baseUrl: Type.String({ default: '', pattern: '^(https?://[^\\s]+)?$' }),
        /** Default: mappings/<adapter>.yaml in the project. */
        mappingFile: Type.String({ default: '' }),
        /**
         * The HTTP backstop under every CRM attempt's own budget (the breaker's timeout; a
         * create's remaining deadline): at least resilience.requestDeadlineMs.
         */
        requestTimeoutMs: Type.Integer({ default: 5000, minimum: 50, maximum: 60_000 }),
        /**
         * For CRMs with declared fields (HubSpot): how often readiness re-checks that the CRM
         * has every field the mapping table uses (one CRM call per check).
         */
        fieldCheckSeconds: Type.Integer({ default: 60, minimum: 5, maximum: 86_400 }),
        /** Adapter-specific settings; secrets as {fromEnv} / {fromFile}. */
        options: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean(), SecretRefSchema]), {
          default: {}
        })
      },
      { default: {}, additionalProperties: false }
    ),
    /**
     * How the gateway behaves when the CRM is slow, failing or down (README § Resilience).
     * The POS's own timeout is unpublished; the request deadline must stay under it.
     */
    resilience: Type.Object(
      {
        /** The whole SPI request's budget: every CRM attempt and backoff fits inside it. */
        requestDeadlineMs: Type.Integer({ default: 4000, minimum: 100, maximum: 60_000 }),
        /**
         * The longest Retry-After the POS is told for the CRM's sake (its throttling or quota,
         * an open circuit): an associate cannot wait for hours, whatever the CRM says.
         */
        maxRetryAfterSeconds: Type.Integer({ default: 60, minimum: 1, maximum: 3600 }),
        breaker: Type.Object(
          {
            /**
             * One CRM attempt (get, search, update) longer than this is aborted and counts as a
             * failure. A create's one attempt gets the request's remaining deadline instead.
             */
            timeoutMs: Type.Integer({ default: 2000, minimum: 10, maximum: 60_000 }),
            /** Failure share of the rolling window that opens the circuit. */
            errorThresholdPercentage: Type.Integer({ default: 50, minimum: 1, maximum: 100 }),
            /** Calls in the window before the share is judged (no opening on 1 of 1). */
            volumeThreshold: Type.Integer({ default: 10, minimum: 1, maximum: 10_000 }),
            /** How long an open circuit refuses calls before letting one through (half-open). */
            resetTimeoutMs: Type.Integer({ default: 10_000, minimum: 100, maximum: 600_000 }),
            /** The rolling window the failure share is computed over. */
            rollingWindowMs: Type.Integer({ default: 10_000, minimum: 1000, maximum: 600_000 })
          },
          { default: {}, additionalProperties: false }
        ),
        retry: Type.Object(
          {
            /** Attempts for idempotent calls (get, search, update), the first included. */
            maxAttempts: Type.Integer({ default: 3, minimum: 1, maximum: 10 }),
            /** Full-jitter exponential backoff: random(0, min(maxDelayMs, baseDelayMs × 2^n)). */
            baseDelayMs: Type.Integer({ default: 50, minimum: 1, maximum: 10_000 }),
            maxDelayMs: Type.Integer({ default: 400, minimum: 1, maximum: 30_000 })
          },
          { default: {}, additionalProperties: false }
        )
      },
      { default: {}, additionalProperties: false }
    ),
    /** GET_CUSTOMER's read cache (SPI answers, by adapter and id). */
    cache: Type.Object(
      {
        enabled: Type.Boolean({ default: true }),
        /** Bound on the cached answers' size; the LRU evicts past it. */
        maxBytes: Type.Integer({ default: 67_108_864, minimum: 0, maximum: 17_179_869_184 }),
        /** An entry younger than this is served without asking the CRM. */
        ttlMs: Type.Integer({ default: 30_000, minimum: 0, maximum: 86_400_000 }),
        /** When the CRM fails, an entry younger than this is served, marked stale. 0: never. */
        maxStaleMs: Type.Integer({ default: 300_000, minimum: 0, maximum: 86_400_000 })
      },
      { default: {}, additionalProperties: false }
    ),
    /** Repeated creates (CONTRACT §4, CREATE_CUSTOMER). */
    idempotency: Type.Object(
      {
        /** A create with the same body, or the same Idempotency-Key, within this window answers the first result. */
        createWindowSeconds: Type.Integer({ default: 120, minimum: 0, maximum: 86_400 }),
        /** Remembered creates at most (oldest forgotten first). */
        maxEntries: Type.Integer({ default: 10_000, minimum: 1, maximum: 1_000_000 }),
        /** Bound on the remembered creates' memory (keys and answers, estimated); oldest forgotten first. */
        maxBytes: Type.Integer({ default: 33_554_432, minimum: 65_536, maximum: 17_179_869_184 })
      },
      { default: {}, additionalProperties: false }
    ),
    /** The embedded demo CRM that `npm start` runs when no CRM base URL is configured. */
    demoCrm: Type.Object(
      {
        host: Type.String({ default: '127.0.0.1', minLength: 1 }),
        port: Type.Integer({ default: 4010, minimum: 0, maximum: 65535 }),
        dataFile: Type.String({ default: 'data/demo-crm.json', minLength: 1 }),
        /** Empty: a random key is made at each start and printed. */
        apiKey: Type.String({ default: '' })
      },
      { default: {}, additionalProperties: false }
    ),
    /** Who may call the SPI (CONTRACT §7, SECURITY.md). No clients: every SPI call is refused. */
    auth: Type.Object(
      {
        /** env GATEWAY_MODE, or NODE_ENV=production. production: secrets only as references, at least one client. */
        mode: Type.Union([Type.Literal('development'), Type.Literal('production')], { default: 'development' }),
        clients: Type.Array(AuthClientSchema, { default: [] }),
        /** The OAuth 2 token endpoint (POST), outside the SPI prefix. */
        tokenPath: Type.String({ default: '/oauth2/token', pattern: '^(/[A-Za-z0-9._~-]+)+$' }),
        /** Tokens are short-lived: an expired one gets 401 and the POS fetches a new one. */
        tokenTtlSeconds: Type.Integer({ default: 300, minimum: 30, maximum: 3600 }),
        /**
         * HS256 keys (≥ 32 characters): the first signs, every one verifies (two while rotating).
         * Empty: a random key per process — tokens die on restart and other instances refuse
         * them; set a shared key when several instances serve one POS.
         */
        signingKeys: Type.Array(SecretValueSchema, { default: [], maxItems: 2 })
      },
      { default: {}, additionalProperties: false }
    ),
    /**
     * What several instances share (README, "Running several instances"). Without a Redis URL
     * every instance keeps its state to itself, which is right for one instance.
     */
    state: Type.Object(
      {
        redis: Type.Object(
          {
            /** env REDIS_URL: redis://[:password@]host:port[/db] or rediss://…; '' keeps state in-process. Never logged. */
            url: Type.String({ default: '', pattern: '^(rediss?://[^\\s]+)?$', description: 'env REDIS_URL; empty: state stays in this process' }),
            /** Prefixes every key and channel, so that several gateways (or environments) can share one Redis. */
            keyPrefix: Type.String({ default: 'clienteling:', pattern: '^[A-Za-z0-9:._-]{1,64}$' }),
            /** Each Redis command is answered within this, or this instance answers on its own (README). */
            commandTimeoutMs: Type.Integer({ default: 100, minimum: 5, maximum: 5000 }),
            /** The same for a create's claim, which guards against duplicates: worth a longer wait. */
            claimTimeoutMs: Type.Integer({ default: 1000, minimum: 5, maximum: 10_000 }),
            /** How long start-up waits for Redis before starting on its own (and reconnecting meanwhile). */
            connectWaitMs: Type.Integer({ default: 2000, minimum: 0, maximum: 60_000 })
          },
          { default: {}, additionalProperties: false }
        )
      },
      { default: {}, additionalProperties: false }
    ),
    /**
     * Traces over OTLP/HTTP (README § Traces). Set by the standard OpenTelemetry environment
     * (config/otel-env.ts): off unless it names an endpoint or asks for OTLP.
     */
    tracing: Type.Object(
      {
        /** Where spans are exported (…/v1/traces); '' = tracing off. */
        endpoint: Type.String({ default: '', pattern: '^(https?://[^\\s]+)?$', description: 'from OTEL_EXPORTER_OTLP_TRACES_ENDPOINT / OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_TRACES_EXPORTER; empty: off' }),
        /** env OTEL_SERVICE_NAME */
        serviceName: Type.String({ default: 'clienteling-gateway', minLength: 1, maxLength: 200 })
      },
      { default: {}, additionalProperties: false }
    ),
    /** Requests each authenticated client may make per window (429 with Retry-After beyond). */
    rateLimit: Type.Object(
      {
        enabled: Type.Boolean({ default: true }),
        maxRequests: Type.Integer({ default: 1200, minimum: 1, maximum: 1_000_000 }),
        windowSeconds: Type.Integer({ default: 60, minimum: 1, maximum: 86_400 })
      },
      { default: {}, additionalProperties: false }
    ),
    /**
     * Changes without a restart (README § Configuration, SECURITY.md § Rotating secrets): SIGHUP
     * always reloads; with watchSecretFiles, so does a change to a `fromFile` secret.
     */
    reload: Type.Object(
      {
        /**
         * env RELOAD_WATCH_SECRET_FILES. Watches the directory of every `{fromFile}` secret
         * (Kubernetes replaces a Secret volume's files by swapping a symlink in it) and reloads
         * the configuration when one changes, as SIGHUP does.
         */
        watchSecretFiles: Type.Boolean({ default: false }),
        /** A burst of file events (a Secret volume's update is several) makes one reload, this long after the last. */
        debounceMs: Type.Integer({ default: 1000, minimum: 10, maximum: 60_000 })
      },
      { default: {}, additionalProperties: false }
    ),
    log: Type.Object(
      { level: Type.Union([LogLevel], { default: 'info' }) },
      { default: {}, additionalProperties: false }
    )
  },
  { additionalProperties: false }
)

export type GatewayConfig = Static<typeof ConfigSchema>
export type SecretRef = Static<typeof SecretRefSchema>
export type AuthConfig = GatewayConfig['auth']
export type AuthClientConfig = Static<typeof AuthClientSchema>

/** Environment variables and the option each sets (the env wins over the file). */
export const ENV_KEYS = {
  HOST: 'server.host',
  PORT: 'server.port',
  BODY_LIMIT_BYTES: 'server.bodyLimitBytes',
  TRUST_PROXY: 'server.trustProxy',
  SPI_PREFIX: 'spi.prefix',
  SPI_ENVELOPE: 'spi.envelope',
  CRM_ADAPTER: 'crm.adapter',
  CRM_BASE_URL: 'crm.baseUrl',
  CRM_MAPPING_FILE: 'crm.mappingFile',
  CRM_REQUEST_TIMEOUT_MS: 'crm.requestTimeoutMs',
  REQUEST_DEADLINE_MS: 'resilience.requestDeadlineMs',
  CACHE_MAX_BYTES: 'cache.maxBytes',
  CACHE_TTL_MS: 'cache.ttlMs',
  LOG_LEVEL: 'log.level',
  RELOAD_WATCH_SECRET_FILES: 'reload.watchSecretFiles',
  GATEWAY_MODE: 'auth.mode',
  AUTH_TOKEN_TTL_SECONDS: 'auth.tokenTtlSeconds',
  REDIS_URL: 'state.redis.url',
  OTEL_SERVICE_NAME: 'tracing.serviceName',
  RATE_LIMIT_ENABLED: 'rateLimit.enabled',
  RATE_LIMIT_MAX_REQUESTS: 'rateLimit.maxRequests',
  RATE_LIMIT_WINDOW_SECONDS: 'rateLimit.windowSeconds',
  DEMO_CRM_HOST: 'demoCrm.host',
  DEMO_CRM_PORT: 'demoCrm.port',
  DEMO_CRM_DATA_FILE: 'demoCrm.dataFile',
  DEMO_CRM_API_KEY: 'demoCrm.apiKey'
} as const
