# SPDX-License-Identifier: (GPL-2.0 OR Linux-OpenIB)
"""
Kernel-side tests: the KUnit suites (dmr_kunit.ko: the dma-buf backend
and the copy engine; dmr_wire_kunit.ko: the RoCE v2 wire format), one
pytest test per KUnit case, and dmr as an exporter of device memory with
the test-only pinned importer (dmr_test_importer.ko).
"""
import os
import re
import subprocess
import unittest

import pytest

from dmrtest import guest

KERNEL_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..',
                          'kernel')
# KUnit suite: (module, source file).
KUNIT_SUITES = {
    'dmr_dmabuf': ('dmr_kunit', 'dmr_kunit.c'),
    'dmr_wire': ('dmr_wire_kunit', 'dmr_wire_kunit.c'),
}
KUNIT_CASES = [(suite, case) for suite, (_, source) in KUNIT_SUITES.items()
               for case in re.findall(
                   r'KUNIT_CASE\((\w+)\)',
                   open(os.path.join(KERNEL_DIR, source)).read())]


def module_path(name, env):
    path = os.path.join(os.path.dirname(os.environ.get(env, '')), name)
    if not os.path.exists(path):
        pytest.skip(f'{name} not built')
    return path


@pytest.fixture(scope='module')
def kunit_results():
    """Load each KUnit module once; {(suite, case): 'ok' | 'not ok' | 'skip'}."""
    guest.ensure_dmr_links()
    results = {}
    for suite, (module, _) in KUNIT_SUITES.items():
        guest.sh(f'insmod {module_path(module + ".ko", "DMR_MODULE")}')
        try:
            with open(f'/sys/kernel/debug/kunit/{suite}/results') as f:
                ktap = f.read()
        finally:
            guest.sh(f'rmmod {module}')
        print(ktap)
        for line in ktap.splitlines():
            m = re.match(r'\s*(not ok|ok) \d+ (\w+)(.*)', line)
            if m:
                results[suite, m.group(2)] = \
                    'skip' if '# SKIP' in m.group(3) else m.group(1)
    return results


@pytest.mark.parametrize('suite,case', KUNIT_CASES,
                         ids=[f'{s}.{c}' for s, c in KUNIT_CASES])
def test_kunit(kunit_results, suite, case):
    assert kunit_results.get((suite, case)) == 'ok', \
        kunit_results.get((suite, case))


@pytest.mark.usefixtures('dmr_links')
class DeviceMemoryExportTest(unittest.TestCase):
    def test_export_import_refuse_pinned_and_revoke(self):
        with open('/sys/class/infiniband/dmr0/dma_device') as f:
            dma_dev = f.read().strip()
        importer = os.path.join(os.environ['DMR_GUEST_BIN'], '..', 'kmod',
                                'dmr_test_importer.ko')
        guest.sh(f'insmod {importer} pci={dma_dev}')
        self.addCleanup(guest.sh, 'rmmod dmr_test_importer')
        addr = guest.ivshmem_addr()
        guest.vfio_bind(addr)
        prog = guest.program('dm_export_check')
        r = subprocess.run([prog, addr], text=True, timeout=300,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        print(r.stdout)
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertIn('PASSED', r.stdout)
