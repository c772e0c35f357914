// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/* The per-thread description of the last failure, and what errno values mean. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "ibvx_priv.h"

static __thread char last_error[512];

const char *ibvx_last_error(void)
{
	return last_error[0] ? last_error : "no error";
}

int ibvx_fail(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	return err;
}

const char *ibvx_strerror(int err)
{
	switch (err) {
	case 0:
		return "success";
	case EINVAL:
		return "an argument is out of range: check offsets and lengths (page aligned, inside the buffer) and access flags";
	case EBADF:
		return "the file descriptor is not an open dma-buf: pass the fd a dma-buf exporter returned";
	case EOPNOTSUPP:
	case EPROTONOSUPPORT:
	case ENOSYS:
		return "not supported here: the device or kernel lacks the feature (dma-buf MRs need a device that has them, such as dmr: 'rdma link add dmr0 type dmr netdev eth0'; host-memory dma-bufs need CONFIG_UDMABUF or CONFIG_DMABUF_HEAPS_SYSTEM)";
	case ENODEV:
		return "no such device: check the PCI address (lspci -D) or the RDMA device name (rdma link); from a dma-buf registration: the exporter refuses to map the buffer (VFIO while the device's memory decoding is off or it is being reset)";
	case ENOENT:
		return "the interface does not exist here: bind the device to vfio-pci, or pick the other VFIO path (a no-IOMMU device has no cdev)";
	case EBUSY:
		return "the device is bound to another driver or in use: bind it to vfio-pci (driverctl or driver_override)";
	case EACCES:
	case EPERM:
		return "permission denied: run as root or give the user access to /dev/vfio, /dev/udmabuf, /dev/dma_heap and /dev/infiniband";
	case ENXIO:
		return "the BAR is not a memory BAR, not implemented, or the device's memory decoding is off";
	case EFAULT:
		return "the memory is not accessible: for a dma-buf MR, its exporter revoked it";
	case ENOMEM:
		return "out of memory or over RLIMIT_MEMLOCK: raise 'ulimit -l' or register less";
	case ENOSPC:
		return "a per-object limit was reached (for example 16 event fds per MR)";
	case ETIMEDOUT:
		return "the wait timed out";
	}
	return "unexpected error: see ibvx_last_error() for the failing call";
}
