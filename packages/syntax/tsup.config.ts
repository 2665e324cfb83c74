import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base.ts'

// isValidTid is chosen at run time through the package's "imports" map (#tid-check): browsers get
// tid-check.browser.js (one pattern), everything else tid-check.js (a table, faster); both are
// entries and #tid-check stays an import in index.js.
export default defineConfig({
  ...packageBuild({
    index: 'src/index.ts',
    'tid-check': 'src/tid-check.ts',
    'tid-check.browser': 'src/tid-check.browser.ts',
  }),
  external: ['#tid-check'],
})
