/**
 * A 401 names the ways in (RFC 9110 §11.6.1: at least one challenge), from the configured
 * clients, one field line each; its body stays empty (CONTRACT §5).
 */
import t from 'tap'
import { buildTestApp } from '../helpers/build-test-app.js'
import { challengesFor } from '../../src/auth/challenge.js'
import { ClientRegistry } from '../../src/auth/client-registry.js'
import { validateConfig } from '../../src/config/load-config.js'
import { clientsOfEveryKind } from '../helpers/auth-clients.js'

const S = { header: 'header-secret-0123456789', query: 'query-secret-0123456789ab', oauth: 'oauth-secret-0123456789ab', custom: 'custom-secret-0123456789a', basic: 'basic-secret-0123456789ab' }
const registry = (clients: unknown[]): ClientRegistry => ClientRegistry.fromConfig(validateConfig({ auth: { clients } }).auth)
const BEARER = 'Bearer realm="clienteling-gateway"'
const BASIC = 'Basic realm="clienteling-gateway", charset="UTF-8"'

t.test('the challenges follow the configured clients', async (t) => {
  t.same(challengesFor(registry(clientsOfEveryKind(S))), [
    BEARER,
    BASIC,
    'APIKey realm="clienteling-gateway", header="x-api-key"',
    'APIKey realm="clienteling-gateway", header="x-pos-token"',
    'APIKey realm="clienteling-gateway", query="api_key"'
  ], 'every kind of client: each way in named once')
  t.same(challengesFor(registry([{ id: 'o', method: 'oauth', secrets: [S.oauth] }])), [BEARER], 'OAuth clients: Bearer only')
  t.same(challengesFor(registry([{ id: 'b', method: 'header', header: 'Authorization', secrets: [S.basic] }])), [BEARER, BASIC], 'a fixed Authorization header takes Basic and Bearer')
  t.same(challengesFor(registry([{ id: 'h', method: 'header', secrets: [S.header] }])), ['APIKey realm="clienteling-gateway", header="x-api-key"'])
  t.same(challengesFor(registry([])), ['APIKey realm="clienteling-gateway"'], 'no client: still one challenge')
  // RFC 9110 §11.6.1/§11.2: challenge = auth-scheme [ 1*SP ( token68 / #auth-param ) ].
  const token = "[!#$%&'*+.^_`|~0-9A-Za-z-]+"
  const challenge = new RegExp(`^${token}( ${token}="[^"\\\\]*"(, ${token}="[^"\\\\]*")*)?$`)
  for (const c of challengesFor(registry(clientsOfEveryKind(S)))) t.match(c, challenge, `well-formed: ${c}`)
})

t.test('every SPI 401 carries them, with an empty body', async (t) => {
  const { app } = await buildTestApp({ auth: { clients: clientsOfEveryKind(S) } })
  t.teardown(() => app.close())
  for (const [what, headers, url] of [
    ['no credentials', {}, '/endpoint/sa/customers?lastName=a'],
    ['a wrong secret', { 'x-api-key': 'wrong-secret-0123456789' }, '/endpoint/sa/customers/C1'],
    ['a bad token', { authorization: 'Bearer a.b.c' }, '/endpoint/sa/customers/C1'],
    ['an undecodable URL', {}, '/endpoint/sa/customers/%E0%A4%A'],
    ['an unknown route', {}, '/nowhere']
  ] as const) {
    const r = await app.inject({ method: 'GET', url, headers })
    t.equal(r.statusCode, 401, what)
    t.equal(r.body, '', `${what}: empty body`)
    t.same(r.headers['www-authenticate'], challengesFor(registry(clientsOfEveryKind(S))), `${what}: one WWW-Authenticate line per challenge`)
  }
  const token = await app.inject({ method: 'POST', url: '/oauth2/token?grant_type=client_credentials', headers: { authorization: 'Basic !!' } })
  t.equal(token.statusCode, 401)
  t.equal(token.headers['www-authenticate'], BASIC, "the token endpoint's own challenge (RFC 6749 §5.2) is unchanged")
})
