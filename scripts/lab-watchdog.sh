#!/bin/sh
# lab-watchdog.sh OWNER_FILE QEMU ARGS...: run a lab host's QEMU so that none is left behind.
# QEMU is this script's child and dies with it (setpriv --pdeathsig); the script stops QEMU when
# the process whose pid OWNER_FILE holds has ended, or when OWNER_FILE is gone (the host's
# directory was removed), and ends when QEMU does. OWNER_FILE holding "none": QEMU runs on until
# `gmembench lab down`. Started by src/lab/host.ts.
owner_file=$1
shift
setpriv --pdeathsig KILL -- "$@" &
q=$!
stop() {
  kill -TERM "$q" 2>/dev/null
  i=0
  while kill -0 "$q" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
  kill -KILL "$q" 2>/dev/null
}
trap 'stop; exit 143' TERM INT HUP
while kill -0 "$q" 2>/dev/null; do
  owner=$(cat "$owner_file" 2>/dev/null) || owner=
  if [ -z "$owner" ] || { [ "$owner" != none ] && ! kill -0 "$owner" 2>/dev/null; }; then
    stop
    break
  fi
  sleep 1 &
  wait $!
done
wait "$q"
