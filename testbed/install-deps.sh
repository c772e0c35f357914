#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Install what the testbed needs from the machine's own Debian sources
# (Debian 12). Only missing packages are installed; the machine's apt
# sources are never changed (newer sources come through the private apt
# configuration of lib.sh, for source packages only).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

packages=(
	# guest and tools that run in it
	qemu-system-x86 qemu-utils kmod iproute2 perftest rdmacm-utils
	python3-pytest
	# kernel build
	build-essential ccache flex bison bc libelf-dev libssl-dev sparse
	xz-utils curl patch
	# libfabric build (its orig tarball has no configure script)
	autoconf automake libtool
	# rdma-core build (pyverbs included)
	cmake ninja-build cython3 python3-dev pkgconf libnl-3-dev
	libnl-route-3-dev libudev-dev libsystemd-dev
	# host-side tests
	libgtest-dev g++ groff-base
)
# The benchmarks' plots (./dmr bench only: --bench).
[ "${1:-}" = --bench ] && packages+=(python3-matplotlib)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} = 0 ] && exit 0

[ "$(id -u)" = 0 ] || die "missing packages (install them as root): ${missing[*]}"
need_disk 2000
log "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get -q update >"$DMR_CACHE/apt-host-update.log" 2>&1 ||
	die "apt-get update failed, see $DMR_CACHE/apt-host-update.log"
apt-get -q install -y --no-install-recommends "${missing[@]}" \
	>"$DMR_CACHE/apt-host-install.log" 2>&1 ||
	die "cannot install ${missing[*]}, see $DMR_CACHE/apt-host-install.log"
