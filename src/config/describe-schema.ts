/**
 * Turns a schema validation error into "what is allowed" for a person editing config:
 * "must be an integer from 0 to 65535", "must be one of: wrapped, bare".
 */
import type { TSchema } from 'typebox'

type Node = TSchema & {
  type?: string
  properties?: Record<string, Node>
  additionalProperties?: boolean | Node
  anyOf?: Node[]
  const?: unknown
  minimum?: number
  maximum?: number
  pattern?: string
  minLength?: number
  items?: Node
}

export function describeAllowed(root: TSchema, instancePath: string, keyword: string, params: unknown): string {
  if (keyword === 'additionalProperties') {
    const extra = (params as { additionalProperties?: string[] } | undefined)?.additionalProperties
    const node = schemaAt(root, instancePath)
    const known = node?.properties ? Object.keys(node.properties).join(', ') : ''
    return `unknown key${extra ? ` "${extra.join('", "')}"` : ''} (known: ${known})`
  }
  const node = schemaAt(root, instancePath)
  if (!node) return 'is not allowed here'
  return describeNode(node)
}

function describeNode(node: Node): string {
  if (node.anyOf) {
    const consts = node.anyOf.filter((n) => n.const !== undefined).map((n) => String(n.const))
    if (consts.length === node.anyOf.length) return `must be one of: ${consts.join(', ')}`
    return `must be ${node.anyOf.map(describeNode).map((s) => s.replace(/^must be /, '')).join(', or ')}`
  }
  switch (node.type) {
    case 'integer':
    case 'number': {
      const kind = node.type === 'integer' ? 'an integer' : 'a number'
      if (node.minimum !== undefined && node.maximum !== undefined) return `must be ${kind} from ${node.minimum} to ${node.maximum}`
      return `must be ${kind}`
    }
    case 'string':
      if (node.pattern) return `must be a string matching ${node.pattern}`
      return node.minLength ? 'must be a non-empty string' : 'must be a string'
    case 'boolean':
      return 'must be true or false'
    case 'object':
      return node.properties ? `must be an object with keys: ${Object.keys(node.properties).join(', ')}` : 'must be an object'
    default:
      return 'has an invalid value'
  }
}

function schemaAt(root: TSchema, instancePath: string): Node | undefined {
  let node: Node | undefined = root
  for (const part of instancePath.split('/').slice(1)) {
    if (!node) return undefined
    const props: Record<string, Node> | undefined = node.properties
    if (props && Object.hasOwn(props, part)) node = props[part]
    else if (node.items && /^\d+$/.test(part)) node = node.items // a list's entry (auth.clients.0)
    else if (typeof node.additionalProperties === 'object') node = node.additionalProperties
    else return undefined
  }
  return node
}
