#!/bin/sh
# Starts mitmdump as the sandbox's forward proxy. The CA lives in a volume (made once, on first
# start); the addon publishes its public certificate for the sandbox to trust. Upstream TLS is
# verified against the system CAs plus an optional extra CA (a TLS-intercepting corporate proxy,
# or the test suite's fake upstream).
set -eu
upstream_ca=/etc/ssl/certs/ca-certificates.crt
extra=/etc/airlock/upstream-extra-ca.pem
if [ -s "$extra" ]; then
  cat "$upstream_ca" "$extra" >/tmp/upstream-ca.pem
  upstream_ca=/tmp/upstream-ca.pem
fi
case "${AIRLOCK_OPEN_EGRESS:-false}" in
  true|false) ;;
  *) echo "AIRLOCK_OPEN_EGRESS must be true or false, not '${AIRLOCK_OPEN_EGRESS}'" >&2; exit 2 ;;
esac
exec mitmdump \
  --listen-host 0.0.0.0 --listen-port 8080 \
  --set confdir=/var/lib/airlock-proxy/ca \
  --set block_global=false \
  --set connection_strategy=lazy \
  --set ssl_verify_upstream_trusted_ca="$upstream_ca" \
  --set termlog_verbosity=warn \
  --set flow_detail=0 \
  --set airlock_apis_dir=/apis \
  --set airlock_events_dir=/var/lib/airlock-proxy/events \
  --set airlock_ca_public=/var/lib/airlock-proxy/public/airlock-proxy-ca.pem \
  --set airlock_open_egress="${AIRLOCK_OPEN_EGRESS:-false}" \
  -s /opt/airlock/addons/airlock_egress.py
