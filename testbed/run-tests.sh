#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The test command: builds everything (cached), runs the host-side suites,
# boots the debug guest and runs the pyverbs-tests in it, then prints one
# summary that ends with "N passed, N failed, N skipped".
#
#   run-tests.sh [PYTEST ARGS...]     e.g. run-tests.sh -k VfioBar
#
# DMR_FLAVOUR=fast runs the guest on the fast kernel instead.
# DMR_FUZZ_SEED and DMR_FUZZ_SECONDS set the random tester's seed and time
# (test_dmr_robustness.py); DMR_FABTESTS=1 runs the runfabtests suites on
# the debug kernel too (slow).
set -euo pipefail
# Read the whole script before running it: editing it during a long run
# must not change what this run executes.
{
. "$(dirname "$0")/lib.sh"

flavour=${DMR_FLAVOUR:-debug}
results=$DMR_TOP/build/results/test-$(date +%Y%m%d-%H%M%S)
mkdir -p "$results"
log "results in $results"

"$DMR_TOP/testbed/install-deps.sh"
kbuild=$("$DMR_TOP/testbed/build-kernel.sh" "$flavour")
rdma_build=$("$DMR_TOP/testbed/build-rdma-core.sh")
libfabric=$("$DMR_TOP/testbed/build-libfabric.sh" "$rdma_build")
host=$(build_host "$flavour" "$kbuild" "$rdma_build" "$libfabric")

log "host-side tests (ctest)"
ctest_status=0
(cd "$host" && ctest --output-on-failure --output-junit "$results/ctest.xml") \
	>"$results/ctest.log" 2>&1 || ctest_status=$?
tail -n 3 "$results/ctest.log" >&2

log "guest tests (pyverbs-tests) on the $flavour kernel"
guest_status=0
DMR_KBUILD=$kbuild DMR_RDMA_BUILD=$rdma_build \
	DMR_MODULE=$host/kernel/dmr.ko \
	DMR_IBVX_LIB=$host/libibverbs-ext/libibverbs-ext.so.1 \
	DMR_GUEST_BIN=$host/tests/guest DMR_LIBFABRIC=$libfabric \
	DMR_GUEST_ENV="DMR_MODULE DMR_IBVX_LIB DMR_GUEST_BIN DMR_LIBFABRIC
		DMR_FUZZ_SEED DMR_FUZZ_SECONDS DMR_FABTESTS" \
	"$DMR_TOP/testbed/guest-run" --flavour "$flavour" \
	--timeout "${DMR_TEST_TIMEOUT:-4800}" --rundir "$results/guest" \
	-- "sh $DMR_TOP/testbed/guest-tests.sh $(printf '%q ' "$@")" || guest_status=$?
grep -aE '^(PASSED|FAILED|ERROR|SKIPPED)|::.* (PASSED|FAILED|ERROR|SKIPPED)' \
	"$results/guest/console.log" | tail -n 400 >"$results/pytest-outcomes.txt" || true

"$DMR_TOP/testbed/summarize.py" \
	--junit "googletest+host=$results/ctest.xml" \
	--junit "pyverbs-tests=$results/guest/scratch/pytest.xml" \
	--guest-status "$guest_status" --guest-log "$results/guest/console.log"
exit
}
