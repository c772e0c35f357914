#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""
One summary of a test run: GoogleTest and host checks (ctest's JUnit
file), pyverbs-tests (pytest's JUnit file) and the guest checks (did the
guest finish, was its kernel log clean). Prints a table, the failures, and
ends with the closing line "N passed, N failed, N skipped". Exits 1 if
anything failed.

  summarize.py --junit NAME=FILE ... --guest-status N --guest-log FILE
"""
import argparse
import os
import sys
import xml.etree.ElementTree as ET

GUEST_STATUS = {
    124: 'the guest timed out',
    125: 'the guest kernel printed a report (WARN, BUG, lockdep, KASAN, kmemleak)',
    126: 'the guest died before its command finished',
}


def junit_results(path):
    """[(name, 'passed'|'failed'|'skipped')] of a JUnit XML file."""
    results = []
    for case in ET.parse(path).getroot().iter('testcase'):
        name = case.get('name')
        if case.get('classname'):
            name = f"{case.get('classname')}.{name}"
        if case.find('failure') is not None or case.find('error') is not None:
            outcome = 'failed'
        elif case.find('skipped') is not None or case.get('status') == 'notrun':
            outcome = 'skipped'
        else:
            outcome = 'passed'
        results.append((name, outcome))
    return results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--junit', action='append', default=[],
                    help='SUITE=FILE, a JUnit XML file of one suite')
    ap.add_argument('--guest-status', type=int,
                    help="exit status of guest-run, if the guest ran")
    ap.add_argument('--guest-log', help='the guest console log')
    ap.add_argument('--server-status', type=int,
                    help='exit status of guest-run of the server guest '
                         '(run-two-guests.sh)')
    ap.add_argument('--server-log', help="the server guest's console log")
    args = ap.parse_args()

    suites = {}
    for spec in args.junit:
        suite, _, path = spec.partition('=')
        if os.path.exists(path):
            try:
                suites[suite] = junit_results(path)
            except ET.ParseError as e:
                suites[suite] = [(f'{suite}: unreadable results ({e})', 'failed')]
        else:
            suites[suite] = [(f'{suite}: produced no results', 'failed')]

    if args.guest_status is not None:
        checks = []
        reason = GUEST_STATUS.get(args.guest_status)
        checks.append(('guest finished its command',
                       'failed' if args.guest_status in (124, 126) else 'passed'))
        checks.append(('guest kernel log has no WARN/BUG/lockdep/KASAN/kmemleak report',
                       'failed' if args.guest_status == 125 else 'passed'))
        if reason:
            print(f'guest: {reason}; console log: {args.guest_log}')
        if args.server_status is not None:
            checks.append(('server guest finished its command',
                           'passed' if args.server_status == 0 else 'failed'))
            checks.append(('server guest kernel log has no report',
                           'failed' if args.server_status == 125 else 'passed'))
            reason = GUEST_STATUS.get(args.server_status)
            if reason:
                print(f'server guest: {reason}; console log: {args.server_log}')
        suites['guest checks'] = checks

    totals = {'passed': 0, 'failed': 0, 'skipped': 0}
    print(f"{'suite':<20} {'passed':>7} {'failed':>7} {'skipped':>8}")
    for suite, results in suites.items():
        counts = {k: sum(1 for _, o in results if o == k) for k in totals}
        for k in totals:
            totals[k] += counts[k]
        print(f"{suite:<20} {counts['passed']:>7} {counts['failed']:>7} "
              f"{counts['skipped']:>8}")
    failed = [(s, n) for s, r in suites.items() for n, o in r if o == 'failed']
    for suite, name in failed:
        print(f'FAILED {suite}: {name}')
    print(f"{totals['passed']} passed, {totals['failed']} failed, "
          f"{totals['skipped']} skipped")
    return 1 if totals['failed'] else 0


if __name__ == '__main__':
    sys.exit(main())
