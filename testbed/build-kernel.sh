#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Build the guest kernel from Debian's newest released linux-source-7.*.
#
#   build-kernel.sh fast|debug
#
# Prints the build directory (bzImage at arch/x86/boot/bzImage, module
# build with "make -C DIR M=..."). Cached under $DMR_CACHE/kernel, keyed
# by the package version and a hash of the config fragments; set
# DMR_KERNEL_PKG=linux-source-7.N to pin a package.
set -euo pipefail
# Read the whole script before running it: editing it during a long run
# must not change what this run executes.
{
. "$(dirname "$0")/lib.sh"

flavour=${1:-debug}
frags=("$DMR_TOP/testbed/kconfig/base.config" "$DMR_TOP/testbed/kconfig/$flavour.config")
[ -f "${frags[1]}" ] || die "unknown kernel flavour '$flavour' (fast or debug)"

private_apt_update
if [ -n "${DMR_KERNEL_PKG:-}" ]; then
	pkg=$DMR_KERNEL_PKG
	ver=$(candidate_version "$pkg")
	[ -n "$ver" ] && [ "$ver" != "(none)" ] ||
		die "DMR_KERNEL_PKG=$pkg, but Debian has no such package"
	msg="set by DMR_KERNEL_PKG"
else
	read -r pkg ver < <(newest_release_package '^linux-source-7\.[0-9]+$') ||
		die "no linux-source-7.* package is available from Debian; set DMR_KERNEL_PKG to a linux-source package to try"
	msg="the newest linux-source-7.*; DMR_KERNEL_PKG chooses another"
fi
# The kernel dmr was last tested with; another one is built, but said.
tested=7.2
[ "${pkg#linux-source-}" = "$tested" ] || msg+="; tested with $tested"
log "kernel: $pkg $ver ($msg)"

# Fixes to the kernel that dmr's tests found, applied on top of Debian's
# source (each patch says why); part of the cache keys.
patches=("$DMR_TOP"/testbed/kernel-patches/*.patch)
src=$DMR_CACHE/src/$pkg-$ver-$(input_hash "${patches[@]}")
out=$DMR_CACHE/kernel/$ver-$flavour-$(input_hash "${frags[@]}" "${patches[@]}")

if [ -f "$out/.built" ]; then
	echo "$out"
	exit 0
fi

if [ ! -f "$src/.unpacked" ]; then
	need_disk 4000
	log "fetching $pkg $ver"
	dl=$DMR_CACHE/dl
	mkdir -p "$dl"
	(cd "$dl" && private_apt apt-get -q download "$pkg=$ver" >"$dl/$pkg.log" 2>&1) ||
		die "cannot download $pkg=$ver, see $dl/$pkg.log"
	rm -rf "$src" "$dl/x"
	mkdir -p "$src"
	dpkg -x "$dl/${pkg}_${ver}_all.deb" "$dl/x"
	tar -C "$src" --strip-components=1 -xf "$dl/x/usr/src/$pkg.tar.xz"
	rm -rf "$dl/x" "$dl/${pkg}_${ver}_all.deb"
	for p in "${patches[@]}"; do
		apply_patch "$src" "$p" "$pkg $ver" || true
	done
	touch "$src/.unpacked"
fi

need_disk 6000
mkdir -p "$out"
log "building kernel $ver ($flavour) in $out; log in $out/build.log"
cc="gcc"
command -v ccache >/dev/null && cc="ccache gcc"
{
	make -C "$src" O="$out" CC="$cc" tinyconfig
	KCONFIG_CONFIG="$out/.config" "$src/scripts/kconfig/merge_config.sh" \
		-m -O "$out" "$out/.config" "${frags[@]}"
	make -C "$src" O="$out" CC="$cc" olddefconfig
	make -C "$src" O="$out" CC="$cc" -j"$DMR_JOBS" bzImage modules
	make -C "$src" O="$out" CC="$cc" headers
	rm -rf "$out/modroot"
	make -C "$src" O="$out" CC="$cc" INSTALL_MOD_PATH="$out/modroot" \
		INSTALL_MOD_STRIP=1 modules_install
} >"$out/build.log" 2>&1 || die "kernel build failed, see $out/build.log"

# A fragment option that did not survive olddefconfig means a missing
# dependency: say so instead of booting a kernel without it.
missing=$(grep -hE '^CONFIG_[A-Z0-9_]+=[ym]' "${frags[@]}" | while read -r line; do
	grep -qx "$line" "$out/.config" || echo "$line"
done)
[ -z "$missing" ] || log "warning: not in the final config: $(echo $missing)"

echo "$ver" >"$out/.version"
touch "$out/.built"
echo "$out"
exit
}
