import t from 'tap'
import { PATH_PATTERN, displayPath, getAt, parsePath, removeItems, setAt, type Path } from '../../src/mapping/paths.js'

function path(text: string): Path {
  const parsed = parsePath(text)
  if (!parsed.ok) throw new Error(parsed.reason)
  return parsed.path
}

const read = (text: string, root: unknown): unknown => getAt(root, path(text).segments)

function written(text: string, value: unknown, root: Record<string, unknown> = {}): Record<string, unknown> {
  setAt(root, path(text).segments, value)
  return root
}

t.test('reads paths of 1, 2, 3 and more segments, with positions', async (t) => {
  const root = { a: 1, b: { c: 2, d: [{ e: 3 }, { e: 4, f: { g: { h: 5 } } }] } }
  t.equal(read('a', root), 1)
  t.equal(read('b.c', root), 2)
  t.equal(read('b.d.1', root), root.b.d[1])
  t.equal(read('b.d.0.e', root), 3)
  t.equal(read('b.d.1.f.g.h', root), 5)
})

t.test('a missing step, a non-object on the way or a function met reads as absent', async (t) => {
  const root = { a: 'text', b: null, c: { d: undefined }, list: [1], fn: () => 1, o: { m: () => 2 }, deep: { x: { y: { z: 'text' } } } }
  for (const text of ['zz', 'a.length', 'b.c', 'c.d.e', 'list.1', 'fn', 'fn.name', 'o.m', 'o.toString', 'toString', 'deep.x.y.z.length', 'deep.zz.y.z']) {
    t.equal(read(text, root), undefined, text)
  }
  t.equal(read('list.length', root), 1, 'data of a list (its length) is data')
  t.equal(read('a', 'not an object'), undefined, 'a non-object root has no fields')
  t.equal(read('a.b.c.d', null), undefined)
})

t.test('writes create plain objects, or lists before a position or a keyed item, at every depth', async (t) => {
  t.same(written('a', 1), { a: 1 })
  t.same(written('a.b', 1), { a: { b: 1 } })
  t.same(written('a.0', 1), { a: [1] })
  t.same(written('a.b.c.d.e', 1), { a: { b: { c: { d: { e: 1 } } } } })
  t.same(written('a.1.b.0.c', 1), { a: [undefined, { b: [{ c: 1 }] }] })
  t.same(written('a[k=x].v', 1), { a: [{ k: 'x', v: 1 }] })
  const existing = { a: { keep: true }, s: 'text', f: (): number => 1 }
  written('a.b', 1, existing)
  written('s.x.y', 2, existing)
  written('f.z', 3, existing)
  t.same(existing, { a: { keep: true, b: 1 }, s: { x: { y: 2 } }, f: { z: 3 } }, 'objects are reused; anything else is replaced')
  const root: Record<string, unknown> = {}
  written('toString.x', 1, root)
  t.same(Object.keys(root), ['toString'], 'an inherited method is shadowed by an own object, never written into')
  t.equal(typeof ({} as Record<string, unknown>)['toString'], 'function', 'Object.prototype is untouched')
})

t.test('a keyed item is the first item whose member equals the value', async (t) => {
  const record = {
    phones: [
      { label: 'work', value: '1' },
      { label: 'mobile', value: '2', primary: true },
      { label: 'mobile', value: '3' },
      'not an object',
      { label: 7, value: '4' }
    ]
  }
  t.equal(read('phones[label=mobile].value', record), '2', 'the first match')
  t.equal(read('phones[primary=true].value', record), '2', 'true is a boolean')
  t.equal(read('phones[label=home].value', record), undefined, 'no match is absent')
  t.equal(read('phones[label=7].value', record), '4', 'compared as text: 7 = "7"')
  t.equal(read('phones[label=mobile].value', { phones: { label: 'mobile', value: 'x' } }), undefined, 'an object is not a list')
  t.equal(read('phones[label="work"].value', record), '1', 'a quoted value')

  const out = structuredClone(record) as Record<string, unknown>
  written('phones[label=mobile].value', '9', out)
  written('phones[label=home].value', '8', out)
  t.same((out['phones'] as unknown[]).slice(0, 3), [{ label: 'work', value: '1' }, { label: 'mobile', value: '9', primary: true }, { label: 'mobile', value: '3' }], 'the selected item is updated in place, the others kept')
  t.same((out['phones'] as unknown[])[5], { label: 'home', value: '8' }, 'a missing item is appended, holding its key')
  t.same(written('emails[primary=true].value', 'a@b.c'), { emails: [{ primary: true, value: 'a@b.c' }] }, 'a boolean key is written as a boolean')
  t.same(written('x[k=v].v', 1, { x: 'text' }), { x: [{ k: 'v', v: 1 }] }, 'a non-list is replaced by a list')

  const list = { phones: [{ label: 'mobile', value: '1' }, { label: 'home', value: '2' }, { label: 'mobile', value: '3' }] }
  removeItems(list, path('phones[label=mobile].value').segments.slice(0, 2))
  t.same(list, { phones: [{ label: 'home', value: '2' }] }, 'removal takes every item the key selects')
})

t.test('keys: any text the CRM uses, quoted when it is more than letters, digits, _ $ -', async (t) => {
  const key = '9a1f2c3d4e5f60718293a4b5c6d7e8f901234567'
  t.same(path(`custom_fields.${key}`).segments, ['custom_fields', key], 'a 40-hex Pipedrive key, digit first, as it is')
  t.same(path('custom_fields."Loyalty # (old)".value').segments, ['custom_fields', 'Loyalty # (old)', 'value'])
  t.same(path('a."x.y"').segments, ['a', 'x.y'], 'a dot inside quotes is part of the key')
  t.same(path('email.0.value').segments, ['email', 0, 'value'])
  t.same(path('phones[label=mobile].value').segments, ['phones', { member: 'label', equals: 'mobile' }, 'value'])
  t.same(path('phones[kind="home phone"].value').segments, ['phones', { member: 'kind', equals: 'home phone' }, 'value'])
  t.equal(displayPath(path('phones[kind="home phone"].value').segments), 'phones[kind="home phone"].value')
  t.equal(displayPath(path('a.0.b[primary=true].c').segments), 'a[0].b[primary=true].c')
  t.equal(read('a."x.y"', { a: { 'x.y': 1 } }), 1)
})

t.test('bad paths: each reason says what is wrong', async (t) => {
  const reasons: Record<string, RegExp> = {
    '': /empty path/,
    '0.value': /must start with a key, not an index/,
    'a..b': /empty segment/,
    'a.': /empty segment/,
    'a.__proto__': /"__proto__" is refused/,
    'a."constructor"': /"constructor" is refused/,
    'a.""': /quoted key cannot be empty/,
    'a."open': /closing quote/,
    'a b': /segment "a b" must be a key/,
    'a.0123': /not a list position/,
    'phones[label=mobile': /needs its "]"/,
    'phones[label]': /must be \[member=value\]/,
    'phones[__proto__=x].v': /member "__proto__" is refused/,
    'phones[label=a b].v': /must be true, false, a word/,
    'phones[label="a].v': /needs its closing quote/,
    'phones[label="a"b].v': /not a complete "quoted text"/,
    'phones.0[label=x].v': /follows the key of its list/,
    'phones[a=1][b=2].v': /one \[member=value\] per list item/,
    'phones[a=1]x': /must be a key/
  }
  for (const [text, reason] of Object.entries(reasons)) {
    const parsed = parsePath(text)
    t.match(parsed, { ok: false, reason }, JSON.stringify(text))
  }
})

t.test('the editor pattern agrees with the parser on typical paths', async (t) => {
  const pattern = new RegExp(PATH_PATTERN)
  const good = ['profile.firstName', 'email.0.value', 'custom.9a1f2c3d', 'phones[label=mobile].value', 'emails[primary=true].value', 'custom_fields."Loyalty #"', 'a[k="x y"].v', 'a.b[k=x.y].c']
  const bad = ['0.value', 'a..b', 'a.__proto__', 'a b', 'a."__proto__"', 'phones[label=mobile', 'a[k=1][j=2].v', 'a.0[k=1].v']
  for (const text of good) {
    t.ok(parsePath(text).ok, `the parser accepts ${text}`)
    t.ok(pattern.test(text), `the editor schema accepts ${text}`)
  }
  for (const text of bad) {
    t.notOk(parsePath(text).ok, `the parser refuses ${text}`)
    t.notOk(pattern.test(text), `the editor schema flags ${text}`)
  }
})
