import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base.ts'

// SignatureThread starts dist/signature-worker.js on its worker thread
export default defineConfig({
  ...packageBuild({ index: 'src/index.ts', 'signature-worker': 'src/signature-worker.ts' }),
  external: [/^node:/],
})
