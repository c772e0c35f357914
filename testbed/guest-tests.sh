#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Runs inside the guest: the pyverbs-tests, results to $SCRATCH/pytest.xml.
# Arguments are passed to pytest (e.g. -k VfioBar).
# Run from a neutral directory: the repository's top-level tests/ must not
# shadow rdma-core's "tests" package.
cd /tmp || exit 1
exec python3 -m pytest -p no:cacheprovider -v -rs \
	--junitxml="$SCRATCH/pytest.xml" "$DMR_TOP/pyverbs-tests" "$@"
