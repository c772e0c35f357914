# SPDX-License-Identifier: (GPL-2.0 OR Linux-OpenIB)
"""
Completion queues (events, solicited notification, overflow) and shared
receive queues (traffic from several QPs, the limit event).
"""
import unittest

import pytest
from pyverbs.cq import CompChannel, CQ
from pyverbs.libibverbs_enums import ibv_qp_state
from pyverbs.libibverbs_enums import ibv_send_flags as sf
from pyverbs.libibverbs_enums import ibv_srq_attr_mask
from pyverbs.pyverbs_error import PyverbsRDMAError
from pyverbs.qp import QPAttr
from pyverbs.srq import SRQ, SrqAttr, SrqInitAttr

from dmrtest.verbs import OPS, Endpoint, pattern

IBV_EVENT_CQ_ERR = 0
IBV_EVENT_QP_FATAL = 1
IBV_EVENT_QP_LAST_WQE_REACHED = 16
IBV_EVENT_SRQ_LIMIT_REACHED = 15


def comp_event(channel, timeout=0.5):
    """True if a completion event arrives within @timeout."""
    import select
    ready, _, _ = select.select([channel.fd], [], [], timeout)
    return bool(ready)


@pytest.mark.usefixtures('dmr_links')
class CQTest(unittest.TestCase):
    def setUp(self):
        self.a = Endpoint('dmr0')
        self.b = Endpoint('dmr0')
        self.addCleanup(self.a.close)
        self.addCleanup(self.b.close)
        self.a.connect(self.b)
        self.b.connect(self.a)

    def test_cq_size_is_at_least_what_was_asked(self):
        for cqe in (1, 4, 100, 4096):
            cq = CQ(self.a.ctx, cqe)
            self.assertGreaterEqual(cq.cqe, cqe)
            cq.close()
        # One past the device's limit is refused (EINVAL).
        max_cqe = self.a.ctx.query_device().max_cqe
        with self.assertRaises(PyverbsRDMAError):
            CQ(self.a.ctx, max_cqe + 1)

    def test_completion_events(self):
        channel = CompChannel(self.b.ctx)
        b = Endpoint('dmr0', ctx=self.b.ctx, pd=self.b.pd, channel=channel)
        a = Endpoint('dmr0')
        self.addCleanup(a.close)
        a.connect(b)
        b.connect(a)
        cq = b.cq

        # Solicited only: an unsolicited send wakes nobody...
        cq.req_notify(solicited_only=True)
        b.post_recv()
        b.post_recv()
        a.post_send(OPS.IBV_WR_SEND, [a.sge(0, 8)])
        a.poll_ok()
        self.assertFalse(comp_event(channel))
        # ...a solicited one does.
        a.post_send(OPS.IBV_WR_SEND, [a.sge(0, 8)],
                    flags=sf.IBV_SEND_SIGNALED | sf.IBV_SEND_SOLICITED)
        a.poll_ok()
        self.assertTrue(comp_event(channel))
        channel.get_cq_event(cq)
        cq.ack_events(1)
        b.poll_ok(2)

        # Next completion: any completion wakes, once per arming.
        cq.req_notify()
        b.post_recv()
        a.post_send(OPS.IBV_WR_SEND, [a.sge(0, 8)])
        a.poll_ok()
        self.assertTrue(comp_event(channel))
        channel.get_cq_event(cq)
        cq.ack_events(1)
        b.poll_ok()
        b.post_recv()
        a.post_send(OPS.IBV_WR_SEND, [a.sge(0, 8)])
        a.poll_ok()
        self.assertFalse(comp_event(channel))

    def test_overflow_reports_cq_error_and_fails_the_qp(self):
        a = Endpoint('dmr0', cqe=4)
        b = Endpoint('dmr0')
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        a.connect(b)
        b.connect(a)
        for i in range(a.cq.cqe + 1):
            a.post_send(OPS.IBV_WR_RDMA_WRITE, [a.sge(0, 8)],
                        remote=b.remote(), wr_id=i)
        events = {a.async_event(), a.async_event()}
        self.assertEqual(events, {IBV_EVENT_CQ_ERR, IBV_EVENT_QP_FATAL})
        self.assertEqual(a.qp.query(0)[0].qp_state, ibv_qp_state.IBV_QPS_ERR)
        self.assertEqual(len(a.poll(a.cq.cqe)), a.cq.cqe)


@pytest.mark.usefixtures('dmr_links')
class SRQTest(unittest.TestCase):
    def setUp(self):
        self.server = Endpoint('dmr0', size=64 * 1024)
        self.addCleanup(self.server.close)
        self.srq = SRQ(self.server.pd, SrqInitAttr(SrqAttr(max_wr=64,
                                                           max_sge=2)))

    def srq_endpoint(self):
        ep = Endpoint('dmr0', ctx=self.server.ctx, pd=self.server.pd,
                      srq=self.srq, size=0)
        ep.mr = self.server.mr
        return ep

    def test_receives_from_several_qps_share_the_srq_in_order(self):
        srv = [self.srq_endpoint() for _ in range(3)]
        cli = [Endpoint('dmr0') for _ in range(3)]
        for c in cli:
            self.addCleanup(c.close)
        for s, c in zip(srv, cli):
            s.connect(c)
            c.connect(s)
        for i in range(12):
            self.srq.post_recv(self.recv_wr(i))
        for i in range(12):
            c = cli[i % 3]
            c.mr.write(pattern(100, i), 100)
            c.post_send(OPS.IBV_WR_SEND, [c.sge(0, 100)])
            c.poll_ok()
        wcs = []
        for s in srv:
            wcs += s.poll_ok(4)
        self.assertEqual(sorted(wc.wr_id for wc in wcs), list(range(12)))
        for wc in wcs:
            # Each message landed in the buffer of the WQE that took it.
            sender = [s.qp.qp_num for s in srv].index(wc.qp_num)
            self.assertEqual(wc.src_qp, cli[sender].qp.qp_num)
            self.assertEqual(self.server.mr.read(100, wc.wr_id * 1024),
                             pattern(100, wc.wr_id))

    def recv_wr(self, i):
        from pyverbs.wr import RecvWR, SGE
        sge = SGE(self.server.mr.buf + i * 1024, 1024, self.server.mr.lkey)
        return RecvWR(wr_id=i, num_sge=1, sg=[sge])

    def test_limit_event(self):
        s = self.srq_endpoint()
        c = Endpoint('dmr0')
        self.addCleanup(c.close)
        s.connect(c)
        c.connect(s)
        for i in range(4):
            self.srq.post_recv(self.recv_wr(i))
        attr = SrqAttr(srq_limit=2)
        self.srq.modify(attr, ibv_srq_attr_mask.IBV_SRQ_LIMIT)
        for _ in range(3):
            c.post_send(OPS.IBV_WR_SEND, [c.sge(0, 8)])
            c.poll_ok()
        self.assertEqual(self.server.async_event(),
                         IBV_EVENT_SRQ_LIMIT_REACHED)
        self.assertEqual(self.srq.query().srq_limit, 0)

    def test_resize_is_refused(self):
        with self.assertRaises(PyverbsRDMAError):
            self.srq.modify(SrqAttr(max_wr=128), ibv_srq_attr_mask.IBV_SRQ_MAX_WR)

    def test_error_state_reaches_last_wqe(self):
        s = self.srq_endpoint()
        c = Endpoint('dmr0')
        self.addCleanup(c.close)
        s.connect(c)
        attr = QPAttr()
        attr.qp_state = ibv_qp_state.IBV_QPS_ERR
        s.qp.modify(attr, 1)
        self.assertEqual(self.server.async_event(),
                         IBV_EVENT_QP_LAST_WQE_REACHED)
