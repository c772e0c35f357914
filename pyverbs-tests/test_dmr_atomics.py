# SPDX-License-Identifier: (GPL-2.0 OR Linux-OpenIB)
"""
Atomics where the memory is unusual: device memory registered at an
offset that is not 8-byte aligned (the MR's address is aligned, the memory
behind it is not, and a locked instruction there would be a split-lock
trap), and a write-combined VFIO BAR hit from two CPUs at once.
"""
import unittest

import pytest
from pyverbs.device import AllocDmAttr, DM
from pyverbs.libibverbs_enums import ibv_access_flags as af
from pyverbs.mr import DMMR

from dmrtest import guest
from dmrtest.verbs import ALL_ACCESS, OPS, ST, pair

# Device memory MRs are zero-based: the remote address is the offset.
DM_ACCESS = ALL_ACCESS | af.IBV_ACCESS_ZERO_BASED


@pytest.mark.usefixtures('dmr_links')
class DeviceMemoryAtomicsTest(unittest.TestCase):
    def setUp(self):
        self.a, self.b = pair()
        self.addCleanup(self.a.close)
        self.addCleanup(self.b.close)
        self.dm = DM(self.b.ctx, AllocDmAttr(length=4096))
        self.addCleanup(self.dm.close)
        self.dm.copy_to_dm(0, bytes(64), 64)

    def fetch_add(self, mr, add):
        self.a.post_send(OPS.IBV_WR_ATOMIC_FETCH_AND_ADD, [self.a.sge(0, 8)],
                         remote=(0, mr.rkey), compare_add=add)
        wc, = self.a.poll()
        return wc.status

    def test_aligned_offset(self):
        mr = DMMR(self.b.pd, 64, DM_ACCESS, self.dm, 8)
        self.addCleanup(mr.close)
        self.assertEqual(self.fetch_add(mr, 5), ST.IBV_WC_SUCCESS)
        self.assertEqual(self.dm.copy_from_dm(8, 8), (5).to_bytes(8, 'little'))

    def test_unaligned_offset_is_an_invalid_request(self):
        mr = DMMR(self.b.pd, 64, DM_ACCESS, self.dm, 60)
        self.addCleanup(mr.close)
        self.assertEqual(self.fetch_add(mr, 5), ST.IBV_WC_REM_INV_REQ_ERR)
        self.assertEqual(self.dm.copy_from_dm(0, 64), bytes(64))


@pytest.mark.usefixtures('dmr_links')
class BarAtomicsTest(unittest.TestCase):
    def test_two_cpus_fetch_and_add_on_a_write_combined_bar(self):
        addr = guest.ivshmem_addr()
        guest.vfio_bind(addr)
        guest.run_check('bar_atomics', addr, 2000)
