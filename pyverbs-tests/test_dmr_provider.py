# SPDX-License-Identifier: (GPL-2.0 OR Linux-OpenIB)
"""
The provider's posting paths under races and misuse
(tests/guest/provider_check): a refused send never completes, an accepted
receive is always flushed in the error state, a thread waiting for a
QP's lock sleeps, and the smaller contracts (a destroyed QP's
completions, the SGE limit of inline WRs, ibv_qp_to_qp_ex(), errno of a
failed ibv_alloc_pd()).
"""
import pytest

from dmrtest import guest


@pytest.mark.usefixtures('dmr_links')
@pytest.mark.parametrize('test', ['unposted', 'recv_flush', 'lock_sleeps',
                                  'misc'])
def test_provider(test):
    guest.run_check('provider_check', test, 'dmr0')
