// @rsky/mst: AT Protocol Merkle Search Tree: edit, walk, list, diff, covering proofs and operation inversion

export { decodeNodeEntries } from '#node-entries'
export { applyOps } from './apply.ts'
export { MemoryBlockstore, type MemoryBlockstoreOptions, type ReadableBlockstore } from './blockstore.ts'
export {
  decodeNode,
  type NodeEntries,
  type NodePlace,
  nodeBytes,
  nodeCid,
} from './codec.ts'
export { type MstDiff, mstDiff, type RecordOp } from './diff.ts'
export { InvalidMstKeyError, InvalidMstNodeError, MissingBlocksError, MstKeyConflictError } from './errors.ts'
export {
  ensureOpsByInversion,
  type InversionInput,
  type InversionIssueCode,
  type InversionResult,
  invertOps,
  MstInversionError,
  verifyOpsByInversion,
} from './invert.ts'
export {
  countPrefixLen,
  ensureValidMstKey,
  heightForKey,
  isValidMstKey,
  leadingZerosOnHash,
  MAX_MST_KEY_LENGTH,
} from './key.ts'
export { MST } from './mst.ts'
export { type Child, DEFAULT_NODE_LIMITS, MstNode, type NodeLimits, NodeRef } from './node.ts'
export { getCoveringProof, getInversionProof, getKeyProofs } from './proof.ts'
export type { Leaf, ListOptions } from './walk.ts'
