#!/usr/bin/env bash
# Installs gVisor's runsc (Debian trixie's package, with the low-pinned trixie source that
# provision-docker.sh adds) and registers it with the running Docker engine as the runtime
# `runsc`, with the network mode that works here (README: gVisor). Idempotent.
set -euo pipefail

log() { printf '[provision-runsc] %s\n' "$*"; }
registered() { docker info --format '{{range $name, $_ := .Runtimes}}{{$name}} {{end}}' 2>/dev/null | grep -qw runsc; }

if registered; then log "runsc is registered"; exit 0; fi
if ! command -v runsc >/dev/null 2>&1; then
  log "installing runsc"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq runsc/trixie >/dev/null
fi
config=/etc/docker/daemon.json
mkdir -p /etc/docker
if [ -s "$config" ] && ! grep -q '"runsc"' "$config"; then
  # Keep the operator's other settings: add ours beside them.
  node -e '
    const fs = require("fs");
    const c = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
    c.runtimes = { ...(c.runtimes ?? {}), runsc: { path: "/usr/bin/runsc", runtimeArgs: ["--network=host"] } };
    fs.writeFileSync(process.argv[1], JSON.stringify(c, null, 2) + "\n");' "$config"
elif [ ! -s "$config" ]; then
  printf '{\n  "runtimes": {\n    "runsc": { "path": "/usr/bin/runsc", "runtimeArgs": ["--network=host"] }\n  }\n}\n' >"$config"
fi
# dockerd re-reads its runtimes on SIGHUP, leaving running containers alone.
kill -HUP "$(pidof dockerd)"
for _ in $(seq 1 20); do
  registered && { log "runsc registered"; exit 0; }
  sleep 0.5
done
log "dockerd did not pick up the runsc runtime"; exit 1
