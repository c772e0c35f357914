#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Build sparse from Debian's source package: the kernel's checker-valid.sh
# needs __typeof_unqual__, which Debian 12's sparse 0.6.4 lacks. Prints
# the path of the sparse binary; cached under $DMR_CACHE/sparse.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ver=$(choose_source_version sparse DMR_SPARSE_VERSION 0.6.5~rc1-2 '^0\.6\.([5-9]|[1-9][0-9])')
dir=$DMR_CACHE/sparse/$ver
if [ ! -x "$dir/sparse" ]; then
	tarball=$(fetch_orig_tarball sparse "$ver")
	rm -rf "$dir"
	mkdir -p "$dir"
	tar -C "$dir" --strip-components=1 -xf "$tarball"
	make -C "$dir" -j"$DMR_JOBS" HAVE_LLVM=no HAVE_GTK=no HAVE_LIBXML=no \
		HAVE_SQLITE=no sparse >"$dir/build.log" 2>&1 ||
		die "sparse build failed, see $dir/build.log"
fi
echo "$dir/sparse"
