#!/usr/bin/env bash
# tethered.sh PARENT_PID CMD [ARGS…]
# Runs CMD and ends it when PARENT_PID disappears (a test runner killed with SIGKILL, a closed terminal) or when
# this script is sent SIGTERM/SIGINT. Node cannot ask the kernel to kill a child with its parent, so this watcher
# is what guarantees that no Synapse is left behind.
set -u
parent=$1
shift
"$@" &
child=$!
# Synapse only writes its own pid_file when it daemonizes; record the pid so a later run can find a leftover.
[ -n "${TETHER_PID_FILE:-}" ] && printf '%s\n' "$child" >"$TETHER_PID_FILE"

stop_child() {
  kill -TERM "$child" 2>/dev/null
  for _ in $(seq 1 40); do
    kill -0 "$child" 2>/dev/null || break
    sleep 0.25
  done
  kill -KILL "$child" 2>/dev/null
  wait "$child" 2>/dev/null
}

trap 'stop_child; exit 0' TERM INT HUP
while kill -0 "$parent" 2>/dev/null && kill -0 "$child" 2>/dev/null; do
  sleep 1 &
  wait $!
done
if kill -0 "$child" 2>/dev/null; then
  stop_child
  exit 0
fi
wait "$child"
exit $?
