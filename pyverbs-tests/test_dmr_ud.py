# SPDX-License-Identifier: (GPL-2.0 OR Linux-OpenIB)
"""
UD QPs and address handles on dmr: what a receiver gets (the 40-byte
network header of RoCE v2, then the payload, and the completion fields),
and every way a datagram is lost or refused - as on a wire, the sender
completes successfully when the receiver drops it.
"""
import errno
import ipaddress
import struct
import time
import unittest

import pytest
from pyverbs.addr import AH, AHAttr, GlobalRoute
from pyverbs.cq import CQ
from pyverbs.libibverbs_enums import ibv_access_flags as af
from pyverbs.libibverbs_enums import ibv_qp_attr_mask, ibv_qp_state
from pyverbs.libibverbs_enums import ibv_qp_type, ibv_send_flags, ibv_wc_flags
from pyverbs.mr import MR
from pyverbs.pd import PD
from pyverbs.pyverbs_error import PyverbsRDMAError
from pyverbs.qp import QP, QPAttr, QPCap, QPInitAttr
from pyverbs.wr import RecvWR, SendWR, SGE

from dmrtest.verbs import (OPS, ST, WC, find_gid_index, open_context,
                           pattern, poll_cq)

GRH = 40
QKEY = 0x11111111


class UDEndpoint:
    """A UD QP in RTS with one MR, on @dev, using its IPv4 or IPv6 GID."""

    def __init__(self, dev, ipv4=False, qkey=QKEY, size=4096, max_inline=0):
        self.ctx, _ = open_context(dev)
        self.pd = PD(self.ctx)
        self.cq = CQ(self.ctx, 64, None, None, 0)
        self.mr = MR(self.pd, size, af.IBV_ACCESS_LOCAL_WRITE)
        cap = QPCap(max_send_wr=16, max_recv_wr=16, max_send_sge=2,
                    max_recv_sge=2, max_inline_data=max_inline)
        init = QPInitAttr(qp_type=ibv_qp_type.IBV_QPT_UD, scq=self.cq,
                          rcq=self.cq, cap=cap, sq_sig_all=1)
        self.qp = QP(self.pd, init)
        attr = QPAttr()
        attr.qkey = qkey
        attr.port_num = 1
        attr.pkey_index = 0
        self.qp.to_rts(attr)
        self.gid_index = find_gid_index(self.ctx, link_local=not ipv4)
        self.gid = self.ctx.query_gid(1, self.gid_index)

    def ah_to(self, peer, hop_limit=64, traffic_class=0):
        gr = GlobalRoute(dgid=peer.gid, sgid_index=self.gid_index,
                         hop_limit=hop_limit, traffic_class=traffic_class)
        return AH(self.pd, attr=AHAttr(port_num=1, is_global=1, gr=gr))

    def post_recv(self, length=None, offset=0, wr_id=7):
        length = self.mr.length - offset if length is None else length
        sge = SGE(self.mr.buf + offset, length, self.mr.lkey)
        self.qp.post_recv(RecvWR(wr_id=wr_id, num_sge=1, sg=[sge]))

    def send(self, ah, qpn, data, qkey=QKEY, imm=None, inline=False):
        self.mr.write(data, len(data))
        sge = SGE(self.mr.buf, len(data), self.mr.lkey)
        flags = ibv_send_flags.IBV_SEND_SIGNALED
        if inline:
            flags |= ibv_send_flags.IBV_SEND_INLINE
        op = OPS.IBV_WR_SEND_WITH_IMM if imm is not None else OPS.IBV_WR_SEND
        wr = SendWR(wr_id=3, opcode=op, num_sge=1, sg=[sge], send_flags=flags)
        if imm is not None:
            wr.imm_data = imm
        wr.set_wr_ud(ah, qpn, qkey)
        self.qp.post_send(wr)

    def poll(self, count=1, timeout=10):
        return poll_cq(self.cq, count, timeout)

    def no_completion(self, wait=0.3):
        time.sleep(wait)
        return self.cq.poll(1)[0] == 0

    def close(self):
        self.ctx.close()


def ipv4_header(grh):
    """The IPv4 header a RoCE v2 receiver finds in the last 20 GRH bytes."""
    return grh[20:40]


def ip_checksum(header):
    total = sum(struct.unpack('!10H', header))
    while total >> 16:
        total = (total & 0xffff) + (total >> 16)
    return total


@pytest.mark.usefixtures('dmr_links')
class UdTest(unittest.TestCase):
    def pair(self, dev_a='dmr0', dev_b='dmr1', ipv4=False, **kw):
        a = UDEndpoint(dev_a, ipv4=ipv4, **kw)
        b = UDEndpoint(dev_b, ipv4=ipv4, **kw)
        self.addCleanup(b.close)
        self.addCleanup(a.close)
        return a, b

    def test_ipv6_datagram_between_devices(self):
        a, b = self.pair()
        data = pattern(512)
        b.post_recv()
        a.send(a.ah_to(b, hop_limit=17, traffic_class=0x20), b.qp.qp_num,
               data, imm=0x1234)
        self.assertEqual(a.poll()[0].status, ST.IBV_WC_SUCCESS)
        wc = b.poll()[0]
        self.assertEqual(wc.status, ST.IBV_WC_SUCCESS)
        self.assertEqual(wc.opcode, WC.IBV_WC_RECV)
        self.assertEqual(wc.byte_len, GRH + len(data))
        self.assertEqual(wc.src_qp, a.qp.qp_num)
        self.assertTrue(wc.wc_flags & ibv_wc_flags.IBV_WC_GRH)
        self.assertTrue(wc.wc_flags & ibv_wc_flags.IBV_WC_WITH_IMM)
        self.assertEqual(wc.imm_data, 0x1234)
        got = b.mr.read(GRH + len(data), 0)
        grh = got[:GRH]
        self.assertEqual(grh[0] >> 4, 6, 'IPv6 version')
        self.assertEqual(((grh[0] & 0xf) << 4) | (grh[1] >> 4), 0x20,
                         'traffic class')
        self.assertEqual(grh[6], 17, 'next header: UDP')
        self.assertEqual(grh[7], 17, 'hop limit')
        self.assertEqual(grh[8:24], ipaddress.IPv6Address(a.gid.gid).packed)
        self.assertEqual(grh[24:40], ipaddress.IPv6Address(b.gid.gid).packed)
        self.assertEqual(got[GRH:], data)

    def test_ipv4_datagram_carries_a_valid_ipv4_header(self):
        # One device: the kernel cannot resolve the MAC of another local
        # subnet's address for a process's AH (rxe alike).
        a, b = self.pair('dmr0', 'dmr0', ipv4=True)
        data = pattern(100)
        b.post_recv()
        a.send(a.ah_to(b, hop_limit=9), b.qp.qp_num, data)
        a.poll()
        wc = b.poll()[0]
        self.assertEqual(wc.status, ST.IBV_WC_SUCCESS)
        got = b.mr.read(GRH + len(data), 0)
        self.assertEqual(got[:20], bytes(20), 'first 20 bytes are zero')
        ip = ipv4_header(got[:GRH])
        self.assertEqual(ip[0], 0x45, 'version 4, 5 words')
        self.assertEqual(ip[8], 9, 'TTL')
        self.assertEqual(ip[9], 17, 'protocol UDP')
        self.assertEqual(ip_checksum(ip), 0xffff, 'header checksum')
        self.assertEqual(ip[12:16], ipaddress.IPv6Address(a.gid.gid).ipv4_mapped.packed)
        self.assertEqual(ip[16:20], ipaddress.IPv6Address(b.gid.gid).ipv4_mapped.packed)
        self.assertEqual(got[GRH:], data)

    def test_inline_send_to_itself(self):
        a = UDEndpoint('dmr0', max_inline=64)
        self.addCleanup(a.close)
        a.post_recv(offset=1024, length=1024)
        a.send(a.ah_to(a), a.qp.qp_num, b'inline datagram', inline=True)
        wcs = a.poll(2)
        self.assertEqual(sorted(w.status for w in wcs), [ST.IBV_WC_SUCCESS] * 2)
        self.assertEqual(a.mr.read(15, 1024 + GRH), b'inline datagram')

    def test_wrong_qkey_is_dropped_silently(self):
        a, b = self.pair()
        b.post_recv()
        a.send(a.ah_to(b), b.qp.qp_num, b'x' * 8, qkey=QKEY + 1)
        self.assertEqual(a.poll()[0].status, ST.IBV_WC_SUCCESS)
        self.assertTrue(b.no_completion())
        # The receive WQE is still there for the next, right, datagram.
        a.send(a.ah_to(b), b.qp.qp_num, b'y' * 8)
        a.poll()
        self.assertEqual(b.poll()[0].status, ST.IBV_WC_SUCCESS)

    def test_high_bit_qkey_means_the_senders_own(self):
        a, b = self.pair()
        b.post_recv()
        a.send(a.ah_to(b), b.qp.qp_num, b'z' * 8, qkey=0x80000000)
        a.poll()
        self.assertEqual(b.poll()[0].status, ST.IBV_WC_SUCCESS)

    def test_no_receive_wqe_or_no_such_qp_is_a_silent_loss(self):
        a, b = self.pair()
        a.send(a.ah_to(b), b.qp.qp_num, b'lost')
        self.assertEqual(a.poll()[0].status, ST.IBV_WC_SUCCESS)
        a.send(a.ah_to(b), 0xfffff0, b'nowhere')
        self.assertEqual(a.poll()[0].status, ST.IBV_WC_SUCCESS)
        b.post_recv()
        self.assertTrue(b.no_completion())

    def test_longer_than_the_mtu_is_not_sent(self):
        a, b = self.pair(size=8192)
        b.post_recv()
        mtu = 1024 << (int(a.ctx.query_port(1).active_mtu) - 3)
        a.send(a.ah_to(b), b.qp.qp_num, pattern(mtu + 1))
        self.assertEqual(a.poll()[0].status, ST.IBV_WC_SUCCESS)
        self.assertTrue(b.no_completion())
        a.send(a.ah_to(b), b.qp.qp_num, pattern(mtu))
        a.poll()
        self.assertEqual(b.poll()[0].byte_len, GRH + mtu)

    def test_receive_buffer_too_small_for_header_and_data(self):
        a, b = self.pair()
        b.post_recv(length=GRH + 10)
        a.send(a.ah_to(b), b.qp.qp_num, pattern(11))
        a.poll()
        self.assertEqual(b.poll()[0].status, ST.IBV_WC_LOC_LEN_ERR)
        # The QP keeps receiving: UD receive errors do not fail it.
        b.post_recv()
        a.send(a.ah_to(b), b.qp.qp_num, pattern(11))
        a.poll()
        self.assertEqual(b.poll()[0].status, ST.IBV_WC_SUCCESS)

    def test_bad_local_key_fails_the_sender_into_sqe(self):
        a, b = self.pair()
        ah = a.ah_to(b)
        sge = SGE(a.mr.buf, 8, a.mr.lkey ^ 0x100)
        wr = SendWR(wr_id=1, opcode=OPS.IBV_WR_SEND, num_sge=1, sg=[sge],
                    send_flags=ibv_send_flags.IBV_SEND_SIGNALED)
        wr.set_wr_ud(ah, b.qp.qp_num, QKEY)
        a.qp.post_send(wr)
        self.assertEqual(a.poll()[0].status, ST.IBV_WC_LOC_PROT_ERR)
        attr, _ = a.qp.query(ibv_qp_attr_mask.IBV_QP_STATE)
        self.assertEqual(attr.qp_state, ibv_qp_state.IBV_QPS_SQE)
        # SQE -> RTS recovers the send queue (as the MAD layer does).
        rts = QPAttr()
        rts.qp_state = ibv_qp_state.IBV_QPS_RTS
        rts.cur_qp_state = ibv_qp_state.IBV_QPS_SQE
        a.qp.modify(rts, ibv_qp_attr_mask.IBV_QP_STATE |
                    ibv_qp_attr_mask.IBV_QP_CUR_STATE)
        b.post_recv()
        a.send(ah, b.qp.qp_num, b'again')
        self.assertEqual(a.poll()[0].status, ST.IBV_WC_SUCCESS)
        self.assertEqual(b.poll()[0].status, ST.IBV_WC_SUCCESS)

    def test_rdma_opcodes_are_refused_on_ud(self):
        a, b = self.pair()
        sge = SGE(a.mr.buf, 8, a.mr.lkey)
        wr = SendWR(opcode=OPS.IBV_WR_RDMA_WRITE, num_sge=1, sg=[sge])
        wr.set_wr_ud(a.ah_to(b), b.qp.qp_num, QKEY)
        with self.assertRaises(PyverbsRDMAError) as cm:
            a.qp.post_send(wr)
        self.assertEqual(cm.exception.error_code, errno.EINVAL)

    def test_address_handles_refuse_bad_attributes(self):
        ctx, _ = open_context('dmr0')
        self.addCleanup(ctx.close)
        pd = PD(ctx)
        gid = ctx.query_gid(1, find_gid_index(ctx))
        for port, sgid_index, is_global in ((2, 0, 1), (1, 200, 1), (1, 0, 0)):
            gr = GlobalRoute(dgid=gid, sgid_index=sgid_index)
            with self.assertRaises(PyverbsRDMAError, msg=(port, sgid_index)):
                AH(pd, attr=AHAttr(port_num=port, is_global=is_global, gr=gr))
