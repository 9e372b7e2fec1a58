# Sourced by scripts/lab-kernel.sh and scripts/lab-kvm-sw-protected.sh: the lab's private apt
# configuration (its own sources list, lists and package cache under $GMEMBENCH_CACHE/lab/apt,
# never the system's). The archive's address is read from the system's own apt sources; the suites
# are bookworm, bookworm-backports, bookworm-security, trixie and trixie-backports. Sets $cache,
# $apt and the apt-get/apt-cache options in ${opts[@]}; lab_apt_update refreshes the lists once.
# Holds an exclusive lock (fd 9) so that two lab commands share one download.
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
[ -n "$main" ] || { echo "${0##*/}: no Debian archive in /etc/apt/sources.list{,.d} (the lab fetches kernels from it)" >&2; exit 1; }
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

lab_apt_update() {
  if [ ! -f "$apt/updated" ] || [ "${GMEMBENCH_LAB_REFRESH:-}" = 1 ]; then
    apt-get "${opts[@]}" update
    date -u +%FT%TZ >"$apt/updated"
  fi
}
