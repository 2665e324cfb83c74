import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base.ts'

// The block hash check is chosen at run time through the package's "imports" map (#digest):
// Node gets digest.node.js (node:crypto), everything else digest.js (@rsky/crypto, pure JS).
// Both are built as their own entries and #digest stays an import in index.js. scanCar likewise
// (#scan-car): scan.js everywhere, scan-car.browser.js (smaller) in browsers.
export default defineConfig({
  ...packageBuild({
    index: 'src/index.ts',
    digest: 'src/digest.ts',
    'digest.node': 'src/digest.node.ts',
    scan: 'src/scan.ts',
    'scan-car.browser': 'src/scan-car.browser.ts',
  }),
  external: ['#digest', '#scan-car'],
})
