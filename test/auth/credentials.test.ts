/**
 * The credential primitives on their own: Basic parsing (the vendor's "id: secret"), secret
 * comparison, access tokens (expiry on a fake clock, key rotation, tampering, binding to the
 * secret they were obtained with), and the authenticator's decisions.
 */
import t from 'tap'
import { SignJWT } from 'jose'
import { parseBasicHeader, secretSpellings } from '../../src/auth/basic-header.js'
import { digestSecret, findMatchingDigest, matchSecret } from '../../src/auth/secret-compare.js'
import { TokenService, TOKEN_AUDIENCE, TOKEN_ISSUER } from '../../src/auth/tokens.js'
import { Authenticator } from '../../src/auth/authenticator.js'
import { ClientRegistry, credentialHeaderNames } from '../../src/auth/client-registry.js'
import { validateConfig } from '../../src/config/load-config.js'

const b64 = (s: string): string => Buffer.from(s).toString('base64')

t.test('Basic header parsing', async (t) => {
  t.same(parseBasicHeader(`Basic ${b64('pos:s3cret')}`), { kind: 'basic', id: 'pos', secret: 's3cret' })
  t.same(parseBasicHeader(`Basic ${b64('pos: s3cret')}`), { kind: 'basic', id: 'pos', secret: 's3cret' }, 'the vendor’s "id: secret"')
  t.same(parseBasicHeader(`basic   ${b64(' pos  :  s3cret ')}`), { kind: 'basic', id: 'pos', secret: 's3cret' }, 'any case, any spacing')
  t.same(parseBasicHeader(`Basic ${b64('pos:s3:cr:et')}`), { kind: 'basic', id: 'pos', secret: 's3:cr:et' }, 'a secret may hold colons')
  t.same(parseBasicHeader(`Basic ${Buffer.from('pos:s3cret').toString('base64url')}`), { kind: 'basic', id: 'pos', secret: 's3cret' }, 'base64url tolerated')
  t.same(parseBasicHeader(`Basic ${b64('pös:sécret')}`), { kind: 'basic', id: 'pös', secret: 'sécret' }, 'UTF-8')
  t.same(parseBasicHeader(undefined), { kind: 'absent' })
  t.same(parseBasicHeader('   '), { kind: 'absent' })
  for (const other of ['Bearer abc', 'Digest x', 'Basically', 'x-api-key']) t.same(parseBasicHeader(other), { kind: 'other-scheme' }, other)
  for (const bad of ['Basic', 'Basic ', 'Basic !!', `Basic ${b64('no-colon')}`, `Basic ${b64(':secret')}`, `Basic ${b64('id:')}`, `Basic ${b64('id:  ')}`,
    `Basic ${b64('id:se\u0000cret')}`, `Basic ${Buffer.from([0xc3, 0x28, 0x3a, 0x41]).toString('base64')}`, `Basic ${'A'.repeat(3000)}`, `Basic ${b64('a:b')} extra`]) {
    t.same(parseBasicHeader(bad), { kind: 'malformed' }, JSON.stringify(bad).slice(0, 40))
  }
  t.same(secretSpellings('plain-secret'), ['plain-secret'])
  t.same(secretSpellings('a%2Bb%2Fc'), ['a%2Bb%2Fc', 'a+b/c'], 'form-decoded as a second spelling')
  t.same(secretSpellings('a+b'), ['a+b', 'a b'])
  t.same(secretSpellings('100%'), ['100%'], 'undecodable: as sent')
})

t.test('secrets are compared as digests, against every candidate', async (t) => {
  const expected = [digestSecret('first-secret-000000'), digestSecret('second-secret-00000')]
  t.equal(findMatchingDigest(digestSecret('first-secret-000000'), expected), 0)
  t.equal(findMatchingDigest(digestSecret('second-secret-00000'), expected), 1)
  t.equal(findMatchingDigest(digestSecret('second-secret-0000'), expected), -1, 'a prefix is no match')
  t.equal(findMatchingDigest(digestSecret(''), expected), -1)
  t.equal(findMatchingDigest(digestSecret('x'.repeat(10_000)), expected), -1, 'any length compares (digests are equal-length)')
  t.same(matchSecret(['nope', 'second-secret-00000'], expected)?.index, 1)
  t.equal(matchSecret(['nope'], expected), undefined)
})

t.test('access tokens: claims, expiry on a fake clock, key rotation, tampering, secret binding', async (t) => {
  let now = Date.UTC(2030, 0, 1)
  const key = 'a-signing-key-of-32-characters-at-least'
  const tokens = new TokenService({ keys: [key], ttlSeconds: 300, now: () => now })
  t.equal(tokens.ephemeralKey, false)
  const digest = digestSecret('the-client-secret-0000')
  const { accessToken, expiresIn } = await tokens.issue('pos', digest)
  t.equal(expiresIn, 300)
  const ok = await tokens.verify(accessToken)
  t.match(ok, { ok: true, clientId: 'pos', keyIndex: 0 })
  t.ok(ok.ok && tokens.boundToSecret(ok, [digestSecret('other-secret-00000000'), digest]), 'bound to the secret it was obtained with')
  t.notOk(ok.ok && tokens.boundToSecret(ok, [digestSecret('other-secret-00000000')]), 'and no other')

  now += 300_000 + 4_000
  t.match(await tokens.verify(accessToken), { ok: true }, 'a few seconds of skew tolerated')
  now += 1_000
  t.same(await tokens.verify(accessToken), { ok: false, reason: 'token_expired', clientId: 'pos' }, 'then expired (the signature was ours: the client is named)')

  const rotated = new TokenService({ keys: ['the-next-signing-key-0123456789abcdef', key], ttlSeconds: 300, now: () => now })
  const older = await tokens.issue('pos', digest)
  t.match(await rotated.verify(older.accessToken), { ok: true, keyIndex: 1 }, 'the second key still verifies')
  const newer = await rotated.issue('pos', digest)
  t.match(await tokens.verify(newer.accessToken), { ok: false, reason: 'token_invalid' }, 'the first key signs')
  t.match(await rotated.verify(newer.accessToken), { ok: true, keyIndex: 0 })

  const ephemeral = new TokenService({ keys: [], ttlSeconds: 300 })
  t.equal(ephemeral.ephemeralKey, true)
  const other = new TokenService({ keys: [], ttlSeconds: 300 })
  const mine = await ephemeral.issue('pos', digest)
  t.match(await ephemeral.verify(mine.accessToken), { ok: true }, 'a random per-process key works in its process')
  t.match(await other.verify(mine.accessToken), { ok: false, reason: 'token_invalid' }, 'and nowhere else (what a restart does)')

  const fresh = (await tokens.issue('pos', digest)).accessToken
  const [h, p, s] = fresh.split('.') as [string, string, string]
  const edit = (part: string, change: Record<string, unknown>): string =>
    Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(part, 'base64url').toString()), ...change })).toString('base64url')
  const keyBytes = new TextEncoder().encode(key)
  const base = () => new SignJWT({ sfp: 'x' }).setIssuer(TOKEN_ISSUER).setAudience(TOKEN_AUDIENCE).setSubject('pos').setIssuedAt(now / 1000).setExpirationTime(now / 1000 + 60)
  const refusals: Array<[string, string, string]> = [
    ['an edited subject', `${h}.${edit(p, { sub: 'admin' })}.${s}`, 'token_invalid'],
    ['an extended expiry', `${h}.${edit(p, { exp: 9_999_999_999 })}.${s}`, 'token_invalid'],
    ['alg none', `${edit(h, { alg: 'none' })}.${p}.`, 'token_malformed'],
    ['alg none, signature kept', `${edit(h, { alg: 'none' })}.${p}.${s}`, 'token_invalid'],
    ['a truncated signature', `${h}.${p}.${s.slice(0, 10)}`, 'token_invalid'],
    ['two parts', `${h}.${p}`, 'token_malformed'],
    ['garbage', 'garbage', 'token_malformed'],
    ['an enormous token', `${h}.${'A'.repeat(5000)}.${s}`, 'token_malformed'],
    ['a non-JSON header', `${Buffer.from('nope').toString('base64url')}.${p}.${s}`, 'token_malformed'],
    ['another issuer', await base().setIssuer('elsewhere').setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' }).sign(keyBytes), 'token_invalid'],
    ['another audience', await base().setAudience('elsewhere').setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' }).sign(keyBytes), 'token_invalid'],
    ['an ID-token type', await base().setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(keyBytes), 'token_invalid'],
    ['no subject', await new SignJWT({ sfp: 'x' }).setIssuer(TOKEN_ISSUER).setAudience(TOKEN_AUDIENCE).setIssuedAt().setExpirationTime('1m').setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' }).sign(keyBytes), 'token_invalid'],
    ['no expiry', await new SignJWT({ sfp: 'x' }).setIssuer(TOKEN_ISSUER).setAudience(TOKEN_AUDIENCE).setSubject('pos').setIssuedAt().setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' }).sign(keyBytes), 'token_invalid'],
    ['no secret fingerprint', await new SignJWT({}).setIssuer(TOKEN_ISSUER).setAudience(TOKEN_AUDIENCE).setSubject('pos').setIssuedAt(now / 1000).setExpirationTime(now / 1000 + 60).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' }).sign(keyBytes), 'token_invalid'],
    ['HS384', await base().setProtectedHeader({ alg: 'HS384', typ: 'at+jwt' }).sign(new TextEncoder().encode(key + key)), 'token_invalid']
  ]
  for (const [what, token, reason] of refusals) {
    const r = await tokens.verify(token)
    t.same(r, { ok: false, reason }, `${what}: ${reason}, no client named`)
  }
})

t.test('the authenticator: one client per request, reasons for the log', async (t) => {
  const config = validateConfig({
    auth: {
      signingKeys: ['a-signing-key-of-32-characters-at-least'],
      clients: [
        { id: 'a', method: 'header', secrets: ['secret-of-client-a-000'] },
        { id: 'b', method: 'header', secrets: ['secret-of-client-b-000', 'next-secret-of-b-00000'] },
        { id: 'q', method: 'query', queryParam: 'key', secrets: ['secret-of-client-q-000'] },
        { id: 'o', method: 'oauth', header: 'X-Token', secrets: ['secret-of-client-o-000'] }
      ]
    }
  })
  const auth = Authenticator.fromConfig(config.auth)
  const run = (headers: Record<string, string | string[]>, query: Record<string, unknown> = {}) => auth.authenticate({ headers, query })
  t.match(await run({ 'x-api-key': 'secret-of-client-a-000' }), { ok: true, clientId: 'a', via: 'header' }, 'clients sharing a header: the secret says which')
  t.match(await run({ 'x-api-key': 'next-secret-of-b-00000' }), { ok: true, clientId: 'b' }, 'either of two secrets')
  t.match(await run({}, { key: 'secret-of-client-q-000' }), { ok: true, clientId: 'q', via: 'query', queryParam: 'key' }, 'a configured query parameter name')
  t.match(await run({}, { api_key: 'secret-of-client-q-000' }), { ok: false, reason: 'no_credentials' }, 'only that name')
  t.match(await run({}, { key: ['secret-of-client-q-000', 'x'] }), { ok: false, reason: 'repeated_credential' })
  t.match(await run({ 'x-api-key': ['a', 'b'] }), { ok: false, reason: 'repeated_credential' })
  t.match(await run({ 'x-api-key': 'secret-of-client-a-000' }, { key: 'secret-of-client-q-000' }), { ok: false, reason: 'conflicting_credentials' })
  t.match(await run({ 'x-api-key': 'nope' }), { ok: false, reason: 'unknown_secret', via: 'header' })
  t.match(await run({ 'x-token': 'a.b.c' }), { ok: false, reason: 'token_malformed', via: 'token' })
  const issued = await auth.tokens.issue('o', digestSecret('secret-of-client-o-000'))
  t.match(await run({ 'x-token': issued.accessToken }), { ok: true, clientId: 'o', via: 'token' })
  t.match(await run({ 'x-api-key': 'nope', authorization: `Bearer ${issued.accessToken}` }), { ok: true, clientId: 'o' }, 'one good credential beside a bad one')
  t.same(auth.checkClientSecret('o', 'secret-of-client-o-000').ok, true)
  t.match(auth.checkClientSecret('o', 'wrong'), { ok: false, reason: 'unknown_secret', clientId: 'o' })
  t.match(auth.checkClientSecret('a', 'secret-of-client-a-000'), { ok: false, reason: 'unknown_client', clientId: 'a' }, 'a static client gets no token')
  t.same(auth.checkClientSecret('__proto__', 'x'), { ok: false, reason: 'unknown_client' }, 'ids are looked up in a Map')
  t.same(credentialHeaderNames(config.auth).sort(), ['authorization', 'x-api-key', 'x-token'])
  t.equal(new ClientRegistry([]).size, 0)
  t.throws(() => ClientRegistry.fromConfig({ ...config.auth, clients: [{ id: 'x', method: 'header', secrets: [{ fromEnv: 'X' }] }] }), /not resolved/)
})
