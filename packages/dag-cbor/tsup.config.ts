import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base.ts'

// The multiformats adapter is its own entry so the main one never bundles multiformats. decode's
// item loop is chosen at run time through the package's "imports" map (#decode-item): browsers get
// decode-item.browser.js (smaller), everything else decode-item.js (faster); both are entries and
// #decode-item stays an import in index.js. #decode-problem likewise: a sentence per error code, or
// one phrase in browsers; #cid-inspect: Cid's util.inspect form, or nothing in browsers; and
// #to-base32: base32 formatting unrolled, or one loop in browsers.
export default defineConfig({
  ...packageBuild({
    index: 'src/index.ts',
    multiformats: 'src/multiformats.ts',
    'decode-item': 'src/decode-item.ts',
    'decode-item.browser': 'src/decode-item.browser.ts',
    'decode-problem': 'src/decode-problem.ts',
    'decode-problem.browser': 'src/decode-problem.browser.ts',
    'cid-inspect': 'src/cid-inspect.ts',
    'cid-inspect.browser': 'src/cid-inspect.browser.ts',
    'to-base32': 'src/to-base32.ts',
    'to-base32.browser': 'src/to-base32.browser.ts',
  }),
  external: ['#decode-item', '#decode-problem', '#cid-inspect', '#to-base32'],
})
