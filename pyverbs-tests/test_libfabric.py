# SPDX-License-Identifier: (GPL-2.0 OR Linux-OpenIB)
"""
libfabric on dmr (testbed/build-libfabric.sh: Debian's libfabric source,
the verbs provider and ofi_rxm, built against our rdma-core): fi_info
lists dmr0 for every endpoint type, the pingpongs run over verbs (MSG,
and RDM through ofi_rxm), fabtests' functional tests pass or skip, and
FI_MR_DMABUF registers udmabuf and VFIO BAR dma-bufs through dmr.

Everything runs on dmr0 with both sides on eth0's IPv4 address: one
device, as the kernel resolves a local address to its own netdev.
"""
import os
import re
import subprocess
import unittest

import pytest

from dmrtest import guest
from test_dmr_tools import run_pair

IP0 = guest.NETDEVS['eth0'].split('/')[0]
# Keep libfabric on eth0 and off AF_IB addresses made of RoCE GIDs.
ENV = 'FI_VERBS_IFACE=eth0'


def prefix():
    path = os.environ.get('DMR_LIBFABRIC')
    if not path or not os.path.isdir(path):
        pytest.skip('libfabric was not built (DMR_LIBFABRIC)')
    return path


def tool(name):
    return os.path.join(prefix(), 'bin', name)


@pytest.mark.usefixtures('dmr_links')
class FiInfoTest(unittest.TestCase):
    def fi_info(self, *args):
        r = guest.sh(f'{ENV} {tool("fi_info")} {" ".join(args)}', check=False)
        print(r.stdout)
        return r

    def test_verbs_lists_dmr0_for_msg_and_dgram(self):
        for ep in ('FI_EP_MSG', 'FI_EP_DGRAM'):
            r = self.fi_info('-p verbs -t', ep)
            self.assertEqual(r.returncode, 0, r.stdout)
            # MSG domains are named after the device, DGRAM ones dmr0-dgram.
            self.assertRegex(r.stdout, r'domain:\s+dmr0\b')
            self.assertIn(ep, r.stdout)

    def test_rxm_offers_rdm_over_dmr0(self):
        r = self.fi_info('-p "verbs;ofi_rxm" -d dmr0 -t FI_EP_RDM')
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertRegex(r.stdout, r'provider:\s+verbs;ofi_rxm')


@pytest.mark.usefixtures('dmr_links')
class PingpongTest(unittest.TestCase):
    def pingpong(self, server, client, timeout=180):
        rs, s_out, rc, c_out = run_pair(f'{ENV} timeout {timeout} {server}',
                                        f'{ENV} timeout {timeout} {client}',
                                        timeout=timeout + 10)
        self.assertEqual((rs, rc), (0, 0), s_out + c_out)
        return c_out

    def test_fi_pingpong_msg(self):
        out = self.pingpong(f'{tool("fi_pingpong")} -p verbs -e msg -I 100',
                            f'{tool("fi_pingpong")} -p verbs -e msg -I 100 {IP0}')
        self.assertRegex(out, r'\d+\s+\d+\s+[\d.]+')

    def test_fi_pingpong_rdm_over_rxm(self):
        cmd = f'{tool("fi_pingpong")} -p "verbs;ofi_rxm" -e rdm -I 100'
        self.pingpong(cmd, f'{cmd} {IP0}')

    def test_fi_pingpong_dgram(self):
        cmd = f'{tool("fi_pingpong")} -p verbs -e dgram -I 100 -S 512'
        self.pingpong(cmd, f'{cmd} {IP0}')

    def test_fi_msg_pingpong(self):
        cmd = f'{tool("fi_msg_pingpong")} -p verbs -d dmr0 -s {IP0} -I 100'
        self.pingpong(cmd, f'{cmd} {IP0}')

    def test_fi_shared_ctx_msg_with_shared_receive_context(self):
        """Four MSG endpoints on one SRQ, zero-length messages: receive
        WQEs posted without keys must not fail (they once crashed the
        server inside libfabric, which cannot handle an error completion
        of an SRQ receive)."""
        cmd = (f'{tool("fi_shared_ctx")} -e msg --no-tx-shared-ctx '
               f'-p verbs -s {IP0}')
        self.pingpong(cmd, f'{cmd} {IP0}', timeout=120)

    def test_fi_rdm_pingpong_all_sizes(self):
        cmd = (f'{tool("fi_rdm_pingpong")} -p "verbs;ofi_rxm" -d dmr0 '
               f'-s {IP0} -I 20 -S all -v')
        self.pingpong(cmd, f'{cmd} {IP0}')


def run_fabtests(provider, tests, timeout=1500):
    """runfabtests.sh on one host (-s/-c, no ssh), from a writable
    directory with its test_configs; {test name: result}."""
    work = os.path.join(os.environ.get('SCRATCH', '/tmp'), 'fabtests')
    os.makedirs(work, exist_ok=True)
    link = os.path.join(work, 'test_configs')
    if not os.path.exists(link):
        os.symlink(os.path.join(prefix(), 'share', 'fabtests', 'test_configs'),
                   link)
    # fabtests' exclude list for the provider, and the tests known to fail
    # on rxe as on dmr (runfabtests reads only one list when given one).
    configs = os.path.join(prefix(), 'share', 'fabtests', 'test_configs')
    name = provider.split(';')[-1]
    excludes = os.path.join(work, f'{name}.exclude')
    with open(os.path.join(configs, name, f'{name}.exclude')) as f:
        patterns = f.read()
    with open(excludes, 'w') as f:
        f.write(patterns + '\n# Known to fail on rxe as on dmr\n' +
                '\n'.join(KNOWN_FAILURES) + '\n')
    cmd = (f'cd {work} && {ENV} timeout {timeout} {tool("runfabtests.sh")} '
           f'-v -p {prefix()}/bin -s {IP0} -c {IP0} -T 120 -t {tests} '
           f'-f {excludes} "{provider}"')
    r = subprocess.run(cmd, shell=True, text=True, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    # runfabtests -v prints a YAML-like record per test:
    #   - name:   fi_msg -p "verbs"
    #     ...
    #     result: Pass
    results, name = {}, None
    for line in r.stdout.splitlines():
        m = re.match(r'^- name:\s+(.*\S)', line)
        if m:
            name = m.group(1)
            continue
        m = re.match(r'^\s+result:\s+(Pass|Fail|Notrun|Excluded)\b', line)
        if m and name:
            results[name] = m.group(1)
            name = None
    return r, results


# fabtests that fail in runfabtests on rxe exactly as on dmr: not dmr's
# to fix, and not run (each costs up to two minutes of timeouts). They
# are runfabtests exclude patterns (regular expressions).
KNOWN_FAILURES = {
    # The test binds its endpoint before fi_connect(); the verbs provider
    # then calls rdma_resolve_addr() with the bound source, which the
    # kernel refuses (EINVAL). KnownFailuresTest checks that it fails
    # on rxe too.
    '^fi_msg_sockets':
        'rdma_resolve_addr() EINVAL after an explicit bind, on rxe too',
    # Run by runfabtests right after fi_msg_sockets, the server's
    # fi_getinfo() answers ENODATA, on rxe too (seen in a runfabtests run
    # on rxe0 in the same guest, not checked here); run alone it passes
    # (PingpongTest.test_fi_shared_ctx_msg_with_shared_receive_context).
    'shared_ctx -e msg --no-tx-shared-ctx':
        'server fi_getinfo() ENODATA under runfabtests, on rxe too',
}


@pytest.mark.usefixtures('dmr_links')
class FabtestsTest(unittest.TestCase):
    def setUp(self):
        # Each fabtest pins buffers of up to 2 GiB: under KASAN and TCG the
        # two suites take over 20 minutes, a third of CI's budget.
        if os.environ.get('DMR_FLAVOUR') == 'debug' and \
                not os.environ.get('DMR_FABTESTS'):
            pytest.skip('runfabtests suites run on the fast kernel '
                        '(DMR_FLAVOUR=fast ./dmr test -k Fabtests), or '
                        'with DMR_FABTESTS=1')

    def fabtests(self, provider, tests):
        r, results = run_fabtests(provider, tests)
        summary = {k: sorted(n for n, v in results.items() if v == k)
                   for k in ('Pass', 'Fail', 'Notrun', 'Excluded')}
        report = '\n'.join(f'{k}: {len(v)}\n  ' + '\n  '.join(v)
                           for k, v in summary.items())
        print(report)
        name = provider.replace(';', '_')
        with open(os.path.join(os.environ.get('SCRATCH', '/tmp'),
                               f'fabtests-{name}-{tests}.txt'), 'w') as f:
            f.write(report + '\n\n' + r.stdout)
        self.assertTrue(summary['Pass'], r.stdout[-3000:])
        self.assertEqual(summary['Fail'], [], r.stdout[-3000:])

    def test_functional_verbs_msg(self):
        self.fabtests('verbs', 'functional')

    def test_functional_verbs_rxm_rdm(self):
        self.fabtests('verbs;ofi_rxm', 'functional')


@pytest.mark.usefixtures('dmr_links')
class MrDmabufTest(unittest.TestCase):
    def fi_dmabuf_rma(self, *args):
        prog = guest.program('fi_dmabuf_rma')
        if not os.path.exists(prog):
            pytest.skip('fi_dmabuf_rma not built (no libfabric)')
        r = subprocess.run(f'{ENV} {prog} {IP0} "verbs;ofi_rxm" ' +
                           ' '.join(args), shell=True, text=True, timeout=300,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        print(r.stdout)
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertIn('PASSED', r.stdout)
        self.assertIn('domain dmr0', r.stdout)

    def test_fi_mr_dmabuf_udmabuf(self):
        self.fi_dmabuf_rma('udmabuf')

    def test_fi_mr_dmabuf_vfio_bar(self):
        addr = guest.ivshmem_addr()
        guest.vfio_bind(addr)
        self.fi_dmabuf_rma('vfio', addr)


class KnownFailuresTest(unittest.TestCase):
    def test_known_failures_fail_on_rxe_too(self):
        """fi_msg_sockets fails on rxe as on dmr: the failure is not dmr's."""
        # rdma_cm must find rxe0 for eth1's address, not dmr1 (the
        # dmr_links fixture of later tests adds it again).
        if 'dmr1' in guest.rdma_links():
            guest.sh('rdma link delete dmr1')
            self.addCleanup(guest.ensure_dmr_links)
        with guest.rdma_link('rxe0', 'rxe', 'eth1'):
            ip1 = guest.NETDEVS['eth1'].split('/')[0]
            cmd = f'{tool("fi_msg_sockets")} -p verbs -s {ip1}'
            _, _, rc, out = run_pair(
                f'FI_VERBS_IFACE=eth1 timeout 30 {cmd}',
                f'FI_VERBS_IFACE=eth1 timeout 30 {cmd} {ip1}', timeout=40)
        self.assertNotEqual(rc, 0, out)
        self.assertIn('fi_connect(): ', out)
        self.assertIn('ret=-22', out)
