import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base.ts'

// Hashing is chosen at run time through the package's "imports" map (#digest): Node gets
// digest.node.js (node:crypto), everything else digest.js (the JavaScript sha256). Both are built
// as their own entries and #digest stays an import in index.js.
export default defineConfig({
  ...packageBuild({ index: 'src/index.ts', digest: 'src/digest.ts', 'digest.node': 'src/digest.node.ts' }),
  external: ['#digest'],
})
