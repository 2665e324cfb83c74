import type { Options } from 'tsup'

/** Shared build settings: ESM + .d.ts, runnable on Node 20.19+ and browsers. */
export function packageBuild(entry: Record<string, string> = { index: 'src/index.ts' }): Options {
  return {
    entry,
    format: ['esm'],
    dts: true,
    target: 'es2022',
    platform: 'neutral',
    sourcemap: true,
    clean: true,
    splitting: true,
    treeshake: true,
    // Keep `node:` on built-in imports: `node:sqlite` (mirror, labeler) has no unprefixed name, and
    // the prefix tells bundlers the import is Node's own. The plugin leaves every `node:*` import
    // external whatever a package's own `external` list says.
    removeNodeProtocol: false,
    esbuildPlugins: [
      {
        name: 'node-builtins-external',
        setup(build) {
          build.onResolve({ filter: /^node:/ }, (args) => ({ path: args.path, external: true }))
        },
      },
    ],
  }
}
