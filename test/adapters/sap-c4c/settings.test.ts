/** adapters/sap-c4c/settings.ts: Basic or OAuth, checked at start. */
import t from 'tap'
import { DEFAULT_SERVICE_PATH, readC4cSettings } from '../../../adapters/sap-c4c/settings.js'

t.test('Basic (a technical user) or a Bearer token, exactly one', async (t) => {
  const basic = readC4cSettings({ username: 'U', password: 'P' })
  t.same(basic.auth, { kind: 'basic', username: 'U', password: 'P' })
  t.equal(basic.servicePath, DEFAULT_SERVICE_PATH)
  t.equal(basic.roleCode, 'CRM000')
  t.ok(basic.dateProperties.has('BirthDate'))
  t.same(readC4cSettings({ accessToken: 'tok' }).auth, { kind: 'bearer', token: 'tok' })
  t.throws(() => readC4cSettings({}), /username and settings.password \(Basic\), or settings.accessToken/)
  t.throws(() => readC4cSettings({ username: 'U' }), /go together/)
  t.throws(() => readC4cSettings({ username: 'U', password: 'P', accessToken: 'T' }), /not both/)
  t.throws(() => readC4cSettings({ username: 'U', password: 'P', apiKey: 'x' }), /settings.apiKey is not a known setting/)
})

t.test('a secret never appears in an error', async (t) => {
  const err = t.throws(() => readC4cSettings({ username: 'U', password: 424242 })) as Error
  t.match(err.message, /settings.password/)
  t.notMatch(err.message, /424242/)
})

t.test('service path, role and date properties', async (t) => {
  const s = readC4cSettings({ accessToken: 'x', servicePath: '/sap/c4c/odata/cust/v1/clienteling', roleCode: 'BUP002', dateProperties: ['BirthDate', 'Anniversary_KUT'] })
  t.same([s.servicePath, s.roleCode, [...s.dateProperties]], ['/sap/c4c/odata/cust/v1/clienteling', 'BUP002', ['BirthDate', 'Anniversary_KUT']])
  t.throws(() => readC4cSettings({ accessToken: 'x', servicePath: 'https://elsewhere' }))
  t.throws(() => readC4cSettings({ accessToken: 'x', dateProperties: ["x' or"] }))
})
