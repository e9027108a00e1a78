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
exit 0
