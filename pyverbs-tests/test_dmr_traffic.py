# SPDX-License-Identifier: (GPL-2.0 OR Linux-OpenIB)
"""
RC traffic on dmr: every operation, several message sizes and SGE counts,
inline data, unsignaled work requests, on one device and between two
devices; every byte verified.
"""
import struct
import unittest

import pytest
from pyverbs.libibverbs_enums import ibv_send_flags as sf
from pyverbs.libibverbs_enums import ibv_wc_flags

from dmrtest.verbs import OPS, WC, Endpoint, pair, pattern

SIZES = (1, 63, 4096, 65537, 1 << 20)
SIGNALED = sf.IBV_SEND_SIGNALED


@pytest.mark.usefixtures('dmr_links')
class TrafficTest(unittest.TestCase):
    dev_a = 'dmr0'
    dev_b = 'dmr0'

    def make_pair(self, **kw):
        a, b = pair(self.dev_a, self.dev_b, **kw)
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        return a, b

    def test_send_sizes(self):
        a, b = self.make_pair(size=1 << 20)
        for size in SIZES:
            data = pattern(size)
            a.mr.write(data, size)
            b.post_recv([b.sge(0, size)], wr_id=size)
            a.post_send(OPS.IBV_WR_SEND, [a.sge(0, size)], wr_id=size)
            swc, = a.poll_ok()
            rwc, = b.poll_ok()
            self.assertEqual((swc.opcode, swc.wr_id), (WC.IBV_WC_SEND, size))
            self.assertEqual((rwc.opcode, rwc.wr_id, rwc.byte_len),
                             (WC.IBV_WC_RECV, size, size))
            self.assertEqual(rwc.src_qp, a.qp.qp_num)
            self.assertEqual(rwc.qp_num, b.qp.qp_num)
            self.assertEqual(b.mr.read(size, 0), data)

    def test_send_with_imm(self):
        a, b = self.make_pair()
        a.mr.write(pattern(100, 3), 100)
        b.post_recv()
        a.post_send(OPS.IBV_WR_SEND_WITH_IMM, [a.sge(0, 100)], imm=0x12345678)
        a.poll_ok()
        wc, = b.poll_ok()
        self.assertTrue(wc.wc_flags & ibv_wc_flags.IBV_WC_WITH_IMM)
        self.assertEqual(wc.imm_data, 0x12345678)
        self.assertEqual(b.mr.read(100, 0), pattern(100, 3))

    def test_rdma_write_sizes(self):
        a, b = self.make_pair(size=1 << 20)
        for size in SIZES:
            data = pattern(size)
            a.mr.write(data, size)
            off = (1 << 20) - size
            a.post_send(OPS.IBV_WR_RDMA_WRITE, [a.sge(0, size)],
                        remote=b.remote(off))
            wc, = a.poll_ok()
            self.assertEqual(wc.opcode, WC.IBV_WC_RDMA_WRITE)
            self.assertEqual(b.mr.read(size, off), data)
        b.assert_no_completion()

    def test_rdma_write_with_imm_consumes_a_receive(self):
        a, b = self.make_pair()
        a.mr.write(pattern(512, 9), 512)
        b.post_recv(wr_id=77)
        a.post_send(OPS.IBV_WR_RDMA_WRITE_WITH_IMM, [a.sge(0, 512)],
                    remote=b.remote(1024), imm=0xabcdef01)
        a.poll_ok()
        wc, = b.poll_ok()
        self.assertEqual((wc.opcode, wc.wr_id, wc.byte_len),
                         (WC.IBV_WC_RECV_RDMA_WITH_IMM, 77, 512))
        self.assertEqual(wc.imm_data, 0xabcdef01)
        self.assertEqual(b.mr.read(512, 1024), pattern(512, 9))

    def test_rdma_read_sizes(self):
        a, b = self.make_pair(size=1 << 20)
        for size in SIZES:
            data = pattern(size)
            b.mr.write(data, size)
            a.post_send(OPS.IBV_WR_RDMA_READ, [a.sge(0, size)],
                        remote=b.remote(0))
            wc, = a.poll_ok()
            self.assertEqual((wc.opcode, wc.byte_len),
                             (WC.IBV_WC_RDMA_READ, size))
            self.assertEqual(a.mr.read(size, 0), data)

    def test_atomics(self):
        a, b = self.make_pair()
        b.mr.write(struct.pack('<Q', 40), 8, 64)
        a.post_send(OPS.IBV_WR_ATOMIC_FETCH_AND_ADD, [a.sge(0, 8)],
                    remote=b.remote(64), compare_add=2)
        wc, = a.poll_ok()
        self.assertEqual(wc.opcode, WC.IBV_WC_FETCH_ADD)
        self.assertEqual(struct.unpack('<Q', a.mr.read(8, 0))[0], 40)
        self.assertEqual(struct.unpack('<Q', b.mr.read(8, 64))[0], 42)

        # A compare that fails leaves memory alone; one that matches swaps.
        for compare, expect in ((41, 42), (42, 7)):
            a.post_send(OPS.IBV_WR_ATOMIC_CMP_AND_SWP, [a.sge(8, 8)],
                        remote=b.remote(64), compare_add=compare, swap=7)
            wc, = a.poll_ok()
            self.assertEqual(wc.opcode, WC.IBV_WC_COMP_SWAP)
            self.assertEqual(struct.unpack('<Q', a.mr.read(8, 8))[0], 42)
            self.assertEqual(struct.unpack('<Q', b.mr.read(8, 64))[0], expect)

    def test_multiple_sges_gather_and_scatter(self):
        a, b = self.make_pair(size=65536, max_sge=16)
        for nsge in (2, 5, 16):
            data = pattern(nsge * 1000)
            a.mr.write(data, len(data))
            # Gather from nsge pieces spread over the MR, scatter into
            # nsge pieces in reverse order of address.
            gather = [a.sge(i * 1000, 1000) for i in range(nsge)]
            scatter = [b.sge(60000 - (i + 1) * 3000, 1000) for i in range(nsge)]
            b.post_recv(scatter)
            a.post_send(OPS.IBV_WR_SEND, gather)
            a.poll_ok()
            wc, = b.poll_ok()
            self.assertEqual(wc.byte_len, len(data))
            got = b''.join(b.mr.read(1000, 60000 - (i + 1) * 3000)
                           for i in range(nsge))
            self.assertEqual(got, data)

    def test_inline_send_and_write(self):
        a, b = self.make_pair(max_inline=256)
        self.assertGreaterEqual(a.qp.query(0)[1].cap.max_inline_data, 256)
        data = pattern(200, 5)
        a.mr.write(data, 200)
        b.post_recv()
        a.post_send(OPS.IBV_WR_SEND, [a.sge(0, 200)],
                    flags=SIGNALED | sf.IBV_SEND_INLINE)
        # Inline data is copied at post time: changing the buffer now
        # must not change what arrives.
        a.mr.write(bytes(200), 200)
        a.poll_ok()
        b.poll_ok()
        self.assertEqual(b.mr.read(200, 0), data)

        a.mr.write(data, 200)
        a.post_send(OPS.IBV_WR_RDMA_WRITE, [a.sge(0, 200)],
                    remote=b.remote(2048), flags=SIGNALED | sf.IBV_SEND_INLINE)
        a.poll_ok()
        self.assertEqual(b.mr.read(200, 2048), data)

    def test_unsignaled_requests_complete_silently(self):
        a, b = self.make_pair()
        for i in range(10):
            a.mr.write(bytes([i]) * 16, 16, i * 16)
            a.post_send(OPS.IBV_WR_RDMA_WRITE, [a.sge(i * 16, 16)],
                        remote=b.remote(i * 16), flags=0, wr_id=i)
        a.post_send(OPS.IBV_WR_RDMA_WRITE, [a.sge(0, 16)],
                    remote=b.remote(0), wr_id=99)
        wc, = a.poll_ok()
        self.assertEqual(wc.wr_id, 99)
        a.assert_no_completion()
        self.assertEqual(b.mr.read(160, 0),
                         b''.join(bytes([i]) * 16 for i in range(10)))

    def test_zero_length_messages(self):
        a, b = self.make_pair()
        b.post_recv()
        a.post_send(OPS.IBV_WR_SEND, [a.sge(0, 0)])
        a.poll_ok()
        wc, = b.poll_ok()
        self.assertEqual(wc.byte_len, 0)
        # No data: no key is looked at, not even a bogus one.
        a.post_send(OPS.IBV_WR_RDMA_WRITE, [a.sge(0, 0)], remote=(0, 0xdead))
        a.poll_ok()

    def test_receives_complete_in_order(self):
        a, b = self.make_pair(size=64 * 64)
        for i in range(64):
            b.post_recv([b.sge(i * 64, 64)], wr_id=i)
        for i in range(64):
            a.mr.write(bytes([i]) * 64, 64, i * 64)
            a.post_send(OPS.IBV_WR_SEND, [a.sge(i * 64, 64)], wr_id=i,
                        flags=0)
        wcs = b.poll_ok(64)
        self.assertEqual([wc.wr_id for wc in wcs], list(range(64)))
        for i in range(64):
            self.assertEqual(b.mr.read(64, i * 64), bytes([i]) * 64)

    def test_loopback_to_itself(self):
        a = Endpoint(self.dev_a)
        self.addCleanup(a.close)
        a.connect(a)
        a.mr.write(pattern(128, 1), 128)
        a.post_recv([a.sge(2048, 128)])
        a.post_send(OPS.IBV_WR_SEND, [a.sge(0, 128)])
        wcs = a.poll_ok(2)
        self.assertEqual(sorted(wc.opcode for wc in wcs),
                         [WC.IBV_WC_SEND, WC.IBV_WC_RECV])
        self.assertEqual(a.mr.read(128, 2048), pattern(128, 1))


class CrossDeviceTrafficTest(TrafficTest):
    """The same traffic between dmr0 (eth0) and dmr1 (eth1)."""
    dev_b = 'dmr1'
