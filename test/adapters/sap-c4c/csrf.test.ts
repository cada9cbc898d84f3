/** adapters/sap-c4c/csrf.ts: one token shared, fetched once, replaced once per refusal. */
import t from 'tap'
import { CsrfSession, cookieHeader } from '../../../adapters/sap-c4c/csrf.js'
import type { CsrfCredentials } from '../../../adapters/sap-c4c/csrf.js'

t.test('concurrent writers share one fetch (single-flight)', async (t) => {
  let fetches = 0
  let release: (c: CsrfCredentials) => void = () => undefined
  const session = new CsrfSession(() => {
    fetches++
    return new Promise((resolve) => (release = resolve))
  })
  const waiting = Promise.all([session.get(), session.get(), session.get()])
  release({ token: 'T1', cookie: 'S=1' })
  const got = await waiting
  t.equal(fetches, 1)
  t.same(got.map((c) => c.token), ['T1', 'T1', 'T1'])
  t.equal(await session.get(), got[0], 'then cached')
  t.equal(fetches, 1)
})

t.test('a refusal replaces the token once, however many writers saw it refused', async (t) => {
  let n = 0
  const session = new CsrfSession(async () => ({ token: `T${++n}`, cookie: '' }))
  const first = await session.get()
  session.invalidate(first)
  const second = await session.get()
  t.equal(second.token, 'T2')
  session.invalidate(first) // a slower writer refused with the old token: the new one stays
  t.equal((await session.get()).token, 'T2')
  t.equal(n, 2)
})

t.test('a failed fetch is not cached: the next writer tries again', async (t) => {
  let n = 0
  const session = new CsrfSession(async () => {
    n++
    if (n === 1) throw new Error('down')
    return { token: 'T', cookie: '' }
  })
  await t.rejects(session.get())
  t.equal((await session.get()).token, 'T')
})

t.test('the Cookie header keeps the name=value pairs of Set-Cookie', async (t) => {
  t.equal(cookieHeader(['SAP_SESSIONID_X_100=abc%3D; path=/; secure; HttpOnly', 'sap-usercontext=sap-client=100; path=/']), 'SAP_SESSIONID_X_100=abc%3D; sap-usercontext=sap-client=100')
  t.equal(cookieHeader('one=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT'), 'one=1')
  t.equal(cookieHeader(undefined), '')
  t.equal(cookieHeader(['bad cookie=1', 'ok=2']), 'ok=2')
})
