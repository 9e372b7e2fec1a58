#!/usr/bin/env bash
# Fetch a Debian stock kernel for a lab host, once: lab-kernel.sh MAJOR.MINOR (e.g. 7.3, 6.12).
#
# Through the lab's private apt configuration (scripts/lab-apt.sh). The newest amd64 X.Y.z kernel
# there is downloaded (apt-get download), extracted (dpkg -x, nothing is installed) and given its modules.dep (depmod: Debian makes it at install time)
# under $GMEMBENCH_CACHE/lab/kernels/<release>/root. A kernel already there is not fetched again.
# Prints, as its last line: <release> <tab> <tree>. Called by src/lab/kernel.ts and by
# scripts/setup-test-deps.sh; needs apt-get, dpkg and depmod (kmod), no root for the download.
set -euo pipefail
series=${1:?usage: lab-kernel.sh MAJOR.MINOR (e.g. 7.3)}
[[ $series =~ ^[0-9]+\.[0-9]+$ ]] || { echo "lab-kernel.sh: $series: expected MAJOR.MINOR, e.g. 7.3" >&2; exit 2; }
. "$(dirname "$0")/lab-apt.sh"

# a cached kernel of this series answers without the network
cached() { ls -d "$cache/kernels/$series".*+deb*-amd64/.complete 2>/dev/null | sort -V | tail -1 | xargs -r dirname; }
if [ "${GMEMBENCH_LAB_REFRESH:-}" != 1 ] && [ -n "$(cached)" ]; then
  t=$(cached); printf '%s\t%s\n' "$(basename "$t")" "$t/root"; exit 0
fi
lab_apt_update

# bookworm: linux-image-X.Y.z+debN-amd64-unsigned; trixie: linux-binary-* + linux-modules-*
esc=${series//./\\.}
names=$(apt-cache "${opts[@]}" pkgnames linux- | grep -E "^linux-(image-$esc\.[0-9]+\+deb[0-9]+-amd64-unsigned|binary-$esc\.[0-9]+\+deb[0-9]+-amd64)$" || true)
release=$(sed -E 's/^linux-(image|binary)-//; s/-unsigned$//' <<<"$names" | sort -uV | tail -1)
[ -n "$release" ] || { echo "lab-kernel.sh: no amd64 kernel $series.x in bookworm, bookworm-backports, bookworm-security, trixie or trixie-backports" >&2; exit 1; }
if grep -qx "linux-image-$release-unsigned" <<<"$names"; then pkgs=("linux-image-$release-unsigned"); else pkgs=("linux-binary-$release" "linux-modules-$release"); fi

dest=$cache/kernels/$release
if [ ! -f "$dest/.complete" ]; then
  tmp=$dest.tmp-$$
  rm -rf "$tmp"; mkdir -p "$tmp/debs"
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp/debs" && apt-get "${opts[@]}" download "${pkgs[@]}")
  for d in "$tmp"/debs/*.deb; do dpkg -x "$d" "$tmp/root"; done
  rm -rf "$tmp/debs"
  for base in "$tmp/root/usr" "$tmp/root"; do
    if [ -d "$base/lib/modules/$release" ]; then
      [ -f "$base/lib/modules/$release/modules.dep" ] || depmod -b "$base" "$release" 2>/dev/null
      break
    fi
  done
  echo "${pkgs[*]}" >"$tmp/.complete"
  rm -rf "$dest"; mv "$tmp" "$dest"
  trap - EXIT
fi
printf '%s\t%s\n' "$release" "$dest/root"
