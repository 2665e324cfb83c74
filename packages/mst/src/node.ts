import type { Cid } from '@rsky/dag-cbor'

/** A subtree link: a node in memory, a lazily loaded reference, or nothing. */
export type Child = MstNode | NodeRef | null

/** Caps applied when decoding nodes from a block source. */
export interface NodeLimits {
  /**
   * Most entries one node may hold. Honest trees essentially never exceed a few dozen (a run of
   * k same-layer keys has probability (3/4)^k), so a huge node means mined keys.
   */
  readonly maxNodeEntries: number
}

/** Default decode caps: 8,192 entries per node. */
export const DEFAULT_NODE_LIMITS: NodeLimits = Object.freeze({ maxNodeEntries: 8192 })

/**
 * A link to a subtree that has not been decoded yet. Decoding fills `node` once (a memo; the
 * value it stands for never changes). `lo`/`hi` are the exclusive key bounds the parent implies,
 * checked when the node is decoded.
 */
export class NodeRef {
  readonly cid: Cid
  readonly layer: number
  readonly lo: string | null
  readonly hi: string | null
  /** Caps to apply when this node is decoded (shared by every ref of one tree). */
  readonly limits: NodeLimits
  node: MstNode | undefined
  constructor(
    cid: Cid,
    layer: number,
    lo: string | null,
    hi: string | null,
    limits: NodeLimits = DEFAULT_NODE_LIMITS,
  ) {
    this.cid = cid
    this.layer = layer
    this.lo = lo
    this.hi = hi
    this.limits = limits
    this.node = undefined
  }
}

/**
 * One immutable MST node: `left` subtree, then `keys[i] -> values[i]` each followed by the
 * subtree `rights[i]`. Its encoding and CID are computed once, on demand.
 */
export class MstNode {
  readonly layer: number
  readonly left: Child
  readonly keys: readonly string[]
  readonly values: readonly Cid[]
  readonly rights: readonly Child[]
  /** True when the node was decoded from a block source (its block is stored already). */
  readonly stored: boolean
  /** @internal memo of the encoding */
  bytes: Uint8Array | undefined
  /** @internal memo of the CID */
  cid: Cid | undefined
  constructor(
    layer: number,
    left: Child,
    keys: readonly string[],
    values: readonly Cid[],
    rights: readonly Child[],
    stored = false,
  ) {
    this.layer = layer
    this.left = left
    this.keys = keys
    this.values = values
    this.rights = rights
    this.stored = stored
    this.bytes = undefined
    this.cid = undefined
  }

  get size(): number {
    return this.keys.length
  }

  /** Subtree at slot `i`: 0 is `left`, `i > 0` is `rights[i - 1]`. */
  child(i: number): Child {
    return i === 0 ? this.left : (this.rights[i - 1] ?? null)
  }

  /** Whether the node holds nothing at all (only valid as the root of an empty tree). */
  isEmpty(): boolean {
    return this.keys.length === 0 && this.left === null
  }
}

/** An empty node at `layer` (the whole empty tree is one at layer 0). */
export function emptyNode(layer = 0): MstNode {
  return new MstNode(layer, null, [], [], [])
}

/** Internal signal: a sync algorithm reached a subtree that is not decoded yet. */
export class NeedNode {
  readonly ref: NodeRef
  constructor(ref: NodeRef) {
    this.ref = ref
  }
}

/** The decoded node behind a child link, or a thrown `NeedNode` for the async driver to load. */
export function resolve(child: MstNode | NodeRef): MstNode {
  if (child instanceof MstNode) return child
  const node = child.node
  if (node === undefined) throw new NeedNode(child)
  return node
}

/** Index of the first key >= `key` in a sorted key list (binary search). */
export function lowerBound(keys: readonly string[], key: string): number {
  let lo = 0
  let hi = keys.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if ((keys[mid] as string) < key) lo = mid + 1
    else hi = mid
  }
  return lo
}
