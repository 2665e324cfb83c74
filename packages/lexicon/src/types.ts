// The lexicon language as TypeScript types: what `parseLexiconDoc` returns once a document is valid.

/** String formats a lexicon `string` may name. */
export type LexStringFormat =
  | 'datetime'
  | 'uri'
  | 'at-uri'
  | 'did'
  | 'handle'
  | 'at-identifier'
  | 'nsid'
  | 'cid'
  | 'language'
  | 'tid'
  | 'record-key'

/** Every string format, in spec order. */
export const LEX_STRING_FORMATS: readonly LexStringFormat[] = [
  'datetime',
  'uri',
  'at-uri',
  'did',
  'handle',
  'at-identifier',
  'nsid',
  'cid',
  'language',
  'tid',
  'record-key',
]

interface Described {
  description?: string
}

export interface LexBoolean extends Described {
  type: 'boolean'
  default?: boolean
  const?: boolean
}

export interface LexInteger extends Described {
  type: 'integer'
  default?: number
  const?: number
  minimum?: number
  maximum?: number
  enum?: number[]
}

export interface LexString extends Described {
  type: 'string'
  format?: LexStringFormat
  default?: string
  const?: string
  minLength?: number
  maxLength?: number
  minGraphemes?: number
  maxGraphemes?: number
  enum?: string[]
  knownValues?: string[]
}

export interface LexUnknown extends Described {
  type: 'unknown'
}

export interface LexBytes extends Described {
  type: 'bytes'
  minLength?: number
  maxLength?: number
}

export interface LexCidLink extends Described {
  type: 'cid-link'
}

export interface LexBlob extends Described {
  type: 'blob'
  accept?: string[]
  maxSize?: number
}

export interface LexRef extends Described {
  type: 'ref'
  ref: string
}

export interface LexUnion extends Described {
  type: 'union'
  refs: string[]
  closed?: boolean
}

/** A schema that may sit in an object property or array item. */
export type LexFieldSchema =
  | LexBoolean
  | LexInteger
  | LexString
  | LexUnknown
  | LexBytes
  | LexCidLink
  | LexBlob
  | LexRef
  | LexUnion
  | LexArray
  | LexObject

export interface LexArray extends Described {
  type: 'array'
  items: LexFieldSchema
  minLength?: number
  maxLength?: number
}

export interface LexObject extends Described {
  type: 'object'
  properties: Record<string, LexFieldSchema>
  required?: string[]
  nullable?: string[]
}

/** Primitive schemas (and arrays of them) allowed in XRPC `params`. */
export type LexParamSchema = LexBoolean | LexInteger | LexString | LexUnknown | LexArray

export interface LexParams extends Described {
  type: 'params'
  properties: Record<string, LexParamSchema>
  required?: string[]
}

export interface LexToken extends Described {
  type: 'token'
}

/** Body of an XRPC input or output. */
export interface LexXrpcBody extends Described {
  encoding: string
  schema?: LexObject | LexRef | LexUnion
}

export interface LexXrpcError extends Described {
  name: string
}

export interface LexQuery extends Described {
  type: 'query'
  parameters?: LexParams
  output?: LexXrpcBody
  errors?: LexXrpcError[]
}

export interface LexProcedure extends Described {
  type: 'procedure'
  parameters?: LexParams
  input?: LexXrpcBody
  output?: LexXrpcBody
  errors?: LexXrpcError[]
}

export interface LexSubscription extends Described {
  type: 'subscription'
  parameters?: LexParams
  message: Described & { schema: LexUnion }
  errors?: LexXrpcError[]
}

export interface LexRecord extends Described {
  type: 'record'
  key: string
  record: LexObject
}

/** One permission of a permission set; fields beyond `resource` depend on the resource. */
export interface LexPermission {
  type: 'permission'
  resource: string
  [field: string]: unknown
}

export interface LexPermissionSet extends Described {
  type: 'permission-set'
  title?: string
  'title:lang'?: Record<string, string>
  detail?: string
  'detail:lang'?: Record<string, string>
  permissions: LexPermission[]
}

/** Types allowed as a named definition (ref, union, unknown and params are not). */
export type LexUserType =
  | LexRecord
  | LexQuery
  | LexProcedure
  | LexSubscription
  | LexPermissionSet
  | LexObject
  | LexArray
  | LexToken
  | LexBoolean
  | LexInteger
  | LexString
  | LexBytes
  | LexCidLink
  | LexBlob

/** A whole lexicon document (one NSID). */
export interface LexiconDoc {
  lexicon: 1
  id: string
  revision?: number
  description?: string
  defs: Record<string, LexUserType>
}

/** The five primary definition types; a document holds at most one, named `main`. */
export const PRIMARY_TYPES: ReadonlySet<string> = new Set([
  'record',
  'query',
  'procedure',
  'subscription',
  'permission-set',
])
