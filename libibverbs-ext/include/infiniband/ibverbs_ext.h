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

#include <infiniband/verbs.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The detail of the last failure of this thread, never NULL. */
const char *ibvx_last_error(void);

/*
 * What an errno value returned by a libibverbs-ext call (or by
 * ibv_reg_dmabuf_mr()) usually means, and what to do about it, in one
 * sentence; never NULL. ibvx_last_error() has the detail of the failure.
 */
const char *ibvx_strerror(int err);

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

/* --- dma-buf memory regions ------------------------------------------ */

/*
 * Can @pd's device register dma-buf MRs? Asked as NCCL and UCX ask:
 * ibv_reg_dmabuf_mr() with fd -1, which a device that supports dma-buf MRs
 * refuses with EBADF and others with EOPNOTSUPP or EPROTONOSUPPORT.
 * Nothing is registered. Returns 0 (supported), EOPNOTSUPP (not), or the
 * errno of an unexpected answer.
 */
int ibvx_dmabuf_mr_probe(struct ibv_pd *pd);

/* A dma-buf MR and what libibverbs-ext knows about its state. */
struct ibvx_mr;

enum ibvx_mr_state {
	IBVX_MR_VALID = 0,	 /* mapped: accesses proceed */
	IBVX_MR_INVALIDATED = 1, /* unmapped by its exporter; the next access maps again */
	IBVX_MR_REVOKED = 2,	 /* the exporter refuses: accesses fail */
	IBVX_MR_UNTRACKED = 3,	 /* the device does not report MR state */
	IBVX_MR_UNKNOWN = 4,	 /* it does, but asking failed: see ibvx_last_error() */
};

/* What ibvx_reg_dmabuf_mr_ex() registers. */
struct ibvx_dmabuf_mr_init_attr {
	uint64_t comp_mask;	/* none defined yet: 0 */
	int fd;			/* the dma-buf */
	int access;		/* enum ibv_access_flags */
	uint64_t offset;	/* in the dma-buf */
	uint64_t length;
	uint64_t iova;		/* the MR's first address in work requests */
};

/*
 * Register @attr->length bytes at @attr->offset of the dma-buf @attr->fd
 * as an MR of @pd (ibv_reg_dmabuf_mr()). On a dmr device the MR's state
 * is tracked (dmrdv.h); on other devices it is IBVX_MR_UNTRACKED: the MR
 * works, but a revocation shows only as failing work requests.
 * EOPNOTSUPP for comp_mask bits this library does not know.
 */
int ibvx_reg_dmabuf_mr_ex(struct ibv_pd *pd,
			  const struct ibvx_dmabuf_mr_init_attr *attr,
			  struct ibvx_mr **mr);

/* ibvx_reg_dmabuf_mr_ex() with ibv_reg_dmabuf_mr()'s arguments. */
int ibvx_reg_dmabuf_mr(struct ibv_pd *pd, uint64_t offset, size_t length,
		       uint64_t iova, int dmabuf_fd, int access,
		       struct ibvx_mr **mr);

/* Deregister and free; returns ibv_dereg_mr()'s errno (the MR stays). */
int ibvx_dereg_mr(struct ibvx_mr *mr);

/* The verbs MR: its lkey, rkey, addr and length. */
struct ibv_mr *ibvx_mr_ibv(struct ibvx_mr *mr);

/*
 * The MR's state now; IBVX_MR_UNTRACKED on devices that do not report
 * it, IBVX_MR_UNKNOWN if asking the device failed (ibvx_last_error()).
 */
enum ibvx_mr_state ibvx_mr_state(struct ibvx_mr *mr);

/*
 * A file descriptor that polls readable (POLLIN) when the MR's state may
 * have changed; read ibvx_mr_state() then call ibvx_mr_ack_event(). It
 * belongs to the MR: do not close it. EOPNOTSUPP if the state is not
 * tracked.
 */
int ibvx_mr_event_fd(struct ibvx_mr *mr, int *fd);

/* Consume the pending notification of ibvx_mr_event_fd()'s descriptor. */
void ibvx_mr_ack_event(struct ibvx_mr *mr);

/* What ibvx_mr_wait() waits for. */
struct ibvx_mr_wait_attr {
	uint64_t comp_mask;	/* none defined yet: 0 */
	uint32_t states;	/* mask of 1 << IBVX_MR_VALID..IBVX_MR_REVOKED */
	int timeout_ms;		/* -1: no limit */
};

/*
 * Wait until the MR's state is one of @attr->states or @attr->timeout_ms
 * passes; *state (if not NULL) receives the state reached. Returns 0,
 * ETIMEDOUT, EOPNOTSUPP if the state is not tracked or for comp_mask bits
 * this library does not know, EINVAL for states that cannot be waited for.
 */
int ibvx_mr_wait(struct ibvx_mr *mr, const struct ibvx_mr_wait_attr *attr,
		 enum ibvx_mr_state *state);

/* ibvx_mr_wait() for one state. */
int ibvx_mr_wait_state(struct ibvx_mr *mr, enum ibvx_mr_state state,
		       int timeout_ms);

/* "valid", "invalidated", "revoked", "untracked" (or "unknown"). */
const char *ibvx_mr_state_str(enum ibvx_mr_state state);

#ifdef __cplusplus
}
#endif

#endif /* INFINIBAND_IBVERBS_EXT_H */
