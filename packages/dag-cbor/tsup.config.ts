import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base.ts'

// The multiformats adapter is its own entry so the main one never bundles multiformats.
export default defineConfig(packageBuild({ index: 'src/index.ts', multiformats: 'src/multiformats.ts' }))
