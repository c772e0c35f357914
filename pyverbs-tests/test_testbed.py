# SPDX-License-Identifier: (GPL-2.0 OR Linux-OpenIB)
"""
The testbed itself: the module builds and loads against the guest kernel,
rxe (the reference peer) comes up and carries RC traffic, and a VFIO BAR
exports as a dma-buf whose writes land in the host's backing file.
"""
import os
import unittest

from dmrtest import guest, ibvx


class ModuleTest(unittest.TestCase):
    def test_dmr_loads_and_unloads(self):
        guest.unload_dmr()
        guest.load_dmr()
        self.assertTrue(guest.module_loaded('dmr'))
        guest.unload_dmr()
        self.assertFalse(guest.module_loaded('dmr'))

    def test_module_matches_guest_kernel(self):
        vermagic = guest.sh(f'modinfo -F vermagic {guest.dmr_module_path()}').stdout
        self.assertEqual(vermagic.split()[0], os.uname().release)


class NicTest(unittest.TestCase):
    def test_eth0_and_eth1_are_the_virtio_nics(self):
        """The tests put dmr0 and dmr1 on eth0 and eth1, which must be the
        virtio NICs (64-bit DMA); the e1000 comes after them, as the
        kernel's link order (virtio_net before ethernet/) has it."""
        drivers = guest.netdev_drivers()
        self.assertEqual(drivers.get('eth0'), 'virtio_net', drivers)
        self.assertEqual(drivers.get('eth1'), 'virtio_net', drivers)
        self.assertEqual(sorted(drivers.values()),
                         ['e1000', 'virtio_net', 'virtio_net'], drivers)


class RxeTest(unittest.TestCase):
    def test_rxe_link_is_listed_by_ibv_devinfo(self):
        with guest.rdma_link('rxe0', 'rxe', 'eth0'):
            self.assertEqual(guest.rdma_links().get('rxe0'), 'eth0')
            out = guest.sh('ibv_devinfo -d rxe0').stdout
            self.assertIn('hca_id:\trxe0', out)
            self.assertIn('PORT_ACTIVE', out)
            self.assertIn('link_layer:\t\tEthernet', out)
        self.assertNotIn('rxe0', guest.rdma_links())


class VfioBarTest(unittest.TestCase):
    def setUp(self):
        self.addr = guest.ivshmem_addr()
        guest.vfio_bind(self.addr)

    def test_bar_exports_as_dmabuf(self):
        with ibvx.Vfio(self.addr) as vfio:
            self.assertEqual(vfio.path, ibvx.PATH_GROUP)
            size = vfio.bar_size(guest.BAR_INDEX)
            self.assertEqual(size, 16 << 20)
            fd = vfio.export(guest.BAR_INDEX, [(0, size)])
            try:
                info = guest.dmabuf_info(fd)
                self.assertEqual(info['exp_name'], 'vfio_pci_core')
                self.assertEqual(int(info['size']), size)
            finally:
                os.close(fd)

    def test_bar_write_reaches_host_file(self):
        pattern = os.urandom(4096)
        offset = 3 << 20
        with ibvx.Vfio(self.addr) as vfio:
            bar = vfio.mmap(guest.BAR_INDEX)
            try:
                bar.write(offset, pattern)
                self.assertEqual(bar.read(offset, len(pattern)), pattern)
            finally:
                bar.close()
        self.assertEqual(guest.host_bar_read(offset, len(pattern)), pattern)

    def test_export_rejects_unaligned_and_out_of_bar_ranges(self):
        with ibvx.Vfio(self.addr) as vfio:
            for ranges in ([(1, 4096)], [(0, 100)], [(0, 32 << 20)],
                           [(16 << 20, 4096)], [(2**64 - 4096, 8192)]):
                with self.assertRaises(ibvx.IbvxError) as cm:
                    vfio.export(guest.BAR_INDEX, ranges)
                self.assertEqual(cm.exception.errno, 22, ranges)

    def test_io_or_missing_bar_is_not_exportable(self):
        with ibvx.Vfio(self.addr) as vfio:
            with self.assertRaises(ibvx.IbvxError) as cm:
                vfio.bar_size(1 if guest.BAR_INDEX != 1 else 3)
            self.assertIn(cm.exception.errno, (6, 22))  # ENXIO, EINVAL

    def test_device_of_another_driver_is_refused(self):
        guest.vfio_unbind(self.addr)
        with self.assertRaises(ibvx.IbvxError) as cm:
            ibvx.Vfio(self.addr)
        self.assertEqual(cm.exception.errno, 16)  # EBUSY
        self.assertIn('not bound to any driver', str(cm.exception))
