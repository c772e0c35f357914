#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# ./dmr test --two-guests: dmr on the wire between two guests, two
# kernels, one link. Builds what the test command builds (cached), boots a
# server guest (dmr1 on eth1, testbed/two-guests-server.py) and a client
# guest (pyverbs-tests/test_dmr_two_guests.py: dmr1, then rxe0, on eth1),
# one CPU each, their eth1s joined by a QEMU socket link, and prints one
# summary that ends with "N passed, N failed, N skipped".
#
#   run-two-guests.sh [PYTEST ARGS...]
#
# DMR_FLAVOUR=fast runs both guests on the fast kernel instead of the debug one.
set -euo pipefail
# Read the whole script before running it: editing it during a long run
# must not change what this run executes.
{
. "$(dirname "$0")/lib.sh"

flavour=${DMR_FLAVOUR:-debug}
results=$DMR_TOP/build/results/two-guests-$(date +%Y%m%d-%H%M%S)
mkdir -p "$results"
log "results in $results"

"$DMR_TOP/testbed/install-deps.sh"
kbuild=$("$DMR_TOP/testbed/build-kernel.sh" "$flavour")
rdma_build=$("$DMR_TOP/testbed/build-rdma-core.sh")
libfabric=$("$DMR_TOP/testbed/build-libfabric.sh" "$rdma_build")
host=$(build_host "$flavour" "$kbuild" "$rdma_build" "$libfabric")

# A free TCP port of the host for the link: QEMU's socket netdev listens
# in the server guest's QEMU and the client's connects to it.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

export DMR_KBUILD=$kbuild DMR_RDMA_BUILD=$rdma_build
export DMR_MODULE=$host/kernel/dmr.ko DMR_GUEST_BIN=$host/tests/guest
export DMR_IBVX_LIB=$host/libibverbs-ext/libibverbs-ext.so.1
export DMR_LIBFABRIC=$libfabric DMR_TWO_GUESTS=1
export DMR_PYTEST_TARGET=$DMR_TOP/pyverbs-tests/test_dmr_two_guests.py
export DMR_GUEST_ENV="DMR_MODULE DMR_IBVX_LIB DMR_GUEST_BIN DMR_LIBFABRIC
	DMR_TWO_GUESTS DMR_PYTEST_TARGET"

log "server guest (console log $results/server/console.log)"
server_status=0
"$DMR_TOP/testbed/guest-run" --flavour "$flavour" --smp 1 --id 1 \
	--net1 "socket,listen=127.0.0.1:$port" \
	--timeout "${DMR_TEST_TIMEOUT:-3600}" --rundir "$results/server" \
	-- "python3 $DMR_TOP/testbed/two-guests-server.py" \
	>"$results/server.log" 2>&1 &
server_pid=$!
# The client's QEMU connects once the server's listens.
for _ in $(seq 300); do
	ss -Hltn "sport = :$port" | grep -q . && break
	kill -0 "$server_pid" 2>/dev/null || break
	sleep 0.2
done
ss -Hltn "sport = :$port" | grep -q . || {
	cat "$results/server.log" >&2
	die "the server guest's QEMU does not listen on port $port"
}

log "client guest"
client_status=0
"$DMR_TOP/testbed/guest-run" --flavour "$flavour" --smp 1 --id 2 \
	--net1 "socket,connect=127.0.0.1:$port" \
	--timeout "${DMR_TEST_TIMEOUT:-3600}" --rundir "$results/client" \
	-- "sh $DMR_TOP/testbed/guest-tests.sh $(printf '%q ' "$@")" ||
	client_status=$?

# The client's tests tell the server to stop; if they could not, stop it.
for _ in $(seq 120); do
	kill -0 "$server_pid" 2>/dev/null || break
	sleep 1
done
kill "$server_pid" 2>/dev/null || true
wait "$server_pid" || server_status=$?
sed 's/^/  server: /' "$results/server.log" >&2

"$DMR_TOP/testbed/summarize.py" \
	--junit "two-guests=$results/client/scratch/pytest.xml" \
	--guest-status "$client_status" --guest-log "$results/client/console.log" \
	--server-status "$server_status" --server-log "$results/server/console.log"
exit
}
