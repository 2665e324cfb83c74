// Publish shape of every @rsky/* package. Inside the workspace each `exports`/`imports` entry has a
// `source` condition pointing at src/*.ts so tests and tsc never read a stale build; src/ is not
// shipped, so a consumer resolving with that condition (esbuild `conditions`, Node `--conditions=source`)
// would load nothing. pnpm calls beforePacking for `pnpm pack` and `pnpm publish` (so also for
// `changeset publish`), and the published package.json is the one returned here; the file on disk is
// untouched. scripts/release-check verifies the packed manifests.

/** Removes every `source` condition from a conditional exports/imports value, recursively. */
function withoutSource(value) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value
  const out = {}
  for (const [key, inner] of Object.entries(value)) {
    if (key === 'source') continue
    out[key] = withoutSource(inner)
  }
  return out
}

module.exports = {
  hooks: {
    beforePacking(pkg) {
      if (pkg.exports) pkg.exports = withoutSource(pkg.exports)
      if (pkg.imports) pkg.imports = withoutSource(pkg.imports)
      return pkg
    },
  },
}
