import t from 'tap'
import fc from 'fast-check'
import { compilePath, readPath, writePath } from '../../src/mapping/path-access.js'
import { PATH_PATTERN, getAt, parsePath, setAt, type Path, type Segment } from '../../src/mapping/paths.js'

function path(text: string): Path {
  const parsed = parsePath(text)
  if (!parsed.ok) throw new Error(parsed.reason)
  return parsed.path
}

const read = (text: string, root: unknown) => readPath(compilePath(path(text)), root)

function written(text: string, value: unknown, root: Record<Segment, unknown> = {}): Record<Segment, unknown> {
  writePath(compilePath(path(text)), root, value)
  return root
}

t.test('reads paths of 1, 2, 3 and more segments, with indexes', async (t) => {
  const root = { a: 1, b: { c: 2, d: [{ e: 3 }, { e: 4, f: { g: { h: 5 } } }] } }
  t.equal(read('a', root), 1)
  t.equal(read('b.c', root), 2)
  t.equal(read('b.d.1', root), root.b.d[1])
  t.equal(read('b.d.0.e', root), 3)
  t.equal(read('b.d.1.f.g.h', root), 5)
  t.equal(compilePath(path('b.d.1.f')).text, 'b.d.1.f', 'the text is kept for messages')
})

t.test('a missing step, a non-object on the way or a function met reads as absent', async (t) => {
  const root = { a: 'text', b: null, c: { d: undefined }, list: [1], fn: () => 1, o: { m: () => 2 }, deep: { x: { y: { z: 'text' } } } }
  for (const text of ['zz', 'a.length', 'b.c', 'c.d.e', 'list.1', 'fn', 'fn.name', 'o.m', 'o.toString', 'toString', 'deep.x.y.z.length', 'deep.zz.y.z']) {
    t.equal(read(text, root), undefined, text)
  }
  t.equal(read('list.length', root), 1, 'data of a list (its length) is data')
  t.equal(read('a', 'not an object'), undefined, 'a non-object root has no fields')
  t.equal(read('a.b.c.d', null), undefined)
  t.equal(readPath(compilePath({ text: '', segments: [] }), root), root, 'the empty path is the root, as getAt has it')
  t.equal(readPath(compilePath({ text: '', segments: [] }), () => 1), undefined, 'even then a function is not data')
})

t.test('writes create plain objects, or arrays before an index, at every depth', async (t) => {
  t.same(written('a', 1), { a: 1 })
  t.same(written('a.b', 1), { a: { b: 1 } })
  t.same(written('a.0', 1), { a: [1] })
  t.ok(Array.isArray(written('a.0.b', 1)['a']), 'an index creates a list')
  t.same(written('a.b.c', 1), { a: { b: { c: 1 } } })
  t.same(written('a.b.0', 1), { a: { b: [1] } })
  t.same(written('a.b.c.d.e', 1), { a: { b: { c: { d: { e: 1 } } } } })
  t.same(written('a.1.b.0.c', 1), { a: [undefined, { b: [{ c: 1 }] }] })
  const existing = { a: { keep: true }, s: 'text', f: (): number => 1 }
  written('a.b', 1, existing)
  written('s.x.y', 2, existing)
  written('f.z', 3, existing)
  t.same(existing, { a: { keep: true, b: 1 }, s: { x: { y: 2 } }, f: { z: 3 } }, 'objects are reused; anything else is replaced')
  const root: Record<Segment, unknown> = {}
  written('toString.x', 1, root)
  t.same(Object.keys(root), ['toString'], 'an inherited method is shadowed by an own object, never written into')
  t.equal(typeof ({} as Record<string, unknown>)['toString'], 'function', 'Object.prototype is untouched')
})

// Random paths over a small vocabulary, so that reads and writes meet each other's keys
// (`length` only read: writing a list's length is not what these tests are about).
const pathOf = (names: readonly string[]) =>
  fc
    .tuple(fc.constantFrom('a', 'b', 'c'), fc.array(fc.oneof(fc.constantFrom(...names), fc.constantFrom(0, 1, 2)), { maxLength: 5 }))
    .map(([first, rest]): Segment[] => [first, ...rest])
const segments = pathOf(['a', 'b', 'c', 'toString', 'length'])
const writable = pathOf(['a', 'b', 'c', 'toString'])
const leaf = fc.oneof(fc.constant(undefined), fc.constant(null), fc.string({ maxLength: 3 }), fc.integer(), fc.constant(() => 0))
const tree = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small' }, leaf, fc.dictionary(fc.constantFrom('a', 'b', 'c', 'length'), tie('node'), { maxKeys: 3 }), fc.array(tie('node'), { maxLength: 3 }))
})).node

t.test('the compiled reader and writer do exactly what getAt and setAt do (property)', async (t) => {
  fc.assert(
    fc.property(tree, segments, (root, segs) => {
      const p = compilePath({ text: segs.join('.'), segments: segs })
      return Object.is(readPath(p, root), getAt(root, segs))
    })
  )
  fc.assert(
    fc.property(fc.array(fc.tuple(writable, fc.integer())), (writes) => {
      const viaSetAt: Record<Segment, unknown> = {}
      const viaWriter: Record<Segment, unknown> = {}
      for (const [segs, value] of writes) {
        setAt(viaSetAt, segs, value)
        writePath(compilePath({ text: '', segments: segs }), viaWriter, value)
      }
      // Same values, same keys in the same order, same arrays.
      return JSON.stringify(viaSetAt) === JSON.stringify(viaWriter) && JSON.stringify(shape(viaSetAt)) === JSON.stringify(shape(viaWriter))
    })
  )
  t.pass('properties hold')
})

/** Keys and container kinds, which JSON.stringify alone would not tell apart (holes, arrays). */
function shape(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return typeof value
  return { list: Array.isArray(value), keys: Object.keys(value).map((k) => [k, shape((value as Record<string, unknown>)[k])]) }
}

t.test('generated accessors: a name is data in them, never code', async (t) => {
  // parsePath never yields these; compilePath must stay safe even if handed them directly.
  const hostile = 'x"] = 1; globalThis.pwned = true; c["y'
  const p = compilePath({ text: 'hostile', segments: [hostile, 'z'] })
  const root: Record<Segment, unknown> = {}
  p.set(root, 7)
  t.equal((globalThis as { pwned?: unknown }).pwned, undefined, 'nothing from the name ran')
  t.same(Object.keys(root), [hostile], 'the name is one property key, as written')
  t.equal(p.get(root), 7)
  t.equal(read('$a-b_c.d-e', { '$a-b_c': { 'd-e': 'ok' } }), 'ok', 'names with $ - _ are accessed as written')
  t.throws(() => compilePath({ text: 'bad', segments: ['a', 1.5] }), /bad path index/, 'an index must be a whole number')
  t.throws(() => compilePath({ text: 'bad', segments: ['a', -1] }), /bad path index/)
  t.throws(() => writePath(compilePath({ text: '', segments: [] }), {}, 1), /empty path cannot be written/)
})

t.test('each path gets accessors of its own (their inline caches see one name each)', async (t) => {
  const a = compilePath(path('profile.firstName'))
  const b = compilePath(path('profile.lastName'))
  t.not(a.get, b.get)
  t.not(a.set, b.set)
  t.equal(a.s0, 'profile', 'the first segment, for groups')
})

t.test("a CRM's own keys are written as they are, even starting with a digit; digits only are an index", async (t) => {
  const key = '9a1f2c3d4e5f60718293a4b5c6d7e8f901234567'
  const parsed = parsePath(`${key}.value`)
  t.same(parsed.ok && parsed.path.segments, [key, 'value'], 'a 40-hex Pipedrive custom field key')
  const mixed = parsePath('email.0.value')
  t.same(mixed.ok && mixed.path.segments, ['email', 0, 'value'])
  t.match(parsePath('0.value'), { ok: false, reason: /must start with a key, not an index/ })
  const pattern = new RegExp(PATH_PATTERN)
  for (const ok of [`${key}.value`, 'email.0.value', `custom.${key}`]) t.ok(pattern.test(ok), `the editor schema accepts ${ok}`)
  for (const bad of ['0.value', 'a..b', 'a.__proto__', 'a b']) t.notOk(pattern.test(bad), `the editor schema flags ${bad}`)
})
