#!/bin/sh
# Starts mitmproxy (run_proxy.py: only the addons we need) as the sandbox's forward proxy. The CA lives in a volume (made once, on first
# start); the addon publishes its public certificate for the sandbox to trust. Upstream TLS is
# verified against the system CAs plus an optional extra CA (a TLS-intercepting corporate proxy,
# or the test suite's fake upstream).
#
# The key that signs execution tokens is made here once, in a volume shared read-only with the
# sandbox's launcher; the executed code cannot read it. The proxy listens only on its address in
# the sandbox network (the alias below is defined on that network alone): the egress bridge, which
# every host user can reach, has no listener at all.
set -eu
fail() { echo "proxy: $*" >&2; exit 2; }

upstream_ca=/etc/ssl/certs/ca-certificates.crt
extra=/etc/airlock/upstream-extra-ca.pem
if [ -s "$extra" ]; then
  cat "$upstream_ca" "$extra" >/tmp/upstream-ca.pem
  upstream_ca=/tmp/upstream-ca.pem
fi
case "${AIRLOCK_OPEN_EGRESS:-false}" in
  true|false) ;;
  *) fail "AIRLOCK_OPEN_EGRESS must be true or false, not '${AIRLOCK_OPEN_EGRESS}'" ;;
esac
body_limit_mb=${AIRLOCK_PROXY_BODY_LIMIT_MB:-64}
case "$body_limit_mb" in
  ''|*[!0-9]*) fail "AIRLOCK_PROXY_BODY_LIMIT_MB must be a whole number of MiB, not '${body_limit_mb}'" ;;
esac
[ "$body_limit_mb" -ge 1 ] && [ "$body_limit_mb" -le 1024 ] || fail "AIRLOCK_PROXY_BODY_LIMIT_MB must be 1-1024"

max_timeout=${AIRLOCK_MAX_TIMEOUT_SECONDS:-300}
case "$max_timeout" in
  ''|*[!0-9]*) fail "AIRLOCK_MAX_TIMEOUT_SECONDS must be a whole number of seconds, not '${max_timeout}'" ;;
esac

key=/var/lib/airlock-proxy/auth/key
if [ ! -s "$key" ]; then
  umask 022
  python3 -c 'import secrets,sys; open(sys.argv[1] + ".tmp", "w").write(secrets.token_hex(32) + "\n")' "$key"
  mv "$key.tmp" "$key"
fi

# The key the gateway's approval endpoint and this proxy prove themselves with (approvals.py):
# made here once, in a volume only the gateway also mounts (read-only).
approvals_key=/var/lib/airlock-proxy/approvals/key
if [ ! -s "$approvals_key" ]; then
  umask 022
  python3 -c 'import secrets,sys; open(sys.argv[1] + ".tmp", "w").write(secrets.token_hex(32) + "\n")' "$approvals_key"
  mv "$approvals_key.tmp" "$approvals_key"
fi
approval_timeout=${AIRLOCK_APPROVAL_TIMEOUT_SECONDS:-120}
case "$approval_timeout" in
  ''|*[!0-9]*) fail "AIRLOCK_APPROVAL_TIMEOUT_SECONDS must be a whole number of seconds, not '${approval_timeout}'" ;;
esac

listen_alias=${AIRLOCK_PROXY_LISTEN_ALIAS:-airlock-proxy-listen}
listen_host=$(python3 -c 'import socket,sys; print(socket.gethostbyname(sys.argv[1]))' "$listen_alias" 2>/dev/null) \
  || fail "cannot resolve $listen_alias: the proxy must be on the sandbox network with that alias"

# http2=true: fetch() in the sandbox sends parallel requests on one HTTP/2 connection once the
# first is answered (sandbox/bootstrap.js), so the proxy does one TLS handshake, not one per
# request; run_proxy.py widens HTTP/2 flow control so bulk bodies do not stall on it.
exec python3 /opt/airlock/addons/run_proxy.py \
  listen_host="$listen_host" listen_port=8080 \
  confdir=/var/lib/airlock-proxy/ca \
  connection_strategy=lazy \
  rawtcp=false \
  websocket=false \
  http2=true \
  body_size_limit="${body_limit_mb}m" \
  airlock_body_limit="$((body_limit_mb * 1048576))" \
  ssl_verify_upstream_trusted_ca="$upstream_ca" \
  termlog_verbosity=warn \
  airlock_apis_dir=/apis \
  airlock_events_dir=/var/lib/airlock-proxy/events \
  airlock_ca_public=/var/lib/airlock-proxy/public/airlock-proxy-ca.pem \
  airlock_auth_key="$key" \
  airlock_events_keep_seconds="$((max_timeout + 600))" \
  airlock_open_egress="${AIRLOCK_OPEN_EGRESS:-false}" \
  airlock_open_egress_networks="${AIRLOCK_OPEN_EGRESS_NETWORKS:-}" \
  airlock_approvals_url="${AIRLOCK_APPROVALS_URL:-http://server:8090/approvals}" \
  airlock_approvals_key="$approvals_key" \
  airlock_approval_timeout="$approval_timeout"
