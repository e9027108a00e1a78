#!/bin/sh
# Starts mitmdump as a forward proxy for the sandbox. The CA lives in a volume (made once, on
# first start); the egress addon publishes its public certificate for the sandbox to trust.
set -eu
exec mitmdump \
  --listen-host 0.0.0.0 --listen-port 8080 \
  --set confdir=/var/lib/airlock-proxy/ca \
  --set block_global=false \
  --set connection_strategy=lazy \
  --set termlog_verbosity=warn \
  --set flow_detail=0 \
  -s /opt/airlock/addons/egress_allowlist.py
