# SPDX-License-Identifier: (GPL-2.0 OR Linux-OpenIB)
"""
A small verbs toolkit on top of pyverbs for dmr's tests: an RC endpoint
(context, PD, CQ, MR, QP) and the few operations every test needs, with
errors that name what went wrong.
"""
import errno
import ipaddress
import os
import select
import time

from pyverbs.addr import AHAttr, GlobalRoute
from pyverbs.cq import CQ
from pyverbs.device import Context
from pyverbs.libibverbs_enums import ibv_access_flags as af
from pyverbs.libibverbs_enums import ibv_gid_type_sysfs
from pyverbs.libibverbs_enums import ibv_mtu, ibv_qp_type, ibv_send_flags
from pyverbs.libibverbs_enums import ibv_wc_opcode, ibv_wc_status
from pyverbs.libibverbs_enums import ibv_wr_opcode
from pyverbs.mr import MR
from pyverbs.pd import PD
from pyverbs.pyverbs_error import PyverbsRDMAError
from pyverbs.qp import QP, QPAttr, QPCap, QPInitAttr
from pyverbs.wr import RecvWR, SendWR, SGE

ALL_ACCESS = (af.IBV_ACCESS_LOCAL_WRITE | af.IBV_ACCESS_REMOTE_WRITE |
              af.IBV_ACCESS_REMOTE_READ | af.IBV_ACCESS_REMOTE_ATOMIC)
POLL_TIMEOUT = 20


def open_context(dev):
    """A Context and its asynchronous event fd (found in /proc/self/fd:
    pyverbs does not expose it), so that tests can wait with a timeout."""
    def event_fds():
        fds = set()
        for fd in os.listdir('/proc/self/fd'):
            try:
                if 'infinibandevent' in os.readlink(f'/proc/self/fd/{fd}'):
                    fds.add(int(fd))
            except OSError:
                pass
        return fds

    before = event_fds()
    ctx = Context(name=dev)
    new = event_fds() - before
    return ctx, (new.pop() if len(new) == 1 else None)


def wait_async_event(ctx, fd, timeout=10):
    """The next asynchronous event type of @ctx, or None after @timeout."""
    if fd is None:
        raise RuntimeError('no async event fd known for this context')
    ready, _, _ = select.select([fd], [], [], timeout)
    if not ready:
        return None
    ev = ctx.get_async_event()
    kind = int(ev.event_type)
    ev.ack()
    return kind


def find_gid_index(ctx, link_local=True):
    """Index of the RoCE v2 GID to use: IPv6 link-local or IPv4-mapped."""
    attr = ctx.query_port(1)
    for idx in range(attr.gid_tbl_len):
        try:
            gid = ctx.query_gid(1, idx)
            kind = ctx.query_gid_type(1, idx)
        except PyverbsRDMAError:
            continue
        if kind != ibv_gid_type_sysfs.IBV_GID_TYPE_SYSFS_ROCE_V2:
            continue
        addr = ipaddress.IPv6Address(gid.gid)
        if link_local and addr.is_link_local:
            return idx
        if not link_local and addr.ipv4_mapped:
            return idx
    raise RuntimeError('no suitable GID on the port')


class Endpoint:
    """One side of an RC connection, with one MR of @size bytes."""

    def __init__(self, dev, size=4096, access=ALL_ACCESS, qp_access=ALL_ACCESS,
                 max_send_wr=64, max_recv_wr=64, max_sge=4, max_inline=0,
                 cqe=256, srq=None, pd=None, ctx=None, channel=None,
                 link_local=True):
        if ctx is None:
            ctx, self.async_fd = open_context(dev)
        else:
            self.async_fd = None
        self.ctx = ctx
        self.pd = pd or PD(self.ctx)
        self.cq = CQ(self.ctx, cqe, None, channel, 0)
        self.size = size
        self.mr = MR(self.pd, size, access) if size else None
        self.qp_access = qp_access
        cap = QPCap(max_send_wr=max_send_wr, max_recv_wr=max_recv_wr,
                    max_send_sge=max_sge, max_recv_sge=max_sge,
                    max_inline_data=max_inline)
        init = QPInitAttr(qp_type=ibv_qp_type.IBV_QPT_RC, scq=self.cq,
                          rcq=self.cq, srq=srq, cap=cap, sq_sig_all=0)
        self.qp = QP(self.pd, init)
        self.gid_index = find_gid_index(self.ctx, link_local)
        self.gid = self.ctx.query_gid(1, self.gid_index)

    def connect(self, peer, rnr_retry=7, retry_cnt=7, min_rnr_timer=1,
                timeout=14, dest_qpn=None, mtu=ibv_mtu.IBV_MTU_1024):
        attr = QPAttr()
        attr.qp_access_flags = self.qp_access
        attr.path_mtu = mtu
        attr.dest_qp_num = peer.qp.qp_num if dest_qpn is None else dest_qpn
        attr.rq_psn = 0
        attr.sq_psn = 0
        attr.max_dest_rd_atomic = 16
        attr.max_rd_atomic = 16
        attr.min_rnr_timer = min_rnr_timer
        attr.timeout = timeout
        attr.retry_cnt = retry_cnt
        attr.rnr_retry = rnr_retry
        gr = GlobalRoute(dgid=peer.gid, sgid_index=self.gid_index)
        attr.ah_attr = AHAttr(port_num=1, is_global=1, gr=gr)
        self.qp.to_rts(attr)

    def sge(self, offset=0, length=None, mr=None):
        mr = mr or self.mr
        length = mr.length - offset if length is None else length
        return SGE(mr.buf + offset, length, mr.lkey)

    def post_recv(self, sges=None, wr_id=0):
        sges = [self.sge()] if sges is None else sges
        self.qp.post_recv(RecvWR(wr_id=wr_id, num_sge=len(sges), sg=sges))

    def post_send(self, opcode, sges=None, wr_id=0, remote=None, rkey=None,
                  flags=ibv_send_flags.IBV_SEND_SIGNALED, imm=0,
                  compare_add=0, swap=0):
        """Post one send WR; @remote is (addr, rkey) for RDMA and atomics."""
        sges = [self.sge()] if sges is None else sges
        wr = SendWR(wr_id=wr_id, opcode=opcode, num_sge=len(sges), sg=sges,
                    send_flags=flags)
        if imm:
            wr.imm_data = imm
        if opcode in (ibv_wr_opcode.IBV_WR_ATOMIC_CMP_AND_SWP,
                      ibv_wr_opcode.IBV_WR_ATOMIC_FETCH_AND_ADD):
            wr.set_wr_atomic(remote[1], remote[0], compare_add, swap)
        elif remote is not None:
            wr.set_wr_rdma(remote[1], remote[0])
        self.qp.post_send(wr)

    def remote(self, offset=0):
        return (self.mr.buf + offset, self.mr.rkey)

    def poll(self, count=1, timeout=POLL_TIMEOUT):
        """Exactly @count completions, whatever their status."""
        return poll_cq(self.cq, count, timeout)

    def poll_ok(self, count=1, timeout=POLL_TIMEOUT):
        wcs = self.poll(count, timeout)
        for wc in wcs:
            if wc.status != ibv_wc_status.IBV_WC_SUCCESS:
                raise AssertionError(f'completion status {wc.status} '
                                     f'(opcode {wc.opcode}, wr_id {wc.wr_id})')
        return wcs

    def assert_no_completion(self, wait=0.2):
        time.sleep(wait)
        n, _ = self.cq.poll(1)
        if n:
            raise AssertionError('unexpected completion')

    def async_event(self, timeout=10):
        return wait_async_event(self.ctx, self.async_fd, timeout)

    def close(self):
        self.ctx.close()


def poll_cq(cq, count=1, timeout=POLL_TIMEOUT):
    """Exactly @count completions of @cq, whatever their status."""
    wcs = []
    deadline = time.time() + timeout
    while len(wcs) < count:
        n, got = cq.poll(count - len(wcs))
        wcs += got[:n]
        if not n:
            if time.time() > deadline:
                raise TimeoutError(f'{len(wcs)} of {count} completions')
            time.sleep(0.001)
    return wcs


def pair(dev_a='dmr0', dev_b='dmr0', connect=None, **kw):
    """Two connected endpoints (a requester a, a responder b); @connect
    are connect()'s keyword arguments."""
    a = Endpoint(dev_a, **kw)
    b = Endpoint(dev_b, **kw)
    a.connect(b, **(connect or {}))
    b.connect(a, **(connect or {}))
    return a, b


def pattern(length, seed=None):
    """Bytes that differ at every position and between calls."""
    return os.urandom(length) if seed is None else bytes(
        (seed + i * 7) & 0xff for i in range(length))


OPS = ibv_wr_opcode
WC = ibv_wc_opcode
ST = ibv_wc_status
EINVAL = errno.EINVAL
