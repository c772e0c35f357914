# SPDX-License-Identifier: (GPL-2.0 OR Linux-OpenIB)
"""
Test resources on top of rdma-core's tests.base, for the operations that
its plain RCResources does not enable.
"""
from pyverbs.libibverbs_enums import ibv_access_flags as af
from pyverbs.mr import MR
from pyverbs.qp import QPAttr
from tests.base import RCResources

ALL_ACCESS = (af.IBV_ACCESS_LOCAL_WRITE | af.IBV_ACCESS_REMOTE_WRITE |
              af.IBV_ACCESS_REMOTE_READ | af.IBV_ACCESS_REMOTE_ATOMIC)


class RCRemoteAccessResources(RCResources):
    """RC resources whose MR and QP allow every remote operation."""

    def create_mr(self):
        self.mr = MR(self.pd, self.msg_size, ALL_ACCESS)

    def create_qp_attr(self):
        attr = QPAttr(port_num=self.ib_port)
        attr.qp_access_flags = ALL_ACCESS
        return attr
