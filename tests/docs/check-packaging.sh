#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The packaging entries dmr carries for rdma-core list the provider's ABI
# as it is: the libdmr.so.1 block of debian/ibverbs-providers.symbols (in
# the packaging patch) names every symbol of libdmr.map with its version
# node and nothing else, and so does the built library, if given.
#
#   check-packaging.sh LIBDMR_MAP PACKAGING_PATCH [LIBDMR_SO]
set -uo pipefail
[ $# -ge 2 ] || { echo "usage: $0 LIBDMR_MAP PACKAGING_PATCH [LIBDMR_SO]"; exit 2; }
map=$1 patch=$2 lib=${3:-}
failed=0

# "sym@NODE" for every name of the version script, node by node.
expected=$(awk '
	/^[A-Z0-9_.]+[[:space:]]*\{/ { node = $1; sub(/\{.*/, "", node) }
	/^[[:space:]]*[A-Za-z_][A-Za-z0-9_]*;/ && node != "" {
		s = $1; sub(/;.*/, "", s); print s "@" node
	}' "$map" | sort)
[ -n "$expected" ] || { echo "FAIL: no symbols in $map"; exit 1; }

# The added lines of the symbols file's libdmr.so.1 block, without the
# version nodes themselves ("DMR_1.0@DMR_1.0").
listed=$(awk '
	/^\+libdmr\.so\.1 / { inblock = 1; next }
	inblock && /^\+\* / { next }
	inblock && /^\+ [^ ]+@[^ ]+ / { print $2; next }
	inblock { inblock = 0 }' "$patch" | grep -v '^\([A-Z0-9_.]*\)@\1$' | sort)
if [ "$expected" != "$listed" ]; then
	echo "FAIL: debian/ibverbs-providers.symbols in $(basename "$patch") does not list libdmr.map's symbols:"
	diff <(echo "$expected") <(echo "$listed")
	failed=1
fi

if [ -n "$lib" ]; then
	exported=$(readelf --dyn-syms --wide "$lib" |
		awk '$5 == "GLOBAL" && $7 != "UND" && $8 ~ /@/ { print $8 }' |
		sed 's/@@/@/' | grep -v '^\([A-Z0-9_.]*\)@\1$' | sort)
	if [ "$expected" != "$exported" ]; then
		echo "FAIL: $(basename "$lib") does not export what libdmr.map says:"
		diff <(echo "$expected") <(echo "$exported")
		failed=1
	fi
fi
[ $failed = 0 ] && echo "the packaging lists the $(echo "$expected" | wc -l) symbols of libdmr.map"
exit $failed
