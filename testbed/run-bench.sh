#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The benchmarks: builds everything (cached), boots the fast guest once and
# runs bench/guest_bench.py there (perftest on dmr0 and rxe0, memcpy,
# registration costs, revocation latency), then writes results.md and PNG
# plots into build/results/bench-DATE. Benchmarks assert nothing.
#
# DMR_BENCH_QUICK=1 runs a few sizes only (a smoke run of the pipeline).
set -euo pipefail
# Read the whole script before running it (see run-tests.sh).
{
. "$(dirname "$0")/lib.sh"

flavour=${DMR_FLAVOUR:-fast}
results=$DMR_TOP/build/results/bench-$(date +%Y%m%d-%H%M%S)
mkdir -p "$results"

"$DMR_TOP/testbed/install-deps.sh" --bench
kbuild=$("$DMR_TOP/testbed/build-kernel.sh" "$flavour")
rdma_build=$("$DMR_TOP/testbed/build-rdma-core.sh")
host=$(build_host "$flavour" "$kbuild" "$rdma_build")

log "benchmarks on the $flavour guest (log in $results/guest/console.log)"
DMR_KBUILD=$kbuild DMR_RDMA_BUILD=$rdma_build \
	DMR_MODULE=$host/kernel/dmr.ko DMR_BENCH_BIN=$host/bench \
	DMR_BENCH_QUICK=${DMR_BENCH_QUICK:-0} \
	DMR_GUEST_ENV="DMR_MODULE DMR_BENCH_BIN DMR_BENCH_QUICK" \
	"$DMR_TOP/testbed/guest-run" --flavour "$flavour" --timeout 5400 \
	--rundir "$results/guest" -- "python3 $DMR_TOP/bench/guest_bench.py" ||
	die "the benchmark run failed, see $results/guest/console.log"
cp "$results/guest/scratch/bench.json" "$results/"
# Debian's python, where python3-matplotlib is installed.
/usr/bin/python3 "$DMR_TOP/bench/report.py" "$results/bench.json" "$results"
log "results in $results/results.md"
exit
}
