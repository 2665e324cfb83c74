import { readFileSync } from 'node:fs'
import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base.ts'

// `rsky --version` prints the version of the package being built (set by `changeset version`).
const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as {
  version: string
}

export default defineConfig({
  ...packageBuild({ index: 'src/index.ts', bin: 'src/bin.ts' }),
  platform: 'node',
  define: { __RSKY_VERSION__: JSON.stringify(version) },
})
