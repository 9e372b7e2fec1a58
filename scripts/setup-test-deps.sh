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
# lab hosts (test/lab.test.ts): QEMU, a busybox + dropbear initramfs, depmod for the kernels' modules
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
[ -x /bin/busybox ] || need+=(busybox-static)
{ [ -x /usr/sbin/dropbear ] && command -v dropbearkey >/dev/null; } || need+=(dropbear-bin)
command -v cpio >/dev/null || need+=(cpio)
command -v xz >/dev/null || need+=(xz-utils)
command -v depmod >/dev/null || [ -x /sbin/depmod ] || need+=(kmod)
command -v ssh-keygen >/dev/null || need+=(openssh-client)
command -v make >/dev/null || need+=(make) # the sw-protected KVM modules (scripts/lab-kvm-sw-protected.sh)
# ... and, for a kernel of another Debian release (trixie's 7.3), the build root they are built in
[ -x /usr/sbin/debootstrap ] || need+=(debootstrap)
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
# the lab's kernels (Debian stock 6.12 and 7.3, ~60 MB each), fetched once into the gmembench cache
# by the script `gmembench lab up` uses; without the archive the lab tests skip and say why
if command -v apt-get >/dev/null && command -v dpkg >/dev/null; then
  for k in 6.12 7.3; do
    bash "$(dirname "$0")/lab-kernel.sh" "$k" >/dev/null || echo "setup-test-deps: lab kernel $k not fetched (the lab tests will skip)" >&2
  done
  # and their KVM modules rebuilt with CONFIG_KVM_SW_PROTECTED_VM (~170 MB of sources each, about
  # 1 min once; 7.3's in a trixie build root, ~400 MB and 40 s more, once)
  for k in 6.12 7.3; do
    if r=$(bash "$(dirname "$0")/lab-kernel.sh" "$k" 2>/dev/null | tail -1 | cut -f1) && [ -n "$r" ]; then
      bash "$(dirname "$0")/lab-kvm-sw-protected.sh" "$r" >/dev/null || echo "setup-test-deps: sw-protected KVM modules for $r not built (lab up --sw-protected will build them)" >&2
    fi
  done
fi
