#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The main job: builds everything (cached), boots the fast guest and runs
# demo/vfio_bar_demo there - a VFIO BAR registered as an MR on dmr0,
# written by RDMA, revoked, restored - then shows the BAR's backing file
# from the host.
set -euo pipefail
# Read the whole script before running it (see run-tests.sh).
{
. "$(dirname "$0")/lib.sh"

flavour=${DMR_FLAVOUR:-fast}
results=$DMR_TOP/build/results/demo-$(date +%Y%m%d-%H%M%S)
mkdir -p "$results"

"$DMR_TOP/testbed/install-deps.sh"
kbuild=$("$DMR_TOP/testbed/build-kernel.sh" "$flavour")
rdma_build=$("$DMR_TOP/testbed/build-rdma-core.sh")
host=$(build_host "$flavour" "$kbuild" "$rdma_build")

log "booting the $flavour guest (log in $results/guest/console.log)"
status=0
DMR_KBUILD=$kbuild DMR_RDMA_BUILD=$rdma_build \
	DMR_MODULE=$host/kernel/dmr.ko \
	DMR_DEMO_BIN=$host/demo/vfio_bar_demo \
	DMR_GUEST_ENV="DMR_MODULE DMR_DEMO_BIN" \
	"$DMR_TOP/testbed/guest-run" --flavour "$flavour" --timeout 600 \
	--rundir "$results/guest" -- "sh $DMR_TOP/demo/guest-demo.sh" ||
	status=$?
# The demo's own output, without the kernel's messages.
cat "$results/guest/scratch/demo.txt" 2>/dev/null ||
	echo "(the demo did not run: see the console log)"
echo
echo "On the host, the BAR's backing file at offset 0x1000 now holds:"
od -A x -t x1z -j 4096 -N 48 "$results/guest/scratch/bar.img"
if [ "$status" = 0 ]; then
	log "demo passed"
else
	log "demo failed (status $status); see $results/guest/console.log"
fi
exit "$status"
}
