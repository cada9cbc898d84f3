/**
 * deploy/observability/ (issue 18): the Grafana dashboard and the Prometheus alert rules ask
 * only for what the gateway serves.
 *
 * - Both files parse, and keep the shapes Grafana and Prometheus import: the dashboard's panels
 *   on a 24-column grid without overlaps, every query through the `${datasource}` variable;
 *   every alert with a `for`, a severity and a runbook section in docs/operations.md.
 * - A real gateway (the app over the in-memory CRM) is driven through what the panels show —
 *   reads from the cache and stale, a CRM failing, a declared rate paced, a client over its
 *   limit, token guesses — and every metric name in every PromQL expression (alerts and
 *   panels) is in its /metrics, with samples.
 * - Where promtool is installed (Debian: `apt-get install prometheus`): `promtool check rules`
 *   on alerts.yaml, `promtool test rules` on alerts.test.yaml (each alert fires when it should
 *   and not on its near misses), and the panels' expressions checked as recording rules. Where
 *   it is not, one comment says so.
 */
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml'
import { buildTestApp, TEST_CLIENT_ID, TEST_SECRET } from '../helpers/build-test-app.js'
import { MemoryCrm } from '../helpers/memory-crm.js'
import { CrmFailure, type CallRates } from '../../src/core/port.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
const dir = join(root, 'deploy', 'observability')

interface Target {
  readonly refId: string
  readonly expr: string
  readonly legendFormat?: string
  readonly datasource?: { readonly uid?: string }
}
interface Panel {
  readonly id: number
  readonly type: string
  readonly title: string
  readonly gridPos: { readonly x: number; readonly y: number; readonly w: number; readonly h: number }
  readonly datasource?: { readonly type?: string; readonly uid?: string }
  readonly targets?: readonly Target[]
}
interface Dashboard {
  readonly uid: string
  readonly title: string
  readonly panels: readonly Panel[]
  readonly templating: { readonly list: readonly { readonly name: string; readonly type: string; readonly query?: unknown }[] }
}
interface Rule {
  readonly alert: string
  readonly expr: string
  readonly for?: string
  readonly labels?: Record<string, string>
  readonly annotations?: Record<string, string>
}

const dashboard = JSON.parse(readFileSync(join(dir, 'grafana-dashboard.json'), 'utf8')) as Dashboard
const rules = (parseYaml(readFileSync(join(dir, 'alerts.yaml'), 'utf8')) as { groups: { name: string; rules: Rule[] }[] }).groups.flatMap((g) => g.rules)
const panels = dashboard.panels.filter((p) => p.type !== 'row')

/** A panel's query as Prometheus gets it: Grafana's variables replaced as an "All" selection does. */
function asPromQl(expr: string): string {
  return expr.replaceAll('$__rate_interval', '1m').replaceAll('$job', '.*').replaceAll('$instance', '.*')
}

const QUERIES: readonly { readonly where: string; readonly expr: string }[] = [
  ...rules.map((r) => ({ where: `alert ${r.alert}`, expr: r.expr })),
  ...panels.flatMap((p) => (p.targets ?? []).map((target) => ({ where: `panel "${p.title}" ${target.refId}`, expr: asPromQl(target.expr) })))
]

/** PromQL's keywords that read like names: modifiers, set operators, label-list clauses. */
const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'inf', 'nan'])

/**
 * The metric names of a PromQL expression: identifiers left once strings, label matchers,
 * ranges, offsets and label lists are taken out, that are not called (functions, aggregations) and
 * not keywords.
 */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\boffset\s+-?[0-9a-z]+/gi, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
  const names = new Set<string>()
  for (const m of bare.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    if (KEYWORDS.has(m[0].toLowerCase())) continue
    if (/^\s*\(/.test(bare.slice(m.index + m[0].length))) continue
    names.add(m[0])
  }
  return [...names]
}

t.test('the name extraction finds what a query reads, and nothing else', async (t) => {
  t.same(metricNames('sum by (a, le) (rate(foo_bucket{x="y", b=~"1|2"}[5m])) / on (a) group_left bar > 0.5 and baz offset 5m'), ['foo_bucket', 'bar', 'baz'])
  t.same(metricNames('histogram_quantile(0.99, sum without (le) (rate(q_total{w="a{b}"}[$__rate_interval])))'), ['q_total'])
})

t.test('the dashboard: a Grafana dashboard model, every query through the datasource variable', async (t) => {
  t.equal(dashboard.uid, 'clienteling-gateway')
  const variable = dashboard.templating.list.find((v) => v.name === 'datasource')
  t.same(variable && { type: variable.type, query: variable.query }, { type: 'datasource', query: 'prometheus' }, 'a ${datasource} variable of Prometheus data sources')
  t.ok(panels.length >= 12, `${panels.length} panels`)
  t.equal(new Set(dashboard.panels.map((p) => p.id)).size, dashboard.panels.length, 'panel ids are unique')
  const cells = new Map<string, string>()
  for (const p of dashboard.panels) {
    const { x, y, w, h } = p.gridPos
    t.ok(x >= 0 && w >= 1 && x + w <= 24 && h >= 1, `"${p.title}" fits the 24-column grid`)
    for (let row = y; row < y + h; row++) {
      for (let col = x; col < x + w; col++) {
        const taken = cells.get(`${row}:${col}`)
        if (taken !== undefined) t.fail(`"${p.title}" overlaps "${taken}"`)
        cells.set(`${row}:${col}`, p.title)
      }
    }
  }
  for (const p of panels) {
    t.equal(p.datasource?.uid, '${datasource}', `"${p.title}": the panel's data source is the variable`)
    t.ok((p.targets ?? []).length > 0, `"${p.title}" has queries`)
    for (const target of p.targets ?? []) t.equal(target.datasource?.uid, '${datasource}', `"${p.title}" ${target.refId}: so is its query's`)
  }
})

t.test('the alert rules: each with a duration, a severity and a runbook section', async (t) => {
  const operations = readFileSync(join(root, 'docs', 'operations.md'), 'utf8')
  // GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens.
  const anchors = new Set([...operations.matchAll(/^#+\s+(.+)$/gm)].map((m) => (m[1] ?? '').toLowerCase().replace(/[^a-z0-9 _-]/g, '').replace(/ /g, '-')))
  t.ok(rules.length >= 5, `${rules.length} alerts`)
  for (const rule of rules) {
    t.match(rule.for, /^\d+m$/, `${rule.alert}: fires only when it lasts`)
    t.ok(['page', 'warning'].includes(rule.labels?.['severity'] ?? ''), `${rule.alert}: severity page or warning`)
    t.ok(rule.annotations?.['summary'] && rule.annotations['description'], `${rule.alert}: summary and description`)
    const runbook = rule.annotations?.['runbook'] ?? ''
    t.equal(runbook, `docs/operations.md#${rule.alert.toLowerCase()}`, `${rule.alert}: its runbook is its section of the ops page`)
    t.ok(anchors.has(rule.alert.toLowerCase()), `${rule.alert}: docs/operations.md has that section`)
  }
})

/** The in-memory CRM declaring a search rate, as HubSpot does (five a second): one per 200 ms. */
class PacedCrm extends MemoryCrm {
  readonly callRates: CallRates = { searchCustomers: { calls: 1, perMs: 200 } }
}

const KIOSK = { id: 'kiosk', secret: 'kiosk-secret-0123456789abcdef' }
const OAUTH = { id: 'pos-oauth', secret: 'pos-oauth-secret-0123456789' }

t.test('every metric the alerts and panels read is served at /metrics, with samples', async (t) => {
  const crm = new PacedCrm()
  const { app } = await buildTestApp(
    {
      auth: {
        clients: [
          { id: TEST_CLIENT_ID, method: 'header', header: 'x-api-key', secrets: [TEST_SECRET] },
          { id: KIOSK.id, method: 'header', header: 'x-api-key', secrets: [KIOSK.secret], rateLimitMaxRequests: 1 },
          { id: OAUTH.id, method: 'oauth', secrets: [OAUTH.secret] }
        ]
      },
      // Every read asks the CRM (a miss), so that a failing CRM is answered stale.
      cache: { ttlMs: 0 }
    },
    { crm }
  )
  t.teardown(() => app.close())
  const as = (secret: string) => ({ 'x-api-key': secret })
  const spi = '/endpoint/sa/customers'
  const created = await app.inject({
    method: 'POST',
    url: spi,
    headers: { ...as(TEST_SECRET), 'content-type': 'application/json' },
    payload: { customer: { profile: { firstName: 'Aiko', lastName: 'Tanaka', email: 'aiko@example.com' } } }
  })
  t.equal(created.statusCode, 200, 'a create')
  const id = created.json<{ customer: { profile: { customerId: string } } }>().customer.profile.customerId
  t.equal((await app.inject({ url: `${spi}/${id}`, headers: as(TEST_SECRET) })).statusCode, 200, 'a read (a miss)')
  crm.failNext('get', new CrmFailure('unreachable', { detail: 'test: connection refused' }), 3)
  const stale = await app.inject({ url: `${spi}/${id}`, headers: as(TEST_SECRET) })
  t.same([stale.statusCode, stale.headers['x-cache']], [200, 'stale'], 'the CRM unreachable: a stale copy')
  const searches = await Promise.all([1, 2].map(() => app.inject({ url: `${spi}?lastName=tan`, headers: as(TEST_SECRET) })))
  t.same(searches.map((s) => s.statusCode), [200, 200], 'two searches: the second waited for its slot')
  t.same(
    [(await app.inject({ url: `${spi}/${id}`, headers: as(KIOSK.secret) })).statusCode, (await app.inject({ url: `${spi}/${id}`, headers: as(KIOSK.secret) })).statusCode],
    [200, 429],
    'the kiosk over its limit of one'
  )
  const guesses: number[] = []
  for (let i = 0; i < 11; i++) {
    const answer = await app.inject({
      method: 'POST',
      url: '/oauth2/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `grant_type=client_credentials&client_id=${OAUTH.id}&client_secret=wrong-${i}`
    })
    guesses.push(answer.statusCode)
  }
  t.equal(guesses.at(-1), 429, 'token guesses refused after ten failures')

  const text = (await app.inject({ url: '/metrics' })).body
  const samples = new Map<string, string[]>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const name = /^[A-Za-z_:][A-Za-z0-9_:]*/.exec(line)?.[0]
    if (name !== undefined) samples.set(name, [...(samples.get(name) ?? []), line])
  }
  const used = new Map<string, string[]>()
  for (const query of QUERIES) for (const name of metricNames(query.expr)) used.set(name, [...(used.get(name) ?? []), query.where])
  t.ok(used.size >= 10, `${used.size} metric names in ${QUERIES.length} queries`)
  for (const [name, where] of used) t.ok(samples.has(name), `${name} (${where.length} queries, e.g. ${where[0]}) has samples at /metrics`)

  // The counts this issue added, as the panels read them.
  const sample = (name: string, labels: string): string | undefined => samples.get(name)?.find((l) => l.startsWith(`${name}{${labels}}`))
  t.match(sample('rate_limited_requests_total', 'client="kiosk",limit="requests"'), / 1$/, 'the kiosk refused once')
  t.match(sample('rate_limited_requests_total', `client="${OAUTH.id}",limit="token_failures"`), / 1$/, 'one token request refused after the failures, under the client guessed at')
  t.match(sample('crm_paced_calls_total', 'adapter="memory",operation="search",outcome="waited"'), / 1$/, 'one search waited for its slot')
  t.match(sample('crm_paced_calls_total', 'adapter="memory",operation="search",outcome="immediate"'), / 1$/, 'one had it at once')
  t.match(sample('crm_declared_rate_calls_per_second', 'adapter="memory",operation="search"'), / 5$/, 'the declared rate, per second')
  t.match(sample('shared_store_degraded', ''), undefined, 'an unlabelled gauge')
  t.ok(samples.get('shared_store_degraded')?.includes('shared_store_degraded 0'), 'no Redis configured: not degraded')
  t.ok(samples.get('spi_request_duration_seconds_bucket')?.some((l) => l.includes('le="4"')), 'the POS budget, 4 s, is a bucket boundary')
})

t.test('promtool: the rules check, their unit tests pass, the panels parse', async (t) => {
  const version = spawnSync('promtool', ['--version'], { encoding: 'utf8' })
  if (version.error !== undefined) {
    t.comment('promtool is not installed (Debian: apt-get install prometheus): rule checks and rule unit tests not run here')
    return
  }
  const run = (args: readonly string[]): { status: number | null; out: string } => {
    const r = spawnSync('promtool', args, { cwd: dir, encoding: 'utf8' })
    return { status: r.status, out: `${r.stdout}${r.stderr}` }
  }
  const check = run(['check', 'rules', 'alerts.yaml'])
  t.equal(check.status, 0, `promtool check rules alerts.yaml: ${check.out.trim()}`)
  const unit = run(['test', 'rules', 'alerts.test.yaml'])
  t.equal(unit.status, 0, `promtool test rules alerts.test.yaml: ${unit.out.trim()}`)
  // The panels' queries, as recording rules: promtool parses each with Prometheus's own parser.
  const scratch = mkdtempSync(join(tmpdir(), 'dashboard-rules-'))
  t.teardown(() => rmSync(scratch, { recursive: true, force: true }))
  const panelQueries = QUERIES.filter((q) => q.where.startsWith('panel'))
  const file = join(scratch, 'panels.yaml')
  writeFileSync(file, stringifyYaml({ groups: [{ name: 'panels', rules: panelQueries.map((q, i) => ({ record: `panel:query:${i}`, expr: q.expr })) }] }))
  const panelsCheck = run(['check', 'rules', file])
  t.equal(panelsCheck.status, 0, `the ${panelQueries.length} panel queries parse: ${panelsCheck.out.trim()}`)
})
