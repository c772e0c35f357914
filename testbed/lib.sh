# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Shared helpers for the testbed scripts. Sourced, never executed.
#
# Everything expensive lives under $DMR_CACHE (outside the repository),
# in directories whose names carry the version and a hash of the inputs,
# so that a second run reuses them and a changed input rebuilds them.

DMR_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DMR_CACHE=${DMR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dmr}
DMR_JOBS=${DMR_JOBS:-$(($(nproc) + 1))}

die() {
	echo "dmr: error: $*" >&2
	exit 1
}

log() {
	echo "dmr: $*" >&2
}

# Fail early, with a clear message, when the cache disk is nearly full.
# $1: MiB needed.
need_disk() {
	local avail

	mkdir -p "$DMR_CACHE"
	avail=$(df -Pm "$DMR_CACHE" | awk 'NR == 2 { print $4 }')
	[ "$avail" -ge "$1" ] ||
		die "only ${avail} MiB free under $DMR_CACHE, need $1 MiB (set DMR_CACHE elsewhere or free space)"
}

# Short stable hash of files and strings, used to key cache directories.
input_hash() {
	local f

	for f in "$@"; do
		if [ -f "$f" ]; then
			cat "$f"
		else
			printf '%s\n' "$f"
		fi
	done | sha256sum | cut -c1-12
}

# A private apt configuration that sees Debian unstable and experimental
# (for linux-source-7.*, rdma-core 65, perftest and libfabric sources)
# without touching the machine's own sources. The mirror is taken from
# the machine's own configuration.
APT_DIR=$DMR_CACHE/apt

apt_mirror() {
	local uri

	uri=$(grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources |
		awk '{ print $2 }' | grep -v -- '-security' | head -n1)
	[ -n "$uri" ] || uri=$(grep -hsE '^deb ' /etc/apt/sources.list |
		awk '{ print $2 }' | grep -v -- '-security' | head -n1)
	[ -n "$uri" ] || die "cannot find a Debian mirror in /etc/apt sources"
	echo "$uri"
}

private_apt() {
	local tool=$1

	shift
	"$tool" -oDir::Etc::SourceList=/dev/null \
		-oDir::Etc::SourceParts="$APT_DIR/sources" \
		-oDir::State::Lists="$APT_DIR/lists" \
		-oDir::Cache="$APT_DIR/cache" \
		-oDebug::NoLocking=1 -oAPT::Sandbox::User=root "$@"
}

# Refresh the private package lists at most once a day.
private_apt_update() {
	local stamp=$APT_DIR/lists/.updated

	mkdir -p "$APT_DIR/sources" "$APT_DIR/lists/partial" \
		"$APT_DIR/cache/archives/partial"
	cat >"$APT_DIR/sources/dmr-unstable.sources" <<EOS
Types: deb deb-src
URIs: $(apt_mirror)
Suites: unstable experimental
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOS
	if [ -z "$(find "$stamp" -mmin -1440 2>/dev/null)" ]; then
		log "updating the private apt lists (unstable, experimental)"
		private_apt apt-get -q update >"$APT_DIR/update.log" 2>&1 ||
			die "private apt update failed, see $APT_DIR/update.log"
		touch "$stamp"
	fi
}

# Candidate version of a package in the private apt configuration.
candidate_version() {
	private_apt apt-cache policy "$1" 2>/dev/null |
		awk '/Candidate:/ { print $2 }'
}

# Newest package matching a regex whose candidate is a release, not a
# release candidate from experimental. Prints "package version".
newest_release_package() {
	local pkg ver

	for pkg in $(private_apt apt-cache search --names-only "$1" 2>/dev/null |
		     awk '{ print $1 }' | sort -rV); do
		ver=$(candidate_version "$pkg")
		case "$ver" in
		"" | "(none)" | *~rc*) continue ;;
		esac
		echo "$pkg $ver"
		return 0
	done
	return 1
}

# The upstream part of a Debian version: no epoch, no Debian revision.
upstream_version() {
	local v=${1#*:}

	echo "${v%-*}"
}

# Pick a version from the Debian versions on stdin (one a line): @1, the
# pinned version the project was last tested with, if it is there; else
# the newest whose upstream version matches the extended regex @2 (the
# series the project supports). Prints "VERSION pinned" or "VERSION
# newest"; returns 1 if no version fits. Pure: the tests feed it lists.
select_version() {
	local pinned=$1 series=$2 v best=

	while read -r v; do
		[ -n "$v" ] || continue
		if [ "$v" = "$pinned" ]; then
			echo "$v pinned"
			return 0
		fi
		grep -qE -- "$series" <<<"$(upstream_version "$v")" || continue
		if [ -z "$best" ] || dpkg --compare-versions "$v" gt "$best"; then
			best=$v
		fi
	done
	[ -n "$best" ] || return 1
	echo "$best newest"
}

# The version of Debian source package @1 to build. Debian unstable keeps
# only the newest upload of a package, so a pinned version disappears
# when Debian moves on: the override variable named @2 wins, then the
# pinned version @3, then the newest of the supported series @4 (an
# extended regex of upstream versions). Says what it chose and why;
# names the variable when nothing fits.
choose_source_version() {
	local src=$1 var=$2 pinned=$3 series=$4 want=${!2:-} avail pick

	private_apt_update
	avail=$(private_apt apt-cache showsrc "$src" 2>/dev/null |
		awk '/^Version:/ { print $2 }' | sort -u)
	if [ -n "$want" ]; then
		grep -qxF -- "$want" <<<"$avail" ||
			die "$var=$want, but Debian has no source package $src $want (it has: $(echo $avail))"
		log "$src $want (set by $var)"
		echo "$want"
		return
	fi
	pick=$(select_version "$pinned" "$series" <<<"$avail") ||
		die "Debian has no $src of a series dmr supports ($series; tested: $pinned; available: $(echo ${avail:-none})); set $var to a version to try"
	if [ "${pick#* }" = pinned ]; then
		log "$src ${pick% *} (the tested version)"
	else
		log "$src ${pick% *}: the tested $pinned is gone from Debian, taking the newest of $series (set $var to choose)"
	fi
	echo "${pick% *}"
}

# Apply the testbed's patch @2 to the source tree @1 (@3 names the tree
# in messages). A patch the tree already contains is reported and left
# out (return 2: the patch should be dropped); one that does not apply
# stops the build with the reason.
apply_patch() {
	local tree=$1 p=$2 what=$3 out

	if patch -d "$tree" -p1 -R --dry-run -s -f <"$p" >/dev/null 2>&1; then
		log "warning: $what already has $(basename "$p"); not applied (drop it from testbed/kernel-patches)"
		return 2
	fi
	out=$(patch -d "$tree" -p1 --forward --dry-run -f <"$p" 2>&1) ||
		die "$(basename "$p") does not apply to $what; refresh it, or pin a version it applies to:"$'\n'"$out"
	patch -d "$tree" -p1 --forward -s -f <"$p" >/dev/null
}

# Download the upstream (orig) tarball of a Debian source package into
# $DMR_CACHE/dl and print its path. Only the orig tarball is fetched: the
# Debian packaging is not needed to build in place. $1: source package,
# $2: exact Debian version or empty for the candidate.
fetch_orig_tarball() {
	local src=$1 ver=${2:-} line url file sum dl=$DMR_CACHE/dl

	mkdir -p "$dl"
	line=$(private_apt apt-get source --print-uris "$src${ver:+=$ver}" 2>/dev/null |
		grep -E "^'[^']*\.orig\.tar\.[a-z0-9]+'" | head -n1)
	[ -n "$line" ] || die "Debian has no source package $src${ver:+ $ver}"
	url=$(echo "$line" | awk '{ print $1 }' | tr -d "'")
	file=$(echo "$line" | awk '{ print $2 }')
	sum=$(echo "$line" | awk '{ print $4 }' | sed 's/^SHA256://')
	if [ ! -f "$dl/$file" ] || ! echo "$sum  $dl/$file" | sha256sum -c --status; then
		log "fetching $file"
		curl -fsSL --retry 3 -o "$dl/$file.part" "$url" ||
			die "cannot download $file (source package $src)"
		echo "$sum  $dl/$file.part" | sha256sum -c --status ||
			die "checksum mismatch for $file"
		mv "$dl/$file.part" "$dl/$file"
	fi
	echo "$dl/$file"
}

# Configure and build the userspace parts and the module for one kernel
# flavour in $DMR_TOP/build/FLAVOUR; prints that directory.
# $1: flavour, $2: kernel build dir, $3: rdma-core build dir,
# $4: libfabric prefix (optional: without it, the one configured before
# stays, so that the demo and the benchmarks do not undo the tests').
build_host() {
	local dir=$DMR_TOP/build/$1 sparse

	mkdir -p "$dir"
	sparse=$("$DMR_TOP/testbed/build-sparse.sh")
	cmake -S "$DMR_TOP" -B "$dir" -GNinja -DDMR_KBUILD="$2" \
		-DDMR_RDMA_BUILD="$3" ${4:+-DDMR_LIBFABRIC="$4"} \
		-DDMR_SPARSE="$sparse" >"$dir/configure.log" 2>&1 ||
		die "cmake configure failed, see $dir/configure.log"
	ninja -C "$dir" >"$dir/build.log" 2>&1 ||
		die "build failed, see $dir/build.log"
	echo "$dir"
}
