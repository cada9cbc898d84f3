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
        shutdownGraceMs: Type.Integer({ default: 10_000, minimum: 0, maximum: 120_000 })
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
        requestTimeoutMs: Type.Integer({ default: 2500, minimum: 50, maximum: 60_000 }),
        /** Adapter-specific settings; secrets as {fromEnv} / {fromFile}. */
        options: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean(), SecretRefSchema]), {
          default: {}
        })
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
    log: Type.Object(
      { level: Type.Union([LogLevel], { default: 'info' }) },
      { default: {}, additionalProperties: false }
    )
  },
  { additionalProperties: false }
)

export type GatewayConfig = Static<typeof ConfigSchema>
export type SecretRef = Static<typeof SecretRefSchema>

/** Environment variables and the option each sets (the env wins over the file). */
export const ENV_KEYS = {
  HOST: 'server.host',
  PORT: 'server.port',
  BODY_LIMIT_BYTES: 'server.bodyLimitBytes',
  SPI_PREFIX: 'spi.prefix',
  SPI_ENVELOPE: 'spi.envelope',
  CRM_ADAPTER: 'crm.adapter',
  CRM_BASE_URL: 'crm.baseUrl',
  CRM_MAPPING_FILE: 'crm.mappingFile',
  CRM_REQUEST_TIMEOUT_MS: 'crm.requestTimeoutMs',
  LOG_LEVEL: 'log.level',
  DEMO_CRM_HOST: 'demoCrm.host',
  DEMO_CRM_PORT: 'demoCrm.port',
  DEMO_CRM_DATA_FILE: 'demoCrm.dataFile',
  DEMO_CRM_API_KEY: 'demoCrm.apiKey'
} as const
