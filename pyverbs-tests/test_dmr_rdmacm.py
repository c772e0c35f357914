# SPDX-License-Identifier: (GPL-2.0 OR Linux-OpenIB)
"""
rdma_cm on dmr: librdmacm's tools (rping, ucmatose, rdma_server and
rdma_client, udaddy) and perftest's rdma_cm mode (-R) connect through the
kernel's connection manager, whose MADs travel over dmr's GSI QPs.

One host, two devices: a connection to an IPv4 address lands on the device
that owns it at both ends (the kernel resolves a local destination to its
own netdev, for rxe alike); dmr0 to dmr1 goes through their IPv6
link-local addresses, with the client bound to its own.
"""
import unittest

import pytest

from dmrtest import guest
from test_dmr_tools import run_pair, run_perftest

IP0 = guest.NETDEVS['eth0'].split('/')[0]


def link_local(netdev):
    out = guest.sh(f'ip -6 -br addr show dev {netdev} scope link').stdout
    return out.split()[2].split('/')[0]


@pytest.mark.usefixtures('dmr_links')
class RdmaCmToolsTest(unittest.TestCase):
    def pair(self, server, client, timeout=120):
        rs, s_out, rc, c_out = run_pair(f'timeout {timeout} {server}',
                                        f'timeout {timeout} {client}',
                                        timeout=timeout + 10)
        self.assertEqual((rs, rc), (0, 0), s_out + c_out)
        return s_out, c_out

    def test_rping(self):
        _, out = self.pair(f'rping -s -a {IP0} -C 10',
                           f'rping -c -a {IP0} -C 10 -v')
        self.assertEqual(out.count('ping data: rdma-ping-'), 10)

    def test_rping_dmr0_to_dmr1_over_ipv6(self):
        a0, a1 = link_local('eth0'), link_local('eth1')
        _, out = self.pair(f'rping -s -a {a1}%eth1 -C 5',
                           f'rping -c -I {a0}%eth0 -a {a1}%eth1 -C 5 -v')
        self.assertEqual(out.count('ping data: rdma-ping-'), 5)

    def test_ucmatose_several_connections(self):
        _, out = self.pair('ucmatose -c 4 -C 20',
                           f'ucmatose -s {IP0} -c 4 -C 20')
        self.assertIn('test complete', out)
        self.assertIn('return status 0', out)

    def test_rdma_server_and_client(self):
        s_out, c_out = self.pair('rdma_server', f'rdma_client -s {IP0}')
        self.assertIn('rdma_client: end 0', c_out)
        self.assertIn('rdma_server: end 0', s_out)

    def test_udaddy(self):
        _, out = self.pair('udaddy -C 20', f'udaddy -s {IP0} -C 20')
        self.assertIn('data transfers complete', out)
        self.assertIn('return status 0', out)


# perftest over rdma_cm (-R), RC and UD; figures are printed, not judged.
PERFTEST_RDMA_CM = {
    'ib_write_bw_R': 'ib_write_bw -R -s 65536 -n 200',
    'ib_read_bw_R': 'ib_read_bw -R -s 65536 -n 200',
    'ib_send_bw_R': 'ib_send_bw -R -s 65536 -n 200',
    'ib_write_lat_R': 'ib_write_lat -R -s 8 -n 200',
    'ib_send_lat_R': 'ib_send_lat -R -s 8 -n 200',
    'ib_send_bw_UD': 'ib_send_bw -c UD -s 1024 -n 200',
    'ib_send_bw_UD_R': 'ib_send_bw -c UD -R -s 1024 -n 200',
    'ib_send_lat_UD': 'ib_send_lat -c UD -s 8 -n 200',
    'ib_send_lat_UD_R': 'ib_send_lat -c UD -R -s 8 -n 200',
    'ib_atomic_bw_R': 'ib_atomic_bw -R -n 200',
}


@pytest.mark.usefixtures('dmr_links')
class PerftestRdmaCmTest(unittest.TestCase):
    def perftest(self, name):
        cmd = PERFTEST_RDMA_CM[name]
        port = 18600 + list(PERFTEST_RDMA_CM).index(name)
        rs, s_out, rc, c_out = run_perftest(
            f'timeout 120 {cmd} -d dmr0 -p {port}',
            f'timeout 120 {cmd} -d dmr0 -p {port} {IP0}')
        self.assertEqual((rs, rc), (0, 0), c_out + s_out)
        self.assertRegex(c_out, r'#bytes')


for _name in PERFTEST_RDMA_CM:
    setattr(PerftestRdmaCmTest, f'test_{_name}',
            lambda self, n=_name: self.perftest(n))
