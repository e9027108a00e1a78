#!/usr/bin/env bash
# Installs Debian's Chromium for the console's browser tests (driven by playwright-core, which
# downloads no browser of its own). Idempotent.
set -euo pipefail

log() { printf '[provision-chromium] %s\n' "$*"; }
if command -v chromium >/dev/null 2>&1; then log "$(chromium --version 2>/dev/null || echo chromium) is installed"; exit 0; fi
log "installing chromium"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
log "$(chromium --version)"
