# SPDX-License-Identifier: (GPL-2.0 OR Linux-OpenIB)
"""
dma-buf memory regions on dmr: every exporter (a VFIO PCI BAR, udmabuf,
the system dma-heap), every operation, data verified byte for byte
through the exporter's own CPU view (for the BAR, also in the host's
backing file), the errno contract applications probe with, and what is
left behind (nothing).
"""
import errno
import os
import struct
import unittest

import pytest
from pyverbs.libibverbs_enums import ibv_access_flags as af
from pyverbs.mr import DmaBufMR
from pyverbs.pyverbs_error import PyverbsRDMAError
from dmrtest import dmabuf, guest
from dmrtest.dmabuf import dmabuf_mr, dsge
from dmrtest.verbs import ALL_ACCESS, OPS, ST, WC, Endpoint, pair, pattern

MB = 1 << 20


@pytest.mark.usefixtures('dmr_links')
class DmaBufTrafficBase:
    """Traffic with a dma-buf MR on the responder (b) and on the requester
    (a); subclasses choose the exporter."""

    def make_exporter(self, size=MB):
        raise NotImplementedError

    def setUp(self):
        self.exp = self.make_exporter()
        self.addCleanup(self.exp.close)
        self.a, self.b = pair(size=MB)
        self.addCleanup(self.a.close)
        self.addCleanup(self.b.close)
        self.mr = dmabuf_mr(self.b, self.exp)
        self.addCleanup(self.mr.close)

    def check_lands(self, offset, data):
        self.assertEqual(self.exp.read(offset, len(data)), data)
        if hasattr(self.exp, 'host_read'):
            self.assertEqual(self.exp.host_read(offset, len(data)), data)

    def test_rdma_write_into_dmabuf(self):
        for size, offset in ((1, 0), (4096, 4096), (65536, 12345),
                             (MB - 8192, 8192)):
            data = pattern(size)
            self.a.mr.write(data, size)
            self.a.post_send(OPS.IBV_WR_RDMA_WRITE, [self.a.sge(0, size)],
                             remote=(self.mr.offset + offset, self.mr.rkey))
            self.a.poll_ok()
            self.check_lands(offset, data)

    def test_rdma_read_from_dmabuf(self):
        data = pattern(300000)
        self.exp.write(1000, data)
        self.a.post_send(OPS.IBV_WR_RDMA_READ, [self.a.sge(0, len(data))],
                         remote=(self.mr.offset + 1000, self.mr.rkey))
        wc, = self.a.poll_ok()
        self.assertEqual(wc.byte_len, len(data))
        self.assertEqual(self.a.mr.read(len(data), 0), data)

    def test_send_into_dmabuf_receive(self):
        data = pattern(70000)
        self.a.mr.write(data, len(data))
        self.b.post_recv([dsge(self.mr, 5000, 40000),
                          dsge(self.mr, 200000, 40000)])
        self.a.post_send(OPS.IBV_WR_SEND, [self.a.sge(0, len(data))])
        self.a.poll_ok()
        wc, = self.b.poll_ok()
        self.assertEqual(wc.byte_len, len(data))
        self.check_lands(5000, data[:40000])
        self.check_lands(200000, data[40000:])

    def test_dmabuf_as_local_source_and_target(self):
        data = pattern(8192)
        self.exp.write(0, data)
        # b sends from its dma-buf MR into a's user MR...
        self.a.post_recv()
        self.b.post_send(OPS.IBV_WR_SEND, [dsge(self.mr, 0, 8192)])
        self.b.poll_ok()
        self.a.poll_ok()
        self.assertEqual(self.a.mr.read(8192, 0), data)
        # ...and reads a's user MR into its dma-buf MR.
        data = pattern(8192)
        self.a.mr.write(data, 8192)
        self.b.post_send(OPS.IBV_WR_RDMA_READ, [dsge(self.mr, 16384, 8192)],
                         remote=self.a.remote())
        self.b.poll_ok()
        self.check_lands(16384, data)

    def test_dmabuf_to_dmabuf(self):
        """Both ends of a transfer in the exporter's memory, through two
        MRs on two devices (for the BAR: MMIO to MMIO, which dmr copies
        through a bounce buffer in steps)."""
        mr_a = dmabuf_mr(self.a, self.exp)
        self.addCleanup(mr_a.close)
        data = pattern(5000)
        self.exp.write(100, data)
        self.b.post_send(OPS.IBV_WR_RDMA_WRITE, [dsge(self.mr, 100, 5000)],
                         remote=(mr_a.offset + 300001, mr_a.rkey))
        self.b.poll_ok()
        self.check_lands(300001, data)

    def test_atomics_on_dmabuf(self):
        self.exp.write(64, struct.pack('<Q', 1000))
        self.a.post_send(OPS.IBV_WR_ATOMIC_FETCH_AND_ADD, [self.a.sge(0, 8)],
                         remote=(self.mr.offset + 64, self.mr.rkey),
                         compare_add=24)
        self.a.poll_ok()
        self.a.post_send(OPS.IBV_WR_ATOMIC_CMP_AND_SWP, [self.a.sge(8, 8)],
                         remote=(self.mr.offset + 64, self.mr.rkey),
                         compare_add=1024, swap=7)
        wc, = self.a.poll_ok()
        self.assertEqual(wc.opcode, WC.IBV_WC_COMP_SWAP)
        self.assertEqual(struct.unpack('<QQ', self.a.mr.read(16, 0)),
                         (1000, 1024))
        self.check_lands(64, struct.pack('<Q', 7))

    def test_sub_range_with_unaligned_bounds(self):
        sub = dmabuf_mr(self.b, self.exp, length=12345, offset=8192 + 100)
        self.addCleanup(sub.close)
        data = pattern(12345)
        self.a.mr.write(data, len(data))
        self.a.post_send(OPS.IBV_WR_RDMA_WRITE, [self.a.sge(0, len(data))],
                         remote=(sub.offset, sub.rkey))
        self.a.poll_ok()
        self.check_lands(8192 + 100, data)
        # One byte past the registered range: refused, nothing written.
        before = self.exp.read(8192 + 100 + 12345, 1)
        self.a.post_send(OPS.IBV_WR_RDMA_WRITE, [self.a.sge(0, 2)],
                         remote=(sub.offset + 12344, sub.rkey))
        wc, = self.a.poll()
        self.assertEqual(wc.status, ST.IBV_WC_REM_ACCESS_ERR)
        self.assertEqual(self.exp.read(8192 + 100 + 12345, 1), before)

    def test_attachment_is_dmr_dma_device_and_goes_with_the_mr(self):
        with open('/sys/class/infiniband/dmr0/dma_device') as f:
            dma_dev = f.read().strip()
        self.assertIn(dma_dev, dmabuf.attachments(self.exp.fd))
        self.mr.close()
        self.assertNotIn(dma_dev, dmabuf.attachments(self.exp.fd))


class VfioBarTrafficTest(DmaBufTrafficBase, unittest.TestCase):
    def make_exporter(self, size=MB):
        return dmabuf.VfioBar(size)

    def test_several_bar_ranges_in_one_dmabuf(self):
        exp = dmabuf.VfioBar(ranges=[(8 * MB, 64 * 1024), (2 * MB, 64 * 1024)],
                             sibling_of=self.exp)
        self.addCleanup(exp.close)
        mr = dmabuf_mr(self.b, exp)
        self.addCleanup(mr.close)
        data = pattern(128 * 1024)
        self.a.mr.write(data, len(data))
        self.a.post_send(OPS.IBV_WR_RDMA_WRITE, [self.a.sge(0, len(data))],
                         remote=(mr.offset, mr.rkey))
        self.a.poll_ok()
        self.assertEqual(guest.host_bar_read(8 * MB, 64 * 1024), data[:65536])
        self.assertEqual(guest.host_bar_read(2 * MB, 64 * 1024), data[65536:])


class UdmabufTrafficTest(DmaBufTrafficBase, unittest.TestCase):
    def make_exporter(self, size=MB):
        return dmabuf.Udmabuf(size)


class SystemHeapTrafficTest(DmaBufTrafficBase, unittest.TestCase):
    def make_exporter(self, size=MB):
        return dmabuf.SystemHeap(size)


@pytest.mark.usefixtures('dmr_links')
class ErrnoContractTest(unittest.TestCase):
    """What NCCL, UCX and perftest rely on: clear errnos, nothing left."""

    def setUp(self):
        self.ep = Endpoint('dmr0')
        self.addCleanup(self.ep.close)
        self.exp = dmabuf.Udmabuf(64 * 1024)
        self.addCleanup(self.exp.close)

    def reg_errno(self, fd, length, offset=0, access=ALL_ACCESS):
        with self.assertRaises(PyverbsRDMAError) as cm:
            DmaBufMR(self.ep.pd, length, access, dmabuf=fd, offset=offset)
        return cm.exception.error_code

    def test_fd_minus_one_is_ebadf(self):
        # The probe of NCCL and UCX: supported devices say EBADF.
        self.assertEqual(self.reg_errno(-1, 0), errno.EBADF)
        self.assertEqual(self.reg_errno(-1, 4096), errno.EBADF)

    def test_fd_that_is_not_a_dmabuf(self):
        fd = os.open('/dev/null', os.O_RDWR)
        self.addCleanup(os.close, fd)
        self.assertIn(self.reg_errno(fd, 4096), (errno.EINVAL, errno.EBADF))
        self.assertIn(self.reg_errno(self.exp.memfd, 4096),
                      (errno.EINVAL, errno.EBADF))

    def test_ranges_past_the_end_or_overflowing(self):
        size = self.exp.size
        for offset, length in ((0, size + 1), (size, 1), (4096, size),
                               (2**64 - 4096, 8192), (0, 0)):
            self.assertEqual(self.reg_errno(self.exp.fd, length, offset),
                             errno.EINVAL, (offset, length))

    def test_bad_access_flags(self):
        for access in (af.IBV_ACCESS_REMOTE_WRITE,
                       af.IBV_ACCESS_REMOTE_ATOMIC,
                       af.IBV_ACCESS_LOCAL_WRITE | (1 << 15)):
            self.assertEqual(self.reg_errno(self.exp.fd, 4096, access=access),
                             errno.EINVAL, access)

    def test_failures_leave_nothing_behind(self):
        before = guest.sh('rdma -j resource show mr dev dmr0').stdout
        for _ in range(3):
            self.reg_errno(self.exp.fd, self.exp.size + 1)
            self.reg_errno(self.exp.fd, 4096, access=af.IBV_ACCESS_REMOTE_WRITE)
        self.assertEqual(dmabuf.attachments(self.exp.fd), [])
        self.assertEqual(guest.sh('rdma -j resource show mr dev dmr0').stdout,
                         before)

    def test_dma_device_that_cannot_reach_all_memory_is_eopnotsupp(self):
        """dmr reaches a dma-buf through the DMA addresses its DMA device
        gets; a device whose DMA mask misses memory would get bounce
        buffers (swiotlb), which are copies, not the buffer."""
        nics = [n for n, driver in guest.netdev_drivers().items()
                if driver == 'e1000']
        self.assertEqual(len(nics), 1, 'testbed/guest-run adds one e1000')
        pci = os.path.basename(os.path.realpath(
            f'/sys/class/net/{nics[0]}/device'))
        # The premise: a 32-bit mask, and guest memory above 4 GiB.
        with open(f'/sys/bus/pci/devices/{pci}/dma_mask_bits') as f:
            self.assertEqual(int(f.read()), 32)
        with open('/proc/iomem') as f:
            ram = [line.split()[0].split('-') for line in f
                   if line.rstrip().endswith('System RAM')]
        self.assertGreater(max(int(end, 16) for _, end in ram), 2**32)
        with guest.rdma_link('dmre', 'dmr', nics[0]):
            guest.wait_port_active(['dmre'])
            # Ordinary MRs work: the CPU reaches them without the device.
            ep = Endpoint('dmre')
            try:
                mark = guest.kernel_log_mark()
                with self.assertRaises(PyverbsRDMAError) as cm:
                    DmaBufMR(ep.pd, 4096, ALL_ACCESS, dmabuf=self.exp.fd)
                self.assertEqual(cm.exception.error_code, errno.EOPNOTSUPP)
                self.assertTrue(any(f'dma-buf MRs need {pci} to reach all memory'
                                    in line
                                    for line in guest.kernel_log_since(mark)))
            finally:
                ep.close()

    def test_device_without_a_pci_dma_device_is_eopnotsupp(self):
        guest.sh('ip link add dmrveth0 type veth peer name dmrveth1')
        self.addCleanup(guest.sh, 'ip link delete dmrveth0', check=False)
        guest.sh('ip link set dmrveth0 up; ip link set dmrveth1 up')
        with guest.rdma_link('dmrv', 'dmr', 'dmrveth0'):
            guest.wait_port_active(['dmrv'])
            ep = Endpoint('dmrv', size=0)
            try:
                mark = guest.kernel_log_mark()
                with self.assertRaises(PyverbsRDMAError) as cm:
                    DmaBufMR(ep.pd, 4096, ALL_ACCESS, dmabuf=self.exp.fd)
                self.assertEqual(cm.exception.error_code, errno.EOPNOTSUPP)
                self.assertTrue(any('need a PCI device under dmrveth0' in line
                                    for line in guest.kernel_log_since(mark)))
            finally:
                ep.close()
