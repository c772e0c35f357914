#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The kernel code's static checks, as ctest tests: they fail on any finding.
#   static-check.sh checkpatch KSRC MODULE_DIR
#   static-check.sh sparse KBUILD MODULE_DIR SPARSE OUTDIR
#   static-check.sh kconfig KBUILD MODULE_DIR OUTDIR
set -u
mode=$1
case "$mode" in
checkpatch)
	ksrc=$2 mod=$3
	out=$("$ksrc/scripts/checkpatch.pl" --strict --no-tree -q --terse \
		-f "$mod"/*.c "$mod"/*.h "$mod"/uapi/rdma/*.h 2>&1 |
		grep -v 'total: 0 errors, 0 warnings, 0 checks')
	;;
sparse)
	kbuild=$2 mod=$3 sparse=$4 outdir=$5
	rm -rf "$outdir"
	mkdir -p "$outdir"
	# C=2: check every file, built or not.
	out=$(make -s -C "$kbuild" M="$mod" MO="$outdir" C=2 CHECK="$sparse" \
		modules 2>&1 | grep -E 'warning:|error:')
	;;
kconfig)
	# A kernel without what kernel/Kconfig depends on is refused by
	# name: each dependency in turn is taken away on make's command
	# line, which overrides the kernel's configuration.
	kbuild=$2 mod=$3 outdir=$4
	out=
	for c in CONFIG_64BIT CONFIG_INFINIBAND_USER_ACCESS CONFIG_DMA_SHARED_BUFFER; do
		rm -rf "$outdir"
		mkdir -p "$outdir"
		res=$(make -s -C "$kbuild" M="$mod" MO="$outdir" "$c=" modules 2>&1)
		status=$?
		if [ $status -eq 0 ] || ! grep -q "dmr needs a kernel with $c" <<<"$res"; then
			out+="without $c: exit $status, not refused by name:"$'\n'"$res"$'\n'
		fi
	done
	rm -rf "$outdir"
	;;
*)
	echo "usage: $0 checkpatch|sparse|kconfig ..." >&2
	exit 2
	;;
esac
if [ -n "$out" ]; then
	echo "$out"
	exit 1
fi
echo "$mode: clean"
