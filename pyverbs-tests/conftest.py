# SPDX-License-Identifier: (GPL-2.0 OR Linux-OpenIB)
"""
pytest set-up for dmr's in-guest tests.

The tests run inside the testbed guest (testbed/guest-run), as root, with
the host's root file system read-only. They use pyverbs and the test
helpers of the rdma-core tree that testbed/build-rdma-core.sh built, so
that they are written in rdma-core's tests style.
"""
import os
import sys

import pytest

_rdma_build = os.environ.get('DMR_RDMA_BUILD')
if _rdma_build:
    _rdma_src = os.path.join(os.path.dirname(_rdma_build), 'src')
    # pyverbs from the build tree first: the source tree has a pyverbs/
    # directory too, without the compiled modules.
    sys.path.insert(0, os.path.join(_rdma_build, 'python'))
    sys.path += [_rdma_src, os.path.join(_rdma_src, 'tests')]
    # rdma-core's tests read their configuration from an argparse result
    # that run_tests.py fills in; give them the defaults it would give.
    from args_parser import parser
    parser.args = {'dev': None, 'pci_dev': None, 'port': 1, 'gid': None,
                   'gpu': 0, 'gtt': False, 'verbosity': None,
                   'list_tests': False}


# The two-guest tests run only in the client guest of
# testbed/run-two-guests.sh, which sets DMR_TWO_GUESTS.
collect_ignore = [] if os.environ.get('DMR_TWO_GUESTS') else [
    'test_dmr_two_guests.py']


def pytest_configure(config):
    config.addinivalue_line('markers',
                            'guest: needs the testbed guest (root, QEMU devices)')


def pytest_collection_modifyitems(config, items):
    if os.environ.get('SCRATCH'):
        return
    skip = pytest.mark.skip(reason='runs only inside the testbed guest')
    for item in items:
        item.add_marker(skip)


@pytest.fixture
def dmr_links():
    """dmr loaded, dmr0 on eth0 and dmr1 on eth1 (created if missing)."""
    from dmrtest import guest
    guest.ensure_dmr_links()
