# SPDX-License-Identifier: (GPL-2.0 OR Linux-OpenIB)
"""
Revocation of VFIO BAR dma-buf MRs, by every trigger a process can pull:
PCI memory decoding off, a function reset, closing the VFIO device,
unbinding vfio-pci, and closing the dma-buf fd or deregistering while
registered. After a revoke no byte of the BAR changes (checked in the
host's backing file), every access fails with the IBTA's error, and the
MR works again when the exporter allows it.
"""
import os
import subprocess
import unittest

import pytest
from pyverbs.pyverbs_error import PyverbsRDMAError

from dmrtest import dmabuf, guest
from dmrtest.dmabuf import dmabuf_mr, dsge
from dmrtest.verbs import OPS, ST, Endpoint, pair, pattern

SIZE = 1 << 20


@pytest.mark.usefixtures('dmr_links')
class RevocationTest(unittest.TestCase):
    def setUp(self):
        self.exp = dmabuf.VfioBar(SIZE)
        self.addCleanup(self.exp.close)
        self.a, self.b = pair(size=SIZE)
        self.addCleanup(self.a.close)
        self.addCleanup(self.b.close)
        self.mr = dmabuf_mr(self.b, self.exp)
        self.addCleanup(lambda: self.mr.close())

    def write(self, data, offset=0, via=None):
        """RDMA-write @data into the BAR MR from @via (default: a)."""
        via = via or self.a
        via.mr.write(data, len(data))
        via.post_send(OPS.IBV_WR_RDMA_WRITE, [via.sge(0, len(data))],
                      remote=(self.mr.offset + offset, self.mr.rkey))
        wc, = via.poll()
        return wc.status

    def state(self):
        return dmabuf.mr_state('dmr0', self.mr.lkey)

    def peer_of_b(self):
        """A new QP in b's PD (so it may use the MR) and a new peer for it:
        the earlier errors left a and b in the error state."""
        mine = Endpoint('dmr0', ctx=self.b.ctx, pd=self.b.pd, size=0)
        peer = Endpoint('dmr0', size=SIZE)
        self.addCleanup(peer.close)
        mine.connect(peer)
        peer.connect(mine)
        return mine, peer

    def assert_revoked_and_untouched(self):
        """Every kind of access fails; the BAR stays as it is."""
        before = self.exp.host_read(0, SIZE)
        self.assertEqual(self.write(pattern(4096), 8192), ST.IBV_WC_REM_ACCESS_ERR)
        self.assertEqual(self.state()['state'], 'revoked')

        # Remote read: refused, the reader's buffer untouched.
        mine, peer = self.peer_of_b()
        peer.mr.write(b'\x55' * 4096, 4096)
        peer.post_send(OPS.IBV_WR_RDMA_READ, [peer.sge(0, 4096)],
                       remote=(self.mr.offset, self.mr.rkey))
        wc, = peer.poll()
        self.assertEqual(wc.status, ST.IBV_WC_REM_ACCESS_ERR)
        self.assertEqual(peer.mr.read(4096, 0), b'\x55' * 4096)

        # The MR as a local buffer: a local protection error.
        mine, peer = self.peer_of_b()
        peer.post_recv()
        mine.post_send(OPS.IBV_WR_SEND, [dsge(self.mr, 0, 4096)])
        wc, = mine.poll()
        self.assertEqual(wc.status, ST.IBV_WC_LOC_PROT_ERR)
        self.assertEqual(self.exp.host_read(0, SIZE), before)

    def test_memory_disable_revokes_and_enable_restores(self):
        data = pattern(4096)
        self.assertEqual(self.write(data), ST.IBV_WC_SUCCESS)
        self.exp.vfio.set_memory_enabled(False)
        self.assertEqual(self.state()['state'], 'invalidated')
        self.assert_revoked_and_untouched()

        self.exp.vfio.set_memory_enabled(True)
        _, peer = self.peer_of_b()
        data = pattern(4096)
        self.assertEqual(self.write(data, 4096, via=peer), ST.IBV_WC_SUCCESS)
        self.assertEqual(self.exp.host_read(4096, 4096), data)
        st = self.state()
        self.assertEqual(st['state'], 'valid')
        self.assertEqual((st['invalidations'], st['remaps']), (1, 1))
        self.assertGreaterEqual(st['revokes'], 1)

    def test_function_reset_invalidates_then_maps_again(self):
        self.assertEqual(self.write(pattern(64)), ST.IBV_WC_SUCCESS)
        self.exp.vfio.reset()
        self.assertGreaterEqual(self.state()['invalidations'], 1)
        # The reset left the BAR usable: the next access maps it again.
        self.exp.vfio.set_memory_enabled(True)
        data = pattern(4096)
        self.assertEqual(self.write(data), ST.IBV_WC_SUCCESS)
        self.assertEqual(self.exp.host_read(0, 4096), data)
        self.assertEqual(self.state()['state'], 'valid')

    def test_closing_the_vfio_device_revokes_for_good(self):
        self.assertEqual(self.write(pattern(64)), ST.IBV_WC_SUCCESS)
        self.exp.bar.close()
        self.exp.vfio.close()
        self.assert_revoked_and_untouched()
        self.mr.close()

    def test_unbinding_vfio_pci_with_a_registered_mr(self):
        self.assertEqual(self.write(pattern(64)), ST.IBV_WC_SUCCESS)
        self.exp.bar.close()
        self.exp.vfio.close()
        # Must not hang: dmr let go of the mapping when the device closed.
        r = subprocess.run(f'echo {self.exp.addr} > /sys/bus/pci/drivers/vfio-pci/unbind',
                           shell=True, timeout=60)
        self.assertEqual(r.returncode, 0)
        self.assertIsNone(guest.pci_driver(self.exp.addr))
        self.assertEqual(self.write(pattern(64)), ST.IBV_WC_REM_ACCESS_ERR)
        self.mr.close()
        guest.vfio_bind(self.exp.addr)

    def test_closing_the_dmabuf_fd_keeps_the_mr_working(self):
        os.close(self.exp.fd)
        self.exp.fd = -1
        data = pattern(4096)
        self.assertEqual(self.write(data), ST.IBV_WC_SUCCESS)
        self.assertEqual(self.exp.host_read(0, 4096), data)
        # The MR holds the buffer: a revoke still reaches it.
        self.exp.vfio.set_memory_enabled(False)
        self.assertEqual(self.state()['state'], 'invalidated')
        self.exp.vfio.set_memory_enabled(True)

    def test_deregistration_while_revoked_and_again_after(self):
        self.exp.vfio.set_memory_enabled(False)
        self.mr.close()
        self.exp.vfio.set_memory_enabled(True)
        self.mr = dmabuf_mr(self.b, self.exp)
        data = pattern(4096)
        self.assertEqual(self.write(data), ST.IBV_WC_SUCCESS)
        self.assertEqual(self.exp.host_read(0, 4096), data)

    def test_registration_while_revoked_is_refused(self):
        self.exp.vfio.set_memory_enabled(False)
        try:
            with self.assertRaises(PyverbsRDMAError) as cm:
                dmabuf_mr(self.b, self.exp)
            self.assertEqual(cm.exception.error_code, 19)    # ENODEV
        finally:
            self.exp.vfio.set_memory_enabled(True)


@pytest.mark.usefixtures('dmr_links')
class GuestProgramsTest(unittest.TestCase):
    """The C programs: dmrdv.h, and revocation under load."""

    def run_program(self, *args, timeout=900):
        prog = guest.program(args[0])
        addr = guest.ivshmem_addr()
        guest.vfio_bind(addr)
        r = subprocess.run([prog, addr, *args[1:]], text=True, timeout=timeout,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        print(r.stdout)
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertIn('PASSED', r.stdout)
        return r.stdout

    def test_dmrdv(self):
        self.run_program('dmrdv_check')

    def test_libibverbs_ext_mr_calls(self):
        with guest.rdma_link('rxe_ibvx', 'rxe', 'eth1'):
            self.run_program('ibvx_mr_check', 'dmr0', 'rxe_ibvx')

    def test_the_demo(self):
        """The README's main job, as it runs there, every claim checked."""
        demo = os.path.join(os.environ['DMR_GUEST_BIN'], '..', '..', 'demo',
                            'vfio_bar_demo')
        addr = guest.ivshmem_addr()
        guest.vfio_bind(addr)
        r = subprocess.run([demo, addr, os.environ['DMR_BAR_FILE'], 'dmr0'],
                           text=True, timeout=300, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
        print(r.stdout)
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertIn('demo done: every claim held', r.stdout)
        self.assertNotIn('FAIL', r.stdout)

    def test_revoke_and_restore_200_times_under_writes(self):
        out = self.run_program('dmabuf_revoke_stress', os.environ['DMR_BAR_FILE'],
                               '200')
        self.assertRegex(out, r'revoke until VFIO.s wait returned: worst \d+ us')
        # For the record: the results directory keeps it.
        with open(os.path.join(os.environ['SCRATCH'],
                               'dmabuf_revoke_stress.txt'), 'w') as f:
            f.write(out)
