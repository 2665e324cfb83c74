import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base.ts'

// Two entries: index (pure JS, browsers) and index.node (native OpenSSL), chosen by export conditions.
export default defineConfig({
  ...packageBuild({ index: 'src/index.ts', 'index.node': 'src/index.node.ts' }),
  platform: 'node',
})
