#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Runs inside the guest: the pyverbs-tests, results to $SCRATCH/pytest.xml.
# Arguments are passed to pytest (e.g. -k VfioBar); DMR_PYTEST_TARGET
# replaces the pyverbs-tests directory (testbed/run-two-guests.sh).
# Run from a neutral directory: the repository's top-level tests/ must not
# shadow rdma-core's "tests" package.
cd /tmp || exit 1
python3 -m pytest -p no:cacheprovider -v -rs --durations=25 \
	--junitxml="$SCRATCH/pytest.xml" "${DMR_PYTEST_TARGET:-$DMR_TOP/pyverbs-tests}" "$@"
status=$?

# Unload what the tests loaded, so that the kmemleak scan guest-init does
# next sees every object the drivers leaked, and module exit itself runs.
for link in $(rdma link show 2>/dev/null | awk '{ print $2 }' | cut -d/ -f1); do
	rdma link delete "$link"
done
for mod in dmr rdma_rxe; do
	if [ -d "/sys/module/$mod" ] && ! rmmod "$mod"; then
		echo "guest-tests: rmmod $mod failed"
		status=1
	fi
done
exit $status
