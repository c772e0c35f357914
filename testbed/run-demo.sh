#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The main job. Until the dma-buf demo program exists, the testbed's
# smoke tests on the fast kernel: VFIO BAR export and host read-back,
# rxe and dmr traffic.
set -euo pipefail
DMR_FLAVOUR=fast exec "$(dirname "$0")/run-tests.sh" -k "test_testbed or pingpong"
