#!/bin/sh
# The sandbox container's main process: it only waits. Executions arrive as `docker exec`s of
# /opt/airlock/run. Exits at once on SIGTERM so `docker compose restart sandbox` is quick.
trap 'exit 0' TERM INT
while :; do sleep 3600 & wait $!; done
