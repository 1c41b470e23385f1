# shellcheck shell=bash
# A private apt configuration under the kernel cache: its own source list (bookworm,
# bookworm-updates, bookworm-security and sid), its own package lists and its own
# download directory. The system's sources, lists and archives are never touched, and
# nothing fetched here is installed: packages are only downloaded and unpacked.
#
# Sourced by fetch.sh and fetch-source.sh. Needs: KERNEL_CACHE set by the caller.

: "${KERNEL_CACHE:?KERNEL_CACHE must be set before sourcing private-apt.sh}"
APT_DIR="$KERNEL_CACHE/apt"
# Package lists older than this are refreshed before a download (a sid kernel that was
# superseded disappears from the mirror, so stale lists lead to 404s).
APT_LISTS_MAX_AGE_MIN="${NTSYNCD_APT_LISTS_MAX_AGE_MIN:-720}"

die() { echo "kernels: $*" >&2; exit 1; }
log() { echo "kernels: $*" >&2; }

# The Debian mirror the machine already uses (the first "…/debian" URI in the system's
# sources), so that the private list goes through the same proxy or mirror. Override
# with NTSYNCD_DEBIAN_MIRROR.
debian_mirror() {
  if [ -n "${NTSYNCD_DEBIAN_MIRROR:-}" ]; then echo "${NTSYNCD_DEBIAN_MIRROR%/}"; return; fi
  local uri
  uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null \
    | grep -v '^[[:space:]]*#' \
    | grep -oE '(https?|mirror\+https?)://[^ ]*/debian/?( |$)' | head -n1 | tr -d ' ')
  [ -n "$uri" ] || die "no Debian mirror found in /etc/apt/sources.list*: set NTSYNCD_DEBIAN_MIRROR to the archive's URL (the one ending in /debian)"
  echo "$uri" | sed 's:/*$::'
}

private_apt_setup() {
  mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/archives/partial" "$APT_DIR/cache"
  local mirror keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  mirror=$(debian_mirror)
  [ -r "$keyring" ] || die "the Debian archive keyring $keyring is missing: apt-get install debian-archive-keyring"
  # The security archive lives next to the main one ("<mirror>-security") on Debian's mirrors.
  cat >"$APT_DIR/sources.list.new" <<EOF
deb [signed-by=$keyring] $mirror bookworm main
deb [signed-by=$keyring] $mirror bookworm-updates main
deb [signed-by=$keyring] ${mirror}-security bookworm-security main
deb [signed-by=$keyring] $mirror sid main
EOF
  if ! cmp -s "$APT_DIR/sources.list.new" "$APT_DIR/sources.list" 2>/dev/null; then
    mv "$APT_DIR/sources.list.new" "$APT_DIR/sources.list"
    rm -f "$APT_DIR/lists/"*_Packages* "$APT_DIR/lists/"*Release* 2>/dev/null || true
  else
    rm -f "$APT_DIR/sources.list.new"
  fi
  APT_OPTS=(
    -o "Dir::Etc::sourcelist=$APT_DIR/sources.list"
    -o "Dir::Etc::sourceparts=-"
    -o "Dir::State::Lists=$APT_DIR/lists"
    -o "Dir::Cache=$APT_DIR/cache"
    -o "Dir::Cache::Archives=$APT_DIR/archives"
    -o "Dir::Cache::pkgcache=$APT_DIR/cache/pkgcache.bin"
    -o "Dir::Cache::srcpkgcache=$APT_DIR/cache/srcpkgcache.bin"
    -o "APT::Get::List-Cleanup=false"
  )
}

# Refreshes the private lists if they are missing or older than APT_LISTS_MAX_AGE_MIN
# (or always, with "force").
private_apt_update() {
  local stamp="$APT_DIR/lists/.updated"
  if [ "${1:-}" != force ] && [ -f "$stamp" ] && [ -z "$(find "$stamp" -mmin +"$APT_LISTS_MAX_AGE_MIN")" ]; then
    return 0
  fi
  log "updating the private apt lists ($(debian_mirror): bookworm, bookworm-security, sid)"
  apt-get "${APT_OPTS[@]}" -q update >"$APT_DIR/update.log" 2>&1 \
    || die "apt-get update of the private source list failed (see $APT_DIR/update.log): the Debian mirror $(debian_mirror) must be reachable to fetch a kernel that is not cached yet. $(tail -n3 "$APT_DIR/update.log" | tr '\n' ' ')"
  # apt-get update exits 0 even when a suite could not be fetched: check the lists.
  if grep -qE '^(W|E): (Failed|Some index files failed)' "$APT_DIR/update.log"; then
    die "not cached, and apt cannot fetch every suite of the private source list from $(debian_mirror) (see $APT_DIR/update.log; set NTSYNCD_DEBIAN_MIRROR to use another mirror): $(grep -E '^(W|E):' "$APT_DIR/update.log" | head -n3 | tr '\n' ' ')"
  fi
  touch "$stamp"
}

private_apt_cache() { apt-cache "${APT_OPTS[@]}" "$@"; }

# Downloads packages (exact name=version) into $APT_DIR/archives and prints the .deb paths.
# apt-get download writes into the current directory, so run it there.
private_apt_download() {
  local out
  out=$(cd "$APT_DIR/archives" && apt-get "${APT_OPTS[@]}" -q download "$@" 2>&1) || {
    echo "$out" >&2
    return 1
  }
  local spec name version
  for spec in "$@"; do
    name=${spec%%=*}
    version=${spec#*=}
    # Debian encodes ':' in a version's epoch as %3a in file names.
    ls "$APT_DIR/archives/${name}_${version//:/%3a}_"*.deb
  done
}
