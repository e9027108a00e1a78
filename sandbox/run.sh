#!/bin/bash
# airlock-run: runs ONE execution of untrusted TypeScript in a fresh Deno process.
#
# argv:  $1 timeout in seconds (backstop only; the server enforces the real one)
#        $2 comma-separated hostnames Deno may reach (through the proxy), "-" for none, "*" for any
#           (open egress)
#        $3 the execution's id (32 hex digits): the proxy files its egress events under it
# stdin: a first line holding the code's length in bytes, then the code itself (Deno is already
#        started and waiting: the server may pre-start executions). After that the stream stays
#        open as a lifeline: when the server closes it (timeout, output cap, cancel, lost
#        connection) Deno is killed. Docker has no exec-kill API; this is our kill switch.
# stdout/stderr: the code's own, untouched.
# exit:  Deno's own status, except 125 (the runner failed) and 124 (Deno was SIGKILLed by someone
#        other than this runner: in practice the kernel's OOM killer at the container's memory
#        limit). If the runner itself dies (the container stopped), Docker reports 137.
set -u
umask 077

fail() { printf 'airlock-run: %s\n' "$*" >&2; exit 125; }

timeout_s=${1:-}
hosts=${2:-}
exec_id=${3:-}
[[ $timeout_s =~ ^[1-9][0-9]{0,4}$ ]] || fail "bad timeout '$timeout_s'"
[[ $hosts == "-" || $hosts == "*" || $hosts =~ ^[a-z0-9.-]+(,[a-z0-9.-]+)*$ ]] || fail "bad host list"
[[ $exec_id =~ ^[0-9a-f]{32}$ ]] || fail "bad execution id"

# Each execution gets its own scratch directory; Deno may read and write only there (and read
# the skills store), so one execution cannot see another's files.
scratch=$(mktemp -d /tmp/exec.XXXXXXXXXX) || fail "cannot create scratch directory"
cleanup() { rm -rf -- "$scratch"; }
trap cleanup EXIT
mkdir "$scratch/work" "$scratch/cache"

net_flag=()
case $hosts in
  -) ;;
  "*") net_flag=("--allow-net") ;;
  *) net_flag=("--allow-net=$hosts") ;;
esac

# A clean environment: the code sees no container variables; Deno gets only what it needs to
# reach the proxy (which enforces the allowlist again) and to trust the proxy's CA.
deno_env=(PATH=/usr/local/bin:/usr/bin:/bin HOME="$scratch/work" DENO_DIR="$scratch/cache"
  DENO_NO_UPDATE_CHECK=1 NO_COLOR=1)
if [[ -n ${AIRLOCK_PROXY_URL:-} ]]; then
  # The execution id rides in the proxy URL's credentials, so the proxy can attribute requests.
  proxy_url=${AIRLOCK_PROXY_URL/:\/\//://airlock:$exec_id@}
  deno_env+=(HTTP_PROXY="$proxy_url" HTTPS_PROXY="$proxy_url")
fi
[[ -z ${AIRLOCK_PROXY_CA:-} ]] || deno_env+=(DENO_CERT="$AIRLOCK_PROXY_CA")

# Deno starts now, before the code arrives, so its start-up is off the critical path: the
# bootstrap waits on a private FIFO (outside what Deno may read) for the go signal, then imports
# the code. This is still one fresh Deno process per execution.
mkfifo -m 600 "$scratch/go" || fail "cannot create the go FIFO"
exec 5<>"$scratch/go"
cd "$scratch/work"
# Per-execution limits the container-wide ones do not give: open files, and the size of any one
# file written (the tmpfs size bounds the total).
ulimit -n 512
ulimit -f $(( ${AIRLOCK_MAX_FILE_MB:-128} * 1024 ))
env -i "${deno_env[@]}" \
  deno run --quiet --no-prompt --no-config --no-lock --no-remote --no-npm \
    --v8-flags="--max-old-space-size=${AIRLOCK_HEAP_MB:-256}" \
    --allow-read="$scratch/work,/skills" --allow-write="$scratch/work" \
    "${net_flag[@]}" \
    /opt/airlock/bootstrap.js <"$scratch/go" 5>&- &
deno_pid=$!

# The server may hold this execution ready for a while before it has code for it. The header is
# read a byte at a time with a 1 s timeout, so that meanwhile we notice the waiting Deno dying
# (e.g. chosen by the OOM killer: the server must drop this execution rather than blame the next
# code for it), the server discarding us (EOF), or the idle limit.
len=""
idle=0
while :; do
  if IFS= read -r -N 1 -t 1 ch; then
    [[ $ch == $'\n' ]] && break
    len+=$ch
    (( ${#len} <= 10 )) || { kill -KILL "$deno_pid"; fail "bad code length"; }
  else
    (( $? > 128 )) || { kill -KILL "$deno_pid" 2>/dev/null; exit 0; }
    kill -0 "$deno_pid" 2>/dev/null || exit 0
    (( ++idle < ${AIRLOCK_IDLE_SECONDS:-900} )) || { kill -KILL "$deno_pid" 2>/dev/null; exit 0; }
  fi
done
[[ $len =~ ^[0-9]{1,9}$ ]] || { kill -KILL "$deno_pid"; fail "bad code length"; }
head -c "$len" >"$scratch/work/main.ts"
[[ $(stat -c %s "$scratch/work/main.ts") == "$len" ]] || { kill -KILL "$deno_pid"; fail "code was cut short"; }
printf 'go\n' >&5
exec 5>&-

# The lifeline reader ends when the server closes our stdin. `env` execs Deno, so $deno_pid is
# Deno itself and a KILL leaves nothing behind (Deno gets no --allow-run, so it has no children).
exec 3<&0
cat <&3 >/dev/null 2>&1 &
lifeline_pid=$!
exec 3<&-
# Backstop in case the server vanishes without closing the stream.
sleep "$((timeout_s + 10))" &
backstop_pid=$!

wait -n -p first_pid "$deno_pid" "$lifeline_pid" "$backstop_pid"
status=$?
if [[ ${first_pid:-} != "$deno_pid" ]]; then
  kill -KILL "$deno_pid" 2>/dev/null
  wait "$deno_pid" 2>/dev/null
  status=$?
fi
kill "$lifeline_pid" "$backstop_pid" 2>/dev/null
if [[ ${first_pid:-} == "$deno_pid" && $status == 137 ]]; then
  exit 124
fi
exit "$status"
