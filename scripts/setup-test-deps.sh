#!/usr/bin/env bash
# Install the system packages the tests use as real parts: sshd, influxd, chromium, a C compiler,
# curl (bench/influx), fonts for the charts, python3 (a pty for the signal tests).
# Idempotent; needs root (CI runs as root). Missing packages make their tests skip with a reason.
set -euo pipefail
need=()
command -v cc >/dev/null || need+=(gcc libc6-dev)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v influxd >/dev/null || need+=(influxdb)
command -v chromium >/dev/null || need+=(chromium)
command -v curl >/dev/null || need+=(curl)
# the signal tests type Ctrl-C at a real pseudo-terminal through python3's pty module
command -v python3 >/dev/null || need+=(python3)
# the PNG charts (resvg) and the report screenshot use DejaVu Sans
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
    # Debian starts packaged daemons on install; the tests start their own on free ports
    for svc in influxdb ssh; do (systemctl stop "$svc" || service "$svc" stop) >/dev/null 2>&1 || true; done
  else
    echo "setup-test-deps: not root, cannot install: ${need[*]} (their tests will skip)" >&2
  fi
fi
