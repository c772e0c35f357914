# SPDX-License-Identifier: (GPL-2.0 OR Linux-OpenIB)
"""
Waits that must not grow with the work a process posted. One doorbell of
hundreds of GiB of SENDs (doorbell_bound): SIGKILL ends the process, and
"rdma link delete" removes its device, within a bound that does not
depend on how much work is queued. A run of the requester executes a
budget and leaves the rest to a worker; a message in progress stops
between two brackets of its copy when the process is killed or a QP at
either end is destroyed.

The bound asserted is a hang check, tens of seconds against minutes of
queued copying under TCG; how long the stop really takes is measured by
"./dmr bench", never asserted.
"""
import signal
import subprocess
import time
import unittest

import pytest

from dmrtest import guest

BOUND = 30


def start(dev, messages=256):
    """doorbell_bound on @dev, once its doorbell returned and the first
    2 GiB message is being copied."""
    proc = subprocess.Popen([guest.program('doorbell_bound'), dev,
                             str(messages)], text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    posting = guest.readline(proc, 120)
    # The doorbell itself returns at once: the work goes to a worker.
    posted = guest.readline(proc, BOUND) if posting.startswith('posting') else ''
    if posted != 'posted':
        proc.kill()
        raise AssertionError(f'no doorbell return within {BOUND} s: '
                             f'{posting!r} {posted!r}')
    time.sleep(1)
    return proc


@pytest.mark.usefixtures('dmr_links')
class DoorbellBoundTest(unittest.TestCase):
    def setUp(self):
        self.baseline = guest.resource_counts()

    def assert_freed(self):
        deadline = time.time() + BOUND
        while guest.resource_counts() != self.baseline and time.time() < deadline:
            time.sleep(0.2)
        self.assertEqual(guest.resource_counts(), self.baseline)

    def test_sigkill_ends_a_doorbell_of_any_size(self):
        proc = start('dmr0')
        self.assertIsNone(proc.poll(), 'the work ended on its own')
        t = time.time()
        proc.send_signal(signal.SIGKILL)
        try:
            proc.wait(BOUND)
        except subprocess.TimeoutExpired:
            self.fail(f'still alive {BOUND} s after SIGKILL')
        print(f'killed in {time.time() - t:.2f} s')
        self.assertEqual(proc.returncode, -signal.SIGKILL)
        self.assert_freed()

    def test_link_delete_ends_a_doorbell_of_any_size(self):
        proc = start('dmr1')
        try:
            t = time.time()
            r = subprocess.run(['rdma', 'link', 'delete', 'dmr1'],
                               timeout=BOUND, capture_output=True, text=True)
            print(f'link deleted in {time.time() - t:.2f} s')
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertNotIn('dmr1', guest.rdma_links())
        except subprocess.TimeoutExpired:
            self.fail(f'rdma link delete did not return in {BOUND} s')
        finally:
            proc.kill()
            proc.wait(BOUND)
            guest.ensure_dmr_links()
