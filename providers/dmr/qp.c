// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Queue pairs: creation, posting (ibv_post_send/recv and the ibv_wr_* API)
 * and the doorbell.
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <rdma/rdma_user_ioctl.h>

#include "dmr.h"

enum {
	/* Creation flags: the kernel refuses any (EOPNOTSUPP), 0 is fine. */
	DMR_QP_COMP_MASK = IBV_QP_INIT_ATTR_PD | IBV_QP_INIT_ATTR_SEND_OPS_FLAGS |
			   IBV_QP_INIT_ATTR_CREATE_FLAGS,
	DMR_QP_SEND_OPS = IBV_QP_EX_WITH_RDMA_WRITE |
			  IBV_QP_EX_WITH_RDMA_WRITE_WITH_IMM |
			  IBV_QP_EX_WITH_SEND | IBV_QP_EX_WITH_SEND_WITH_IMM |
			  IBV_QP_EX_WITH_RDMA_READ |
			  IBV_QP_EX_WITH_ATOMIC_CMP_AND_SWP |
			  IBV_QP_EX_WITH_ATOMIC_FETCH_AND_ADD,
	DMR_UD_QP_SEND_OPS = IBV_QP_EX_WITH_SEND | IBV_QP_EX_WITH_SEND_WITH_IMM,
};

/*
 * The doorbell: DMR_IB_METHOD_QP_DOORBELL, dmr's own method, not the
 * POST_SEND command, whose path in the kernel is made for WRs passed in
 * the call and costs more. It names the QP by number, which the kernel
 * finds for less than a handle. The command never changes, so it is
 * built once (execute_ioctl() would build it for every send).
 */
static int dmr_doorbell_init(struct dmr_qp *qp)
{
	size_t len = sizeof(*qp->doorbell) + sizeof(qp->doorbell->attrs[0]);
	struct ib_uverbs_ioctl_hdr *hdr = calloc(1, len);
	uint32_t qpn = qp->vqp.qp.qp_num;

	if (!hdr)
		return ENOMEM;
	hdr->length = len;
	hdr->object_id = UVERBS_OBJECT_QP;
	hdr->method_id = DMR_IB_METHOD_QP_DOORBELL;
	hdr->num_attrs = 1;
	hdr->driver_id = DMR_DRIVER_ID;
	hdr->attrs[0].attr_id = DMR_IB_ATTR_QP_DOORBELL_QPN;
	hdr->attrs[0].flags = UVERBS_ATTR_F_MANDATORY;
	/* Data of up to 8 bytes is inline, in the first bytes of .data. */
	hdr->attrs[0].len = sizeof(qpn);
	memcpy(&hdr->attrs[0].data, &qpn, sizeof(qpn));
	qp->doorbell = hdr;
	return 0;
}

/*
 * Take the context's mailbox for @qpn if it is empty (dmr-abi.h). A load
 * first: a full mailbox is left alone without writing its cache line,
 * which the kernel and every sending thread share.
 */
static bool dmr_mailbox_take(struct dmr_doorbell_mailbox *mailbox,
			     uint32_t qpn)
{
	_Atomic(uint32_t) *slot = (_Atomic(uint32_t) *)&mailbox->qpn;
	uint32_t empty = 0;

	return !atomic_load_explicit(slot, memory_order_relaxed) &&
	       atomic_compare_exchange_strong(slot, &empty, qpn);
}

/*
 * Tell the kernel to execute the WQEs up to the producer index: through
 * the context's mailbox if it is empty, which the kernel handles for
 * less, else with the QP's own command. Called under the QP's sq_lock,
 * so only this call can have put this QP's number in the mailbox: if the
 * kernel failed before it emptied the mailbox (the device is gone, for
 * one), the number is taken back, or every later send of the context
 * would find the mailbox full.
 */
static int dmr_doorbell(struct dmr_qp *qp)
{
	struct dmr_context *ctx = to_dmr_ctx(qp->vqp.qp.context);
	uint32_t qpn = qp->vqp.qp.qp_num;
	void *cmd = qp->doorbell;
	int err = 0;

	if (ctx->mailbox && dmr_mailbox_take(ctx->mailbox, qpn))
		cmd = &ctx->mailbox_doorbell;
	if (ioctl(ctx->ibv_ctx.context.cmd_fd, RDMA_VERBS_IOCTL, cmd))
		err = errno;
	if (err && cmd != qp->doorbell)
		atomic_compare_exchange_strong(
			(_Atomic(uint32_t) *)&ctx->mailbox->qpn, &qpn, 0);
	return err;
}

/*
 * Ask the kernel to flush the receive queue of a QP in the error state:
 * the POST_RECV command with no work requests (the kernel reads WQEs only
 * from the ring). uverbs has no ioctl method for it.
 */
static void dmr_recv_doorbell(struct ibv_qp *ibqp)
{
	struct ibv_recv_wr *bad;

	ibv_cmd_post_recv(ibqp, NULL, &bad);
}

/* The next free send slot, or NULL if the ring is full. */
static struct dmr_send_wqe *dmr_sq_next(struct dmr_qp *qp)
{
	uint32_t consumer = dmr_load_acquire(&qp->sq.hdr->consumer);
	struct dmr_send_wqe *wqe;

	if (dmr_ring_full(qp->sq.index, consumer, qp->sq.nslots))
		return NULL;
	wqe = dmr_uring_slot(&qp->sq, qp->sq.index);
	memset(wqe, 0, sizeof(*wqe));
	return wqe;
}

static int dmr_wqe_from_wr(struct dmr_qp *qp, struct dmr_send_wqe *wqe,
			   const struct ibv_send_wr *wr)
{
	struct dmr_sge *sge = (struct dmr_sge *)(wqe + 1);
	uint8_t *data = (uint8_t *)(wqe + 1);
	uint32_t len = 0;
	int i;

	if (wr->num_sge < 0)
		return EINVAL;
	wqe->wr_id = wr->wr_id;
	wqe->opcode = wr->opcode;
	wqe->send_flags = wr->send_flags;
	wqe->imm_data = wr->imm_data;
	switch (wr->opcode) {
	case IBV_WR_ATOMIC_CMP_AND_SWP:
	case IBV_WR_ATOMIC_FETCH_AND_ADD:
		wqe->wr.atomic.remote_addr = wr->wr.atomic.remote_addr;
		wqe->wr.atomic.compare_add = wr->wr.atomic.compare_add;
		wqe->wr.atomic.swap = wr->wr.atomic.swap;
		wqe->wr.atomic.rkey = wr->wr.atomic.rkey;
		break;
	case IBV_WR_RDMA_WRITE:
	case IBV_WR_RDMA_WRITE_WITH_IMM:
	case IBV_WR_RDMA_READ:
		wqe->wr.rdma.remote_addr = wr->wr.rdma.remote_addr;
		wqe->wr.rdma.rkey = wr->wr.rdma.rkey;
		break;
	default:
		break;
	}
	if (qp->ud) {
		if (!wr->wr.ud.ah)
			return EINVAL;
		wqe->wr.ud.av = to_dmr_ah(wr->wr.ud.ah)->av;
		wqe->wr.ud.remote_qpn = wr->wr.ud.remote_qpn;
		wqe->wr.ud.remote_qkey = wr->wr.ud.remote_qkey;
	}
	/* Inline or not, a WR has at most the QP's number of entries. */
	if ((uint32_t)wr->num_sge > qp->max_send_sge)
		return EINVAL;
	if (wr->send_flags & IBV_SEND_INLINE) {
		for (i = 0; i < wr->num_sge; i++) {
			if (wr->sg_list[i].length > qp->max_inline - len)
				return EINVAL;
			memcpy(data + len, (void *)(uintptr_t)wr->sg_list[i].addr,
			       wr->sg_list[i].length);
			len += wr->sg_list[i].length;
		}
		wqe->inline_len = len;
	} else {
		for (i = 0; i < wr->num_sge; i++) {
			sge[i].addr = wr->sg_list[i].addr;
			sge[i].length = wr->sg_list[i].length;
			sge[i].lkey = wr->sg_list[i].lkey;
		}
		wqe->num_sge = wr->num_sge;
	}
	return dmr_send_wqe_check(wqe, qp->max_send_sge, qp->max_inline,
				  qp->ud) ? EINVAL : 0;
}

/*
 * Whether the kernel takes sends on @ibqp: from RTS on (in SQE and ERR it
 * flushes them), not before. libibverbs keeps ibqp->state as the
 * process last set it; the kernel moves a QP on its own only to SQE or
 * ERR, where sends are taken too.
 */
static bool dmr_qp_takes_sends(struct ibv_qp *ibqp)
{
	switch (ibqp->state) {
	case IBV_QPS_RESET:
	case IBV_QPS_INIT:
	case IBV_QPS_RTR:
		return false;
	default:
		return true;
	}
}

/*
 * Publish the WQEs from @first to the producer index and ring the
 * doorbell. Once published, WQEs are the kernel's: it may execute or
 * flush them at any time (an error, another thread's doorbell), so they
 * are never taken back. What the kernel would refuse is refused before
 * (dmr_qp_takes_sends()); a doorbell that fails after publishing (the
 * device is gone) leaves them to be flushed, as a NIC's would be, and the
 * post succeeds.
 */
static void dmr_sq_commit(struct dmr_qp *qp, uint32_t first)
{
	if (qp->sq.index == first)
		return;
	dmr_store_release(&qp->sq.hdr->producer, qp->sq.index);
	dmr_doorbell(qp);
}

int dmr_post_send(struct ibv_qp *ibqp, struct ibv_send_wr *wr,
		  struct ibv_send_wr **bad_wr)
{
	struct dmr_qp *qp = to_dmr_qp(ibqp);
	struct dmr_send_wqe *wqe;
	uint32_t first;
	int err = 0;

	if (!dmr_qp_takes_sends(ibqp)) {
		*bad_wr = wr;
		return EINVAL;
	}
	pthread_mutex_lock(&qp->sq_lock);
	first = qp->sq.index;
	for (; wr; wr = wr->next) {
		wqe = dmr_sq_next(qp);
		if (!wqe) {
			err = ENOMEM;
			break;
		}
		err = dmr_wqe_from_wr(qp, wqe, wr);
		if (err)
			break;
		qp->sq.index++;
	}
	if (err)
		*bad_wr = wr;
	/* The WRs before the bad one are posted, as the verbs say. */
	dmr_sq_commit(qp, first);
	pthread_mutex_unlock(&qp->sq_lock);
	return err;
}

int dmr_post_recv(struct ibv_qp *ibqp, struct ibv_recv_wr *wr,
		  struct ibv_recv_wr **bad_wr)
{
	struct dmr_qp *qp = to_dmr_qp(ibqp);
	int err;

	if (qp->srq || ibqp->state == IBV_QPS_RESET) {
		*bad_wr = wr;
		return EINVAL;
	}
	pthread_spin_lock(&qp->rq_lock);
	err = dmr_post_recv_ring(&qp->rq, qp->max_recv_sge, wr, bad_wr);
	pthread_spin_unlock(&qp->rq_lock);
	/*
	 * The IBTA wants WRs posted in the error state flushed. The kernel
	 * sets the flag and then reads the producer index to flush; we
	 * store the producer index and then read the flag. Store buffering:
	 * without a full fence on both sides, each could miss the other's
	 * store and the WQE would stay, unflushed, for ever:
	 *
	 *   provider                       kernel (dmr_qp_set_state())
	 *   W rq.producer = n              W rq.flags = ERROR
	 *   fence (seq_cst)                smp_mb()
	 *   R rq.flags                     R rq.producer (the flush)
	 *
	 * forbidden: flags read 0 and producer read < n. Both may see the
	 * other; flushing twice is harmless.
	 */
	atomic_thread_fence(memory_order_seq_cst);
	if (__atomic_load_n(&qp->rq.hdr->flags, __ATOMIC_RELAXED) &
	    DMR_RING_F_ERROR)
		dmr_recv_doorbell(ibqp);
	return err;
}

/* --- the ibv_wr_* API ------------------------------------------------ */

static void wr_start(struct ibv_qp_ex *ibqp)
{
	struct dmr_qp *qp = qp_ex_to_dmr_qp(ibqp);

	pthread_mutex_lock(&qp->sq_lock);
	qp->wr_first = qp->sq.index;
	qp->wr_cur = NULL;
	qp->wr_err = dmr_qp_takes_sends(&qp->vqp.qp) ? 0 : EINVAL;
}

/* Start a new WQE for @opcode with the QP's current wr_id and flags. */
static struct dmr_send_wqe *wr_new(struct ibv_qp_ex *ibqp, uint32_t opcode)
{
	struct dmr_qp *qp = qp_ex_to_dmr_qp(ibqp);
	struct dmr_send_wqe *wqe;

	qp->wr_cur = NULL;
	if (qp->wr_err)
		return NULL;
	wqe = dmr_sq_next(qp);
	if (!wqe) {
		qp->wr_err = ENOMEM;
		return NULL;
	}
	wqe->wr_id = ibqp->wr_id;
	wqe->opcode = opcode;
	wqe->send_flags = ibqp->wr_flags;
	qp->sq.index++;
	qp->wr_cur = wqe;
	return wqe;
}

static void wr_send(struct ibv_qp_ex *ibqp)
{
	wr_new(ibqp, IBV_WR_SEND);
}

static void wr_send_imm(struct ibv_qp_ex *ibqp, __be32 imm)
{
	struct dmr_send_wqe *wqe = wr_new(ibqp, IBV_WR_SEND_WITH_IMM);

	if (wqe)
		wqe->imm_data = imm;
}

static void wr_rdma(struct ibv_qp_ex *ibqp, uint32_t opcode, uint32_t rkey,
		    uint64_t remote_addr, __be32 imm)
{
	struct dmr_send_wqe *wqe = wr_new(ibqp, opcode);

	if (!wqe)
		return;
	wqe->wr.rdma.remote_addr = remote_addr;
	wqe->wr.rdma.rkey = rkey;
	wqe->imm_data = imm;
}

static void wr_rdma_write(struct ibv_qp_ex *ibqp, uint32_t rkey,
			  uint64_t remote_addr)
{
	wr_rdma(ibqp, IBV_WR_RDMA_WRITE, rkey, remote_addr, 0);
}

static void wr_rdma_write_imm(struct ibv_qp_ex *ibqp, uint32_t rkey,
			      uint64_t remote_addr, __be32 imm)
{
	wr_rdma(ibqp, IBV_WR_RDMA_WRITE_WITH_IMM, rkey, remote_addr, imm);
}

static void wr_rdma_read(struct ibv_qp_ex *ibqp, uint32_t rkey,
			 uint64_t remote_addr)
{
	wr_rdma(ibqp, IBV_WR_RDMA_READ, rkey, remote_addr, 0);
}

static void wr_atomic(struct ibv_qp_ex *ibqp, uint32_t opcode, uint32_t rkey,
		      uint64_t remote_addr, uint64_t compare_add, uint64_t swap)
{
	struct dmr_send_wqe *wqe = wr_new(ibqp, opcode);

	if (!wqe)
		return;
	wqe->wr.atomic.remote_addr = remote_addr;
	wqe->wr.atomic.compare_add = compare_add;
	wqe->wr.atomic.swap = swap;
	wqe->wr.atomic.rkey = rkey;
}

static void wr_atomic_cmp_swp(struct ibv_qp_ex *ibqp, uint32_t rkey,
			      uint64_t remote_addr, uint64_t compare,
			      uint64_t swap)
{
	wr_atomic(ibqp, IBV_WR_ATOMIC_CMP_AND_SWP, rkey, remote_addr, compare,
		  swap);
}

static void wr_atomic_fetch_add(struct ibv_qp_ex *ibqp, uint32_t rkey,
				uint64_t remote_addr, uint64_t add)
{
	wr_atomic(ibqp, IBV_WR_ATOMIC_FETCH_AND_ADD, rkey, remote_addr, add, 0);
}

static void wr_set_ud_addr(struct ibv_qp_ex *ibqp, struct ibv_ah *ah,
			   uint32_t remote_qpn, uint32_t remote_qkey)
{
	struct dmr_send_wqe *wqe = qp_ex_to_dmr_qp(ibqp)->wr_cur;

	if (!wqe)
		return;
	wqe->wr.ud.av = to_dmr_ah(ah)->av;
	wqe->wr.ud.remote_qpn = remote_qpn;
	wqe->wr.ud.remote_qkey = remote_qkey;
}

static void wr_set_sge_list(struct ibv_qp_ex *ibqp, size_t num_sge,
			    const struct ibv_sge *sg_list)
{
	struct dmr_qp *qp = qp_ex_to_dmr_qp(ibqp);
	struct dmr_send_wqe *wqe = qp->wr_cur;
	struct dmr_sge *sge;
	size_t i;

	if (!wqe)
		return;
	if (num_sge > qp->max_send_sge) {
		qp->wr_err = EINVAL;
		return;
	}
	sge = (struct dmr_sge *)(wqe + 1);
	for (i = 0; i < num_sge; i++) {
		sge[i].addr = sg_list[i].addr;
		sge[i].length = sg_list[i].length;
		sge[i].lkey = sg_list[i].lkey;
	}
	wqe->num_sge = num_sge;
	wqe->send_flags &= ~IBV_SEND_INLINE;
}

static void wr_set_sge(struct ibv_qp_ex *ibqp, uint32_t lkey, uint64_t addr,
		       uint32_t length)
{
	struct ibv_sge sge = { .addr = addr, .length = length, .lkey = lkey };

	wr_set_sge_list(ibqp, 1, &sge);
}

static void wr_set_inline_data_list(struct ibv_qp_ex *ibqp, size_t num_buf,
				    const struct ibv_data_buf *buf_list)
{
	struct dmr_qp *qp = qp_ex_to_dmr_qp(ibqp);
	struct dmr_send_wqe *wqe = qp->wr_cur;
	uint8_t *data;
	size_t i, len = 0;

	if (!wqe)
		return;
	data = (uint8_t *)(wqe + 1);
	for (i = 0; i < num_buf; i++) {
		if (buf_list[i].length > qp->max_inline - len) {
			qp->wr_err = EINVAL;
			return;
		}
		memcpy(data + len, buf_list[i].addr, buf_list[i].length);
		len += buf_list[i].length;
	}
	wqe->inline_len = len;
	wqe->num_sge = 0;
	wqe->send_flags |= IBV_SEND_INLINE;
}

static void wr_set_inline_data(struct ibv_qp_ex *ibqp, void *addr,
			       size_t length)
{
	struct ibv_data_buf buf = { .addr = addr, .length = length };

	wr_set_inline_data_list(ibqp, 1, &buf);
}

static int wr_complete(struct ibv_qp_ex *ibqp)
{
	struct dmr_qp *qp = qp_ex_to_dmr_qp(ibqp);
	uint32_t i;
	int err = qp->wr_err;

	/* Check every WQE of the batch before the kernel sees any. */
	for (i = qp->wr_first; !err && i != qp->sq.index; i++)
		if (dmr_send_wqe_check(dmr_uring_slot(&qp->sq, i),
				       qp->max_send_sge, qp->max_inline, qp->ud))
			err = EINVAL;
	if (err)
		qp->sq.index = qp->wr_first;
	else
		dmr_sq_commit(qp, qp->wr_first);
	pthread_mutex_unlock(&qp->sq_lock);
	return err;
}

static void wr_abort(struct ibv_qp_ex *ibqp)
{
	struct dmr_qp *qp = qp_ex_to_dmr_qp(ibqp);

	qp->sq.index = qp->wr_first;
	pthread_mutex_unlock(&qp->sq_lock);
}

static void dmr_set_send_ops(struct dmr_qp *qp, uint64_t ops)
{
	struct ibv_qp_ex *ex = &qp->vqp.qp_ex;

	if (ops & IBV_QP_EX_WITH_SEND)
		ex->wr_send = wr_send;
	if (ops & IBV_QP_EX_WITH_SEND_WITH_IMM)
		ex->wr_send_imm = wr_send_imm;
	if (ops & IBV_QP_EX_WITH_RDMA_WRITE)
		ex->wr_rdma_write = wr_rdma_write;
	if (ops & IBV_QP_EX_WITH_RDMA_WRITE_WITH_IMM)
		ex->wr_rdma_write_imm = wr_rdma_write_imm;
	if (ops & IBV_QP_EX_WITH_RDMA_READ)
		ex->wr_rdma_read = wr_rdma_read;
	if (ops & IBV_QP_EX_WITH_ATOMIC_CMP_AND_SWP)
		ex->wr_atomic_cmp_swp = wr_atomic_cmp_swp;
	if (ops & IBV_QP_EX_WITH_ATOMIC_FETCH_AND_ADD)
		ex->wr_atomic_fetch_add = wr_atomic_fetch_add;
	if (qp->ud)
		ex->wr_set_ud_addr = wr_set_ud_addr;
	ex->wr_set_sge = wr_set_sge;
	ex->wr_set_sge_list = wr_set_sge_list;
	ex->wr_set_inline_data = wr_set_inline_data;
	ex->wr_set_inline_data_list = wr_set_inline_data_list;
	ex->wr_start = wr_start;
	ex->wr_complete = wr_complete;
	ex->wr_abort = wr_abort;
}

/* --- creation and state ---------------------------------------------- */

struct ibv_qp *dmr_create_qp_ex(struct ibv_context *ctx,
				struct ibv_qp_init_attr_ex *attr)
{
	struct udmr_create_qp_ex_resp resp = {};
	struct ibv_create_qp_ex cmd = {};
	struct dmr_qp *qp;
	int err;

	if ((attr->qp_type != IBV_QPT_RC && attr->qp_type != IBV_QPT_UD) ||
	    attr->comp_mask & ~(uint32_t)DMR_QP_COMP_MASK ||
	    ((attr->comp_mask & IBV_QP_INIT_ATTR_SEND_OPS_FLAGS) &&
	     attr->send_ops_flags & ~(uint64_t)(attr->qp_type == IBV_QPT_UD ?
						DMR_UD_QP_SEND_OPS :
						DMR_QP_SEND_OPS))) {
		errno = EOPNOTSUPP;
		return NULL;
	}
	qp = calloc(1, sizeof(*qp));
	if (!qp)
		return NULL;
	qp->ud = attr->qp_type == IBV_QPT_UD;
	if (attr->comp_mask & IBV_QP_INIT_ATTR_SEND_OPS_FLAGS)
		dmr_set_send_ops(qp, attr->send_ops_flags);

	err = ibv_cmd_create_qp_ex2(ctx, &qp->vqp, attr, &cmd, sizeof(cmd),
				    &resp.ibv_resp, sizeof(resp), NULL);
	if (err)
		goto err_free;
	/*
	 * ibv_qp_to_qp_ex() only for a QP created with the ibv_wr_* ops:
	 * otherwise its function pointers are NULL (mlx5 and efa refuse it
	 * the same way).
	 */
	if (attr->comp_mask & IBV_QP_INIT_ATTR_SEND_OPS_FLAGS)
		qp->vqp.comp_mask |= VERBS_QP_EX;
	qp->srq = attr->srq ? to_dmr_srq(attr->srq) : NULL;
	qp->max_send_sge = attr->cap.max_send_sge;
	qp->max_inline = resp.max_inline;
	err = dmr_uring_map(&qp->sq, ctx->cmd_fd, &resp.sq,
			    dmr_send_wqe_stride(attr->cap.max_send_sge,
						resp.max_inline));
	if (err)
		goto err_destroy;
	if (!qp->srq) {
		qp->max_recv_sge = attr->cap.max_recv_sge;
		err = dmr_uring_map(&qp->rq, ctx->cmd_fd, &resp.rq,
				    dmr_recv_wqe_stride(attr->cap.max_recv_sge));
		if (err)
			goto err_unmap;
	}
	err = dmr_doorbell_init(qp);
	if (err)
		goto err_unmap_rq;
	pthread_mutex_init(&qp->sq_lock, NULL);
	pthread_spin_init(&qp->rq_lock, PTHREAD_PROCESS_PRIVATE);
	return &qp->vqp.qp;

err_unmap_rq:
	dmr_uring_unmap(&qp->rq);
err_unmap:
	dmr_uring_unmap(&qp->sq);
err_destroy:
	ibv_cmd_destroy_qp(&qp->vqp.qp);
err_free:
	free(qp);
	errno = err;
	return NULL;
}

struct ibv_qp *dmr_create_qp(struct ibv_pd *pd, struct ibv_qp_init_attr *attr)
{
	struct ibv_qp_init_attr_ex ex = {
		.qp_context = attr->qp_context,
		.send_cq = attr->send_cq,
		.recv_cq = attr->recv_cq,
		.srq = attr->srq,
		.cap = attr->cap,
		.qp_type = attr->qp_type,
		.sq_sig_all = attr->sq_sig_all,
		.comp_mask = IBV_QP_INIT_ATTR_PD,
		.pd = pd,
	};
	struct ibv_qp *qp;

	qp = dmr_create_qp_ex(pd->context, &ex);
	if (qp)
		attr->cap = ex.cap;
	return qp;
}

int dmr_modify_qp(struct ibv_qp *ibqp, struct ibv_qp_attr *attr, int mask)
{
	struct dmr_qp *qp = to_dmr_qp(ibqp);
	struct ibv_modify_qp cmd = {};
	int err;

	err = ibv_cmd_modify_qp(ibqp, attr, mask, &cmd, sizeof(cmd));
	if (err)
		return err;
	/*
	 * The kernel emptied both rings; start our indices over too, and
	 * drop the QP's completions that are still in its CQs.
	 */
	if ((mask & IBV_QP_STATE) && attr->qp_state == IBV_QPS_RESET) {
		dmr_cq_clean(to_dmr_cq(ibqp->send_cq), ibqp->qp_num);
		if (ibqp->recv_cq != ibqp->send_cq)
			dmr_cq_clean(to_dmr_cq(ibqp->recv_cq), ibqp->qp_num);
		pthread_mutex_lock(&qp->sq_lock);
		qp->sq.index = 0;
		pthread_mutex_unlock(&qp->sq_lock);
		if (!qp->srq) {
			pthread_spin_lock(&qp->rq_lock);
			qp->rq.index = 0;
			pthread_spin_unlock(&qp->rq_lock);
		}
	}
	return 0;
}

int dmr_query_qp(struct ibv_qp *ibqp, struct ibv_qp_attr *attr, int mask,
		 struct ibv_qp_init_attr *init)
{
	struct ibv_query_qp cmd = {};

	return ibv_cmd_query_qp(ibqp, attr, mask, init, &cmd, sizeof(cmd));
}

int dmr_destroy_qp(struct ibv_qp *ibqp)
{
	struct dmr_qp *qp = to_dmr_qp(ibqp);
	int err;

	err = ibv_cmd_destroy_qp(ibqp);
	if (err)
		return err;
	/* A destroyed QP's completions must not be polled (as mlx5's). */
	dmr_cq_clean(to_dmr_cq(ibqp->send_cq), ibqp->qp_num);
	if (ibqp->recv_cq && ibqp->recv_cq != ibqp->send_cq)
		dmr_cq_clean(to_dmr_cq(ibqp->recv_cq), ibqp->qp_num);
	dmr_uring_unmap(&qp->sq);
	dmr_uring_unmap(&qp->rq);
	pthread_mutex_destroy(&qp->sq_lock);
	pthread_spin_destroy(&qp->rq_lock);
	free(qp->doorbell);
	free(qp);
	return 0;
}
