// @rsky/crypto, Node entry: the same API as index.ts with native OpenSSL on the hot paths.
export { sha256 } from './sha256.node.ts'
