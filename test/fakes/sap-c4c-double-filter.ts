/**
 * The `$filter` subset of C4C's OData API, parsed and evaluated by the C4C double
 * (./sap-c4c-double.ts). A filter is parsed, never matched by pattern: a value whose quote is
 * not doubled, or a query cut by an unencoded `&` or `#`, is a syntax error (400), so a test
 * sending one fails instead of passing by luck.
 *
 * What C4C takes, by its developer's guide ([guide] https://github.com/SAP-archive/C4CODATAAPIDEVGUIDE):
 * - [guide "$filter"] comparisons `eq`, `ge`, `le` with literals; in an `eq` literal `*` is a
 *   wildcard (`UserID eq '*ADMIN*'`); `startswith(Property,'v')` and `endswith(Property,'v')`,
 *   "the Property Name has to be specified first";
 * - [guide "Known Limitations"] no other string functions ("DOES NOT support usage of String,
 *   Date and Math Functions" beyond those): `substringof` is refused; "Logical OR only works for
 *   the same property": an `or` over two properties is refused;
 * - [OData v2 URI conventions, literals] `'…'` strings, a quote inside doubled; `and`, `or`,
 *   `not` and parentheses; keywords in lower case.
 * - silent: case. The guide does not say whether text comparisons are case-sensitive; the
 *   double compares case-insensitively, as the port's search semantics ask (a name typed in
 *   lower case finds the customer). A real tenant's behaviour is to be confirmed there.
 */

export type FilterNode =
  | { readonly kind: 'and' | 'or'; readonly left: FilterNode; readonly right: FilterNode }
  | { readonly kind: 'not'; readonly operand: FilterNode }
  | { readonly kind: 'compare'; readonly op: 'eq' | 'ne' | 'ge' | 'le' | 'gt' | 'lt'; readonly property: string; readonly value: string }
  | { readonly kind: 'call'; readonly fn: 'startswith' | 'endswith'; readonly property: string; readonly value: string }

export class FilterError extends Error {}

type Token = { readonly type: 'punct'; readonly text: '(' | ')' | ',' } | { readonly type: 'word'; readonly text: string } | { readonly type: 'string'; readonly text: string }

function tokenize(source: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < source.length) {
    const c = source.charAt(i)
    if (c === ' ') {
      i++
    } else if (c === '(' || c === ')' || c === ',') {
      tokens.push({ type: 'punct', text: c })
      i++
    } else if (c === "'") {
      let text = ''
      i++
      for (;;) {
        if (i >= source.length) throw new FilterError('unterminated string literal')
        const d = source.charAt(i)
        if (d === "'") {
          if (source.charAt(i + 1) === "'") {
            text += "'"
            i += 2
            continue
          }
          i++
          break
        }
        text += d
        i++
      }
      tokens.push({ type: 'string', text })
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i))
      const word = m?.[0] ?? c
      tokens.push({ type: 'word', text: word })
      i += word.length
    } else {
      throw new FilterError(`unexpected character at position ${i}`)
    }
  }
  return tokens
}

const COMPARISONS = new Set(['eq', 'ne', 'ge', 'le', 'gt', 'lt'])

/** Parses a `$filter` value; throws FilterError on anything outside the subset. */
export function parseFilter(source: string): FilterNode {
  const tokens = tokenize(source)
  let at = 0
  const peek = (): Token | undefined => tokens[at]
  const next = (): Token => {
    const t = tokens[at++]
    if (t === undefined) throw new FilterError('unexpected end of the filter')
    return t
  }
  const expectPunct = (text: '(' | ')' | ','): void => {
    const t = next()
    if (t.type !== 'punct' || t.text !== text) throw new FilterError(`expected "${text}"`)
  }
  const property = (): string => {
    const t = next()
    if (t.type !== 'word' || COMPARISONS.has(t.text) || ['and', 'or', 'not'].includes(t.text)) throw new FilterError('expected a property name')
    return t.text
  }
  const literal = (): string => {
    const t = next()
    if (t.type !== 'string') throw new FilterError('expected a string literal')
    return t.text
  }
  const atom = (): FilterNode => {
    const t = next()
    if (t.type === 'punct' && t.text === '(') {
      const inner = or()
      expectPunct(')')
      return inner
    }
    if (t.type !== 'word') throw new FilterError('expected a comparison or a function')
    if (t.text === 'not') return { kind: 'not', operand: atom() }
    if (t.text === 'startswith' || t.text === 'endswith') {
      expectPunct('(')
      const name = property()
      expectPunct(',')
      const value = literal()
      expectPunct(')')
      return { kind: 'call', fn: t.text, property: name, value }
    }
    if (t.text === 'substringof' || t.text === 'tolower' || t.text === 'toupper' || t.text === 'indexof' || t.text === 'substring' || t.text === 'length') {
      throw new FilterError(`the function ${t.text} is not supported`)
    }
    const op = next()
    if (op.type !== 'word' || !COMPARISONS.has(op.text)) throw new FilterError('expected a comparison operator')
    return { kind: 'compare', op: op.text as 'eq', property: t.text, value: literal() }
  }
  const and = (): FilterNode => {
    let left = atom()
    while (peek()?.type === 'word' && peek()?.text === 'and') {
      at++
      left = { kind: 'and', left, right: atom() }
    }
    return left
  }
  const or = (): FilterNode => {
    let left = and()
    while (peek()?.type === 'word' && peek()?.text === 'or') {
      at++
      left = { kind: 'or', left, right: and() }
    }
    return left
  }
  const tree = or()
  if (at !== tokens.length) throw new FilterError('unexpected text after the filter')
  return tree
}

/** Every property the node compares. */
export function propertiesOf(node: FilterNode): Set<string> {
  switch (node.kind) {
    case 'and':
    case 'or':
      return new Set([...propertiesOf(node.left), ...propertiesOf(node.right)])
    case 'not':
      return propertiesOf(node.operand)
    default:
      return new Set([node.property])
  }
}

/** [guide "Known Limitations"] an `or` whose sides compare different properties. */
export function crossPropertyOr(node: FilterNode): boolean {
  switch (node.kind) {
    case 'or':
      return propertiesOf(node).size > 1 || crossPropertyOr(node.left) || crossPropertyOr(node.right)
    case 'and':
      return crossPropertyOr(node.left) || crossPropertyOr(node.right)
    case 'not':
      return crossPropertyOr(node.operand)
    default:
      return false
  }
}

const fold = (s: string): string => s.toLocaleLowerCase('en')

/** `*` as a wildcard of any run of characters; everything else literal. */
function wildcard(pattern: string, text: string): boolean {
  const parts = fold(pattern).split('*')
  const t = fold(text)
  if (parts.length === 1) return t === parts[0]
  const first = parts[0] ?? ''
  const last = parts[parts.length - 1] ?? ''
  if (!t.startsWith(first) || !t.endsWith(last) || t.length < first.length + last.length) return false
  let from = first.length
  for (const part of parts.slice(1, -1)) {
    const found = t.indexOf(part, from)
    if (found === -1 || found + part.length > t.length - last.length) return false
    from = found + part.length
  }
  return true
}

/** Whether an entity (its properties as text) satisfies the filter. */
export function evaluate(node: FilterNode, valueOf: (property: string) => string): boolean {
  switch (node.kind) {
    case 'and':
      return evaluate(node.left, valueOf) && evaluate(node.right, valueOf)
    case 'or':
      return evaluate(node.left, valueOf) || evaluate(node.right, valueOf)
    case 'not':
      return !evaluate(node.operand, valueOf)
    case 'call':
      return node.fn === 'startswith' ? fold(valueOf(node.property)).startsWith(fold(node.value)) : fold(valueOf(node.property)).endsWith(fold(node.value))
    case 'compare': {
      const value = valueOf(node.property)
      switch (node.op) {
        case 'eq':
          return wildcard(node.value, value)
        case 'ne':
          return !wildcard(node.value, value)
        case 'ge':
          return fold(value) >= fold(node.value)
        case 'le':
          return fold(value) <= fold(node.value)
        case 'gt':
          return fold(value) > fold(node.value)
        case 'lt':
          return fold(value) < fold(node.value)
      }
    }
  }
}
