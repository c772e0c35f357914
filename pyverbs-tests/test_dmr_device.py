# SPDX-License-Identifier: (GPL-2.0 OR Linux-OpenIB)
"""
The dmr device as tools and applications see it: rdma link and
ibv_devinfo, its attributes, its port following the netdev, device
creation errors, and removal while a process holds objects.
"""
import errno
import ipaddress
import subprocess
import sys
import textwrap
import unittest

import pytest
from pyverbs.device import AllocDmAttr, Context, DM
from pyverbs.pd import PD
from pyverbs.pyverbs_error import PyverbsRDMAError
from pyverbs.srq import SRQ, SrqAttr, SrqInitAttr
from pyverbs.libibverbs_enums import (IBV_LINK_LAYER_ETHERNET, ibv_atomic_cap,
                                      ibv_mtu, ibv_port_state)

from dmrtest import guest
from dmrtest.verbs import open_context, wait_async_event

VENDOR_ID = 0x646d72
IBV_EVENT_PORT_ACTIVE = 9
IBV_EVENT_PORT_ERR = 10
IBV_EVENT_DEVICE_FATAL = 8


@pytest.mark.usefixtures('dmr_links')
class DeviceTest(unittest.TestCase):
    def test_rdma_link_and_ibv_devinfo_show_the_device(self):
        self.assertEqual(guest.rdma_links().get('dmr0'), 'eth0')
        out = guest.sh('ibv_devinfo -v -d dmr0').stdout
        for line in ('hca_id:\tdmr0', 'vendor_id:\t\t\t0x646d72',
                     'max_qp:\t\t\t\t16384', 'max_sge:\t\t\t32',
                     'atomic_cap:\t\t\tATOMIC_HCA', 'max_srq:\t\t\t4096',
                     'state:\t\t\tPORT_ACTIVE', 'link_layer:\t\tEthernet'):
            self.assertIn(line, out)

    def test_device_attributes(self):
        with Context(name='dmr0') as ctx:
            attr = ctx.query_device()
            self.assertEqual(attr.vendor_id, VENDOR_ID)
            self.assertNotEqual(attr.node_guid, 0)
            self.assertNotEqual(attr.sys_image_guid, 0)
            self.assertEqual(attr.max_qp, 16384)
            self.assertEqual(attr.max_qp_wr, 16384)
            self.assertEqual(attr.max_sge, 32)
            self.assertEqual(attr.max_cq, 16384)
            self.assertEqual(attr.max_mr, 1 << 20)
            self.assertEqual(attr.atomic_caps, ibv_atomic_cap.IBV_ATOMIC_HCA)
            # One firmware version, whoever shows it.
            with open('/sys/class/infiniband/dmr0/fw_ver') as f:
                self.assertEqual(attr.fw_version, f.read().strip())
            image = attr.sys_image_guid
            node = attr.node_guid
        with Context(name='dmr1') as ctx:
            attr = ctx.query_device()
            # One host is one system; every device has its own node GUID.
            self.assertEqual(attr.sys_image_guid, image)
            self.assertNotEqual(attr.node_guid, node)

    def test_port_is_roce_v2_with_the_netdev_addresses(self):
        with Context(name='dmr0') as ctx:
            port = ctx.query_port(1)
            self.assertEqual(port.state, ibv_port_state.IBV_PORT_ACTIVE)
            self.assertEqual(port.link_layer, IBV_LINK_LAYER_ETHERNET)
            self.assertEqual(port.max_msg_sz, 1 << 31)
            gids = set()
            for i in range(port.gid_tbl_len):
                try:
                    gids.add(ipaddress.IPv6Address(ctx.query_gid(1, i).gid))
                except Exception:
                    pass
        self.assertIn(ipaddress.IPv6Address('::ffff:10.10.0.1'), gids)
        self.assertTrue(any(g.is_link_local for g in gids))

    def test_port_mtu_follows_the_netdev(self):
        try:
            for mtu, expect in ((9000, ibv_mtu.IBV_MTU_4096),
                                (1500, ibv_mtu.IBV_MTU_1024),
                                (600, ibv_mtu.IBV_MTU_256)):
                guest.sh(f'ip link set eth0 mtu {mtu}')
                with Context(name='dmr0') as ctx:
                    self.assertEqual(ctx.query_port(1).active_mtu, expect, mtu)
        finally:
            guest.sh('ip link set eth0 mtu 1500')

    def test_port_state_follows_the_netdev_with_events(self):
        # eth0's IPv6 address goes through DAD again after "up", and until
        # it is done its GID cannot be used: a QP connected by the next
        # test would fail at RTR (ENETUNREACH). Wait for it here.
        self.addCleanup(guest.netdevs_up)
        ctx, fd = open_context('dmr0')
        self.addCleanup(ctx.close)
        try:
            guest.sh('ip link set eth0 down')
            self.assertEqual(wait_async_event(ctx, fd), IBV_EVENT_PORT_ERR)
            self.assertEqual(ctx.query_port(1).state,
                             ibv_port_state.IBV_PORT_DOWN)
        finally:
            guest.sh('ip link set eth0 up')
        self.assertEqual(wait_async_event(ctx, fd), IBV_EVENT_PORT_ACTIVE)
        self.assertEqual(ctx.query_port(1).state,
                         ibv_port_state.IBV_PORT_ACTIVE)

    def test_link_add_refuses_bad_netdevs(self):
        mark = guest.kernel_log_mark()
        r = guest.sh('rdma link add dmrlo type dmr netdev lo', check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertTrue(any('lo is not an Ethernet device' in line
                            for line in guest.kernel_log_since(mark)))
        r = guest.sh('rdma link add dmr9 type dmr netdev eth0', check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertNotIn('dmr9', guest.rdma_links())
        self.assertNotIn('dmrlo', guest.rdma_links())


HOLDER = textwrap.dedent('''
    import sys
    from pyverbs.device import Context
    from pyverbs.pd import PD
    from pyverbs.cq import CQ
    from pyverbs.mr import MR
    from pyverbs.qp import QP, QPInitAttr, QPCap
    from pyverbs.libibverbs_enums import ibv_qp_type
    ctx = Context(name='dmr0')
    pd = PD(ctx)
    cq = CQ(ctx, 16)
    mr = MR(pd, 1 << 20, 7)
    qp = QP(pd, QPInitAttr(qp_type=ibv_qp_type.IBV_QPT_RC, scq=cq, rcq=cq,
                           cap=QPCap()))
    print('ready', flush=True)
    ev = ctx.get_async_event()
    print('event', int(ev.event_type), flush=True)
    ev.ack()
    ctx.close()
''')


@pytest.mark.usefixtures('dmr_links')
class LimitTest(unittest.TestCase):
    """The device's advertised object limits hold: the object past the
    limit fails with ENOMEM and leaves nothing behind, and freeing one
    makes room again. SRQs stand for every counted kind: one helper,
    dmr_count_get(), counts them all, and 4096 SRQs are quick to make."""

    def fill(self, limit, create, kind):
        """Create objects of @kind until refused, which must be with
        ENOMEM at @limit objects on dmr0; returns them."""
        in_use = guest.resource_count('dmr0', kind)
        objs = []
        try:
            while len(objs) <= limit:
                objs.append(create())
        except PyverbsRDMAError as e:
            err = e.error_code
        else:
            err = None
        self.assertEqual(err, errno.ENOMEM)
        self.assertEqual(in_use + len(objs), limit)
        self.assertEqual(guest.resource_count('dmr0', kind), limit)
        return objs

    def test_srq_limit(self):
        with Context(name='dmr0') as ctx, PD(ctx) as pd:
            limit = ctx.query_device().max_srq
            attr = SrqInitAttr(SrqAttr(max_wr=1, max_sge=1))
            srqs = self.fill(limit, lambda: SRQ(pd, attr), 'srq')
            srqs.pop().close()
            srqs.append(SRQ(pd, attr))
            for srq in srqs:
                srq.close()


    def test_dm_limit(self):
        """Device memory is counted like the others (DMR_MAX_DM, dmr.7),
        though the core has no attribute to report its limit."""
        limit = 4096
        with Context(name='dmr0') as ctx:
            dms = []
            try:
                while len(dms) <= limit:
                    dms.append(DM(ctx, AllocDmAttr(length=4096)))
            except PyverbsRDMAError as e:
                err = e.error_code
            else:
                err = None
            try:
                self.assertEqual(err, errno.ENOMEM)
                self.assertEqual(len(dms), limit)
                dms.pop().close()
                dms.append(DM(ctx, AllocDmAttr(length=4096)))
            finally:
                for dm in dms:
                    dm.close()


@pytest.mark.usefixtures('dmr_links')
class RemovalTest(unittest.TestCase):
    def test_link_delete_with_live_objects_sends_device_fatal(self):
        proc = subprocess.Popen([sys.executable, '-c', HOLDER],
                                stdout=subprocess.PIPE, text=True)
        try:
            self.assertEqual(guest.readline(proc, 60), 'ready')
            guest.sh('rdma link delete dmr0')
            line = guest.readline(proc, 30)
            self.assertEqual(line, f'event {IBV_EVENT_DEVICE_FATAL}')
            self.assertEqual(proc.wait(timeout=30), 0)
        finally:
            proc.kill()
        self.assertNotIn('dmr0', guest.rdma_links())

    def test_module_unloads_with_devices_present(self):
        guest.ensure_dmr_links()
        guest.unload_dmr()
        self.assertFalse(guest.module_loaded('dmr'))
        self.assertFalse([d for d in guest.rdma_links() if d.startswith('dmr')])
        guest.ensure_dmr_links()
        self.assertIn('dmr0', guest.rdma_links())
