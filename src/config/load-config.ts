/**
 * Reads the configuration once: defaults ← file (GATEWAY_CONFIG, YAML or JSON) ← environment.
 * This is the only module that reads `process.env`. A bad value stops start-up with a message
 * naming the key, where it came from and what is allowed.
 */
import { readFileSync } from 'node:fs'
import { Value } from 'typebox/value'
import { parse as parseYaml } from 'yaml'
import { ConfigSchema, ENV_KEYS, type GatewayConfig, type SecretRef } from './config-schema.js'
import { describeAllowed } from './describe-schema.js'
import { tracesEndpoint } from './otel-env.js'
import { authConfigProblems } from '../auth/auth-config.js'
import { isPlainObject } from '../core/plain-object.js'

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`)
    this.name = 'ConfigError'
  }
}

type Env = Readonly<Record<string, string | undefined>>

/** Where each key's value came from, so an error can say "env PORT" rather than "server.port". */
type Origins = Map<string, string>

/** A loaded configuration and the `{fromFile}` secret files it read (to watch them: config/secret-file-watch.ts). */
export interface LoadedConfig {
  readonly config: GatewayConfig
  readonly secretFiles: readonly string[]
}

export function loadConfig(env: Env = process.env, overrides: unknown = undefined): GatewayConfig {
  return readConfig(env, overrides).config
}

/** loadConfig, also naming the secret files read. */
export function readConfig(env: Env = process.env, overrides: unknown = undefined): LoadedConfig {
  const origins: Origins = new Map()
  const raw: Record<string, unknown> = {}
  const file = env['GATEWAY_CONFIG']
  if (file) mergeInto(raw, readConfigFile(file), `file ${file}`, origins, '')
  // NODE_ENV=production, the usual deployment signal, also selects the gateway's production
  // mode (SECURITY.md); GATEWAY_MODE, applied below, overrides it either way.
  if (env['NODE_ENV'] === 'production') {
    setPath(raw, 'auth.mode', 'production')
    origins.set('auth.mode', 'env NODE_ENV')
  }
  for (const [name, key] of Object.entries(ENV_KEYS)) {
    const value = env[name]
    if (value !== undefined && value !== '') {
      setPath(raw, key, value)
      origins.set(key, `env ${name}`)
    }
  }
  const traces = tracesEndpoint(env)
  if (traces !== undefined) {
    setPath(raw, 'tracing.endpoint', traces)
    origins.set('tracing.endpoint', 'env OTEL_*')
  }
  if (overrides !== undefined) mergeInto(raw, overrides, 'overrides', origins, '')
  return validated(raw, origins, env)
}

/** Validates a raw object (defaults applied, strings converted) into a config. */
export function validateConfig(raw: unknown, origins: Origins = new Map(), env: Env = {}): GatewayConfig {
  return validated(raw, origins, env).config
}

function validated(raw: unknown, origins: Origins, env: Env): LoadedConfig {
  const withDefaults = Value.Default(ConfigSchema, Value.Convert(ConfigSchema, Value.Clone(raw)))
  const seen = new Set<string>()
  const problems: string[] = []
  for (const error of Value.Errors(ConfigSchema, withDefaults)) {
    const key = error.instancePath.slice(1).replaceAll('/', '.')
    if (seen.has(key) || isAncestorOf(key, seen)) continue
    seen.add(key)
    const origin = origins.get(key)
    const allowed = describeAllowed(ConfigSchema, error.instancePath, error.keyword, error.params)
    problems.push(`${key || '(root)'}${origin ? ` (${origin})` : ''}: ${allowed}`)
  }
  if (problems.length > 0) throw new ConfigError(problems)
  const config = withDefaults as GatewayConfig
  const secretFiles = resolveSecrets(config, env)
  const authProblems = authConfigProblems(config)
  if (authProblems.length > 0) throw new ConfigError(authProblems)
  const { requestTimeoutMs } = config.crm
  const { requestDeadlineMs, breaker } = config.resilience
  if (requestTimeoutMs < Math.max(requestDeadlineMs, breaker.timeoutMs)) {
    // A create's one attempt may use the whole deadline: a backstop below it would cut that short.
    throw new ConfigError([
      `crm.requestTimeoutMs${originOf(origins, 'crm.requestTimeoutMs')}: ${requestTimeoutMs} is below resilience.requestDeadlineMs (${requestDeadlineMs}) or resilience.breaker.timeoutMs (${breaker.timeoutMs}); it is the HTTP backstop under every attempt's own budget and must be at least both`
    ])
  }
  return { config, secretFiles }
}

function originOf(origins: Origins, key: string): string {
  const origin = origins.get(key)
  return origin ? ` (${origin})` : ''
}

function isAncestorOf(key: string, seen: Set<string>): boolean {
  for (const s of seen) if (key.startsWith(`${s}.`)) return true
  return false
}

function readConfigFile(file: string): unknown {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new ConfigError([`GATEWAY_CONFIG: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`])
  }
  try {
    // YAML is a superset of JSON: one parser serves both file kinds.
    return parseYaml(text, { prettyErrors: true }) as unknown
  } catch (err) {
    throw new ConfigError([`GATEWAY_CONFIG: ${file} is not valid YAML/JSON: ${(err as Error).message}`])
  }
}

function mergeInto(target: Record<string, unknown>, source: unknown, origin: string, origins: Origins, prefix: string): void {
  if (!isPlainObject(source)) {
    throw new ConfigError([`${prefix || '(root)'} (${origin}): must be an object`])
  }
  for (const [k, v] of Object.entries(source)) {
    if (k === '__proto__' || k === 'constructor' || k === 'prototype') continue
    const key = prefix ? `${prefix}.${k}` : k
    if (isPlainObject(v) && !isSecretRef(v)) {
      const child = isPlainObject(target[k]) ? target[k] : {}
      target[k] = child
      mergeInto(child, v, origin, origins, key)
    } else {
      target[k] = v
      origins.set(key, origin)
    }
  }
}

function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const parts = dotted.split('.')
  let node = target
  for (const part of parts.slice(0, -1)) {
    const next = node[part]
    node = isPlainObject(next) ? next : (node[part] = {})
  }
  node[parts[parts.length - 1] as string] = value
}

/**
 * Replaces {fromEnv}/{fromFile} references in crm.options and auth by the secret's value. In
 * production mode a secret written in the configuration itself is refused (SECURITY.md).
 * Returns the files the references named.
 */
function resolveSecrets(config: GatewayConfig, env: Env): string[] {
  const problems: string[] = []
  const files = new Set<string>()
  const readSecret = (ref: SecretRef): string | undefined => {
    if ('fromFile' in ref) files.add(ref.fromFile)
    return readSecretValue(ref, env)
  }
  const production = config.auth.mode === 'production'
  for (const [name, value] of Object.entries(config.crm.options)) {
    if (production && typeof value === 'string' && SECRET_OPTION.test(name)) problems.push(literalSecret(`crm.options.${name}`))
    if (!isSecretRef(value)) continue
    const resolved = readSecret(value)
    if (resolved === undefined) {
      const where = 'fromEnv' in value ? `environment variable ${value.fromEnv}` : `file ${value.fromFile}`
      problems.push(`crm.options.${name}: the ${where} is missing or empty`)
    } else {
      config.crm.options[name] = resolved
    }
  }
  const resolveAll = (values: ReadonlyArray<string | SecretRef>, key: string): string[] =>
    values.map((value, i) => {
      if (typeof value === 'string') {
        if (production) problems.push(literalSecret(`${key}.${i}`))
        return value
      }
      const resolved = readSecret(value)
      if (resolved === undefined) {
        const where = 'fromEnv' in value ? `environment variable ${value.fromEnv}` : `file ${value.fromFile}`
        problems.push(`${key}.${i}: the ${where} is missing or empty`)
      }
      return resolved ?? ''
    })
  config.auth.clients.forEach((client, i) => {
    client.secrets = resolveAll(client.secrets, `auth.clients.${i}.secrets`)
  })
  config.auth.signingKeys = resolveAll(config.auth.signingKeys, 'auth.signingKeys')
  if (problems.length > 0) throw new ConfigError(problems)
  return [...files]
}

/** crm.options names that hold a credential by convention (apiKey, clientSecret, password, token…). */
const SECRET_OPTION = /(key|secret|password|passphrase|token)$/i

function literalSecret(key: string): string {
  return `${key}: production mode (auth.mode) takes secrets only as {fromEnv} or {fromFile} references, not written in the configuration`
}

function readSecretValue(ref: SecretRef, env: Env): string | undefined {
  if ('fromEnv' in ref) return env[ref.fromEnv] || undefined
  try {
    return readFileSync(ref.fromFile, 'utf8').trim() || undefined
  } catch {
    return undefined
  }
}

function isSecretRef(v: unknown): v is SecretRef {
  return isPlainObject(v) && (typeof v['fromEnv'] === 'string' || typeof v['fromFile'] === 'string') && Object.keys(v).length === 1
}
