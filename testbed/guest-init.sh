#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# PID 1 of the dmr test guest. The root file system is the host's, read
# only, over 9p; guest-run shares a writable scratch directory (tag
# "scratch") holding "env" (variables for this run) and "cmd" (what to
# run). The command's exit status is written back to scratch/exit-status,
# then the guest powers off. Never exit: PID 1 exiting panics the guest.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mountpoint -q /dev || mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm 2>/dev/null
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /run
# The guest gets its own /tmp; the host's stays reachable for a clone or
# a build directory that lives there (bound back below).
mkdir -p /run/dmr/hosttmp
mount --bind /tmp /run/dmr/hosttmp
mount -t tmpfs tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug
mkdir -p /run/dmr/scratch
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 scratch /run/dmr/scratch

SCRATCH=/run/dmr/scratch
export SCRATCH
. "$SCRATCH/env"
for dir in "$DMR_TOP" "${DMR_KBUILD:-}" "${DMR_RDMA_BUILD:-}" "${DMR_LIBFABRIC:-}"; do
	case "$dir" in
	/tmp/?*)
		top=${dir#/tmp/}
		top=${top%%/*}
		if ! mountpoint -q "/tmp/$top"; then
			mkdir -p "/tmp/$top"
			mount --bind "/run/dmr/hosttmp/$top" "/tmp/$top"
		fi
		;;
	esac
done

hostname dmr-guest
ip link set lo up
# Every NIC up: the virtio NICs share a QEMU hub, and a NIC that is down
# does not take packets, which stalls the hub and with it the others'
# transmit queues (NETDEV WATCHDOG).
for nic in /sys/class/net/eth*; do
	[ -e "$nic" ] && ip link set "${nic##*/}" up
done
[ -w /proc/sys/kernel/hung_task_timeout_secs ] && echo 120 >/proc/sys/kernel/hung_task_timeout_secs

# Modules come from the kernel build's staging root; the kernel's own
# module requests (rdma link add ... type rxe) go through the same root.
printf '#!/bin/sh\nexec /sbin/modprobe -d %s "$@"\n' "$DMR_MODROOT" >/run/dmr/modprobe
chmod +x /run/dmr/modprobe
echo /run/dmr/modprobe >/proc/sys/kernel/modprobe
# What dmr.ko links against and the kernel builds as modules; the tests
# insmod it, which does not load dependencies as modprobe would.
/run/dmr/modprobe -a udp_tunnel ip6_udp_tunnel

# kmemleak: forget what boot left behind, report only what the run leaks.
if [ -w /sys/kernel/debug/kmemleak ]; then
	echo scan >/sys/kernel/debug/kmemleak
	echo clear >/sys/kernel/debug/kmemleak
fi

echo "dmr-guest: ready ($(uname -r), $(nproc) CPUs)"
cd "$DMR_TOP" || cd /
if [ "${DMR_GUEST_SHELL:-0}" = 1 ]; then
	setsid sh -c 'exec bash -i </dev/ttyS0 >/dev/ttyS0 2>&1'
	status=$?
else
	sh "$SCRATCH/cmd" </dev/null
	status=$?
fi
echo "$status" >"$SCRATCH/exit-status"
echo "dmr-guest: command exited with status $status"

if [ -w /sys/kernel/debug/kmemleak ]; then
	# Objects freed by RCU or deferred work need a moment before a scan.
	sleep 2
	echo scan >/sys/kernel/debug/kmemleak
	sleep 1
	echo scan >/sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak
fi
sync
# No ACPI in the guest: reboot, which -no-reboot turns into a QEMU exit.
echo b >/proc/sysrq-trigger
sleep 30
