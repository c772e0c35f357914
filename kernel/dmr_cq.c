// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Completion queues: a ring of struct dmr_cqe that the kernel produces and
 * the process (or a kernel consumer, through dmr_poll_cq()) consumes.
 */
#include <linux/slab.h>
#include <rdma/uverbs_ioctl.h>

#include "dmr.h"
#include "dmr_lookup.h"
#include "dmr_ring.h"

/* Process CQs' locks never see interrupt context: a class of their own. */
static struct lock_class_key dmr_user_cq_lock_key;

/*
 * A kernel consumer may arm its CQ from any context, so the lock of a
 * kernel CQ turns interrupts off. A process's CQ is locked in process
 * context only (the data engine and uverbs), and an 8-byte RDMA WRITE is
 * a few percent faster when its completion does not turn interrupts off
 * and on again.
 */
static unsigned long dmr_cq_lock(struct dmr_cq *cq)
	__acquires(&cq->lock)
{
	unsigned long flags = 0;

	if (cq->user)
		spin_lock(&cq->lock);
	else
		spin_lock_irqsave(&cq->lock, flags);
	return flags;
}

static void dmr_cq_unlock(struct dmr_cq *cq, unsigned long flags)
	__releases(&cq->lock)
{
	if (cq->user)
		spin_unlock(&cq->lock);
	else
		spin_unlock_irqrestore(&cq->lock, flags);
}

int dmr_create_cq(struct ib_cq *ibcq, const struct ib_cq_init_attr *attr,
		  struct uverbs_attr_bundle *attrs)
{
	struct ib_udata *udata = attrs ? &attrs->driver_udata : NULL;
	struct dmr_dev *dev = to_dmr_dev(ibcq->device);
	struct dmr_cq *cq = to_dmr_cq(ibcq);
	struct dmr_create_cq_resp resp = {};
	u32 nslots;
	int err;

	if (attr->flags)
		return -EOPNOTSUPP;
	if (!attr->cqe || attr->cqe > DMR_MAX_CQE)
		return -EINVAL;
	if (udata) {
		err = ib_is_udata_in_empty(udata);
		if (err)
			return err;
	}
	if (!dmr_count_get(&dev->n_cq, DMR_MAX_CQ))
		return -ENOMEM;

	/* Free-running indices tell a full ring from an empty one. */
	nslots = dmr_ring_slots_for(attr->cqe);
	spin_lock_init(&cq->lock);
	cq->user = !!udata;
	if (cq->user)
		lockdep_set_class(&cq->lock, &dmr_user_cq_lock_key);
	err = dmr_queue_init(&cq->ring, udata, nslots, DMR_CQE_SIZE);
	if (err)
		goto err_count;
	ibcq->cqe = nslots;

	if (udata) {
		dmr_queue_info(&cq->ring, &resp.ring);
		err = ib_respond_udata(udata, resp);
		if (err)
			goto err_queue;
	}
	return 0;

err_queue:
	dmr_queue_cleanup(&cq->ring);
err_count:
	atomic_dec(&dev->n_cq);
	return err;
}

int dmr_destroy_cq(struct ib_cq *ibcq, struct ib_udata *udata)
{
	struct dmr_cq *cq = to_dmr_cq(ibcq);

	dmr_queue_cleanup(&cq->ring);
	atomic_dec(&to_dmr_dev(ibcq->device)->n_cq);
	return 0;
}

int dmr_req_notify_cq(struct ib_cq *ibcq, enum ib_cq_notify_flags flags)
{
	struct dmr_cq *cq = to_dmr_cq(ibcq);
	unsigned long irqflags;
	int missed = 0;

	irqflags = dmr_cq_lock(cq);
	/* NEXT_COMP covers SOLICITED: never narrow an armed request. */
	if (cq->notify != IB_CQ_NEXT_COMP)
		cq->notify = flags & IB_CQ_SOLICITED_MASK;
	if (flags & IB_CQ_REPORT_MISSED_EVENTS)
		missed = dmr_queue_room(&cq->ring) != cq->ring.nslots;
	dmr_cq_unlock(cq, irqflags);
	return missed;
}

/*
 * Add a completion. Called from the data engine of any QP that uses the
 * CQ. A full ring is an overflow: the completion is lost, the CQ reports
 * IB_EVENT_CQ_ERR once, and the caller moves its QP to the error state.
 */
int dmr_cq_post(struct dmr_cq *cq, const struct dmr_cqe *cqe, bool solicited)
{
	struct ib_cq *ibcq = &cq->ibcq;
	struct ib_event ev;
	unsigned long flags;
	bool notify = false, overflow = false;

	flags = dmr_cq_lock(cq);
	if (cq->overflow) {
		dmr_cq_unlock(cq, flags);
		return -ENOSPC;
	}
	/* A consumer index out of range counts as a full ring. */
	if (!dmr_queue_room(&cq->ring)) {
		cq->overflow = true;
		WRITE_ONCE(cq->ring.hdr->flags,
			   READ_ONCE(cq->ring.hdr->flags) | DMR_RING_F_OVERFLOW);
		overflow = true;
	} else {
		memcpy(dmr_queue_slot(&cq->ring, cq->ring.index), cqe,
		       sizeof(*cqe));
		dmr_queue_push(&cq->ring);
		if (cq->notify == IB_CQ_NEXT_COMP ||
		    (cq->notify == IB_CQ_SOLICITED &&
		     (solicited || cqe->status != IB_WC_SUCCESS))) {
			cq->notify = 0;
			notify = true;
		}
	}
	dmr_cq_unlock(cq, flags);

	if (overflow) {
		if (ibcq->event_handler) {
			ev.device = ibcq->device;
			ev.element.cq = ibcq;
			ev.event = IB_EVENT_CQ_ERR;
			ibcq->event_handler(&ev, ibcq->cq_context);
		}
		return -ENOSPC;
	}
	if (notify && ibcq->comp_handler)
		ibcq->comp_handler(ibcq, ibcq->cq_context);
	return 0;
}

static void dmr_cqe_to_wc(const struct dmr_cqe *cqe, struct ib_wc *wc)
{
	memset(wc, 0, sizeof(*wc));
	wc->wr_id = cqe->wr_id;
	wc->status = cqe->status;
	wc->opcode = cqe->opcode;
	wc->vendor_err = cqe->vendor_err;
	wc->byte_len = cqe->byte_len;
	wc->ex.imm_data = cqe->imm_data;
	wc->src_qp = cqe->src_qp;
	wc->wc_flags = cqe->wc_flags;
	wc->pkey_index = cqe->pkey_index;
	wc->slid = cqe->slid;
	wc->sl = cqe->sl;
	wc->dlid_path_bits = cqe->dlid_path_bits;
	wc->port_num = 1;
	/* Kernel consumers learn what the GRH bytes hold without parsing. */
	if (cqe->network_hdr_type) {
		wc->network_hdr_type = cqe->network_hdr_type;
		wc->wc_flags |= IB_WC_WITH_NETWORK_HDR_TYPE;
	}
}

/*
 * Polling for kernel consumers (processes poll their mapped ring): here
 * the kernel is the consumer too, and hdr->consumer its only index.
 */
int dmr_poll_cq(struct ib_cq *ibcq, int num_entries, struct ib_wc *wc)
{
	struct dmr_cq *cq = to_dmr_cq(ibcq);
	struct dmr_ring_hdr *hdr = cq->ring.hdr;
	u32 consumer = hdr->consumer, producer;
	struct dmr_qp *qp;
	struct dmr_cqe *cqe;
	int n;

	/* Pairs with dmr_queue_push(): the entries it covers are written. */
	producer = smp_load_acquire(&hdr->producer);
	for (n = 0; n < num_entries && consumer != producer; n++, consumer++) {
		cqe = dmr_queue_slot(&cq->ring, consumer);
		dmr_cqe_to_wc(cqe, &wc[n]);
		qp = dmr_qp_get(cqe->qp_num);
		wc[n].qp = qp ? &qp->ibqp : NULL;
		if (qp)
			dmr_qp_put(qp);
	}
	/* The entries have been read: the producer may reuse their slots. */
	smp_store_release(&hdr->consumer, consumer);
	return n;
}
