# SPDX-License-Identifier: (GPL-2.0 OR Linux-OpenIB)
"""
dmr on the wire between two guests, two kernels, one QEMU socket link
(./dmr test --two-guests; collected only there). This guest is the
client guest: dmr1 and then rxe0 on its eth1; the server guest has dmr1
on its eth1 and runs its side of each pair through its control port.
Every tool runs with its server in either guest. ibv_rc_pingpong -c
checks every byte; perftest's figures are printed for the record.
"""
import subprocess
import unittest

import pytest

from dmrtest import guest, two_guests
from test_dmr_tools import PERFTEST_CALIBRATION_FAILED, PERFTEST_CM_RACE_LOST

SERVER_IP = two_guests.SERVER_ADDR.split('/')[0]
CLIENT_IP = two_guests.CLIENT_ADDR.split('/')[0]


@pytest.fixture(scope='module')
def control():
    two_guests.setup_link(two_guests.CLIENT_ADDR)
    guest.load_dmr()
    guest.sh('rdma link add dmr1 type dmr netdev eth1')
    guest.wait_port_active(['dmr1'])
    ctl = two_guests.Control()
    yield ctl
    ctl.quit()


@pytest.fixture(scope='class')
def peer(request, control):
    request.cls.ctl = control
    if request.cls.dev == 'rxe0':
        guest.sh('rdma link add rxe0 type rxe netdev eth1')
        guest.wait_port_active(['rxe0'])
    yield
    if request.cls.dev == 'rxe0':
        guest.sh('rdma link delete rxe0')


class TwoGuests:
    """Tools between this guest's @dev and the server guest's dmr1."""
    dev = 'dmr1'

    def gids(self, ipv6):
        here = guest.sh(two_guests.gid_index_cmd(self.dev, ipv6)).stdout
        rc, there = self.ctl.sh(two_guests.gid_index_cmd('dmr1', ipv6))
        self.assertEqual(rc, 0, 'no GID in the server guest')
        return int(here), int(there)

    def run_pair(self, tool, gid_flag, args, server_here, ipv6=False):
        """@tool with its server in this guest or in the other: both
        statuses and outputs, the client's first."""
        here, there = self.gids(ipv6)
        mine = f'timeout 120 {tool} -d {self.dev} {gid_flag} {here} {args}'
        theirs = f'timeout 120 {tool} -d dmr1 {gid_flag} {there} {args}'
        if server_here:
            before = guest.listeners()
            server = subprocess.Popen(mine, shell=True, text=True,
                                      stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT)
            try:
                guest.wait_for_listener(server, before)
                rc, c_out = self.ctl.sh(f'{theirs} {CLIENT_IP}', timeout=150)
                try:
                    s_out, _ = server.communicate(timeout=150 if rc == 0 else 10)
                except subprocess.TimeoutExpired:
                    server.kill()
                    s_out, _ = server.communicate()
            finally:
                server.kill()
            rs = server.returncode
        else:
            self.ctl.start(theirs)
            client = subprocess.run(f'{mine} {SERVER_IP}', shell=True,
                                    text=True, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, timeout=150)
            rc, c_out = client.returncode, client.stdout
            rs, s_out = self.ctl.wait(timeout=150 if rc == 0 else 10)
        where = 'here' if server_here else 'in the server guest'
        print(f'server {where}: {tool} {args}\n{s_out}\nclient:\n{c_out}')
        return rc, c_out, rs, s_out

    def pingpong(self, args, server_here, ipv6=False):
        rc, c_out, rs, s_out = self.run_pair('ibv_rc_pingpong', '-g',
                                             f'-c {args}', server_here, ipv6)
        self.assertEqual((rc, rs), (0, 0), c_out + s_out)
        self.assertIn('iters in', c_out)

    def perftest(self, tool, args, server_here):
        for _ in range(3):
            rc, c_out, rs, s_out = self.run_pair(tool, '-x', args, server_here)
            if (PERFTEST_CALIBRATION_FAILED not in s_out + c_out and
                    PERFTEST_CM_RACE_LOST not in c_out):
                break
        self.assertEqual((rc, rs), (0, 0), c_out + s_out)
        self.assertRegex(c_out, r'#bytes')


PINGPONG = {
    'small': '-n 100 -s 1 -m 1024',
    '64k': '-n 50 -s 65536 -m 1024',
    '16m_mtu4096': '-n 3 -s 16777216 -m 4096',
}
PERFTEST = {
    'ib_write_bw': '-s 65536 -n 100 -m 1024',
    'ib_write_bw_mtu4096': '-s 65536 -n 100 -m 4096',
    'ib_read_bw': '-s 65536 -n 100 -m 1024',
    'ib_read_bw_mtu4096': '-s 65536 -n 100 -m 4096',
    'ib_send_bw': '-s 65536 -n 100 -m 1024',
    'ib_atomic_bw': '-n 100',
    'ib_write_lat': '-s 8 -n 100',
    'ib_read_lat': '-s 8 -n 100',
}


def add_tests(cls):
    for here, where in ((True, 'server_here'), (False, 'server_there')):
        for name, args in PINGPONG.items():
            setattr(cls, f'test_rc_pingpong_{name}_{where}',
                    lambda self, a=args, h=here: self.pingpong(a, h))
        setattr(cls, f'test_rc_pingpong_ipv6_{where}',
                lambda self, h=here: self.pingpong('-n 50 -s 5000 -m 4096',
                                                   h, ipv6=True))
        for name, args in PERFTEST.items():
            tool = name.replace('_mtu4096', '')
            setattr(cls, f'test_{name}_{where}',
                    lambda self, t=tool, a=args, h=here:
                    self.perftest(t, a, h))
    return cls


@add_tests
@pytest.mark.usefixtures('peer')
class DmrToDmrTest(TwoGuests, unittest.TestCase):
    dev = 'dmr1'


@add_tests
@pytest.mark.usefixtures('peer')
class RxeToDmrTest(TwoGuests, unittest.TestCase):
    """rxe here, dmr in the other guest."""
    dev = 'rxe0'
