#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# guest-run must refuse, before booting anything, to run from paths under
# /tmp: the guest mounts its own /tmp over the host's.
#   test_guest_run_refuses_tmp.sh GUEST_RUN WORKDIR
set -u
guest_run=$1
kbuild=$2/fake-kbuild
fail=0
mkdir -p "$kbuild/arch/x86/boot"
touch "$kbuild/arch/x86/boot/bzImage"

out=$(DMR_KBUILD=$kbuild DMR_RDMA_BUILD=/tmp/rdma-core-build \
	timeout 20 "$guest_run" --flavour fast -- true 2>&1)
status=$?
[ $status != 0 ] || { echo "FAIL: an rdma-core build under /tmp was accepted"; fail=1; }
grep -q 'under /tmp' <<<"$out" || { echo "FAIL: no reason given: $out"; fail=1; }
grep -q 'guest:' <<<"$out" && { echo "FAIL: a guest was started"; fail=1; }
exit $fail
