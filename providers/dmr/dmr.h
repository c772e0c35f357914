/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * The dmr provider: userspace half of the dmr software RDMA device.
 *
 * Work queues and completion queues are rings shared with the kernel
 * (see dmr-abi.h): posting writes WQEs into the mapped send or receive
 * ring, a send ends with one doorbell system call that lets the kernel
 * execute the new WQEs, and completions are polled from the mapped CQ
 * ring without a system call.
 */
#ifndef DMR_PROVIDER_H
#define DMR_PROVIDER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <infiniband/driver.h>
#include <infiniband/kern-abi.h>
#include <util/udma_barrier.h>

#include <rdma/dmr-abi.h>
#include <kernel-abi/dmr-abi.h>
#include "dmr_ring.h"
#include "dmr_rules.h"

/* The verbs responses with dmr's part (<rdma/dmr-abi.h>) after the core's. */
DECLARE_DRV_CMD(udmr_alloc_ucontext, IB_USER_VERBS_CMD_GET_CONTEXT,
		empty, dmr_alloc_ucontext_resp);
DECLARE_DRV_CMD(udmr_create_cq, IB_USER_VERBS_CMD_CREATE_CQ,
		empty, dmr_create_cq_resp);
DECLARE_DRV_CMD(udmr_create_cq_ex, IB_USER_VERBS_EX_CMD_CREATE_CQ,
		empty, dmr_create_cq_resp);
DECLARE_DRV_CMD(udmr_create_qp_ex, IB_USER_VERBS_EX_CMD_CREATE_QP,
		empty, dmr_create_qp_resp);
DECLARE_DRV_CMD(udmr_create_srq, IB_USER_VERBS_CMD_CREATE_SRQ,
		empty, dmr_create_srq_resp);

struct dmr_device {
	struct verbs_device ibv_dev;
};

struct dmr_context {
	struct verbs_context ibv_ctx;
	/*
	 * The doorbell mailbox (dmr-abi.h), NULL if the kernel has none, and
	 * the RDMA_VERBS_IOCTL that rings the QP in it, which has no
	 * attribute: built once, as each QP's own doorbell is.
	 */
	struct dmr_doorbell_mailbox *mailbox;
	size_t mailbox_size;
	struct ib_uverbs_ioctl_hdr mailbox_doorbell;
};

/* A mapped ring and this side's own index into it. */
struct dmr_uring {
	struct dmr_ring_hdr *hdr;
	uint8_t *slots;
	size_t map_size;
	uint32_t nslots;
	uint32_t stride;
	uint32_t index;		/* producer of a WQ, consumer of a CQ */
};

struct dmr_cq {
	struct verbs_cq vcq;
	pthread_spinlock_t lock;
	struct dmr_uring ring;
	struct dmr_cqe *cur;	/* the extended poll's current entry */
};

struct dmr_srq {
	struct verbs_srq vsrq;
	pthread_spinlock_t lock;
	struct dmr_uring ring;
	uint32_t max_sge;
};

struct dmr_qp {
	struct verbs_qp vqp;
	/*
	 * Held across the doorbell, which executes work in the kernel: a
	 * thread that waits for it sleeps. It also makes the doorbell the
	 * only one of this QP in flight (see dmr_doorbell()).
	 */
	pthread_mutex_t sq_lock;
	pthread_spinlock_t rq_lock;
	struct dmr_uring sq;
	struct dmr_uring rq;
	struct dmr_srq *srq;
	uint32_t max_send_sge;
	uint32_t max_recv_sge;
	uint32_t max_inline;
	bool ud;			/* a UD QP: sends carry an address */
	/*
	 * The doorbell's RDMA_VERBS_IOCTL (header and QP number), built at
	 * creation: a send only issues it, under sq_lock.
	 */
	struct ib_uverbs_ioctl_hdr *doorbell;
	/* ibv_wr_* state, under sq_lock between wr_start and wr_complete */
	uint32_t wr_first;
	struct dmr_send_wqe *wr_cur;
	int wr_err;
};

struct dmr_ah {
	struct ibv_ah ibv_ah;
	struct dmr_av av;
};

static inline struct dmr_context *to_dmr_ctx(struct ibv_context *ctx)
{
	return container_of(ctx, struct dmr_context, ibv_ctx.context);
}

static inline struct dmr_cq *to_dmr_cq(struct ibv_cq *ibcq)
{
	return container_of(ibcq, struct dmr_cq, vcq.cq);
}

static inline struct dmr_cq *cq_ex_to_dmr_cq(struct ibv_cq_ex *cq_ex)
{
	return container_of(cq_ex, struct dmr_cq, vcq.cq_ex);
}

static inline struct dmr_qp *to_dmr_qp(struct ibv_qp *ibqp)
{
	return container_of(ibqp, struct dmr_qp, vqp.qp);
}

static inline struct dmr_qp *qp_ex_to_dmr_qp(struct ibv_qp_ex *qp_ex)
{
	return container_of(qp_ex, struct dmr_qp, vqp.qp_ex);
}

static inline struct dmr_ah *to_dmr_ah(struct ibv_ah *ibah)
{
	return container_of(ibah, struct dmr_ah, ibv_ah);
}

static inline struct dmr_srq *to_dmr_srq(struct ibv_srq *ibsrq)
{
	return container_of(ibsrq, struct dmr_srq, vsrq.srq);
}

static inline void *dmr_uring_slot(struct dmr_uring *r, uint32_t index)
{
	return r->slots + (size_t)dmr_ring_slot(index, r->nslots) * r->stride;
}

static inline uint32_t dmr_load_acquire(uint32_t *p)
{
	return atomic_load_explicit((_Atomic(uint32_t) *)p,
				    memory_order_acquire);
}

static inline void dmr_store_release(uint32_t *p, uint32_t v)
{
	atomic_store_explicit((_Atomic(uint32_t) *)p, v, memory_order_release);
}

/* dmr.c */
bool dmr_is_dmr_device(struct ibv_device *device);

/* ah.c */
struct ibv_ah *dmr_create_ah(struct ibv_pd *pd, struct ibv_ah_attr *attr);
int dmr_destroy_ah(struct ibv_ah *ibah);

/* dm.c */
struct ibv_dm *dmr_alloc_dm(struct ibv_context *ctx,
			    struct ibv_alloc_dm_attr *attr);
int dmr_free_dm(struct ibv_dm *ibdm);
int dmr_dm_export_dmabuf_fd(struct ibv_dm *ibdm);
struct ibv_mr *dmr_reg_dm_mr(struct ibv_pd *pd, struct ibv_dm *ibdm,
			     uint64_t offset, size_t length,
			     unsigned int access);

/* dv.c */
struct ibv_mr *dmr_reg_dmabuf_mr(struct ibv_pd *pd, uint64_t offset,
				 size_t length, uint64_t iova, int fd,
				 int access);

/* ring.c */
int dmr_uring_map(struct dmr_uring *r, int cmd_fd,
		  const struct dmr_ring_info *info, uint32_t min_stride);
void dmr_uring_unmap(struct dmr_uring *r);
int dmr_post_recv_ring(struct dmr_uring *r, uint32_t max_sge,
		       struct ibv_recv_wr *wr, struct ibv_recv_wr **bad_wr);

/* cq.c */
struct ibv_cq *dmr_create_cq(struct ibv_context *ctx, int cqe,
			     struct ibv_comp_channel *channel, int comp_vector);
struct ibv_cq_ex *dmr_create_cq_ex(struct ibv_context *ctx,
				   struct ibv_cq_init_attr_ex *attr);
int dmr_destroy_cq(struct ibv_cq *ibcq);
int dmr_poll_cq(struct ibv_cq *ibcq, int ne, struct ibv_wc *wc);
void dmr_cq_clean(struct dmr_cq *cq, uint32_t qpn);

/* qp.c */
struct ibv_qp *dmr_create_qp(struct ibv_pd *pd, struct ibv_qp_init_attr *attr);
struct ibv_qp *dmr_create_qp_ex(struct ibv_context *ctx,
				struct ibv_qp_init_attr_ex *attr);
int dmr_modify_qp(struct ibv_qp *ibqp, struct ibv_qp_attr *attr, int mask);
int dmr_query_qp(struct ibv_qp *ibqp, struct ibv_qp_attr *attr, int mask,
		 struct ibv_qp_init_attr *init);
int dmr_destroy_qp(struct ibv_qp *ibqp);
int dmr_post_send(struct ibv_qp *ibqp, struct ibv_send_wr *wr,
		  struct ibv_send_wr **bad_wr);
int dmr_post_recv(struct ibv_qp *ibqp, struct ibv_recv_wr *wr,
		  struct ibv_recv_wr **bad_wr);

/* srq.c */
struct ibv_srq *dmr_create_srq(struct ibv_pd *pd,
			       struct ibv_srq_init_attr *attr);
int dmr_modify_srq(struct ibv_srq *ibsrq, struct ibv_srq_attr *attr, int mask);
int dmr_query_srq(struct ibv_srq *ibsrq, struct ibv_srq_attr *attr);
int dmr_destroy_srq(struct ibv_srq *ibsrq);
int dmr_post_srq_recv(struct ibv_srq *ibsrq, struct ibv_recv_wr *wr,
		      struct ibv_recv_wr **bad_wr);

#endif /* DMR_PROVIDER_H */
