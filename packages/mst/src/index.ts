// @rsky/mst: AT Protocol Merkle Search Tree: edit, walk, list, diff, covering proofs and operation inversion
export {}
