#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The man pages tell the truth about the ABI: every symbol a version
# script exports is documented in the library's man page, and troff pages
# format without a warning.
#
#   check-man-pages.sh VERSION_SCRIPT MAN_PAGE [VERSION_SCRIPT MAN_PAGE...]
set -uo pipefail
failed=0
while [ $# -ge 2 ]; do
	map=$1 page=$2
	shift 2
	# The names of a version script: "name;" lines, not "global:"/"local: *;".
	for sym in $(sed -n 's/^[[:space:]]*\([A-Za-z_][A-Za-z0-9_]*\);.*/\1/p' "$map"); do
		if ! grep -qw -- "$sym" "$page"; then
			echo "FAIL: $(basename "$page") does not document $sym (exported by $(basename "$map"))"
			failed=1
		fi
	done
	case "$page" in
	*.[0-9])
		if out=$(groff -man -ww -z "$page" 2>&1) && [ -z "$out" ]; then
			:
		else
			echo "FAIL: groff warns about $(basename "$page"):"
			echo "$out"
			failed=1
		fi
		;;
	esac
done
[ $# -eq 0 ] || { echo "usage: $0 VERSION_SCRIPT MAN_PAGE..."; exit 2; }
[ $failed = 0 ] && echo "man pages document every exported symbol"
exit $failed
