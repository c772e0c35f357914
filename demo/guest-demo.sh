#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Runs inside the guest (testbed/run-demo.sh): prepares what the demo
# needs - the ivshmem device on vfio-pci (no-IOMMU mode), dmr.ko, dmr0 on
# eth0 - then runs it.
set -e
say() { echo "guest-demo: $*"; }

pci=
for d in /sys/bus/pci/devices/*; do
	if [ "$(cat "$d/vendor")" = 0x1af4 ] && [ "$(cat "$d/device")" = 0x1110 ]; then
		pci=$(basename "$d")
	fi
done
[ -n "$pci" ] || { say "no ivshmem device"; exit 1; }

echo 1 >/sys/module/vfio/parameters/enable_unsafe_noiommu_mode
if [ -e "/sys/bus/pci/devices/$pci/driver" ]; then
	echo "$pci" >"/sys/bus/pci/devices/$pci/driver/unbind"
fi
echo vfio-pci >"/sys/bus/pci/devices/$pci/driver_override"
echo "$pci" >/sys/bus/pci/drivers_probe

insmod "$DMR_MODULE"
ip link set eth0 up
rdma link add dmr0 type dmr netdev eth0
# The demo connects through the IPv6 link-local GID: wait for DAD.
i=0
while ip -6 addr show dev eth0 | grep -q tentative && [ $i -lt 50 ]; do
	sleep 0.2
	i=$((i + 1))
done
say "$pci bound to vfio-pci, dmr0 on eth0; running the demo"

# The demo's output also goes to a file: the console mixes in the kernel's.
status=0
"$DMR_DEMO_BIN" "$pci" "$DMR_BAR_FILE" dmr0 >"$SCRATCH/demo.txt" 2>&1 || status=$?
cat "$SCRATCH/demo.txt"

rdma link delete dmr0
rmmod dmr
exit $status
