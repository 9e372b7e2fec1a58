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
# Verified for bookworm's 6.12; trixie's kernels ship modpost/objtool linked against a newer glibc.
# Prints, as its last line, the directory of the modules.
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
work=$out.tmp-$$
rm -rf "$work"; mkdir -p "$work/debs"
trap 'rm -rf "$work"' EXIT
(cd "$work/debs" && apt-get "${opts[@]}" download "linux-source-$series=$version" "linux-headers-$release" \
  "linux-headers-$abi-common" "linux-kbuild-$abi")
for d in "$work"/debs/*.deb; do dpkg -x "$d" "$work/root"; done
rm -rf "$work/debs"
src=$work/root/usr/src
headers=$src/linux-headers-$release
# the headers' Makefile includes the common part by its installed path: point it here
sed -i "s#/usr/src/linux-headers-$abi-common#$src/linux-headers-$abi-common#" "$headers/Makefile"
tar -xJf "$src/linux-source-$series.tar.xz" -C "$work" "linux-source-$series/arch/x86/kvm" "linux-source-$series/virt/kvm"
rm -f "$src/linux-source-$series.tar.xz"
b=$work/build
mkdir -p "$b/arch/x86" "$b/virt" "$b/trace/x" # trace/x/../../arch/x86/kvm: where the trace headers are looked for
mv "$work/linux-source-$series/arch/x86/kvm" "$b/arch/x86/"
mv "$work/linux-source-$series/virt/kvm" "$b/virt/"
sed -i "s#^ccflags-y += -I \$(srctree)/arch/x86/kvm#ccflags-y += -I $b/trace/x -I $b/arch/x86/kvm -DCONFIG_KVM_SW_PROTECTED_VM=1#; s#^include \$(srctree)/virt/kvm/Makefile.kvm#include $b/virt/kvm/Makefile.kvm#" "$b/arch/x86/kvm/Makefile"
grep -q DCONFIG_KVM_SW_PROTECTED_VM "$b/arch/x86/kvm/Makefile" || { echo "lab-kvm-sw-protected.sh: the kvm Makefile of $release has another shape" >&2; exit 1; }
# no BTF for the modules (it needs pahole, and loading them does not)
make -s -C "$headers" M="$b/arch/x86/kvm" -j"$(nproc)" modules CONFIG_DEBUG_INFO_BTF_MODULES=
mkdir -p "$work/out"
cp "$b"/arch/x86/kvm/{kvm,kvm-amd,kvm-intel}.ko "$work/out/"
strip --strip-debug "$work"/out/*.ko
rm -rf "$out"; mv "$work/out" "$out"
echo "$out"
