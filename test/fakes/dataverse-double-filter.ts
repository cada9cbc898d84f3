/**
 * The `$filter` subset the Dataverse double understands, PARSED as the service parses it: a
 * value the adapter failed to escape (a lone `'`, an unencoded `&` or `+`) breaks the parse or
 * the match instead of passing unnoticed. Written from Microsoft's documentation:
 *
 *   [filter]    https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/filter-rows
 *               comparison operators (eq, ne), logical operators (and, or, not), grouping
 *               parentheses, the OData functions contains/startswith/endswith; "all filters
 *               using string values are case insensitive"; a quote inside a literal is doubled,
 *               else "There is an unterminated literal at position N"
 *   [wildcards] https://learn.microsoft.com/power-apps/developer/data-platform/wildcard-characters
 *               `%`, `_`, `[…]`, `[^…]` are T-SQL LIKE wildcards in the text functions
 *   [odata]     OData v4.01 URL conventions §5.1.1 (operators need white space around them;
 *               a GUID literal is unquoted)
 *
 * Grammar:
 *   expr    := and ('or' and)*
 *   and     := unary ('and' unary)*
 *   unary   := 'not' unary | '(' expr ')' | func | compare
 *   func    := ('contains'|'startswith'|'endswith') '(' column ',' string ')'
 *   compare := column ('eq'|'ne') (string | guid | number | 'true' | 'false' | 'null')
 */

export type FilterValue = string | number | boolean | null | { readonly guid: string }

export type FilterNode =
  | { readonly kind: 'and' | 'or'; readonly left: FilterNode; readonly right: FilterNode }
  | { readonly kind: 'not'; readonly operand: FilterNode }
  | { readonly kind: 'function'; readonly name: 'contains' | 'startswith' | 'endswith'; readonly column: string; readonly value: string }
  | { readonly kind: 'compare'; readonly operator: 'eq' | 'ne'; readonly column: string; readonly value: FilterValue }

/** A filter the service refuses: 400 with this message (Dataverse quotes the query in it). */
export class FilterSyntaxError extends Error {}

type Token =
  | { readonly type: 'word'; readonly text: string; readonly at: number }
  | { readonly type: 'string'; readonly text: string; readonly at: number }
  | { readonly type: 'guid' | 'number'; readonly text: string; readonly at: number }
  | { readonly type: '(' | ')' | ','; readonly at: number }

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/

function tokenize(text: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < text.length) {
    const c = text.charAt(i)
    if (c === ' ') {
      i++
    } else if (c === '(' || c === ')' || c === ',') {
      tokens.push({ type: c, at: i })
      i++
    } else if (c === "'") {
      // [filter] a quote inside a literal is written twice; a lone one ends it.
      let value = ''
      let j = i + 1
      for (;;) {
        if (j >= text.length) throw new FilterSyntaxError(`There is an unterminated literal at position ${i} in '${text}'.`)
        const d = text.charAt(j)
        if (d === "'" && text.charAt(j + 1) === "'") {
          value += "'"
          j += 2
        } else if (d === "'") break
        else {
          value += d
          j++
        }
      }
      tokens.push({ type: 'string', text: value, at: i })
      i = j + 1
    } else {
      const rest = text.slice(i)
      const guid = GUID.exec(rest)
      const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest)
      const number = /^-?\d+(\.\d+)?/.exec(rest)
      if (guid) {
        tokens.push({ type: 'guid', text: guid[0].toLowerCase(), at: i })
        i += guid[0].length
      } else if (word) {
        tokens.push({ type: 'word', text: word[0], at: i })
        i += word[0].length
      } else if (number) {
        tokens.push({ type: 'number', text: number[0], at: i })
        i += number[0].length
      } else {
        throw new FilterSyntaxError(`Syntax error: character '${c}' is not valid at position ${i} in '${text}'.`)
      }
    }
  }
  return tokens
}

export function parseFilter(text: string): FilterNode {
  const tokens = tokenize(text)
  let p = 0
  const fail = (why: string): never => {
    throw new FilterSyntaxError(`Syntax error at position ${tokens[p]?.at ?? text.length} in '${text}': ${why}.`)
  }
  const peekWord = (word: string): boolean => {
    const t = tokens[p]
    return t?.type === 'word' && t.text === word
  }
  const expect = (type: Token['type']): Token => {
    const t = tokens[p]
    if (t?.type !== type) return fail(`expected ${type}`)
    p++
    return t
  }
  const column = (): string => {
    const t = expect('word')
    return (t as { text: string }).text
  }

  const primary = (): FilterNode => {
    if (peekWord('not')) {
      p++
      return { kind: 'not', operand: primary() }
    }
    if (tokens[p]?.type === '(') {
      p++
      const inner = expr()
      expect(')')
      return inner
    }
    const head = tokens[p]
    if (head?.type === 'word' && (head.text === 'contains' || head.text === 'startswith' || head.text === 'endswith') && tokens[p + 1]?.type === '(') {
      p += 2
      const col = column()
      expect(',')
      const value = expect('string') as { text: string }
      expect(')')
      return { kind: 'function', name: head.text, column: col, value: value.text }
    }
    const col = column()
    const op = tokens[p]
    if (op?.type !== 'word' || (op.text !== 'eq' && op.text !== 'ne')) return fail('expected eq or ne')
    p++
    const v = tokens[p]
    p++
    if (v?.type === 'string') return { kind: 'compare', operator: op.text, column: col, value: v.text }
    if (v?.type === 'guid') return { kind: 'compare', operator: op.text, column: col, value: { guid: v.text } }
    if (v?.type === 'number') return { kind: 'compare', operator: op.text, column: col, value: Number(v.text) }
    if (v?.type === 'word' && (v.text === 'true' || v.text === 'false')) return { kind: 'compare', operator: op.text, column: col, value: v.text === 'true' }
    if (v?.type === 'word' && v.text === 'null') return { kind: 'compare', operator: op.text, column: col, value: null }
    p--
    return fail('expected a literal')
  }
  const and = (): FilterNode => {
    let left = primary()
    while (peekWord('and')) {
      p++
      left = { kind: 'and', left, right: primary() }
    }
    return left
  }
  const expr = (): FilterNode => {
    let left = and()
    while (peekWord('or')) {
      p++
      left = { kind: 'or', left, right: and() }
    }
    return left
  }
  const tree = expr()
  if (p !== tokens.length) fail('unexpected text after the expression')
  return tree
}

/** The columns a filter names (to refuse unknown ones as the service does). */
export function filterColumns(node: FilterNode): string[] {
  switch (node.kind) {
    case 'and':
    case 'or':
      return [...filterColumns(node.left), ...filterColumns(node.right)]
    case 'not':
      return filterColumns(node.operand)
    default:
      return [node.column]
  }
}

/**
 * [wildcards] a T-SQL LIKE pattern as a case-insensitive regular expression: `%` any text, `_`
 * one character, `[abc]`/`[^abc]` one of (not of) a set; anything else literally.
 */
export function likeToRegExp(pattern: string, anchor: 'start' | 'end' | 'none'): RegExp {
  let out = ''
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charAt(i)
    if (c === '%') out += '.*'
    else if (c === '_') out += '.'
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 2)
      if (close === -1) {
        out += '\\['
        continue
      }
      const body = pattern.slice(i + 1, close)
      const negated = body.startsWith('^') && body.length > 1
      const set = (negated ? body.slice(1) : body).replace(/[\\\]^]/g, '\\$&')
      out += negated ? `[^${set}]` : `[${set}]`
      i = close
    } else out += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
  }
  const start = anchor === 'start' ? '^' : ''
  const end = anchor === 'end' ? '$' : ''
  return new RegExp(`${start}${out}${end}`, 'is')
}

/** Whether a row matches. `guidColumns`: columns compared as GUIDs (a quoted value there is a type error). */
export function matches(node: FilterNode, row: ReadonlyMap<string, unknown>, guidColumns: ReadonlySet<string>): boolean {
  switch (node.kind) {
    case 'and':
      return matches(node.left, row, guidColumns) && matches(node.right, row, guidColumns)
    case 'or':
      return matches(node.left, row, guidColumns) || matches(node.right, row, guidColumns)
    case 'not':
      return !matches(node.operand, row, guidColumns)
    case 'function': {
      const value = row.get(node.column)
      if (typeof value !== 'string') return false
      const anchor = node.name === 'startswith' ? 'start' : node.name === 'endswith' ? 'end' : 'none'
      return likeToRegExp(node.value, anchor).test(value)
    }
    case 'compare': {
      const value = row.get(node.column) ?? null
      let equal: boolean
      if (node.value === null) equal = value === null
      else if (typeof node.value === 'object') equal = typeof value === 'string' && value.toLowerCase() === node.value.guid
      else if (typeof node.value === 'string') equal = typeof value === 'string' && value.toLowerCase() === node.value.toLowerCase()
      else equal = value === node.value
      return node.operator === 'eq' ? equal : !equal
    }
  }
}

/**
 * [odata] type checks the service makes before evaluating: a GUID column compared with a
 * quoted string, or a text column with a GUID, is "A binary operator with incompatible types".
 */
export function typeProblem(node: FilterNode, guidColumns: ReadonlySet<string>): string | undefined {
  switch (node.kind) {
    case 'and':
    case 'or':
      return typeProblem(node.left, guidColumns) ?? typeProblem(node.right, guidColumns)
    case 'not':
      return typeProblem(node.operand, guidColumns)
    case 'function':
      return guidColumns.has(node.column) ? `The '${node.name}' function is not valid for the Edm.Guid column '${node.column}'.` : undefined
    case 'compare': {
      const isGuid = guidColumns.has(node.column)
      if (isGuid && typeof node.value === 'string') return `A binary operator with incompatible types was detected. Found operand types 'Edm.Guid' and 'Edm.String' for operator kind 'Equal'.`
      if (!isGuid && node.value !== null && typeof node.value === 'object') return `A binary operator with incompatible types was detected. Found operand types 'Edm.String' and 'Edm.Guid' for operator kind 'Equal'.`
      return undefined
    }
  }
}
