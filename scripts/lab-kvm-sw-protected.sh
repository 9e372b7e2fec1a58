#!/usr/bin/env bash
# lab-kvm-sw-protected.sh RELEASE: KVM modules with CONFIG_KVM_SW_PROTECTED_VM (VM type 1, a
# working KVM_SET_MEMORY_ATTRIBUTES) for a Debian kernel the lab has fetched (scripts/lab-kernel.sh),
# built once into $GMEMBENCH_CACHE/lab/sw-protected/<release>/{kvm,kvm-amd,kvm-intel}.ko.
#
# An out-of-tree build (M=) of the kernel's own arch/x86/kvm and virt/kvm, from the matching
# linux-source package, against its linux-headers and linux-kbuild packages (all fetched through
# the private apt configuration, scripts/lab-apt.sh, extracted, never installed), with
# -DCONFIG_KVM_SW_PROTECTED_VM=1 added to the kvm Makefile's flags. The stock configuration has
# everything else that option selects (KVM_PRIVATE_MEM, KVM_GENERIC_MEMORY_ATTRIBUTES) built in.
# A kernel of this machine's Debian release (bookworm's 6.12 here) is built with this machine's
# compiler and tools. One another release built (trixie's 7.x: its linux-kbuild tools need trixie's
# glibc, its modules trixie's gcc-14) is built in a build root of that release: a minbase
# debootstrap with that kernel's gcc, make and the libraries linux-kbuild links, made once under
# $GMEMBENCH_CACHE/lab/buildroot/<suite> (scripts/lab-buildroot.sh), the same build run in it
# under chroot (needs root and debootstrap). Prints, as its last line, the directory of the modules.
set -euo pipefail
release=${1:?usage: lab-kvm-sw-protected.sh RELEASE (e.g. 6.12.118+deb12-amd64)}
[[ $release =~ ^([0-9]+\.[0-9]+)\.[0-9]+\+deb[0-9]+-amd64$ ]] || { echo "lab-kvm-sw-protected.sh: $release: not a Debian amd64 kernel release" >&2; exit 2; }
series=${BASH_REMATCH[1]}
. "$(dirname "$0")/lab-apt.sh"
out=$cache/sw-protected/$release
if [ -f "$out/kvm.ko" ]; then echo "$out"; exit 0; fi
lab_apt_update
abi=${release%-amd64}
version=$(apt-cache "${opts[@]}" show "linux-headers-$release" | sed -n 's/^Version: //p' | head -1)
[ -n "$version" ] || { echo "lab-kvm-sw-protected.sh: no linux-headers-$release in the archive" >&2; exit 1; }
# where to build: here for a kernel of this machine's Debian release, else in a build root of its own
kernel_debian=${release#*+deb}; kernel_debian=${kernel_debian%%-*}
if [ "$kernel_debian" = "$(cut -d. -f1 /etc/debian_version 2>/dev/null)" ]; then
  work=$out.tmp-$$
  w=$work # the work directory as the build sees it
  build() { "$@"; }
else
  case $kernel_debian in
    12) suite=bookworm ;;
    13) suite=trixie ;;
    *) echo "lab-kvm-sw-protected.sh: $release: built for Debian $kernel_debian, which has no build root here (bookworm, trixie)" >&2; exit 1 ;;
  esac
  . "$(dirname "$0")/lab-buildroot.sh"
  # the compiler the headers ask for (gcc-N-for-host, linux-compiler-gcc-N-x86) and what linux-kbuild links
  gcc=$(apt-cache "${opts[@]}" show "linux-headers-$release=$version" | sed -n 's/^Depends: //p' | grep -oE 'gcc-[0-9]+' | head -1)
  [ -n "$gcc" ] || { echo "lab-kvm-sw-protected.sh: linux-headers-$release names no gcc-N" >&2; exit 1; }
  libs=$(apt-cache "${opts[@]}" show "linux-kbuild-$abi=$version" | sed -n 's/^Depends: //p' | head -1 |
    tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/[[:space:]]//g' | grep -v -x -e pahole -e '' || true)
  lab_buildroot "$suite" "$gcc" make libc6-dev binutils $libs
  work=$buildroot/build/$release.tmp-$$
  w=/build/$release.tmp-$$
  build() { lab_in_buildroot "$@"; }
fi
rm -rf "$work"; mkdir -p "$work/debs"
trap 'rm -rf "$work"' EXIT
(cd "$work/debs" && apt-get "${opts[@]}" download "linux-source-$series=$version" "linux-headers-$release" \
  "linux-headers-$abi-common" "linux-kbuild-$abi")
for d in "$work"/debs/*.deb; do dpkg -x "$d" "$work/root"; done
rm -rf "$work/debs"
src=$work/root/usr/src
headers=$src/linux-headers-$release
# the headers' Makefile names its directory (7.x: KBUILD_OUTPUT) and the common part by their
# installed paths: point them here
sed -i "s#/usr/src/linux-headers-#$w/root/usr/src/linux-headers-#g" "$headers/Makefile"
tar -xJf "$src/linux-source-$series.tar.xz" -C "$work" "linux-source-$series/arch/x86/kvm" "linux-source-$series/virt/kvm"
rm -f "$src/linux-source-$series.tar.xz"
b=$work/build
bw=$w/build # as the build sees it
mkdir -p "$b/arch/x86" "$b/virt" "$b/trace/x" # trace/x/../../arch/x86/kvm: where the trace headers are looked for
mv "$work/linux-source-$series/arch/x86/kvm" "$b/arch/x86/"
mv "$work/linux-source-$series/virt/kvm" "$b/virt/"
sed -i "s#^ccflags-y += -I \$(srctree)/arch/x86/kvm#ccflags-y += -I $bw/trace/x -I $bw/arch/x86/kvm -DCONFIG_KVM_SW_PROTECTED_VM=1#; s#^include \$(srctree)/virt/kvm/Makefile.kvm#include $bw/virt/kvm/Makefile.kvm#" "$b/arch/x86/kvm/Makefile"
# 7.x checks the exports of the kvm sources under $(srctree), which the headers do not have: these
sed -i "s#-nrw \$(srctree)/virt/kvm \$(srctree)/arch/x86/kvm#-nrw $bw/virt/kvm $bw/arch/x86/kvm#" "$b/arch/x86/kvm/Makefile"
grep -q DCONFIG_KVM_SW_PROTECTED_VM "$b/arch/x86/kvm/Makefile" || { echo "lab-kvm-sw-protected.sh: the kvm Makefile of $release has another shape" >&2; exit 1; }
# no BTF for the modules (it needs pahole, and loading them does not)
build make -s -C "$w/root/usr/src/linux-headers-$release" M="$bw/arch/x86/kvm" -j"$(nproc)" modules CONFIG_DEBUG_INFO_BTF_MODULES=
mkdir -p "$work/out"
cp "$b"/arch/x86/kvm/{kvm,kvm-amd,kvm-intel}.ko "$work/out/"
build strip --strip-debug "$w"/out/{kvm,kvm-amd,kvm-intel}.ko
rm -rf "$out"; mv "$work/out" "$out"
echo "$out"
