# SPDX-License-Identifier: (GPL-2.0 OR Linux-OpenIB)
"""
Errors as the IBTA gives them: keys, ranges, access rights, RNR and
transport retries, the error state and its flush completions, malformed
requests, and what the responder sees in each case.
"""
import ipaddress
import subprocess
import time
import unittest

import pytest
from pyverbs.libibverbs_enums import ibv_access_flags as af
from pyverbs.libibverbs_enums import ibv_qp_state, ibv_qp_type
from pyverbs.libibverbs_enums import ibv_send_flags as sf
from pyverbs.mr import MR
from pyverbs.pd import PD
from pyverbs.pyverbs_error import PyverbsRDMAError
from pyverbs.qp import QP, QPAttr, QPCap, QPInitAttr
from pyverbs.wr import RecvWR

from dmrtest import guest
from dmrtest.verbs import (ALL_ACCESS, EINVAL, OPS, ST, Endpoint,
                           find_gid_index, pair, pattern)

LOCAL_WRITE = af.IBV_ACCESS_LOCAL_WRITE


def qp_state(ep):
    return ep.qp.query(0)[0].qp_state


@pytest.mark.usefixtures('dmr_links')
class ErrorTest(unittest.TestCase):
    def make_pair(self, **kw):
        a, b = pair(**kw)
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        return a, b

    def assert_error_state(self, *eps):
        for ep in eps:
            self.assertEqual(qp_state(ep), ibv_qp_state.IBV_QPS_ERR)

    def test_bad_lkey_is_local_protection_error(self):
        a, b = self.make_pair()
        sge = a.sge(0, 64)
        sge.lkey ^= 0x100
        a.post_send(OPS.IBV_WR_RDMA_WRITE, [sge], remote=b.remote(), wr_id=5)
        wc, = a.poll()
        self.assertEqual((wc.status, wc.wr_id), (ST.IBV_WC_LOC_PROT_ERR, 5))
        self.assert_error_state(a)

    def test_local_range_overrun_is_local_protection_error(self):
        a, b = self.make_pair()
        a.post_send(OPS.IBV_WR_RDMA_WRITE, [a.sge(4000, 200)],
                    remote=b.remote())
        wc, = a.poll()
        self.assertEqual(wc.status, ST.IBV_WC_LOC_PROT_ERR)

    def test_read_into_mr_without_local_write(self):
        a = Endpoint('dmr0', access=af.IBV_ACCESS_REMOTE_READ)
        b = Endpoint('dmr0')
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        a.connect(b)
        b.connect(a)
        a.post_send(OPS.IBV_WR_RDMA_READ, [a.sge(0, 64)], remote=b.remote())
        wc, = a.poll()
        self.assertEqual(wc.status, ST.IBV_WC_LOC_PROT_ERR)

    def test_bad_rkey_is_remote_access_error_and_writes_nothing(self):
        a, b = self.make_pair()
        before = b.mr.read(4096, 0)
        a.mr.write(pattern(64), 64)
        addr, rkey = b.remote()
        a.post_send(OPS.IBV_WR_RDMA_WRITE, [a.sge(0, 64)],
                    remote=(addr, rkey ^ 0x100))
        wc, = a.poll()
        self.assertEqual(wc.status, ST.IBV_WC_REM_ACCESS_ERR)
        self.assertEqual(b.mr.read(4096, 0), before)
        self.assert_error_state(a, b)

    def test_remote_range_overrun_is_remote_access_error(self):
        # One byte past the end, and one byte before the start.
        for offset in (4095, -1):
            a, b = self.make_pair()
            before = b.mr.read(4096, 0)
            a.post_send(OPS.IBV_WR_RDMA_WRITE, [a.sge(0, 2)],
                        remote=(b.mr.buf + offset, b.mr.rkey))
            wc, = a.poll()
            self.assertEqual(wc.status, ST.IBV_WC_REM_ACCESS_ERR, offset)
            self.assertEqual(b.mr.read(4096, 0), before)

    def test_write_without_remote_write_right(self):
        a = Endpoint('dmr0')
        b = Endpoint('dmr0', access=LOCAL_WRITE | af.IBV_ACCESS_REMOTE_READ)
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        a.connect(b)
        b.connect(a)
        before = b.mr.read(64, 0)
        a.mr.write(pattern(64), 64)
        a.post_send(OPS.IBV_WR_RDMA_WRITE, [a.sge(0, 64)], remote=b.remote())
        wc, = a.poll()
        self.assertEqual(wc.status, ST.IBV_WC_REM_ACCESS_ERR)
        self.assertEqual(b.mr.read(64, 0), before)

    def test_read_and_atomic_need_their_rights(self):
        for op, access in ((OPS.IBV_WR_RDMA_READ, af.IBV_ACCESS_REMOTE_WRITE),
                           (OPS.IBV_WR_ATOMIC_FETCH_AND_ADD,
                            af.IBV_ACCESS_REMOTE_READ)):
            a = Endpoint('dmr0')
            b = Endpoint('dmr0', access=LOCAL_WRITE | access)
            self.addCleanup(a.close)
            self.addCleanup(b.close)
            a.connect(b)
            b.connect(a)
            a.post_send(op, [a.sge(0, 8)], remote=b.remote(), compare_add=1)
            wc, = a.poll()
            self.assertEqual(wc.status, ST.IBV_WC_REM_ACCESS_ERR, op)

    def test_qp_access_flags_gate_remote_operations(self):
        a = Endpoint('dmr0')
        b = Endpoint('dmr0', qp_access=LOCAL_WRITE)
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        a.connect(b)
        b.connect(a)
        a.post_send(OPS.IBV_WR_RDMA_WRITE, [a.sge(0, 8)], remote=b.remote())
        wc, = a.poll()
        self.assertEqual(wc.status, ST.IBV_WC_REM_INV_REQ_ERR)

    def test_rkey_of_another_pd_is_refused(self):
        a, b = self.make_pair()
        other = MR(PD(b.ctx), 4096, ALL_ACCESS)
        before = other.read(64, 0)
        a.post_send(OPS.IBV_WR_RDMA_WRITE, [a.sge(0, 64)],
                    remote=(other.buf, other.rkey))
        wc, = a.poll()
        self.assertEqual(wc.status, ST.IBV_WC_REM_ACCESS_ERR)
        self.assertEqual(other.read(64, 0), before)

    def test_deregistered_rkey_is_refused(self):
        a, b = self.make_pair()
        extra = MR(b.pd, 4096, ALL_ACCESS)
        remote = (extra.buf, extra.rkey)
        extra.close()
        a.post_send(OPS.IBV_WR_RDMA_WRITE, [a.sge(0, 64)], remote=remote)
        wc, = a.poll()
        self.assertEqual(wc.status, ST.IBV_WC_REM_ACCESS_ERR)

    def test_misaligned_atomic_is_invalid_request(self):
        a, b = self.make_pair()
        a.post_send(OPS.IBV_WR_ATOMIC_FETCH_AND_ADD, [a.sge(0, 8)],
                    remote=b.remote(4), compare_add=1)
        wc, = a.poll()
        self.assertEqual(wc.status, ST.IBV_WC_REM_INV_REQ_ERR)

    def test_atomic_needs_one_8_byte_sge(self):
        a, b = self.make_pair()
        with self.assertRaises(PyverbsRDMAError) as cm:
            a.post_send(OPS.IBV_WR_ATOMIC_FETCH_AND_ADD, [a.sge(0, 16)],
                        remote=b.remote(), compare_add=1)
        self.assertEqual(cm.exception.error_code, EINVAL)

    def test_too_many_sges_and_too_much_inline_fail_to_post(self):
        a, b = self.make_pair(max_sge=2, max_inline=64)
        with self.assertRaises(PyverbsRDMAError) as cm:
            a.post_send(OPS.IBV_WR_SEND, [a.sge(0, 8)] * 3)
        self.assertEqual(cm.exception.error_code, EINVAL)
        cap = a.qp.query(0)[1].cap.max_inline_data
        with self.assertRaises(PyverbsRDMAError) as cm:
            a.post_send(OPS.IBV_WR_SEND, [a.sge(0, cap + 1)],
                        flags=sf.IBV_SEND_INLINE | sf.IBV_SEND_SIGNALED)
        self.assertEqual(cm.exception.error_code, EINVAL)

    def test_receive_too_small_is_length_error_on_both_sides(self):
        a, b = self.make_pair()
        b.post_recv([b.sge(0, 100)], wr_id=3)
        a.post_send(OPS.IBV_WR_SEND, [a.sge(0, 101)])
        swc, = a.poll()
        rwc, = b.poll()
        self.assertEqual(swc.status, ST.IBV_WC_REM_INV_REQ_ERR)
        self.assertEqual((rwc.status, rwc.wr_id), (ST.IBV_WC_LOC_LEN_ERR, 3))
        self.assert_error_state(a, b)

    def test_bad_receive_key_is_remote_operational_error(self):
        a, b = self.make_pair()
        sge = b.sge(0, 64)
        sge.lkey ^= 0x100
        b.post_recv([sge], wr_id=4)
        a.post_send(OPS.IBV_WR_SEND, [a.sge(0, 64)])
        swc, = a.poll()
        rwc, = b.poll()
        self.assertEqual(swc.status, ST.IBV_WC_REM_OP_ERR)
        self.assertEqual((rwc.status, rwc.wr_id), (ST.IBV_WC_LOC_PROT_ERR, 4))

    def test_receive_keys_are_checked_where_data_lands(self):
        a, b = self.make_pair()
        rwc = check_receive_keys_checked_where_data_lands(self, a, b)
        # IBTA's status for a bad key where data lands (rxe says
        # IBV_WC_LOC_QP_OP_ERR).
        self.assertEqual(rwc.status, ST.IBV_WC_LOC_PROT_ERR)

    def test_rnr_with_no_retry_fails(self):
        a = Endpoint('dmr0')
        b = Endpoint('dmr0')
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        a.connect(b, rnr_retry=0)
        b.connect(a)
        a.post_send(OPS.IBV_WR_SEND, [a.sge(0, 8)])
        wc, = a.poll()
        self.assertEqual(wc.status, ST.IBV_WC_RNR_RETRY_EXC_ERR)

    def test_rnr_retries_exhaust(self):
        a = Endpoint('dmr0')
        b = Endpoint('dmr0')
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        a.connect(b, rnr_retry=3)
        b.connect(a, min_rnr_timer=1)
        a.post_send(OPS.IBV_WR_SEND, [a.sge(0, 8)])
        wc, = a.poll()
        self.assertEqual(wc.status, ST.IBV_WC_RNR_RETRY_EXC_ERR)

    def test_rnr_then_receive_succeeds(self):
        a, b = self.make_pair()    # rnr_retry 7: retry forever
        a.mr.write(pattern(32, 2), 32)
        a.post_send(OPS.IBV_WR_SEND, [a.sge(0, 32)])
        a.assert_no_completion(0.3)
        b.post_recv()
        a.poll_ok()
        b.poll_ok()
        self.assertEqual(b.mr.read(32, 0), pattern(32, 2))

    def test_unknown_destination_is_retry_exceeded(self):
        a = Endpoint('dmr0')
        b = Endpoint('dmr0')
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        a.connect(b, dest_qpn=0xfffff0, retry_cnt=2, timeout=8)
        a.post_send(OPS.IBV_WR_SEND, [a.sge(0, 8)])
        wc, = a.poll()
        self.assertEqual(wc.status, ST.IBV_WC_RETRY_EXC_ERR)

    def test_destination_gid_that_goes_away_is_retry_exceeded(self):
        """A requester finds its responder by QP number on the device
        that owns the destination GID, and keeps that answer until a GID
        goes away: a write after the responder's IPv4 address (and with
        it its GID) was deleted must get no answer. (The link-local GID
        is the port's default GID, which stays without its address; and
        the core resolves IPv4 GIDs of two devices on two subnets to no
        route, so both ends are on dmr1.)"""
        a = Endpoint('dmr1')
        b = Endpoint('dmr1')
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        for e in (a, b):
            e.gid_index = find_gid_index(e.ctx, link_local=False)
            e.gid = e.ctx.query_gid(1, e.gid_index)
        a.connect(b, retry_cnt=2, timeout=8)
        b.connect(a)
        a.post_send(OPS.IBV_WR_RDMA_WRITE, [a.sge(0, 8)], remote=b.remote())
        a.poll_ok()

        addr = guest.NETDEVS['eth1']
        self.assertEqual(ipaddress.IPv6Address(b.gid.gid).ipv4_mapped,
                         ipaddress.IPv4Interface(addr).ip)
        guest.sh(f'ip addr del {addr} dev eth1')
        self.addCleanup(guest.netdevs_up)

        def gid_there():
            try:
                return b.ctx.query_gid(1, b.gid_index).gid == b.gid.gid
            except PyverbsRDMAError:
                return False
        deadline = time.time() + 10
        while gid_there():
            self.assertLess(time.time(), deadline, 'the GID stayed')
            time.sleep(0.1)
        a.post_send(OPS.IBV_WR_RDMA_WRITE, [a.sge(0, 8)], remote=b.remote())
        wc, = a.poll()
        self.assertEqual(wc.status, ST.IBV_WC_RETRY_EXC_ERR)

    def test_error_state_flushes_both_queues(self):
        a, b = self.make_pair()
        for i in range(3):
            b.post_recv(wr_id=100 + i)
        attr = QPAttr()
        attr.qp_state = ibv_qp_state.IBV_QPS_ERR
        b.qp.modify(attr, 1)    # IBV_QP_STATE
        wcs = b.poll(3)
        self.assertEqual([wc.wr_id for wc in wcs], [100, 101, 102])
        self.assertTrue(all(wc.status == ST.IBV_WC_WR_FLUSH_ERR for wc in wcs))
        # Posted in the error state: flushed too, sends and receives.
        b.post_recv(wr_id=200)
        b.post_send(OPS.IBV_WR_RDMA_WRITE, [b.sge(0, 8)], remote=a.remote(),
                    wr_id=201, flags=0)
        wcs = b.poll(2)
        self.assertEqual(sorted(wc.wr_id for wc in wcs), [200, 201])
        self.assertTrue(all(wc.status == ST.IBV_WC_WR_FLUSH_ERR for wc in wcs))

    def test_requests_after_an_error_are_flushed(self):
        a, b = self.make_pair()
        addr, rkey = b.remote()
        a.post_send(OPS.IBV_WR_RDMA_WRITE, [a.sge(0, 8)], remote=(addr, rkey ^ 1),
                    wr_id=1, flags=0)
        a.post_send(OPS.IBV_WR_RDMA_WRITE, [a.sge(0, 8)], remote=b.remote(),
                    wr_id=2)
        wcs = a.poll(2)
        self.assertEqual([(wc.wr_id, wc.status) for wc in wcs],
                         [(1, ST.IBV_WC_REM_ACCESS_ERR),
                          (2, ST.IBV_WC_WR_FLUSH_ERR)])

    def test_post_send_before_rts_fails(self):
        a = Endpoint('dmr0')
        self.addCleanup(a.close)
        with self.assertRaises(PyverbsRDMAError) as cm:
            a.post_send(OPS.IBV_WR_SEND, [a.sge(0, 8)])
        self.assertEqual(cm.exception.error_code, EINVAL)
        a.assert_no_completion(0.05)

    def test_reset_empties_the_queues_and_forgets_completions(self):
        a, b = self.make_pair()
        # A second QP on b's CQ: its completion must survive b's reset.
        other = QP(b.pd, QPInitAttr(qp_type=ibv_qp_type.IBV_QPT_RC,
                                    scq=b.cq, rcq=b.cq, cap=QPCap()))
        self.addCleanup(other.close)
        attr = QPAttr()
        attr.qp_state = ibv_qp_state.IBV_QPS_INIT
        attr.qp_access_flags = 0
        other.to_init(attr)
        other.post_recv(RecvWR(wr_id=50, num_sge=1, sg=[b.sge(0, 8)]))
        for i in range(3):
            b.post_recv(wr_id=i)
        attr = QPAttr()
        attr.qp_state = ibv_qp_state.IBV_QPS_ERR
        b.qp.modify(attr, 1)
        attr.qp_state = ibv_qp_state.IBV_QPS_ERR
        other.modify(attr, 1)
        # b's three flushes and other's one are in the CQ, unpolled.
        attr.qp_state = ibv_qp_state.IBV_QPS_RESET
        b.qp.modify(attr, 1)
        wc, = b.poll(1)
        self.assertEqual(wc.wr_id, 50)
        b.assert_no_completion(0.05)
        b.connect(a)
        b.post_recv(wr_id=2)
        a.post_send(OPS.IBV_WR_SEND, [a.sge(0, 8)])
        a.poll_ok()
        wc, = b.poll_ok()
        self.assertEqual(wc.wr_id, 2)


@pytest.mark.usefixtures('dmr_links')
class StateMachineTest(unittest.TestCase):
    def setUp(self):
        self.ep = Endpoint('dmr0')
        self.addCleanup(self.ep.close)

    def modify(self, mask, **fields):
        attr = QPAttr()
        for k, v in fields.items():
            setattr(attr, k, v)
        self.ep.qp.modify(attr, mask)

    def test_invalid_transitions_are_refused(self):
        IBV_QP_STATE = 1
        for state in (ibv_qp_state.IBV_QPS_RTR, ibv_qp_state.IBV_QPS_RTS,
                      ibv_qp_state.IBV_QPS_SQD):
            with self.assertRaises(PyverbsRDMAError) as cm:
                self.modify(IBV_QP_STATE, qp_state=state)
            self.assertEqual(cm.exception.error_code, EINVAL)
        self.assertEqual(qp_state(self.ep), ibv_qp_state.IBV_QPS_RESET)

    def test_missing_required_attributes_are_refused(self):
        # RESET -> INIT needs pkey index, port and access flags.
        with self.assertRaises(PyverbsRDMAError) as cm:
            self.modify(1, qp_state=ibv_qp_state.IBV_QPS_INIT)
        self.assertEqual(cm.exception.error_code, EINVAL)

    def test_out_of_range_attributes_are_refused(self):
        INIT_MASK = 1 | 0x10 | 0x20 | 0x8   # STATE PKEY_INDEX PORT ACCESS
        for field, value in (('port_num', 2), ('pkey_index', 1),
                             ('qp_access_flags', 1 << 10)):
            fields = dict(qp_state=ibv_qp_state.IBV_QPS_INIT, port_num=1,
                          pkey_index=0, qp_access_flags=ALL_ACCESS)
            fields[field] = value
            with self.assertRaises(PyverbsRDMAError, msg=field) as cm:
                self.modify(INIT_MASK, **fields)
            self.assertEqual(cm.exception.error_code, EINVAL, field)
        self.assertEqual(qp_state(self.ep), ibv_qp_state.IBV_QPS_RESET)

    def test_query_returns_what_was_set(self):
        peer = Endpoint('dmr0')
        self.addCleanup(peer.close)
        self.ep.connect(peer, rnr_retry=5, retry_cnt=3, min_rnr_timer=12,
                        timeout=17)
        attr, init = self.ep.qp.query(0x1fffff)
        self.assertEqual(attr.qp_state, ibv_qp_state.IBV_QPS_RTS)
        self.assertEqual(attr.dest_qp_num, peer.qp.qp_num)
        self.assertEqual((attr.rnr_retry, attr.retry_cnt, attr.min_rnr_timer,
                          attr.timeout), (5, 3, 12, 17))
        self.assertEqual(attr.qp_access_flags, ALL_ACCESS)
        self.assertEqual(attr.ah_attr.dgid, peer.gid.gid)


def check_receive_keys_checked_where_data_lands(test, a, b):
    """A receive WQE's scatter list is checked only where a message places
    data, as rxe and hardware do (libfabric's shared receive contexts post
    WQEs without keys for zero-length messages): a zero-length SEND
    consumes a WQE with a bad key, a SEND that fits the first (good) entry
    succeeds, and one byte more reaches the bad entry and fails. Returns
    the receive completion of the failure."""
    bad = b.sge(0, 64)
    bad.lkey ^= 0x100
    b.post_recv([bad], wr_id=6)
    a.post_send(OPS.IBV_WR_SEND, [a.sge(0, 0)])
    swc, = a.poll()
    rwc, = b.poll()
    test.assertEqual(swc.status, ST.IBV_WC_SUCCESS)
    test.assertEqual((rwc.status, rwc.wr_id, rwc.byte_len),
                     (ST.IBV_WC_SUCCESS, 6, 0))

    data = pattern(64)
    a.mr.write(data, 64)
    b.post_recv([b.sge(0, 64), bad], wr_id=7)
    a.post_send(OPS.IBV_WR_SEND, [a.sge(0, 64)])
    a.poll_ok()
    rwc, = b.poll()
    test.assertEqual((rwc.status, rwc.wr_id, rwc.byte_len),
                     (ST.IBV_WC_SUCCESS, 7, 64))
    test.assertEqual(b.mr.read(64, 0), data)

    b.post_recv([b.sge(0, 64), bad], wr_id=8)
    a.post_send(OPS.IBV_WR_SEND, [a.sge(0, 65)])
    swc, = a.poll()
    rwc, = b.poll()
    test.assertEqual(rwc.wr_id, 8)
    test.assertNotEqual(rwc.status, ST.IBV_WC_SUCCESS)
    test.assertNotEqual(swc.status, ST.IBV_WC_SUCCESS)
    return rwc


class DoorbellTest(unittest.TestCase):
    """The send doorbell below the provider (tests/guest/doorbell_check):
    dmr's method runs from RTS on and refuses a QP before it; it names the
    QP by number and accepts only the calling context's own QPs (another
    context's, in RTS, is refused both ways, and so is every other number
    around them); the POST_SEND command, version 1's doorbell, is
    refused. The mailbox doorbell follows the same rules, empties the
    mailbox, and refuses an empty one; the provider rings with the QP
    number when the mailbox is full, and two threads racing for it lose
    no send."""

    def test_doorbell_method_and_post_send_refused(self):
        guest.ensure_dmr_links()
        r = subprocess.run([guest.program('doorbell_check'), 'dmr0'], text=True, timeout=120,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        print(r.stdout)
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertIn('PASSED', r.stdout)


class RxeReceiveKeyTest(unittest.TestCase):
    """The same rule on rxe, the reference: dmr is not stricter than it."""

    def test_receive_keys_are_checked_where_data_lands_on_rxe(self):
        with guest.rdma_link('rxe0', 'rxe', 'eth0'):
            a, b = pair('rxe0', 'rxe0')
            try:
                check_receive_keys_checked_where_data_lands(self, a, b)
            finally:
                a.close()
                b.close()


RIGHTS = (
    (OPS.IBV_WR_RDMA_WRITE, af.IBV_ACCESS_REMOTE_WRITE),
    (OPS.IBV_WR_RDMA_READ, af.IBV_ACCESS_REMOTE_READ),
    (OPS.IBV_WR_ATOMIC_FETCH_AND_ADD, af.IBV_ACCESS_REMOTE_ATOMIC),
)


@pytest.mark.usefixtures('dmr_links')
class AccessControlBothWaysTest(unittest.TestCase):
    """Every remote right, between two devices in both directions: the
    access works with the right and is refused without it, with the MR
    untouched; the same for an rkey of the QP's PD against one of another
    PD, and for the last byte of an MR against one byte past it."""

    def pair(self, dev_a, dev_b, access):
        a = Endpoint(dev_a)
        b = Endpoint(dev_b, access=LOCAL_WRITE | access)
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        a.connect(b)
        b.connect(a)
        return a, b

    def access(self, a, op, remote):
        a.post_send(op, [a.sge(0, 8)], remote=remote, compare_add=1)
        wc, = a.poll()
        return wc.status

    def test_rights_keys_and_ranges(self):
        for dev_a, dev_b in (('dmr0', 'dmr1'), ('dmr1', 'dmr0')):
            for op, right in RIGHTS:
                for granted in (True, False):
                    a, b = self.pair(dev_a, dev_b, right if granted else
                                     ALL_ACCESS & ~right & ~LOCAL_WRITE)
                    b.mr.write(pattern(4096, seed=1), 4096)
                    st = self.access(a, op, b.remote())
                    what = f'{dev_a}->{dev_b} {op} granted={granted}'
                    if granted:
                        self.assertEqual(st, ST.IBV_WC_SUCCESS, what)
                    else:
                        self.assertEqual(st, ST.IBV_WC_REM_ACCESS_ERR, what)
                        self.assertEqual(b.mr.read(4096, 0),
                                         pattern(4096, seed=1), what)

            a, b = self.pair(dev_a, dev_b, ALL_ACCESS)
            other = MR(PD(b.ctx), 4096, ALL_ACCESS)
            self.addCleanup(other.close)
            self.assertEqual(self.access(a, OPS.IBV_WR_RDMA_WRITE,
                                         (other.buf, other.rkey)),
                             ST.IBV_WC_REM_ACCESS_ERR)
            a, b = self.pair(dev_a, dev_b, ALL_ACCESS)
            self.assertEqual(self.access(a, OPS.IBV_WR_RDMA_WRITE,
                                         b.remote(4096 - 8)),
                             ST.IBV_WC_SUCCESS)
            self.assertEqual(self.access(a, OPS.IBV_WR_RDMA_WRITE,
                                         b.remote(4096 - 7)),
                             ST.IBV_WC_REM_ACCESS_ERR)
