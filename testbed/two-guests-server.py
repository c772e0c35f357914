#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""
The server guest of testbed/run-two-guests.sh: dmr1 on eth1 (address
SERVER_ADDR, a QEMU socket link to the client guest), and a control port on
that link through which the client guest's tests run commands here. Exits
when the client says "quit", or after DMR_TWO_GUESTS_TIMEOUT seconds.

Protocol: one JSON object per line each way.
  {"op": "sh", "cmd": C, "timeout": T}  run C, answer {"rc", "out"}
  {"op": "start", "cmd": C}             start C, answer {"ok"} once it
                                        listens (or ended)
  {"op": "wait", "timeout": T}          answer {"rc", "out"} of the
                                        started command (killed after T)
  {"op": "quit"}
"""
import json
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.environ['DMR_TOP'], 'pyverbs-tests'))
from dmrtest import guest  # noqa: E402
from dmrtest import two_guests  # noqa: E402


def serve(conn, deadline):
    started = None
    f = conn.makefile('rw')
    for line in f:
        req = json.loads(line)
        op = req['op']
        if op == 'quit':
            return True
        if op == 'sh':
            try:
                r = guest.sh(req['cmd'], check=False,
                             timeout=req.get('timeout', 300))
                ans = {'rc': r.returncode, 'out': r.stdout}
            except subprocess.TimeoutExpired as e:
                ans = {'rc': 124, 'out': str(e.output or '')}
        elif op == 'start':
            before = guest.listeners()
            started = subprocess.Popen(req['cmd'], shell=True, text=True,
                                       stdout=subprocess.PIPE,
                                       stderr=subprocess.STDOUT)
            guest.wait_for_listener(started, before)
            ans = {'ok': True}
        elif op == 'wait':
            try:
                out, _ = started.communicate(timeout=req.get('timeout', 300))
            except subprocess.TimeoutExpired:
                started.kill()
                out, _ = started.communicate()
            ans = {'rc': started.returncode, 'out': out}
            started = None
        else:
            ans = {'error': f'unknown op {op}'}
        f.write(json.dumps(ans) + '\n')
        f.flush()
        if time.time() > deadline:
            return True
    return False


def main():
    two_guests.setup_link(two_guests.SERVER_ADDR)
    guest.load_dmr()
    guest.sh('rdma link add dmr1 type dmr netdev eth1')
    guest.wait_port_active(['dmr1'])
    deadline = time.time() + int(os.environ.get('DMR_TWO_GUESTS_TIMEOUT', '3000'))
    ls = socket.create_server((two_guests.SERVER_ADDR.split('/')[0],
                               two_guests.CONTROL_PORT))
    ls.settimeout(10)
    print('two-guests server: ready', flush=True)
    while time.time() < deadline:
        try:
            conn, _ = ls.accept()
        except socket.timeout:
            continue
        with conn:
            conn.settimeout(None)
            if serve(conn, deadline):
                break
    guest.sh('rdma link delete dmr1', check=False)
    guest.sh('rmmod dmr', check=False)
    print('two-guests server: done', flush=True)


if __name__ == '__main__':
    main()
