/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * dmrdv: direct verbs of the dmr software RDMA device.
 *
 * The state of a memory region whose memory is a dma-buf follows its
 * exporter: an exporter that moves or revokes the buffer invalidates the
 * MR's mapping; the next access maps it again if the exporter allows it,
 * else the MR is revoked and every access fails (local:
 * IBV_WC_LOC_PROT_ERR, remote: IBV_WC_REM_ACCESS_ERR at the requester)
 * until a later access finds the exporter willing again. These calls let
 * an application see that state and be told when it changes.
 */
#ifndef INFINIBAND_DMRDV_H
#define INFINIBAND_DMRDV_H

#include <stdbool.h>
#include <stdint.h>

#include <infiniband/verbs.h>

#ifdef __cplusplus
extern "C" {
#endif

enum dmrdv_mr_backend {
	DMRDV_MR_BACKEND_USER = 0,	/* ibv_reg_mr(): pinned process pages */
	DMRDV_MR_BACKEND_DMABUF = 1,	/* ibv_reg_dmabuf_mr() */
	DMRDV_MR_BACKEND_DM = 2,	/* ibv_reg_dm_mr() */
};

enum dmrdv_mr_state {
	DMRDV_MR_STATE_VALID = 0,	/* mapped; accesses proceed */
	DMRDV_MR_STATE_INVALIDATED = 1,	/* unmapped; the next access maps again */
	DMRDV_MR_STATE_REVOKED = 2,	/* the exporter refused to map it again */
};

struct dmrdv_mr_attr {
	uint64_t comp_mask;		/* none defined yet: 0 */
	uint32_t backend;		/* enum dmrdv_mr_backend */
	uint32_t state;			/* enum dmrdv_mr_state */
	uint64_t invalidations;		/* exporter invalidations that unmapped it */
	uint64_t remaps;		/* mappings made again after one */
	uint64_t revokes;		/* times the exporter refused a mapping */
};

/* True if @device is a dmr device (the other calls fail with EOPNOTSUPP). */
bool dmrdv_is_supported(struct ibv_device *device);

/* The MR's backend, state and counters. Returns 0 or an errno value. */
int dmrdv_query_mr(struct ibv_mr *mr, struct dmrdv_mr_attr *attr,
		   uint32_t inlen);

/*
 * Have the kernel signal @event_fd (an eventfd(2)) at every state change
 * of the dma-buf MR @mr, until it is removed or the MR deregistered. Up
 * to 16 eventfds per MR; one eventfd may serve many MRs. Returns 0,
 * EOPNOTSUPP for MRs that are not dma-buf MRs, EEXIST if already added,
 * ENOSPC if the MR has 16, EBADF or EINVAL for what is not an eventfd.
 */
int dmrdv_mr_add_event_fd(struct ibv_mr *mr, int event_fd);

/* Stop signalling @event_fd; ENOENT if it was not added. */
int dmrdv_mr_remove_event_fd(struct ibv_mr *mr, int event_fd);

struct dmrdv_mr_wait_attr {
	uint64_t comp_mask;		/* none defined yet: 0 */
	uint32_t states;		/* mask of 1 << enum dmrdv_mr_state */
	int32_t timeout_ms;		/* -1: no limit */
};

/*
 * Wait until the state of @mr is one of @wait->states or @wait->timeout_ms
 * passes; @attr (@inlen bytes, as for dmrdv_query_mr()), if not NULL,
 * receives the last query. Returns 0, ETIMEDOUT, EOPNOTSUPP for comp_mask
 * bits this library does not know, or an errno value. Uses an eventfd of
 * its own for the time of the call.
 */
int dmrdv_mr_wait_state(struct ibv_mr *mr,
			const struct dmrdv_mr_wait_attr *wait,
			struct dmrdv_mr_attr *attr, uint32_t inlen);

/*
 * Export device memory (ibv_alloc_dm) as a dma-buf; *dmabuf_fd receives
 * a new O_CLOEXEC fd. The same as rdma-core's ibv_dm_export_dmabuf_fd(),
 * which new programs should call; kept for programs written for dmr 1.0.
 * The dma-buf refuses importers that cannot be revoked (EOPNOTSUPP at
 * attach), and ibv_free_dm() - or the device's removal - revokes every
 * importer and waits until they let go.
 */
int dmrdv_export_dm(struct ibv_dm *dm, int *dmabuf_fd);

#ifdef __cplusplus
}
#endif

#endif /* INFINIBAND_DMRDV_H */
