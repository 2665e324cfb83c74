import type { Cid } from '@rsky/dag-cbor'
import { MstKeyConflictError } from './errors.ts'
import { type Child, emptyNode, lowerBound, MstNode, resolve } from './node.ts'

// Synchronous, persistent edits over decoded nodes. Reaching an undecoded subtree throws
// `NeedNode`; the async driver in mst.ts loads it and runs the edit again. Every function
// returns new nodes and never changes the ones it was given.

/** Copy of `node` with child slot `i` replaced. */
function withChild(node: MstNode, i: number, child: Child): MstNode {
  if (i === 0) return new MstNode(node.layer, child, node.keys, node.values, node.rights)
  const rights = node.rights.slice()
  rights[i - 1] = child
  return new MstNode(node.layer, node.left, node.keys, node.values, rights)
}

/** A node at `layer` holding nothing but `child` (or `child` itself when layers already match). */
function raise(child: Child, from: number, to: number): Child {
  let c = child
  if (c === null) return null
  for (let l = from + 1; l <= to; l++) c = new MstNode(l, c, [], [], [])
  return c
}

/** Value stored under `key`, or null. */
export function getValue(root: MstNode, key: string): Cid | null {
  let node = root
  for (;;) {
    const i = lowerBound(node.keys, key)
    if (node.keys[i] === key) return node.values[i] as Cid
    const c = node.child(i)
    if (c === null) return null
    node = resolve(c)
  }
}

/** Splits a subtree around `key` (absent from it) into the parts below and above, same layer. */
export function splitAround(child: Child, key: string): [Child, Child] {
  if (child === null) return [null, null]
  const node = resolve(child)
  const { keys, values, rights } = node
  const i = lowerBound(keys, key)
  const [cl, cr] = splitAround(node.child(i), key)
  let left: Child
  let right: Child
  if (i === 0) {
    left = cl === null ? null : new MstNode(node.layer, cl, [], [], [])
  } else {
    const lr = rights.slice(0, i)
    lr[i - 1] = cl
    left = new MstNode(node.layer, node.left, keys.slice(0, i), values.slice(0, i), lr)
  }
  if (i === keys.length) {
    right = cr === null ? null : new MstNode(node.layer, cr, [], [], [])
  } else {
    right = new MstNode(node.layer, cr, keys.slice(i), values.slice(i), rights.slice(i))
  }
  return [left, right]
}

/** A new subtree at `layer` holding only `key` (at `height <= layer`). */
function chain(key: string, value: Cid, height: number, layer: number): MstNode {
  let node = new MstNode(height, null, [key], [value], [null])
  for (let l = height + 1; l <= layer; l++) node = new MstNode(l, node, [], [], [])
  return node
}

function insertAt(node: MstNode, key: string, value: Cid, height: number): MstNode {
  const { keys, values, rights } = node
  const i = lowerBound(keys, key)
  if (keys[i] === key) throw new MstKeyConflictError('MST_KEY_EXISTS', key)
  if (node.layer === height) {
    const [l, r] = splitAround(node.child(i), key)
    const nk = keys.slice()
    nk.splice(i, 0, key)
    const nv = values.slice()
    nv.splice(i, 0, value)
    const nr = rights.slice()
    nr.splice(i, 0, r)
    if (i === 0) return new MstNode(node.layer, l, nk, nv, nr)
    nr[i - 1] = l
    return new MstNode(node.layer, node.left, nk, nv, nr)
  }
  const c = node.child(i)
  const sub =
    c === null ? chain(key, value, height, node.layer - 1) : insertAt(resolve(c), key, value, height)
  return withChild(node, i, sub)
}

/**
 * Root after adding `key -> value` (`height` is the key's layer).
 * @throws MstKeyConflictError when the key is present
 */
export function addKey(root: MstNode, key: string, value: Cid, height: number): MstNode {
  if (root.isEmpty()) return chain(key, value, height, height)
  if (height <= root.layer) return insertAt(root, key, value, height)
  if (getValue(root, key) !== null) throw new MstKeyConflictError('MST_KEY_EXISTS', key)
  const [l, r] = splitAround(root, key)
  return new MstNode(
    height,
    raise(l, root.layer, height - 1),
    [key],
    [value],
    [raise(r, root.layer, height - 1)],
  )
}

/**
 * Root after replacing the value of `key`.
 * @throws MstKeyConflictError when the key is absent
 */
export function updateKey(root: MstNode, key: string, value: Cid): MstNode {
  const i = lowerBound(root.keys, key)
  if (root.keys[i] === key) {
    const nv = root.values.slice()
    nv[i] = value
    return new MstNode(root.layer, root.left, root.keys, nv, root.rights)
  }
  const c = root.child(i)
  if (c === null) throw new MstKeyConflictError('MST_KEY_NOT_FOUND', key)
  return withChild(root, i, updateKey(resolve(c), key, value))
}

/** Joins two adjacent subtrees of the same layer (all keys of `a` below all keys of `b`). */
export function mergeSubtrees(a: Child, b: Child): Child {
  if (a === null) return b
  if (b === null) return a
  const na = resolve(a)
  const nb = resolve(b)
  const n = na.keys.length
  const mid = mergeSubtrees(n === 0 ? na.left : (na.rights[n - 1] ?? null), nb.left)
  if (n === 0) return new MstNode(na.layer, mid, nb.keys, nb.values, nb.rights)
  const rights = na.rights.slice(0, n - 1)
  rights.push(mid)
  for (const r of nb.rights) rights.push(r)
  return new MstNode(na.layer, na.left, na.keys.concat(nb.keys), na.values.concat(nb.values), rights)
}

function removeAt(node: MstNode, key: string): MstNode | null {
  const { keys, values, rights } = node
  const i = lowerBound(keys, key)
  let out: MstNode
  if (keys[i] === key) {
    const merged = mergeSubtrees(node.child(i), rights[i] ?? null)
    const nk = keys.slice()
    nk.splice(i, 1)
    const nv = values.slice()
    nv.splice(i, 1)
    const nr = rights.slice()
    nr.splice(i, 1)
    if (i === 0) out = new MstNode(node.layer, merged, nk, nv, nr)
    else {
      nr[i - 1] = merged
      out = new MstNode(node.layer, node.left, nk, nv, nr)
    }
  } else {
    const c = node.child(i)
    if (c === null) throw new MstKeyConflictError('MST_KEY_NOT_FOUND', key)
    out = withChild(node, i, removeAt(resolve(c), key))
  }
  return out.keys.length === 0 && out.left === null ? null : out
}

/**
 * Root after removing `key`, with keyless top nodes trimmed.
 * @throws MstKeyConflictError when the key is absent
 */
export function deleteKey(root: MstNode, key: string): MstNode {
  let node = removeAt(root, key)
  if (node === null) return emptyNode(0)
  while (node.keys.length === 0 && node.left !== null) node = resolve(node.left)
  return node
}

/**
 * Builds the tree of `keys` (strictly ascending, valid) with their `values` and `heights` in one
 * pass per layer, without intermediate trees.
 */
export function buildSorted(keys: readonly string[], values: readonly Cid[], heights: Uint8Array): MstNode {
  const n = keys.length
  if (n === 0) return emptyNode(0)
  let top = 0
  for (let i = 0; i < n; i++) if ((heights[i] as number) > top) top = heights[i] as number
  const build = (lo: number, hi: number, layer: number): Child => {
    if (lo >= hi) return null
    if (layer === 0)
      return new MstNode(0, null, keys.slice(lo, hi), values.slice(lo, hi), new Array(hi - lo).fill(null))
    const nk: string[] = []
    const nv: Cid[] = []
    const nr: Child[] = []
    let left: Child = null
    let start = lo
    for (let i = lo; i < hi; i++) {
      if (heights[i] === layer) {
        const sub = build(start, i, layer - 1)
        if (nk.length === 0) left = sub
        else nr[nr.length - 1] = sub
        nk.push(keys[i] as string)
        nv.push(values[i] as Cid)
        nr.push(null)
        start = i + 1
      }
    }
    const sub = build(start, hi, layer - 1)
    if (nk.length === 0) left = sub
    else nr[nr.length - 1] = sub
    return new MstNode(layer, left, nk, nv, nr)
  }
  return build(0, n, top) as MstNode
}
