# SPDX-License-Identifier: (GPL-2.0 OR Linux-OpenIB)
"""
Objects that go away while another thread or another subsystem still
reaches them:

- memory a process maps, freed during an mmap of it (device memory, a
  CQ's ring): the memory must stay until that mmap is done;
- a device-memory export mapped by an importer while ibv_free_dm() revokes
  it;
- UD sends, which look up every dmr device's GIDs, while a device is being
  added (and is listed before it is registered) and deleted;
- the device's sysfs files read while its netdev is being removed (the
  core lets go of the netdev before it removes the files).

Each is a loop that widens the race; the debug kernel's KASAN, lockdep
and the guest log check see what the loop catches, and the test checks
the log itself too, so that the failure names the race.
"""
import ipaddress
import json
import os
import subprocess
import sys
import threading
import time
import unittest


from dmrtest import guest

class Race(unittest.TestCase):
    def setUp(self):
        guest.ensure_dmr_links()
        self.mark = guest.kernel_log_mark()

    def assert_log_clean(self):
        bad, tail = guest.bad_kernel_lines(self.mark)
        self.assertEqual(bad, [], tail)

    def run_program(self, *args):
        guest.run_check('dm_race', *args)
        self.assert_log_clean()


class MapWhileFreeTest(Race):
    def test_device_memory_mapped_while_freed(self):
        self.run_program('mmap', 'dmr0', '8')

    def test_cq_ring_mapped_while_destroyed(self):
        self.run_program('cq', 'dmr0', '4')

    def test_dm_export_mapped_while_freed(self):
        self.run_program('export', 'dmr0', '8')


UD_SENDER = r'''
import sys, time
sys.path[:0] = sys.argv[4:]
from pyverbs.addr import AH, AHAttr, GID, GlobalRoute
from test_dmr_ud import UDEndpoint
ep = UDEndpoint(sys.argv[1])
gr = GlobalRoute(dgid=GID(sys.argv[3]), sgid_index=ep.gid_index)
ah = AH(ep.pd, attr=AHAttr(port_num=1, is_global=1, gr=gr))
end = time.time() + float(sys.argv[2])
n = 0
print('sending', flush=True)
while time.time() < end:
    ep.send(ah, 0x1234, b'x' * 64)
    n += 1
print(f'sent {n}', flush=True)
'''


class DeviceComingAndGoingTest(Race):
    VETH = ('vdmr0', 'vdmr1')

    def veth(self):
        a, b = self.VETH
        guest.sh(f'ip link add {a} type veth peer name {b}')
        self.addCleanup(guest.sh, f'ip link delete {a}', check=False)
        guest.sh(f'ip link set {a} up && ip link set {b} up')

    def test_ud_sends_while_a_device_is_added_and_deleted(self):
        """UD sends from dmr0 to eth1's address with dmr1 deleted: a
        GID that resolves on the wire and that no dmr device owns, so
        every send looks at every listed device, dmr9 included."""
        self.veth()
        guest.sh('rdma link delete dmr1')
        self.addCleanup(guest.ensure_dmr_links)
        eth1 = json.loads(guest.sh('ip -j -6 addr show dev eth1 scope link')
                          .stdout)[0]['addr_info'][0]['local']
        dgid = ':'.join(f'{b:02x}{c:02x}' for b, c in zip(
            *[iter(ipaddress.IPv6Address(eth1).packed)] * 2))
        here = os.path.dirname(os.path.abspath(__file__))
        sender = subprocess.Popen(
            [sys.executable, '-c', UD_SENDER, 'dmr0', '300', dgid, here,
             *sys.path],
            text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        rounds = 0
        try:
            line = guest.readline(sender, 120)
            if line != 'sending':
                sender.kill()
                self.fail(f'the UD sender did not start: {line}\n'
                          f'{guest.rest_of_output(sender)}')
            # A number of rounds, not a time: a cycle takes seconds on
            # the debug kernel and milliseconds on the fast one.
            deadline = time.time() + 150
            while (rounds < 8 and time.time() < deadline and
                   sender.poll() is None):
                guest.sh(f'rdma link add dmr9 type dmr netdev {self.VETH[0]}')
                guest.sh('rdma link delete dmr9')
                rounds += 1
            # The sender's output only if it died: reading the rest of
            # it waits for its end.
            if sender.poll() is not None:
                self.fail(f'the UD sender died: {guest.rest_of_output(sender)}')
        finally:
            sender.terminate()
            out = guest.rest_of_output(sender)
        print(f'{rounds} rounds of link add and delete; sender: {out}')
        self.assertEqual(rounds, 8)
        self.assert_log_clean()

    def test_sysfs_read_while_the_netdev_goes(self):
        stop = threading.Event()
        reads = {'ok': 0, 'gone': 0}

        def reader():
            files = ('/sys/class/infiniband/dmr9/netdev',
                     '/sys/class/infiniband/dmr9/ports/1/state',
                     '/sys/class/infiniband/dmr9/ports/1/active_mtu')
            while not stop.is_set():
                for path in files:
                    try:
                        with open(path) as f:
                            f.read()
                        reads['ok'] += 1
                    except OSError:
                        reads['gone'] += 1

        t = threading.Thread(target=reader)
        t.start()
        try:
            for _ in range(8):
                self.veth()
                guest.sh(f'rdma link add dmr9 type dmr netdev {self.VETH[0]}')
                # The netdev goes first; the device follows it.
                guest.sh(f'ip link delete {self.VETH[0]}')
                deadline = time.time() + 10
                while 'dmr9' in guest.rdma_links() and time.time() < deadline:
                    time.sleep(0.01)
                self.assertNotIn('dmr9', guest.rdma_links())
        finally:
            stop.set()
            t.join()
        print(reads)
        self.assertGreater(reads['ok'], 0)
        self.assert_log_clean()
