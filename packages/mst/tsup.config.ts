import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base.ts'

// Hashing is chosen at run time through the package's "imports" map (#digest): Node gets
// digest.node.js (node:crypto), everything else digest.js (the JavaScript sha256). Both are built
// as their own entries and #digest stays an import in index.js. #node-entries likewise: Node reads
// nodes for a walk with the node's own reader, everything else through dag-cbor's decode.
export default defineConfig({
  ...packageBuild({
    index: 'src/index.ts',
    digest: 'src/digest.ts',
    'digest.node': 'src/digest.node.ts',
    'node-entries': 'src/node-entries.ts',
    'node-entries.node': 'src/node-entries.node.ts',
  }),
  external: ['#digest', '#node-entries'],
})
