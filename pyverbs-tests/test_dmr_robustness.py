# SPDX-License-Identifier: (GPL-2.0 OR Linux-OpenIB)
"""
Hostile use of dmr: a seeded random-sequence tester of the whole user
interface, processes killed with live objects (QPs mid-transfer, dma-buf
MRs over a BAR that is being revoked), and module unload with devices and
user objects present, again and again. Each test checks that the calls
return (no hang), that the devices' resource counts come back to where
they were (no leak of RDMA objects) and that the kernel said nothing bad;
the test command also fails on any kernel report and scans kmemleak at
the end of the run.

DMR_FUZZ_SEED picks the tester's seed (default: a new one, printed);
DMR_FUZZ_SECONDS its running time (default 60, for CI; run longer on
demand, with a guest timeout to match: DMR_FUZZ_SECONDS=3600
DMR_TEST_TIMEOUT=5400 ./dmr test -k FuzzTest).
"""
import errno
import os
import random
import signal
import subprocess
import time
import unittest

from dmrtest import guest

BAD_KERNEL_LOG = guest.BAD_KERNEL_LOG


resources = guest.resource_counts


def raw_counts(out):
    """{kind: (succeeded, calls)} from dmr_fuzz's "raw" summary line."""
    line = next(l for l in out.splitlines() if l.startswith('dmr_fuzz: raw '))
    words = line.split()[2:]
    return {k: tuple(int(n) for n in v.split('/'))
            for k, v in zip(words[::2], words[1::2])}


class Hostile(unittest.TestCase):
    def setUp(self):
        guest.ensure_dmr_links()
        self.mark = guest.kernel_log_mark()
        self.baseline = resources()

    def assert_clean(self, timeout=30):
        """Resource counts back to the baseline, nothing bad logged."""
        deadline = time.time() + timeout
        while resources() != self.baseline and time.time() < deadline:
            time.sleep(0.2)
        self.assertEqual(resources(), self.baseline)
        log = guest.kernel_log_since(self.mark)
        bad = [line for line in log if any(b in line for b in BAD_KERNEL_LOG)]
        self.assertEqual(bad, [], '\n'.join(log[-50:]))


class FuzzTest(Hostile):
    def test_random_sequences_of_verbs(self):
        seed = int(os.environ.get('DMR_FUZZ_SEED') or random.randrange(1, 2**63))
        seconds = float(os.environ.get('DMR_FUZZ_SECONDS') or '60')
        print(f'dmr_fuzz seed {seed} (DMR_FUZZ_SEED={seed} reproduces it)')
        r = subprocess.run([guest.program('dmr_fuzz'), str(seed), str(seconds),
                            'dmr0', 'dmr1'], text=True,
                           timeout=seconds + 300, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
        print(r.stdout[-3000:])
        self.assertEqual(r.returncode, 0, f'seed {seed}:\n{r.stdout[-3000:]}')
        self.assertIn('dmr_fuzz: done', r.stdout)
        # The raw calls reached dmr: each kind was tried, and DMs were
        # allocated, exported, mapped and freed through hand-made calls.
        raw = raw_counts(r.stdout)
        self.assertTrue(all(calls for _, calls in raw.values()), raw)
        for kind in ('dm-alloc', 'dm-free', 'dm-export', 'mmap'):
            self.assertGreater(raw[kind][0], 0, raw)
        self.assert_clean()

    def test_scribbling_on_the_shared_rings(self):
        """A process that writes garbage into its rings (indices, WQEs,
        CQEs) may crash itself; the kernel must stay clean and clean up."""
        rnd = random.Random(int(os.environ.get('DMR_FUZZ_SEED') or 0) or None)
        for _ in range(3):
            seed = rnd.randrange(1, 2**63)
            r = subprocess.run([guest.program('dmr_fuzz'), '--scribble', str(seed),
                                '20', 'dmr0', 'dmr1'], text=True,
                               timeout=300, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
            print(f'seed {seed}: exit {r.returncode}\n{r.stdout[-500:]}')
            # Killed by its own bad memory accesses, or done: both fine.
            self.assertIn(r.returncode, (0, -signal.SIGSEGV, -signal.SIGBUS,
                                         -signal.SIGABRT), r.stdout[-2000:])
            self.assert_clean()

    def test_killed_in_the_middle(self):
        """The tester killed at a random point, with everything alive."""
        rnd = random.Random(int(os.environ.get('DMR_FUZZ_SEED') or 0) or None)
        for _ in range(3):
            seed = rnd.randrange(1, 2**63)
            p = subprocess.Popen([guest.program('dmr_fuzz'), str(seed), '3600',
                                  'dmr0', 'dmr1'], stdout=subprocess.DEVNULL)
            self.addCleanup(p.kill)
            time.sleep(rnd.uniform(1, 4))
            p.send_signal(signal.SIGKILL)
            # Process exit tears down every object: it must not hang.
            p.wait(timeout=60)
            self.assert_clean()


class ProcessDeathTest(Hostile):
    def test_killed_mid_transfer_while_the_bar_is_revoked(self):
        """A writer RDMA-writing into a VFIO BAR dma-buf MR while the BAR
        is revoked and restored again and again, killed at random points:
        exit cleans up (the VFIO device's close revokes the dma-buf while
        dmr destroys the MR), and the next user of the BAR works."""
        addr = guest.ivshmem_addr()
        guest.vfio_bind(addr)
        bar = os.environ['DMR_BAR_FILE']
        rnd = random.Random()
        for _ in range(4):
            p = subprocess.Popen([guest.program('dmabuf_revoke_stress'), addr, bar,
                                  '100000'], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
            self.addCleanup(p.kill)
            time.sleep(rnd.uniform(1.5, 4))
            p.send_signal(signal.SIGKILL)
            p.wait(timeout=60)
            self.assert_clean()
        r = subprocess.run([guest.program('dmabuf_revoke_stress'), addr, bar, '5'],
                           text=True, timeout=300, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertIn('PASSED', r.stdout)


class QpDestroyRaceTest(Hostile):
    def test_responder_destroyed_under_a_writer_in_another_context(self):
        """Round after round, a responder QP is destroyed while a writer in
        another context RDMA WRITEs to it (tests/guest/qp_destroy_race):
        requesters find responders without a reference, so the destroy
        must wait for those that found it. Every round ends with the
        writers' retry-exceeded completions, and nothing is logged: a
        destroy that did not wait shows as KASAN's use-after-free report
        on the debug kernel (the test command's), and passes unnoticed on
        the fast one."""
        r = subprocess.run([guest.program('qp_destroy_race'), 'dmr0', '300'],
                           text=True, timeout=600, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
        print(r.stdout)
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertIn('PASSED', r.stdout)
        self.assert_clean()


class ContextErrorsTest(Hostile):
    def test_failed_get_context_keeps_nothing(self):
        """GET_CONTEXT refused, in 20 processes that exit
        (tests/guest/context_check): a second context on a file (the
        core's EINVAL), driver data dmr does not take (EOPNOTSUPP), and
        the refused file still gets its context. The core used to keep a
        reference on the caller's task on this path
        (testbed/kernel-patches/0002): the tasks were never freed, which
        kmemleak reported now and then after the random tester had hit
        it. Here the processes run in a cgroup of their own, which the
        kernel frees only with the last of their tasks."""
        argv = [guest.program('context_check'), 'dmr0', '20']
        r, freed = guest.run_until_tasks_freed(
            'dmr-context-check', argv, text=True, timeout=300,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        print(r.stdout)
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertIn('PASSED', r.stdout)
        if freed is None:
            self.skipTest('no cgroups in the guest kernel: tasks not checked')
        self.assertTrue(freed, 'the tasks of context_check were not freed')
        self.assert_clean()


class UnloadTest(unittest.TestCase):
    def test_delete_and_unload_with_user_objects_again_and_again(self):
        """rdma link delete and rmmod while a process has objects on the
        devices (the tester, running): the process is cut off with
        IBV_EVENT_DEVICE_FATAL, the module goes, loads again, five times."""
        mark = guest.kernel_log_mark()
        for i in range(5):
            guest.ensure_dmr_links()
            # No dma-bufs of dmr's own: each holds the module, and rmmod
            # rightly refuses while one is open.
            p = subprocess.Popen([guest.program('dmr_fuzz'), '--no-exports',
                                  str(i + 1), '3600', 'dmr0', 'dmr1'],
                                 stdout=subprocess.DEVNULL)
            self.addCleanup(p.kill)
            time.sleep(1.5)
            # The tester is running, with objects on both devices.
            self.assertIsNone(p.poll())
            self.assertTrue(all(r['ctx'] > 0 for r in resources().values()))
            if i % 2:
                guest.sh('rdma link delete dmr0')
            # Bounded: a device that waited for its users would hang here.
            guest.sh('rmmod dmr', timeout=120)
            self.assertFalse(guest.module_loaded('dmr'))
            p.send_signal(signal.SIGKILL)
            p.wait(timeout=60)
        guest.ensure_dmr_links()
        log = guest.kernel_log_since(mark)
        bad = [line for line in log if any(b in line for b in BAD_KERNEL_LOG)]
        self.assertEqual(bad, [], '\n'.join(log[-50:]))


class MemoryCgroupTest(unittest.TestCase):
    """The rings and device memory dmr allocates for a process are
    charged to the process's memory cgroup: a CQ's ring of 2^20 entries
    is 64 MiB, and without the charge a process could take the machine's
    memory through dmr whatever its limit."""

    LIMIT = 256 << 20
    CHARGE_BATCH = 64   # pages: MEMCG_CHARGE_BATCH

    def setUp(self):
        if not guest.cgroup_root():
            self.skipTest('the guest kernel has no memory controller')
        guest.ensure_dmr_links()
        self.cg = guest.memory_cgroup('dmr-memcg-test', self.LIMIT)
        self.addCleanup(guest.remove_cgroup, self.cg)

    def allocate(self, kind, count):
        r = subprocess.run([guest.program('memcg_alloc'), self.cg, 'dmr0', kind,
                            str(count)], text=True, timeout=300,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.assertEqual(r.returncode, 0, r.stdout)
        return [line.split() for line in r.stdout.splitlines()]

    def check(self, kind):
        lines = self.allocate(kind, 8)
        # The first allocation was charged its 64 MiB (later ones may
        # have made the cgroup reclaim page cache on the way). The usage
        # moves in per-CPU batches: charges made before the allocation
        # may have left up to a batch per CPU pre-charged, which its
        # first pages take without a visible change...
        ok = [int(n) for word, n in lines if word == 'ok']
        self.assertTrue(ok, lines)
        slack = self.CHARGE_BATCH * os.sysconf('SC_PAGE_SIZE') * \
            os.cpu_count()
        self.assertGreaterEqual(ok[0], (64 << 20) - slack, lines)
        # ...so the limit stopped them, with ENOMEM, before 8 x 64 MiB.
        self.assertLess(len(ok), self.LIMIT // (64 << 20) + 1, lines)
        self.assertEqual(lines[-1], ['error', str(errno.ENOMEM)])

    def test_cq_rings_are_charged_and_limited(self):
        self.check('cq')

    def test_device_memory_is_charged_and_limited(self):
        self.check('dm')
