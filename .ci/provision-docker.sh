#!/usr/bin/env bash
# Installs and starts a Docker engine with Compose v2 and BuildKit on a Debian bookworm host.
# Idempotent: a machine that already answers `docker info` with Compose v2 is left as it is.
# Why trixie, per package: bookworm's docker.io (20.10) and docker-compose (1.29, Python) are too old,
# and `-t trixie` would drag libc6 along; naming trixie per package keeps bookworm's libc.
set -euo pipefail

log() { printf '[provision-docker] %s\n' "$*"; }

engine_up() { docker info >/dev/null 2>&1; }
compose_v2() { docker compose version 2>/dev/null | grep -q 'v2\.'; }

start_engine() {
  if engine_up; then return 0; fi
  log "starting dockerd"
  (dockerd >/var/log/dockerd.log 2>&1 &)
  for _ in $(seq 1 60); do
    engine_up && { log "engine is up"; return 0; }
    sleep 1
  done
  log "dockerd did not come up; last log lines:"; tail -n 30 /var/log/dockerd.log >&2
  return 1
}

install_packages() {
  local src=/etc/apt/sources.list.d/debian.sources
  local trixie=/etc/apt/sources.list.d/airlock-trixie.sources
  if [ ! -f "$trixie" ]; then
    log "adding the trixie suite with a low pin"
    # The first stanza of the machine's own source entry, with the suite changed: same mirror, same key.
    awk 'BEGIN{RS="";ORS="\n\n"} NR==1' "$src" | sed -E 's/^Suites:.*/Suites: trixie/' >"$trixie"
    printf 'Package: *\nPin: release n=trixie\nPin-Priority: 100\n' >/etc/apt/preferences.d/airlock-trixie
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    docker.io/trixie docker-cli/trixie docker-buildx/trixie docker-compose/trixie >/dev/null
}

if ! command -v dockerd >/dev/null 2>&1 || ! compose_v2 || ! docker buildx version >/dev/null 2>&1; then
  install_packages
fi
start_engine
docker compose version
