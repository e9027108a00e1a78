#!/bin/sh
# Kills the executions that an earlier launcher left running. Each execution is started with a
# parent-death signal (setpriv --pdeathsig), so this is the fallback for the one race that signal
# leaves open: a launcher killed between starting a child and the child arming the signal.
# An orphan is a process running bootstrap.js (every execution's entry point) whose parent is
# gone: it was handed to PID 1 (the container's idle loop) or, under containerd's shim, which
# adopts orphans from outside the container, to a parent outside our PID namespace (shown as 0).
# Executions of a live launcher have that launcher as their parent and are left alone.
# The launcher runs this before it reports ready; nothing of ours can be running yet.
for status in /proc/[0-9]*/status; do
  pid=${status#/proc/}
  pid=${pid%/status}
  ppid=
  while read -r key value; do
    if [ "$key" = "PPid:" ]; then ppid=$value; break; fi
  done < "$status" 2>/dev/null || continue
  case "$ppid" in 0 | 1) ;; *) continue ;; esac
  # Arguments are NUL-separated; tr is the only process started per candidate, and its own
  # arguments never contain the entry point's path.
  case "$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null)" in
    *" /opt/airlock/bootstrap.js"*)
      if kill -KILL "$pid" 2>/dev/null; then echo "reap: killed orphaned execution process $pid"; fi ;;
  esac
done

# With --list-unused: also print the scratch folders that no process works in and that are older
# than 2 s (a launcher makes an execution's folder moments before starting its process): an
# earlier launcher's, or one an execution that was dying made again (Deno makes its cache folder
# anew). A process is found by the --allow-read of its command line, which every stage of an
# execution's start (choom, setpriv, prlimit, deno) carries: gVisor shows no other process's cwd.
[ "${1:-}" = "--list-unused" ] || exit 0
used=" "
for cmdline in /proc/[0-9]*/cmdline; do
  args=$(tr '\0' ' ' < "$cmdline" 2>/dev/null) || continue
  case "$args" in
    *" --allow-read=/tmp/exec."*)
      dir=${args#*" --allow-read=/tmp/"}
      used="$used/tmp/${dir%%/*} " ;;
  esac
done
now=$(date +%s)
for dir in /tmp/exec.*; do
  [ -d "$dir" ] || continue
  case "$used" in *" $dir "*) continue ;; esac
  made=$(stat -c %Y "$dir" 2>/dev/null) || continue
  if [ $((now - made)) -ge 2 ]; then echo "unused: $dir"; fi
done
exit 0
