/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * libibverbs-ext: dma-buf memory regions made easy.
 *
 * Export a VFIO PCI BAR range as a dma-buf, allocate host-memory dma-bufs
 * (udmabuf, dma-heaps), probe and register dma-buf MRs, and explain what
 * went wrong. Every function returns 0 on success or a positive errno
 * value; ibvx_last_error() then describes the failure in words.
 */
#ifndef INFINIBAND_IBVERBS_EXT_H
#define INFINIBAND_IBVERBS_EXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The detail of the last failure of this thread, never NULL. */
const char *ibvx_last_error(void);

/* --- VFIO PCI devices ------------------------------------------------- */

struct ibvx_vfio;

enum ibvx_vfio_path {
	IBVX_VFIO_ANY = 0,	/* the cdev path if the device has one, else the group path */
	IBVX_VFIO_CDEV = 1,	/* /dev/vfio/devices/vfioN bound to an iommufd */
	IBVX_VFIO_GROUP = 2,	/* /dev/vfio/[noiommu-]N and a container */
};

struct ibvx_range {
	uint64_t offset;
	uint64_t length;
};

/*
 * Open the PCI function @pci_addr ("0000:00:04.0"), which must be bound to
 * vfio-pci, and enable its memory decoding (as a driver would). Errors:
 * ENODEV no such PCI function; EBUSY bound to another driver, or none;
 * ENOENT the requested path does not exist for the device (no cdev for a
 * no-IOMMU device); EACCES no permission; EINVAL bad arguments.
 */
int ibvx_vfio_open(const char *pci_addr, enum ibvx_vfio_path path,
		   struct ibvx_vfio **vfio);
void ibvx_vfio_close(struct ibvx_vfio *vfio);

/* Which path ibvx_vfio_open() took. */
enum ibvx_vfio_path ibvx_vfio_path(const struct ibvx_vfio *vfio);

/* Size of BAR @bar; ENXIO if it is not a memory BAR or not implemented. */
int ibvx_vfio_bar_size(struct ibvx_vfio *vfio, unsigned int bar,
		       uint64_t *size);

/*
 * Export ranges of memory BAR @bar as one dma-buf; *dmabuf_fd receives a
 * new O_CLOEXEC file descriptor. Ranges must be page aligned and inside
 * the BAR (EINVAL); EOPNOTSUPP if the kernel cannot export VFIO dma-bufs.
 */
int ibvx_vfio_bar_export(struct ibvx_vfio *vfio, unsigned int bar,
			 const struct ibvx_range *ranges, unsigned int nr_ranges,
			 int *dmabuf_fd);

/* mmap the whole BAR into the process (read/write, shared). */
int ibvx_vfio_bar_mmap(struct ibvx_vfio *vfio, unsigned int bar, void **addr,
		       uint64_t *size);
int ibvx_vfio_bar_munmap(void *addr, uint64_t size);

/*
 * Set or clear PCI_COMMAND_MEMORY. Clearing it revokes every dma-buf
 * exported from the device's BARs; setting it again lets importers map
 * them again.
 */
int ibvx_vfio_set_memory_enabled(struct ibvx_vfio *vfio, bool enabled);

/* Function reset (VFIO_DEVICE_RESET): revokes, then restores, the BARs. */
int ibvx_vfio_reset(struct ibvx_vfio *vfio);

/* --- Host memory dma-bufs --------------------------------------------- */

/*
 * A dma-buf of @size bytes (a multiple of the page size) over a new memfd,
 * through /dev/udmabuf. *memfd (if not NULL) receives the memfd, which
 * maps the same memory; otherwise it is closed.
 */
int ibvx_udmabuf_alloc(size_t size, int *dmabuf_fd, int *memfd);

/* A dma-buf of @size bytes from /dev/dma_heap/@heap ("system"). */
int ibvx_dma_heap_alloc(const char *heap, size_t size, int *dmabuf_fd);

#ifdef __cplusplus
}
#endif

#endif /* INFINIBAND_IBVERBS_EXT_H */
