# SPDX-License-Identifier: (GPL-2.0 OR Linux-OpenIB)
"""
An RC responder answers only the QP it is connected to, as a RoCE
responder checks a packet's addresses: the requester must be the QP its
destination QP number names, each side's destination GID the other's
source GID, both in one network namespace. A stranger's requests - a
process that connects its own QP to another process's QP number and GID
- are dropped unanswered: the stranger fails with a retry error, and the
victim's memory, receive queue and state are untouched.
"""
import unittest
from types import SimpleNamespace

import pytest
from pyverbs.libibverbs_enums import ibv_qp_attr_mask, ibv_qp_state
from pyverbs.qp import QPAttr

from dmrtest.verbs import OPS, ST, Endpoint, find_gid_index, pair, pattern


@pytest.mark.usefixtures('dmr_links')
class StrangerTest(unittest.TestCase):
    def setUp(self):
        self.a, self.b = pair()
        self.addCleanup(self.a.close)
        self.addCleanup(self.b.close)

    def stranger(self):
        """A QP of another context, connected to the victim b's number
        and GID, that gives up after one retry."""
        s = Endpoint('dmr0')
        self.addCleanup(s.close)
        s.connect(self.b, retry_cnt=1, timeout=1)
        return s

    def assert_victim_unharmed(self):
        """b's connection with a still works, both ways of access."""
        self.assertIsNone(self.b.async_event(timeout=0.5))
        data = pattern(64)
        self.a.mr.write(data, len(data))
        self.a.post_send(OPS.IBV_WR_SEND, [self.a.sge(0, 64)])
        self.a.poll_ok()
        wc, = self.b.poll_ok()
        self.assertEqual(wc.byte_len, 64)
        self.assertEqual(self.b.mr.read(64, 0), data)

    def test_send_from_a_stranger_is_dropped(self):
        self.b.post_recv()
        s = self.stranger()
        s.mr.write(b'stranger' * 8, 64)
        s.post_send(OPS.IBV_WR_SEND, [s.sge(0, 64)])
        wc, = s.poll()
        self.assertEqual(wc.status, ST.IBV_WC_RETRY_EXC_ERR)
        self.b.assert_no_completion()
        self.assert_victim_unharmed()

    def test_write_from_a_stranger_is_dropped(self):
        before = self.b.mr.read(self.b.size, 0)
        s = self.stranger()
        s.mr.write(b'\xee' * 64, 64)
        s.post_send(OPS.IBV_WR_RDMA_WRITE, [s.sge(0, 64)],
                    remote=self.b.remote())
        wc, = s.poll()
        self.assertEqual(wc.status, ST.IBV_WC_RETRY_EXC_ERR)
        self.assertEqual(self.b.mr.read(self.b.size, 0), before)
        # A bad rkey from a stranger must not move the victim to error.
        s = self.stranger()
        s.post_send(OPS.IBV_WR_RDMA_WRITE, [s.sge(0, 64)], remote=(0, 0))
        wc, = s.poll()
        self.assertEqual(wc.status, ST.IBV_WC_RETRY_EXC_ERR)
        self.b.post_recv()
        self.assert_victim_unharmed()

    def test_requester_from_another_source_gid_is_dropped(self):
        """The right QP number from the wrong addresses: a reconnects to b
        over their IPv4 GIDs while b still expects a's link-local one."""
        try:
            v4a = find_gid_index(self.a.ctx, link_local=False)
            v4b = find_gid_index(self.b.ctx, link_local=False)
        except RuntimeError:
            self.skipTest('eth0 has no IPv4 address')
        attr = QPAttr()
        attr.qp_state = ibv_qp_state.IBV_QPS_RESET
        self.a.qp.modify(attr, ibv_qp_attr_mask.IBV_QP_STATE)
        self.a.gid_index = v4a
        b_over_ipv4 = SimpleNamespace(qp=self.b.qp,
                                      gid=self.b.ctx.query_gid(1, v4b))
        self.a.connect(b_over_ipv4, retry_cnt=1, timeout=1)
        before = self.b.mr.read(self.b.size, 0)
        self.a.post_send(OPS.IBV_WR_RDMA_WRITE, [self.a.sge(0, 64)],
                         remote=self.b.remote())
        wc, = self.a.poll()
        self.assertEqual(wc.status, ST.IBV_WC_RETRY_EXC_ERR)
        self.assertEqual(self.b.mr.read(self.b.size, 0), before)
