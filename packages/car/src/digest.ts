// Block hash check, browser and reference path: @rsky/crypto's JavaScript sha256, compared with the
// CID's digest word by word. Node resolves `#digest` to digest.node.ts instead (see package.json
// "imports").
export { sha256Matches } from '@rsky/crypto/sha256-js'
