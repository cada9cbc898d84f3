/**
 * REST definitions are checked when the adapter is built (gateway start), and by `mapping
 * check`: every problem named with file:line:column, the field, and what is allowed.
 */
import { mkdtemp, rm, writeFile, mkdir, copyFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { readFileSync } from 'node:fs'
import t from 'tap'
import { adapterNames, resolveAdapterFactory } from '../../../adapters/index.js'
import { checkRestDefinition, createRestAdapter, loadRestDefinition, RestDefinitionError } from '../../../adapters/rest/index.js'
import { formatIssue } from '../../../src/mapping/errors.js'
import { runMappingCli } from '../../../src/cli/mapping.js'
import { createSilentLogger } from '../../helpers/silent-logger.js'
import { baseDefinition, yamlOf } from './fixtures.js'

const DEMO = readFileSync(new URL('../../../mappings/demo-crm.rest.yaml', import.meta.url), 'utf8')

/** The problems of a definition's text, formatted as the gateway prints them. */
const problems = (text: string): string[] => checkRestDefinition(text, 'crm.rest.yaml').issues.map(formatIssue)
/** The line of the first occurrence of `needle` in `text` (1-based). */
const lineOf = (text: string, needle: string): number => text.slice(0, text.indexOf(needle)).split('\n').length

t.test('the shipped demo CRM definition is valid', async (t) => {
  t.same(problems(DEMO), [])
  t.ok(adapterNames.includes('rest'), 'the registry knows the rest adapter')
})

t.test('each problem is named with file:line:column and the field', async (t) => {
  const cases: [string, string, string, RegExp][] = [
    ['a placeholder other than {id}', 'path: /api/v1/contacts/{id}\n    status: 200\n    notFound: 404\n  create', 'path: /api/v1/contacts/{contactId}\n    status: 200\n    notFound: 404\n  create', /operations\.get\.path: unknown placeholder \{contactId\}: the only one is \{id\}/],
    ['an unknown auth kind', 'kind: api-key', 'kind: oauth', /auth\.kind: unknown auth kind "oauth" \(known: none, api-key, bearer, basic, oauth2-client-credentials\)/],
    ['a typo in a key', 'notFound: 404\n  create', 'notfound: 404\n  create', /operations\.get\.notfound: unknown key "notfound" \(known: method, path, query, status, rate, notFound, answer\)/],
    ['a status as text', 'status: 201', 'status: "201"', /operations\.create\.status: must be an HTTP status \(404\) or a list of them/],
    ['an unknown failure kind', 'kind: conflict', 'kind: gone', /errors\.rules\[2\]\.kind: must be one of: rejected, duplicate, conflict, throttled, quota-exhausted, failed/],
    ['an unknown operator', 'contains: co, phone: ewd }', 'like: co, phone: ewd }', /operations\.search\.criteria\.operators\.like: unknown key "like"/],
    ['an unknown placeholder', "'{fields}:{operator}:{value}'", "'{fields}:{op}:{value}'", /operations\.search\.criteria\.value: unknown placeholder \{op\}/],
    ['an unknown paging style', 'style: page', 'style: pages', /operations\.search\.paging\.style: unknown paging style "pages" \(known: none, offset, page, cursor\)/],
    ['a bad regular expression', "fieldPattern: '^", "fieldPattern: '^(", /operations\.search\.fieldPattern: ".*" is not a valid regular expression/],
    ['a bad dotted path', 'records: data', 'records: data..items', /operations\.search\.answer\.records: "data\.\.items" is not a dotted path/],
    ['a prototype key', 'field: error.fields.0', 'field: error.__proto__', /errors\.rules\[0\]\.field: "error\.__proto__": the key "__proto__" is refused/],
    ['a success status that is not 2xx', 'status: 201', 'status: 302', /operations\.create\.status: 302 is not a success status/],
    ['an error rule on a success status', 'status: 412', 'status: 204', /errors\.rules\[2\]\.status: 204 is not an error status/],
    ['a field on a non-rejected rule', 'kind: conflict }', 'kind: conflict, field: error.code }', /errors\.rules\[2\]\.field: only a rejected rule names a field/],
    ['a version format without {version}', `format: '"{version}"'`, `format: '"v"'`, /record\.version\.format: must hold \{version\}/],
    ['a wrong format version', 'version: 1\nname', 'version: 2\nname', /version: must be 1/]
  ]
  for (const [name, from, to, expected] of cases) {
    t.ok(DEMO.includes(from), `${name}: the demo definition has the text to change`)
    const text = DEMO.replace(from, to)
    const found = problems(text)
    t.equal(found.length, 1, `${name}: one problem (${found.join(' | ')})`)
    t.match(found[0] ?? '', expected, name)
    const line = lineOf(text, to.split('\n')[0] ?? to)
    t.match(found[0] ?? '', new RegExp(`^crm\\.rest\\.yaml:${line}:\\d+ `), `${name}: at its line (${line})`)
  }
})

t.test('a missing operation, a missing key, an operation of the wrong shape', async (t) => {
  const d = baseDefinition()
  delete d['operations'].create
  delete d['record'].id
  d['operations'].get.path = '/customers'
  d['operations'].search.path = '/customers/{id}'
  d['operations'].update.path = 'customers/{id}'
  const found = problems(yamlOf(d))
  t.match(found.join('\n'), /operations: "create" is required/)
  t.match(found.join('\n'), /record: "id" is required/)
  const semantic = baseDefinition()
  semantic['operations'].get.path = '/customers'
  semantic['operations'].search.path = '/customers/{id}'
  semantic['operations'].update.path = 'customers/{id}'
  semantic['operations'].create.path = '/customers/../admin'
  const more = problems(yamlOf(semantic)).join('\n')
  t.match(more, /operations\.get\.path: must hold \{id\}, where the record id goes/)
  t.match(more, /operations\.search\.path: takes no \{id\}/)
  t.match(more, /operations\.update\.path: must start with \//)
  t.match(more, /operations\.create\.path: cannot hold \. or \.\. segments/)
  const query = baseDefinition()
  query['operations'].get.path = '/customers/{id}?full=1'
  query['operations'].update.path = '/customers/x{id}'
  const q = problems(yamlOf(query)).join('\n')
  t.match(q, /operations\.get\.path: must be a path only: constant query parameters go under "query"/)
  t.match(q, /operations\.update\.path: \{id\} must be a whole path segment/)
})

t.test('options that do not go together', async (t) => {
  const term = baseDefinition()
  term['operations'].search.criteria = { style: 'term', parameter: 'q' }
  t.match(problems(yamlOf(term)).join('\n'), /criteria\.style: a single-term search needs clientSideFilter/)

  const body = baseDefinition()
  body['operations'].search.criteria = { style: 'body', at: 'filters', criterion: { field: '{field}', op: '{operator}', value: '{value}' }, operators: { equals: 'eq' } }
  const b = problems(yamlOf(body)).join('\n')
  t.match(b, /criteria\.style: a body search needs method POST/)
  t.match(b, /paging\.in: paging in the body needs method POST/)

  const fields = baseDefinition()
  fields['operations'].search.criteria = { style: 'query', parameter: 'filter', value: '{fields}={value}', operators: { equals: 'eq' } }
  t.match(problems(yamlOf(fields)).join('\n'), /\{fields\} needs a fieldSeparator/)

  const noField = baseDefinition()
  noField['operations'].search.criteria = { style: 'query', parameter: 'q', value: '{value}', operators: { equals: 'eq' } }
  t.match(problems(yamlOf(noField)).join('\n'), /must name the field\(s\) compared: \{field\} or \{fields\}/)

  const ambiguous = baseDefinition()
  ambiguous['operations'].search.criteria = { style: 'query', parameter: '{field}', operators: { equals: '', prefix: '' } }
  t.match(problems(yamlOf(ambiguous)).join('\n'), /several operators but no \{operator\}/)

  const overlap = baseDefinition()
  overlap['operations'].get.status = [200, 404]
  overlap['operations'].get.notFound = 404
  t.match(problems(yamlOf(overlap)).join('\n'), /operations\.get\.notFound: 404 cannot mean both success and not found/)

  const token = baseDefinition()
  token['auth'] = { kind: 'oauth2-client-credentials', tokenUrl: 'ftp://idp/token', clientIdSetting: 'id', clientSecretSetting: 'secret' }
  t.match(problems(yamlOf(token)).join('\n'), /auth\.tokenUrl: must be a path on the base URL/)

  const header = baseDefinition()
  header['auth'] = { kind: 'api-key', name: 'X Key', setting: 'k' }
  header['headers'] = { 'Api-Version': 'a\nb' }
  const h = problems(yamlOf(header)).join('\n')
  t.match(h, /auth\.name: "X Key" is not a header name/)
  t.match(h, /headers\.Api-Version: a header value cannot hold a line break/)

  const missingKind = baseDefinition()
  missingKind['auth'] = { setting: 'k' }
  t.match(problems(yamlOf(missingKind)).join('\n'), /auth: "kind" is required \(one of: none, api-key/)
})

t.test('hits, a term’s limits, deleted records and rate-limit headers: their problems', async (t) => {
  const d = baseDefinition()
  d['record'].deletedWhen = { path: 'flags..deleted', equals: true }
  d['operations'].search.hits = { id: 'item.id', read: { path: '/customers/{id}', ids: 'ids', maxIds: 100, answer: 'data..x', status: 302, query: { ids: '1' } } }
  d['operations'].search.criteria = { style: 'term', parameter: 'q', minLength: 2, withoutTerm: { path: 'customers', answer: 'data' } }
  d['operations'].search.clientSideFilter = true
  d['errors'] = { rules: [{ status: 409, kind: 'duplicate', retryAfterHeader: 'x-ratelimit-reset' }, { status: 429, kind: 'throttled', retryAfterHeader: 'X Reset' }] }
  const found = problems(yamlOf(d)).join('\n')
  t.match(found, /record\.deletedWhen\.path: "flags\.\.deleted" is not a dotted path/)
  t.match(found, /operations\.search\.hits\.read\.path: takes no \{id\}/)
  t.match(found, /operations\.search\.hits\.read\.answer: "data\.\.x" is not a dotted path/)
  t.match(found, /operations\.search\.hits\.read\.status: 302 is not a success status/)
  t.match(found, /operations\.search\.hits\.read\.ids: "ids" is also a constant query parameter/)
  t.match(found, /operations\.search\.criteria\.withoutTerm\.path: must start with \//)
  t.match(found, /errors\.rules\[0\]\.retryAfterHeader: only a throttled or quota-exhausted rule waits/)
  t.match(found, /errors\.rules\[1\]\.retryAfterHeader: "X Reset" is not a header name/)

  const shapes = baseDefinition()
  shapes['operations'].search.hits = { id: 'item.id', read: 'all' }
  shapes['operations'].search.criteria = { style: 'term', parameter: 'q', minLength: 0, withoutTerm: 'never' }
  shapes['operations'].search.clientSideFilter = true
  const s = problems(yamlOf(shapes)).join('\n')
  t.match(s, /operations\.search\.hits\.read: must be get, or \{ path, ids, maxIds, … \}/)
  t.match(s, /operations\.search\.criteria\.minLength: /)
  t.match(s, /operations\.search\.criteria\.withoutTerm: must be search, refuse, or \{ path, query\?, answer\? \}/)

  const bodyPaging = baseDefinition()
  bodyPaging['operations'].search.method = 'POST'
  bodyPaging['operations'].search.criteria = { style: 'term', parameter: 'q', withoutTerm: { path: '/customers' } }
  bodyPaging['operations'].search.paging = { style: 'offset', offset: 'from', limit: 'size', maxLimit: 50, in: 'body' }
  bodyPaging['operations'].search.clientSideFilter = true
  t.match(problems(yamlOf(bodyPaging)).join('\n'), /criteria\.withoutTerm: a list endpoint is read with GET: the paging must be in the query/)
})

t.test('rates: their problems', async (t) => {
  const d = baseDefinition()
  d['operations'].search.rate = { calls: 0, perSeconds: 2 }
  d['operations'].get.rate = { calls: 5, perSeconds: 0 }
  d['operations'].create.rate = { calls: 5 }
  const found = problems(yamlOf(d)).join('\n')
  t.match(found, /operations\.search\.rate\.calls: /)
  t.match(found, /operations\.get\.rate\.perSeconds: /)
  t.match(found, /operations\.create\.rate: .*perSeconds/)
})

t.test('the shipped Pipedrive definition is valid', async (t) => {
  const text = readFileSync(new URL('../../../mappings/pipedrive.rest.yaml', import.meta.url), 'utf8')
  t.same(problems(text), [])
  const d = checkRestDefinition(text, 'pipedrive.rest.yaml').definition
  t.same(d?.operations.search.rate, { calls: 8, perSeconds: 2 }, 'the search limit, paced')
  t.match(d?.operations.search, { criteria: { style: 'term', minLength: 2 }, hits: { id: 'item.id', read: { path: '/api/v2/persons', ids: 'ids', maxIds: 100 } } })
})

t.test('YAML syntax problems are reported at their line', async (t) => {
  const found = problems('version: 1\nname: [unclosed\n')
  t.ok(found.length > 0)
  t.match(found[0] ?? '', /^crm\.rest\.yaml:\d+:\d+ \(yaml\): /)
})

t.test('the adapter is built only over a valid definition and the settings it names', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'rest-def-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const file = join(dir, 'crm.rest.yaml')
  await writeFile(file, DEMO.replace('kind: api-key', 'kind: oauth'))
  const make = (settings: Record<string, unknown>) => () =>
    createRestAdapter({ baseUrl: 'http://127.0.0.1:1', settings, requestTimeoutMs: 1000, log: createSilentLogger() })

  t.throws(make({ apiKey: 'k' }), /rest adapter: settings\.definition is required/, 'no definition')
  t.throws(make({ definition: join(dir, 'none.rest.yaml'), apiKey: 'k' }), /none\.rest\.yaml \(file\): cannot read the definition \(ENOENT\)/)
  try {
    make({ definition: file, apiKey: 'k' })()
    t.fail('an invalid definition must stop the start')
  } catch (err) {
    t.ok(err instanceof RestDefinitionError)
    t.match((err as Error).message, /invalid REST definition .*crm\.rest\.yaml \(1 error\):\n {2}.*crm\.rest\.yaml:23:9 auth\.kind: unknown auth kind "oauth"/)
  }
  // The demo definition, relative to the project root as configured.
  const settings = { definition: 'mappings/demo-crm.rest.yaml', apiKey: 'k' }
  const adapter = resolveAdapterFactory('rest')({ baseUrl: 'http://127.0.0.1:1', settings, requestTimeoutMs: 1000, log: createSilentLogger() })
  t.equal(adapter.name, 'rest')
  t.equal(typeof adapter.versionOf, 'function', 'a definition with a version offers versionOf')
  t.equal(adapter.versionOf?.({ VERSION: 3 }), '3')
  t.equal(adapter.versionOf?.({ VERSION: 'a\nb' }), undefined, 'a version that cannot travel in a header is none')
  await adapter.close?.()

  t.throws(make({ definition: 'mappings/demo-crm.rest.yaml' }), /rest adapter: settings\.apiKey is required/, 'the secret its auth names')
  t.throws(make({ definition: 'mappings/demo-crm.rest.yaml', apiKey: 'k', apikey: 'top-secret-value' }), /settings\.apikey is not a known setting/, 'an unknown (typo) key')
  try {
    make({ definition: 'mappings/demo-crm.rest.yaml', apiKey: 98765 })()
    t.fail('should throw')
  } catch (err) {
    t.match((err as Error).message, /settings\.apiKey must be a non-empty string/)
    t.notMatch((err as Error).message, /98765/, 'never the value')
  }
  t.throws(make({ definition: 'mappings/demo-crm.rest.yaml', apiKey: 'k', extra: 1 }).bind(null), /settings\.extra is not a known setting/)
  t.throws(() => createRestAdapter({ baseUrl: 'not a url', settings, requestTimeoutMs: 1000, log: createSilentLogger() }), /rest adapter: baseUrl must be an absolute http\(s\) URL/)
  t.equal(loadRestDefinition(fileURLToPath(new URL('../../../mappings/demo-crm.rest.yaml', import.meta.url))).name, 'demo-crm')
})

t.test('mapping check validates *.rest.yaml files as REST definitions', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'rest-check-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await mkdir(join(dir, 'mappings'))
  await copyFile(new URL('../../../mappings/demo-crm.yaml', import.meta.url), join(dir, 'mappings', 'demo-crm.yaml'))
  await writeFile(join(dir, 'mappings', 'demo-crm.rest.yaml'), DEMO)
  await writeFile(join(dir, 'mappings', 'broken.rest.yaml'), DEMO.replace('kind: api-key', 'kind: oauth'))
  let out = ''
  let err = ''
  const io = { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) }, cwd: dir }
  t.equal(await runMappingCli(['check'], io), 1, 'exit code 1: one definition is broken')
  t.match(out, /^OK mappings\/demo-crm\.yaml \(/, 'the tables first')
  t.match(out, /\nOK mappings\/demo-crm\.rest\.yaml \(REST definition demo-crm: auth api-key, search query, paging page\)\n$/)
  t.equal(err, 'mappings/broken.rest.yaml:23:9 auth.kind: unknown auth kind "oauth" (known: none, api-key, bearer, basic, oauth2-client-credentials)\n')
  out = ''
  err = ''
  t.equal(await runMappingCli(['check', 'mappings/demo-crm.rest.yaml'], io), 0, 'one definition named on the command line')
  t.equal(err, '')
  t.equal(await runMappingCli(['check', 'mappings/none.rest.yaml'], io), 1)
  t.match(err, /mappings\/none\.rest\.yaml \(file\): cannot read the definition \(ENOENT\)/)
})
