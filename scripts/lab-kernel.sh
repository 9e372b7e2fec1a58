#!/usr/bin/env bash
# Fetch a Debian stock kernel for a lab host, once: lab-kernel.sh MAJOR.MINOR (e.g. 7.3, 6.12).
#
# Through a private apt configuration (its own sources list, lists and package cache under
# $GMEMBENCH_CACHE/lab/apt), never the system's: the archive's address is read from the system's own
# apt sources, the suites are bookworm, bookworm-backports, bookworm-security, trixie and
# trixie-backports. The newest amd64 X.Y.z kernel there is downloaded (apt-get download), extracted
# (dpkg -x, nothing is installed) and given its modules.dep (depmod: Debian makes it at install time)
# under $GMEMBENCH_CACHE/lab/kernels/<release>/root. A kernel already there is not fetched again.
# Prints, as its last line: <release> <tab> <tree>. Called by src/lab/kernel.ts and by
# scripts/setup-test-deps.sh; needs apt-get, dpkg and depmod (kmod), no root for the download.
set -euo pipefail
series=${1:?usage: lab-kernel.sh MAJOR.MINOR (e.g. 7.3)}
[[ $series =~ ^[0-9]+\.[0-9]+$ ]] || { echo "lab-kernel.sh: $series: expected MAJOR.MINOR, e.g. 7.3" >&2; exit 2; }
cache=${GMEMBENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gmembench}/lab
apt=$cache/apt
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
mkdir -p "$apt/lists/partial" "$apt/archives/partial" "$apt/etc/preferences.d" "$cache/kernels"
exec 9>"$cache/kernels/.lock"
flock 9 # one fetch at a time: two lab hosts booting at once share the download

# the archive: the first main-archive URI (and the security one) of the system's sources
uris=$({ cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null || true; } |
  sed -nE 's/^URIs:[[:space:]]*(https?:[^[:space:]]+).*/\1/p; s/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?(https?:[^[:space:]]+).*/\2/p' | sed 's:/*$::')
main=$(grep -v security <<<"$uris" | grep -m1 'debian$' || grep -v -m1 security <<<"$uris" || true)
security=$(grep -m1 security <<<"$uris" || true)
[ -n "$main" ] || { echo "lab-kernel.sh: no Debian archive in /etc/apt/sources.list{,.d} (the lab fetches kernels from it)" >&2; exit 1; }
list=$apt/etc/sources.list
{
  for s in bookworm bookworm-backports trixie trixie-backports; do echo "deb [signed-by=$keyring] $main $s main"; done
  [ -z "$security" ] || echo "deb [signed-by=$keyring] $security bookworm-security main"
} >"$list.new"
cmp -s "$list.new" "$list" || { mv "$list.new" "$list"; rm -f "$apt/updated"; }
rm -f "$list.new"
opts=(-o "Dir::Etc::SourceList=$list" -o Dir::Etc::SourceParts=/nonexistent
  -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt" -o "Dir::Cache::Archives=$apt/archives"
  -o Dir::Etc::Preferences=/nonexistent -o "Dir::Etc::PreferencesParts=$apt/etc/preferences.d"
  -o Acquire::Languages=none -o APT::Sandbox::User=root -qq)

# a cached kernel of this series answers without the network
cached() { ls -d "$cache/kernels/$series".*+deb*-amd64/.complete 2>/dev/null | sort -V | tail -1 | xargs -r dirname; }
if [ "${GMEMBENCH_LAB_REFRESH:-}" != 1 ] && [ -n "$(cached)" ]; then
  t=$(cached); printf '%s\t%s\n' "$(basename "$t")" "$t/root"; exit 0
fi
if [ ! -f "$apt/updated" ] || [ "${GMEMBENCH_LAB_REFRESH:-}" = 1 ]; then
  apt-get "${opts[@]}" update
  date -u +%FT%TZ >"$apt/updated"
fi

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
