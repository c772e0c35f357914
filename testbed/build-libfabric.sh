#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Build libfabric and its fabtests (Debian's source package; Debian 12's
# own 1.17 predates FI_MR_DMABUF) against the rdma-core tree of
# build-rdma-core.sh: the verbs provider, ofi_rxm over it, and tcp as a
# reference. Installed into a private prefix, which the guest sees at the
# same path.
#
#   build-libfabric.sh RDMA_CORE_BUILD_DIR
#
# Prints the prefix (bin/ with fi_info and the fabtests, lib/, include/).
# Cached under $DMR_CACHE/libfabric, keyed by the version, the configure
# flags and the rdma-core build it links.
set -euo pipefail
# Read the whole script before running it (see build-rdma-core.sh).
{
. "$(dirname "$0")/lib.sh"

rdma=${1:?usage: build-libfabric.sh RDMA_CORE_BUILD_DIR}
ver=$(choose_source_version libfabric DMR_LIBFABRIC_VERSION 2.1.0-1.1 '^2\.')
# Only what runs on dmr: verbs (MSG, and DGRAM over UD), rxm for RDM over
# verbs, and tcp to tell a libfabric problem from a dmr one. The rpath
# makes the build use rdma-core's tree, not the machine's libibverbs.
conf_flags=(--disable-static --enable-only --enable-verbs="$rdma" --enable-rxm
	    --enable-tcp LDFLAGS="-Wl,-rpath,$rdma/lib")
root=$DMR_CACHE/libfabric/$ver-$(input_hash "${conf_flags[@]}")
src=$root/src
prefix=$root/inst

if [ -f "$root/.built" ]; then
	echo "$prefix"
	exit
fi
for tool in autoreconf automake libtoolize make; do
	command -v "$tool" >/dev/null || die "$tool is missing (run testbed/install-deps.sh)"
done
need_disk 1000
tarball=$(fetch_orig_tarball libfabric "$ver")
rm -rf "$root"
mkdir -p "$src" "$root/build" "$root/ft-build"
tar -C "$src" --strip-components=1 -xf "$tarball"

log "building libfabric $ver (log: $root/build.log)"
{
	# The orig tarball is a git export: no configure scripts yet.
	(cd "$src" && ./autogen.sh) &&
	(cd "$src/fabtests" && ./autogen.sh) &&
	(cd "$root/build" && "$src/configure" --prefix="$prefix" "${conf_flags[@]}") &&
	make -C "$root/build" -j"$DMR_JOBS" install &&
	(cd "$root/ft-build" && "$src/fabtests/configure" --prefix="$prefix" \
		--with-libfabric="$prefix" LDFLAGS="-Wl,-rpath,$prefix/lib") &&
	make -C "$root/ft-build" -j"$DMR_JOBS" install
} >"$root/build.log" 2>&1 || die "libfabric build failed, see $root/build.log"
"$prefix/bin/fi_info" -l 2>/dev/null | grep -q '^verbs' ||
	die "libfabric built without the verbs provider, see $root/build.log"
touch "$root/.built"
echo "$prefix"
exit
}
