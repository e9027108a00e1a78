#!/bin/sh
# Starts the launcher (launcher.ts) in a clean environment with only what it needs: it may run
# choom (which starts each execution's Deno through setpriv and prlimit), reap (which kills
# what a dead launcher left running) and clean (which removes a scratch folder whatever was done
# to it), read and write /tmp where the
# executions' scratch folders live, and read the key that signs the executions' proxy tokens.
# The gateway starts it through the docker-socket filter.
exec env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/tmp DENO_DIR=/tmp/.launcher NO_COLOR=1 DENO_NO_UPDATE_CHECK=1 \
  AIRLOCK_PROXY_URL="${AIRLOCK_PROXY_URL:-}" AIRLOCK_PROXY_CA="${AIRLOCK_PROXY_CA:-}" \
  AIRLOCK_PROXY_AUTH_KEY="${AIRLOCK_PROXY_AUTH_KEY:-}" \
  AIRLOCK_HEAP_MB="${AIRLOCK_HEAP_MB:-256}" AIRLOCK_MAX_FILE_MB="${AIRLOCK_MAX_FILE_MB:-128}" \
  AIRLOCK_WARM_EXECUTIONS="${AIRLOCK_WARM_EXECUTIONS:-2}" AIRLOCK_MAX_TIMEOUT_SECONDS="${AIRLOCK_MAX_TIMEOUT_SECONDS:-300}" \
  AIRLOCK_SCRATCH_QUOTA_MB="${AIRLOCK_SCRATCH_QUOTA_MB:-128}" \
  deno run --quiet --no-prompt --no-config --no-lock --no-remote --no-npm \
    --allow-env=AIRLOCK_PROXY_URL,AIRLOCK_PROXY_CA,AIRLOCK_PROXY_AUTH_KEY,AIRLOCK_HEAP_MB,AIRLOCK_MAX_FILE_MB,AIRLOCK_WARM_EXECUTIONS,AIRLOCK_MAX_TIMEOUT_SECONDS,AIRLOCK_SCRATCH_QUOTA_MB \
    --allow-run=/usr/bin/choom,/opt/airlock/reap,/opt/airlock/clean \
    --allow-read=/tmp,/etc/airlock/proxy-auth --allow-write=/tmp \
    /opt/airlock/launcher.ts
