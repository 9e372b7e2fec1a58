# Sourced by scripts/lab-kvm-sw-protected.sh (after scripts/lab-apt.sh, whose lock it runs under):
# a Debian build root of another suite than this machine's, for building modules of a kernel that
# suite built (trixie's 7.x: its linux-kbuild tools need trixie's glibc, its modules trixie's gcc).
#
# lab_buildroot SUITE PACKAGE... makes $cache/buildroot/<suite>/root once: `debootstrap
# --variant=minbase --include=PACKAGE,...` from the archive lab-apt.sh found ($main), in a mount
# namespace of its own (nothing it mounts outlives it). A root that lacks a package asked for
# later is made again. Sets $buildroot. Needs root (debootstrap, chroot) and debootstrap.
# lab_in_buildroot CMD... runs CMD there under chroot, with a clean environment and its own /proc.

lab_buildroot() {
  local suite=$1; shift
  local want dir tmp
  want=$(printf '%s\n' "$@" | sort -u | tr '\n' ' ')
  dir=$cache/buildroot/$suite
  buildroot=$dir/root
  # what a build killed before its clean-up left: ours by name, its process gone
  for tmp in "$dir".tmp-* "$buildroot"/build/*.tmp-*; do
    if [ -e "$tmp" ] && ! kill -0 "${tmp##*.tmp-}" 2>/dev/null; then lab_buildroot_rm "$tmp"; fi
  done
  if [ -f "$dir/.complete" ] && [ -z "$(comm -13 <(tr ' ' '\n' <"$dir/.complete" | sort -u) <(tr ' ' '\n' <<<"$want" | sort -u) | grep .)" ]; then
    return 0
  fi
  [ "$(id -u)" = 0 ] || { echo "${0##*/}: a $suite build root (debootstrap, chroot) needs root" >&2; return 1; }
  command -v debootstrap >/dev/null || [ -x /usr/sbin/debootstrap ] ||
    { echo "${0##*/}: a $suite build root needs debootstrap (apt-get install debootstrap)" >&2; return 1; }
  # made again with what it had and what is asked for now
  [ ! -f "$dir/.complete" ] || want=$(printf '%s\n' $want $(cat "$dir/.complete") | sort -u | tr '\n' ' ')
  echo "${0##*/}: making a $suite build root with ${want% } (once, cached in $dir)" >&2
  tmp=$dir.tmp-$$
  lab_buildroot_rm "$tmp"
  mkdir -p "$tmp"
  trap 'lab_buildroot_rm "$tmp"' EXIT
  # debootstrap mounts /proc and /sys in the root while it installs: in a namespace of its own
  unshare --mount --propagation private -- env PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    debootstrap --variant=minbase --include="$(tr ' ' ',' <<<"${want% }")" \
    --keyring="$keyring" "$suite" "$tmp/root" "$main" >"$tmp/debootstrap.log" 2>&1 ||
    { tail -15 "$tmp/debootstrap.log" >&2; echo "${0##*/}: debootstrap $suite failed (log above)" >&2; return 1; }
  rm -f "$tmp/debootstrap.log"
  # nothing of the package cache is needed again (a root that lacks a package is made again)
  find "$tmp/root/var/cache/apt/archives" -name '*.deb' -delete
  echo "${want% }" >"$tmp/.complete"
  lab_buildroot_rm "$dir"
  mv "$tmp" "$dir"
  trap - EXIT
}

lab_in_buildroot() {
  # with a /proc of its own (objtool reads its limits there), gone with the namespace
  unshare --mount --propagation private --pid --fork --mount-proc="$buildroot/proc" -- \
    chroot "$buildroot" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 "$@"
}

# remove a build root of ours: never across a mount point left in it
lab_buildroot_rm() {
  [ -e "$1" ] || return 0
  case $1 in "$cache"/buildroot/?*) ;; *) echo "${0##*/}: not removing $1 (not a build root of the lab cache)" >&2; return 1 ;; esac
  if findmnt -rn -o TARGET | grep -q "^$1/"; then
    echo "${0##*/}: $1 has mount points in it; not removing it" >&2
    return 1
  fi
  rm -rf --one-file-system "$1"
}
