# SPDX-License-Identifier: (GPL-2.0 OR Linux-OpenIB)
"""
rdma-core's own test suite, unmodified, run against dmr0: the verbs
applications expect of any device. Tests of features dmr does not have
(UC, XRC, memory windows, ODP, multicast...) skip themselves when
the device answers EOPNOTSUPP, as they do on rxe for what rxe lacks.

The RC traffic tests among them run a second time with force_wire: the
same QPs on RoCE v2 through the loopback device.
"""
import pytest
from args_parser import parser

# rdma-core's test cases read the device from this configuration when they
# are instantiated, that is at collection.
parser.args['dev'] = 'dmr0'

from tests.test_addr import AHTest  # noqa: F401
from tests.test_atomic import AtomicTest  # noqa: F401
from tests.test_cq import CQAPITest, CQTest  # noqa: F401
from tests.test_cq_events import CqEventsTestCase  # noqa: F401
from tests.test_cqex import CQEXAPITest, CqExTestCase  # noqa: F401
from tests.test_device import DeviceTest  # noqa: F401
from tests.test_mr import MRTest  # noqa: F401
from tests.test_pd import PDTest  # noqa: F401
from tests.test_qp import QPTest, RCQPTest  # noqa: F401
from tests.test_qpex import QpExTestCase  # noqa: F401
from tests.test_rdmacm import CMTestCase  # noqa: F401
from tests.test_srq import SrqTestCase  # noqa: F401

pytestmark = pytest.mark.usefixtures('dmr_links')



@pytest.fixture
def forced_wire():
    """Every RC QP that reaches RTR meanwhile uses the wire."""
    path = '/sys/module/dmr/parameters/force_wire'
    with open(path, 'w') as f:
        f.write('1')
    yield
    with open(path, 'w') as f:
        f.write('0')


@pytest.mark.usefixtures('dmr_links', 'forced_wire')
class AtomicOnTheWireTest(AtomicTest):
    pass


@pytest.mark.usefixtures('dmr_links', 'forced_wire')
class QpExOnTheWireTest(QpExTestCase):
    pass


@pytest.mark.usefixtures('dmr_links', 'forced_wire')
class SrqOnTheWireTest(SrqTestCase):
    pass
