// The quick start's main job (`npm start` → scripts/demo-mirror.ts) as a user runs it: the official
// PDS on loopback, the built `rsky sync run` mirroring it into SQLite, checked against getRepo.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

describe('npm start: the mirror demo', () => {
  it.skipIf(!existsSync(join(root, 'packages/cli/dist/bin.js')))(
    'mirrors the official PDS into SQLite and ends equal to getRepo',
    () => {
      const r = spawnSync(process.execPath, [join(root, 'scripts/demo-mirror.ts')], {
        cwd: root,
        encoding: 'utf8',
        timeout: 170_000,
      })
      expect(r.stderr).not.toMatch(/Error/)
      expect(r.status).toBe(0)
      expect(r.stdout).toMatch(/\$ rsky sync run --service http:\/\/localhost:\d+ /)
      expect(r.stdout).toMatch(
        /mirror == getRepo for all 4 accounts \(\d+ records\): nothing missing, nothing extra/,
      )
    },
    180_000,
  )
})
