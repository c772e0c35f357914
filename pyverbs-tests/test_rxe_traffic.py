# SPDX-License-Identifier: (GPL-2.0 OR Linux-OpenIB)
"""
rxe, the reference peer of dmr's tests, carries RC traffic in the guest:
rdma-core's own test resources and traffic helpers, as its tests use them.
"""
from tests.base import RCResources, RDMATestCase
import tests.utils as u
from pyverbs.libibverbs_enums import ibv_wr_opcode

from dmrtest import guest
from dmrtest.resources import RCRemoteAccessResources


class RxeRCTrafficTest(RDMATestCase):
    def setUp(self):
        self._link = guest.rdma_link('rxe0', 'rxe', 'eth0')
        self._link.__enter__()
        self.dev_name = 'rxe0'
        super().setUp()

    def tearDown(self):
        super().tearDown()
        self._link.__exit__(None, None, None)

    def test_rc_send(self):
        self.create_players(RCResources)
        u.traffic(**self.traffic_args)

    def test_rc_rdma_write(self):
        self.create_players(RCRemoteAccessResources)
        u.rdma_traffic(**self.traffic_args, send_op=ibv_wr_opcode.IBV_WR_RDMA_WRITE)
