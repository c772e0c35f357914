#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# check-guest-log must pass a clean log and fail every kind of report.
#   test_check_guest_log.sh CHECKER LOGDIR
set -u
checker=$1
dir=$2
fail=0

"$checker" "$dir/clean.log" >/dev/null || { echo "FAIL: clean.log flagged"; fail=1; }
for log in warn lockdep kasan kmemleak oops; do
	if "$checker" "$dir/$log.log" >/dev/null; then
		echo "FAIL: $log.log not flagged"
		fail=1
	fi
done
"$checker" "$dir/does-not-exist.log" >/dev/null 2>&1
[ $? = 2 ] || { echo "FAIL: a missing log must exit 2"; fail=1; }
exit $fail
