# SPDX-License-Identifier: (GPL-2.0 OR Linux-OpenIB)
"""
Two guests, two kernels, one QEMU socket link between their eth1s
(testbed/run-two-guests.sh): the server guest runs
testbed/two-guests-server.py, the client guest the tests of
test_dmr_two_guests.py, which run commands in the server guest through
its control port.
"""
import json
import socket
import time

from dmrtest import guest

SERVER_ADDR = '10.30.0.1/24'
CLIENT_ADDR = '10.30.0.2/24'
CONTROL_PORT = 7000


def setup_link(addr):
    """eth1 up with @addr and jumbo frames (a path MTU of 4096 needs
    them), its link-local address past DAD."""
    guest.sh('ip link set eth1 mtu 9000')
    guest.sh('ip link set eth1 up')
    guest.sh(f'ip addr add {addr} dev eth1')
    deadline = time.time() + 30
    while time.time() < deadline:
        out = guest.sh('ip -j addr show dev eth1').stdout
        addrs = [a for i in json.loads(out) for a in i.get('addr_info', [])]
        if (any(a.get('scope') == 'link' for a in addrs) and
                not any(a.get('tentative') for a in addrs)):
            return
        time.sleep(0.2)
    raise RuntimeError('eth1 has no usable link-local address')


def gid_index_cmd(dev, ipv6=False):
    """A shell command printing @dev's RoCE v2 GID index of eth1's IPv4
    address (or of its IPv6 link-local one), once the GID exists."""
    prefix = 'fe80:' if ipv6 else '0000:0000:0000:0000:0000:ffff:0a1e:'
    port = f'/sys/class/infiniband/{dev}/ports/1'
    return (f'for n in $(seq 100); do for f in {port}/gids/*; do '
            f'i=${{f##*/}}; t=$(cat {port}/gid_attrs/types/$i 2>/dev/null); '
            f'case "$t:$(cat $f)" in "RoCE v2:{prefix}"*) echo $i; exit 0;; '
            f'esac; done; sleep 0.1; done; exit 1')


class Control:
    """The server guest's control port."""

    def __init__(self, timeout=600):
        host = SERVER_ADDR.split('/')[0]
        deadline = time.time() + timeout
        while True:
            try:
                self.sock = socket.create_connection((host, CONTROL_PORT),
                                                     timeout=5)
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(1)
        self.sock.settimeout(None)
        self.f = self.sock.makefile('rw')

    def call(self, **req):
        self.f.write(json.dumps(req) + '\n')
        self.f.flush()
        line = self.f.readline()
        if not line:
            raise RuntimeError('the server guest closed its control port')
        return json.loads(line)

    def sh(self, cmd, timeout=300):
        """Run @cmd in the server guest: (status, output)."""
        r = self.call(op='sh', cmd=cmd, timeout=timeout)
        return r['rc'], r['out']

    def start(self, cmd):
        """Start @cmd in the server guest; return once it listens."""
        self.call(op='start', cmd=cmd)

    def wait(self, timeout=300):
        """The status and output of the command start() started."""
        r = self.call(op='wait', timeout=timeout)
        return r['rc'], r['out']

    def quit(self):
        self.f.write(json.dumps({'op': 'quit'}) + '\n')
        self.f.flush()
        self.sock.close()
