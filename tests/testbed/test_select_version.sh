#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The choice of a Debian source version (testbed/lib.sh select_version)
# against fixture lists of what Debian offers, and the kernel patch
# check (apply_patch) on a small tree. No network.
#   test_select_version.sh LIB_SH DATA_DIR
set -u
. "$1"
data=$2
fail=0

expect() {
	local what=$1 want=$2 got

	got=$(select_version 65.0-1.1 '^6[5-9]\.' <"$data/$what.txt")
	[ $? -eq 0 ] || got="(none)"
	if [ "$got" = "$want" ]; then
		echo "ok: $what -> $got"
	else
		echo "FAIL: $what -> $got, want $want"
		fail=1
	fi
}

expect pinned-present "65.0-1.1 pinned"
expect pinned-gone-newer "66.0-2 newest"
expect pinned-gone-none "(none)"
# An epoch counts for order, not for the series; a ~rc sorts before.
expect epoch-and-rc "1:65.0-1.1 newest"

# A failed choice names the variable that overrides it.
msg=$(private_apt_update() { :; }
      private_apt() { printf 'Version: 60.0-1\n'; }
      choose_source_version rdma-core DMR_RDMA_CORE_VERSION 65.0-1.1 '^6[5-9]\.' 2>&1)
if grep -q 'set DMR_RDMA_CORE_VERSION' <<<"$msg"; then
	echo "ok: the error names DMR_RDMA_CORE_VERSION"
else
	echo "FAIL: the error does not name the variable: $msg"
	fail=1
fi

# apply_patch: applies, reports one already applied, stops on one that
# does not apply.
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
mkdir -p "$tree/a"
printf 'one\ntwo\nthree\n' >"$tree/a/f"
cat >"$tree/p.patch" <<'EOP'
--- a/a/f
+++ b/a/f
@@ -1,3 +1,3 @@
 one
-two
+TWO
 three
EOP
out=$(apply_patch "$tree" "$tree/p.patch" tree 2>&1); rc=$?
[ $rc -eq 0 ] && grep -qx TWO "$tree/a/f" && echo "ok: applies" ||
	{ echo "FAIL: apply ($rc): $out"; fail=1; }
out=$(apply_patch "$tree" "$tree/p.patch" tree 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q 'already has p.patch' <<<"$out" &&
	echo "ok: an applied patch is reported" ||
	{ echo "FAIL: applied again ($rc): $out"; fail=1; }
printf 'one\nzwei\nthree\n' >"$tree/a/f"
out=$( (apply_patch "$tree" "$tree/p.patch" tree) 2>&1); rc=$?
[ $rc -ne 0 ] && grep -q 'does not apply' <<<"$out" &&
	echo "ok: a patch that does not apply stops the build" ||
	{ echo "FAIL: no stop ($rc): $out"; fail=1; }
exit $fail
