#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Build rdma-core (Debian's source package) in place, with providers/dmr
# added to its provider list, pyverbs included.
#
#   build-rdma-core.sh
#
# Prints the build directory (bin/, lib/, python/). The unpacked tree and
# the build are cached under $DMR_CACHE/rdma-core, keyed by the version
# and the cmake configuration; our provider is linked into the tree, so a
# change to it costs an incremental ninja run, not a rebuild.
set -euo pipefail
# Read the whole script before running it: editing it during a long run
# must not change what this run executes.
{
. "$(dirname "$0")/lib.sh"

ver=$(choose_source_version rdma-core DMR_RDMA_CORE_VERSION 65.0-1.1 '^6[5-9]\.')
python=/usr/bin/python3
cmake_flags=(-GNinja -DIN_PLACE=1 -DNO_MAN_PAGES=1 -DENABLE_STATIC=0
	     -DPYTHON_EXECUTABLE="$python" -DCMAKE_BUILD_TYPE=RelWithDebInfo)
root=$DMR_CACHE/rdma-core/$ver-$(input_hash "${cmake_flags[@]}" "$(cmake --version | head -n1)")
src=$root/src
build=$root/build

for tool in cmake ninja cython3 pkg-config; do
	command -v "$tool" >/dev/null || die "$tool is missing (run testbed/install-deps.sh)"
done

if [ ! -f "$src/.unpacked" ]; then
	need_disk 1000
	tarball=$(fetch_orig_tarball rdma-core "$ver")
	rm -rf "$src"
	mkdir -p "$src"
	tar -C "$src" --strip-components=1 -xf "$tarball"
	# Add our provider after rxe, as an in-tree provider would be.
	grep -q 'providers/dmr' "$src/CMakeLists.txt" ||
		sed -i 's|^add_subdirectory(providers/rxe)$|&\nadd_subdirectory(providers/dmr)|' \
			"$src/CMakeLists.txt"
	grep -q 'providers/dmr' "$src/CMakeLists.txt" ||
		die "cannot add providers/dmr to rdma-core's CMakeLists.txt"
	touch "$src/.unpacked"
fi
ln -sfn "$DMR_TOP/providers/dmr" "$src/providers/dmr"
# dmr's uapi header joins rdma-core's copies of the kernel's, as an
# upstream provider's does: rdma-core publishes it as <rdma/dmr-abi.h> and
# makes <kernel-abi/dmr-abi.h> of it, for DECLARE_DRV_CMD().
ln -sfn "$DMR_TOP/kernel/uapi/rdma/dmr-abi.h" "$src/kernel-headers/rdma/dmr-abi.h"
if ! grep -q 'rdma/dmr-abi.h' "$src/kernel-headers/CMakeLists.txt"; then
	sed -i 's|^  rdma/rdma_user_rxe.h$|&\n  rdma/dmr-abi.h|' \
		"$src/kernel-headers/CMakeLists.txt"
	[ "$(grep -c 'rdma/dmr-abi.h' "$src/kernel-headers/CMakeLists.txt")" = 2 ] ||
		die "cannot add rdma/dmr-abi.h to rdma-core's kernel-headers/CMakeLists.txt"
fi

# The entries rdma-core's Debian and RPM packaging would carry for dmr,
# kept applying to the version built (ctest docs.packaging_lists_the_abi
# checks them against libdmr.map).
pkg_patch=$DMR_TOP/providers/dmr/packaging/rdma-core-packaging.patch
if ! patch -d "$src" -p1 -R --dry-run -s -f <"$pkg_patch" >/dev/null 2>&1; then
	out=$(patch -d "$src" -p1 --forward -s -f <"$pkg_patch" 2>&1) ||
		die "$(basename "$pkg_patch") does not apply to rdma-core $ver in $src; refresh it (or remove that copy, if an older version of the patch is in it):"$'\n'"$out"
fi

mkdir -p "$build"
# The provider's include paths are resolved through the link at configure
# time, so a cache shared by two clones is reconfigured when the clone
# changes (cheap: only the provider's objects are rebuilt).
if [ ! -f "$build/build.ninja" ] ||
   [ "$(cat "$build/.dmr_top" 2>/dev/null)" != "$DMR_TOP" ]; then
	log "configuring rdma-core $ver in $build"
	(cd "$build" && cmake "${cmake_flags[@]}" "$src") >"$root/configure.log" 2>&1 ||
		die "rdma-core configure failed, see $root/configure.log"
	echo "$DMR_TOP" >"$build/.dmr_top"
fi
log "building rdma-core $ver (log: $root/build.log)"
ninja -C "$build" -j"$DMR_JOBS" >"$root/build.log" 2>&1 ||
	die "rdma-core build failed, see $root/build.log"
compgen -G "$build/lib/libdmr.so*" >/dev/null ||
	die "rdma-core built without the dmr provider"
echo "$build"
exit
}
