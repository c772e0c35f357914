// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Completion queues: the kernel produces struct dmr_cqe into the mapped
 * ring; polling consumes them here, without a system call.
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dmr.h"

enum {
	DMR_CQ_WC_FLAGS = IBV_WC_EX_WITH_BYTE_LEN | IBV_WC_EX_WITH_IMM |
			  IBV_WC_EX_WITH_QP_NUM | IBV_WC_EX_WITH_SRC_QP |
			  IBV_WC_EX_WITH_SLID | IBV_WC_EX_WITH_SL |
			  IBV_WC_EX_WITH_DLID_PATH_BITS,
};

/* The next completion, or NULL. Caller locks. */
static struct dmr_cqe *dmr_cq_peek(struct dmr_cq *cq)
{
	struct dmr_uring *r = &cq->ring;
	uint32_t producer = dmr_load_acquire(&r->hdr->producer);

	if (dmr_ring_empty(producer, r->index))
		return NULL;
	return dmr_uring_slot(r, r->index);
}

static void dmr_cq_advance(struct dmr_cq *cq)
{
	cq->ring.index++;
	dmr_store_release(&cq->ring.hdr->consumer, cq->ring.index);
}

/*
 * Forget the completions of QP @qpn that are still in the CQ: a QP reset
 * to RESET must not leave completions behind for its next life (the
 * flushes of its error state, say). The kernel only ever writes slots at
 * and after the producer index, so compacting the entries between the
 * consumer index and a snapshot of the producer index, from the newest
 * down, and then moving the consumer index past the freed slots is safe
 * while it keeps producing.
 */
void dmr_cq_clean(struct dmr_cq *cq, uint32_t qpn)
{
	struct dmr_uring *r = &cq->ring;
	uint32_t producer, i, nfreed = 0;
	struct dmr_cqe *cqe;

	pthread_spin_lock(&cq->lock);
	producer = dmr_load_acquire(&r->hdr->producer);
	for (i = producer; i-- != r->index;) {
		cqe = dmr_uring_slot(r, i);
		if (cqe->qp_num == qpn)
			nfreed++;
		else if (nfreed)
			memcpy(dmr_uring_slot(r, i + nfreed), cqe, sizeof(*cqe));
	}
	if (nfreed) {
		r->index += nfreed;
		dmr_store_release(&r->hdr->consumer, r->index);
	}
	pthread_spin_unlock(&cq->lock);
}

int dmr_poll_cq(struct ibv_cq *ibcq, int ne, struct ibv_wc *wc)
{
	struct dmr_cq *cq = to_dmr_cq(ibcq);
	struct dmr_cqe *cqe;
	int n;

	pthread_spin_lock(&cq->lock);
	for (n = 0; n < ne; n++) {
		cqe = dmr_cq_peek(cq);
		if (!cqe)
			break;
		wc[n] = (struct ibv_wc){
			.wr_id = cqe->wr_id,
			.status = cqe->status,
			.opcode = cqe->opcode,
			.vendor_err = cqe->vendor_err,
			.byte_len = cqe->byte_len,
			.imm_data = cqe->imm_data,
			.qp_num = cqe->qp_num,
			.src_qp = cqe->src_qp,
			.wc_flags = cqe->wc_flags,
			.pkey_index = cqe->pkey_index,
			.slid = cqe->slid,
			.sl = cqe->sl,
			.dlid_path_bits = cqe->dlid_path_bits,
		};
		dmr_cq_advance(cq);
	}
	pthread_spin_unlock(&cq->lock);
	return n;
}

static void dmr_cq_load_cur(struct dmr_cq *cq)
{
	cq->vcq.cq_ex.status = cq->cur->status;
	cq->vcq.cq_ex.wr_id = cq->cur->wr_id;
}

static int cq_start_poll(struct ibv_cq_ex *cq_ex, struct ibv_poll_cq_attr *attr)
{
	struct dmr_cq *cq = cq_ex_to_dmr_cq(cq_ex);

	if (attr->comp_mask)
		return EINVAL;
	pthread_spin_lock(&cq->lock);
	cq->cur = dmr_cq_peek(cq);
	if (!cq->cur) {
		pthread_spin_unlock(&cq->lock);
		return ENOENT;
	}
	dmr_cq_load_cur(cq);
	return 0;
}

static int cq_next_poll(struct ibv_cq_ex *cq_ex)
{
	struct dmr_cq *cq = cq_ex_to_dmr_cq(cq_ex);

	dmr_cq_advance(cq);
	cq->cur = dmr_cq_peek(cq);
	if (!cq->cur)
		return ENOENT;
	dmr_cq_load_cur(cq);
	return 0;
}

static void cq_end_poll(struct ibv_cq_ex *cq_ex)
{
	struct dmr_cq *cq = cq_ex_to_dmr_cq(cq_ex);

	if (cq->cur)
		dmr_cq_advance(cq);
	cq->cur = NULL;
	pthread_spin_unlock(&cq->lock);
}

#define DMR_CQ_READ(_name, _type, _field)                                    \
	static _type cq_read_##_name(struct ibv_cq_ex *cq_ex)                 \
	{                                                                     \
		return (_type)cq_ex_to_dmr_cq(cq_ex)->cur->_field;            \
	}

DMR_CQ_READ(opcode, enum ibv_wc_opcode, opcode)
DMR_CQ_READ(vendor_err, uint32_t, vendor_err)
DMR_CQ_READ(byte_len, uint32_t, byte_len)
DMR_CQ_READ(imm_data, __be32, imm_data)
DMR_CQ_READ(qp_num, uint32_t, qp_num)
DMR_CQ_READ(src_qp, uint32_t, src_qp)
DMR_CQ_READ(wc_flags, unsigned int, wc_flags)
DMR_CQ_READ(slid, uint32_t, slid)
DMR_CQ_READ(sl, uint8_t, sl)
DMR_CQ_READ(dlid_path_bits, uint8_t, dlid_path_bits)

static void dmr_cq_set_ex_ops(struct dmr_cq *cq, uint64_t wc_flags)
{
	struct ibv_cq_ex *ex = &cq->vcq.cq_ex;

	ex->start_poll = cq_start_poll;
	ex->next_poll = cq_next_poll;
	ex->end_poll = cq_end_poll;
	ex->read_opcode = cq_read_opcode;
	ex->read_vendor_err = cq_read_vendor_err;
	ex->read_wc_flags = cq_read_wc_flags;
	if (wc_flags & IBV_WC_EX_WITH_BYTE_LEN)
		ex->read_byte_len = cq_read_byte_len;
	if (wc_flags & IBV_WC_EX_WITH_IMM)
		ex->read_imm_data = cq_read_imm_data;
	if (wc_flags & IBV_WC_EX_WITH_QP_NUM)
		ex->read_qp_num = cq_read_qp_num;
	if (wc_flags & IBV_WC_EX_WITH_SRC_QP)
		ex->read_src_qp = cq_read_src_qp;
	if (wc_flags & IBV_WC_EX_WITH_SLID)
		ex->read_slid = cq_read_slid;
	if (wc_flags & IBV_WC_EX_WITH_SL)
		ex->read_sl = cq_read_sl;
	if (wc_flags & IBV_WC_EX_WITH_DLID_PATH_BITS)
		ex->read_dlid_path_bits = cq_read_dlid_path_bits;
}

static int dmr_cq_map(struct dmr_cq *cq, struct ibv_context *ctx,
		      const struct dmr_create_cq_resp *resp)
{
	int err;

	err = dmr_uring_map(&cq->ring, ctx->cmd_fd, &resp->ring,
			    sizeof(struct dmr_cqe));
	if (err)
		return err;
	pthread_spin_init(&cq->lock, PTHREAD_PROCESS_PRIVATE);
	return 0;
}

struct ibv_cq *dmr_create_cq(struct ibv_context *ctx, int cqe,
			     struct ibv_comp_channel *channel, int comp_vector)
{
	struct udmr_create_cq_resp resp = {};
	struct dmr_cq *cq;
	int err;

	cq = calloc(1, sizeof(*cq));
	if (!cq)
		return NULL;
	err = ibv_cmd_create_cq(ctx, cqe, channel, comp_vector, &cq->vcq.cq,
				NULL, 0, &resp.ibv_resp, sizeof(resp));
	if (err)
		goto err_free;
	err = dmr_cq_map(cq, ctx, &resp.drv_payload);
	if (err) {
		ibv_cmd_destroy_cq(&cq->vcq.cq);
		goto err_free;
	}
	return &cq->vcq.cq;

err_free:
	free(cq);
	errno = err;
	return NULL;
}

struct ibv_cq_ex *dmr_create_cq_ex(struct ibv_context *ctx,
				   struct ibv_cq_init_attr_ex *attr)
{
	struct udmr_create_cq_ex_resp resp = {};
	struct dmr_cq *cq;
	int err;

	if (attr->wc_flags & ~(uint64_t)DMR_CQ_WC_FLAGS ||
	    attr->comp_mask & ~(uint32_t)IBV_CQ_INIT_ATTR_MASK_FLAGS ||
	    ((attr->comp_mask & IBV_CQ_INIT_ATTR_MASK_FLAGS) &&
	     attr->flags & ~(uint32_t)IBV_CREATE_CQ_ATTR_SINGLE_THREADED)) {
		errno = EOPNOTSUPP;
		return NULL;
	}
	cq = calloc(1, sizeof(*cq));
	if (!cq)
		return NULL;
	err = ibv_cmd_create_cq_ex(ctx, attr, NULL, &cq->vcq, NULL, 0,
				   &resp.ibv_resp, sizeof(resp), 0);
	if (err)
		goto err_free;
	err = dmr_cq_map(cq, ctx, &resp.drv_payload);
	if (err) {
		ibv_cmd_destroy_cq(&cq->vcq.cq);
		goto err_free;
	}
	dmr_cq_set_ex_ops(cq, attr->wc_flags);
	return &cq->vcq.cq_ex;

err_free:
	free(cq);
	errno = err;
	return NULL;
}

int dmr_destroy_cq(struct ibv_cq *ibcq)
{
	struct dmr_cq *cq = to_dmr_cq(ibcq);
	int err;

	err = ibv_cmd_destroy_cq(ibcq);
	if (err)
		return err;
	dmr_uring_unmap(&cq->ring);
	pthread_spin_destroy(&cq->lock);
	free(cq);
	return 0;
}
