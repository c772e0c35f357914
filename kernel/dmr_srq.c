// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Shared receive queues: a ring of receive WQEs that the responders of
 * every QP attached to it consume, in order, under the SRQ's lock.
 */
#include <rdma/uverbs_ioctl.h>

#include "dmr.h"
#include "dmr_ring.h"
#include "dmr_rules.h"

int dmr_create_srq(struct ib_srq *ibsrq, struct ib_srq_init_attr *init,
		   struct ib_udata *udata)
{
	struct dmr_dev *dev = to_dmr_dev(ibsrq->device);
	struct dmr_srq *srq = to_dmr_srq(ibsrq);
	struct dmr_create_srq_resp resp = {};
	struct ib_srq_attr *attr = &init->attr;
	int err;

	if (init->srq_type != IB_SRQT_BASIC)
		return -EOPNOTSUPP;
	if (!attr->max_wr || attr->max_wr > DMR_MAX_SRQ_WR ||
	    attr->max_sge > DMR_MAX_SGE || attr->srq_limit > attr->max_wr)
		return -EINVAL;
	if (udata) {
		err = ib_is_udata_in_empty(udata);
		if (err)
			return err;
	}
	if (!dmr_count_get(&dev->n_srq, DMR_MAX_SRQ))
		return -ENOMEM;

	mutex_init(&srq->lock);
	spin_lock_init(&srq->post_lock);
	srq->max_sge = max_t(u32, attr->max_sge, 1);
	srq->limit = attr->srq_limit;
	err = dmr_queue_init(&srq->ring, udata, dmr_ring_slots_for(attr->max_wr),
			     dmr_recv_wqe_stride(srq->max_sge));
	if (err)
		goto err_count;
	attr->max_wr = srq->ring.nslots;
	attr->max_sge = srq->max_sge;

	if (udata) {
		dmr_queue_info(&srq->ring, &resp.ring);
		err = ib_respond_udata(udata, resp);
		if (err)
			goto err_queue;
	}
	return 0;

err_queue:
	dmr_queue_cleanup(&srq->ring);
err_count:
	atomic_dec(&dev->n_srq);
	return err;
}

int dmr_modify_srq(struct ib_srq *ibsrq, struct ib_srq_attr *attr,
		   enum ib_srq_attr_mask mask, struct ib_udata *udata)
{
	struct dmr_srq *srq = to_dmr_srq(ibsrq);
	int err = 0;

	if (mask & IB_SRQ_MAX_WR)
		return -EOPNOTSUPP;	/* no resizing */
	if (mask & ~IB_SRQ_LIMIT)
		return -EINVAL;
	if (udata) {
		err = ib_is_udata_in_empty(udata);
		if (err)
			return err;
	}
	mutex_lock(&srq->lock);
	if (attr->srq_limit > srq->ring.nslots)
		err = -EINVAL;
	else
		srq->limit = attr->srq_limit;
	mutex_unlock(&srq->lock);
	return err;
}

int dmr_query_srq(struct ib_srq *ibsrq, struct ib_srq_attr *attr)
{
	struct dmr_srq *srq = to_dmr_srq(ibsrq);

	mutex_lock(&srq->lock);
	attr->max_wr = srq->ring.nslots;
	attr->max_sge = srq->max_sge;
	attr->srq_limit = srq->limit;
	mutex_unlock(&srq->lock);
	return 0;
}

int dmr_destroy_srq(struct ib_srq *ibsrq, struct ib_udata *udata)
{
	struct dmr_srq *srq = to_dmr_srq(ibsrq);

	dmr_queue_cleanup(&srq->ring);
	atomic_dec(&to_dmr_dev(ibsrq->device)->n_srq);
	return 0;
}

/*
 * Take the next receive WQE into @wqe (a buffer of the largest stride).
 * -EAGAIN if the SRQ is empty. Raises IB_EVENT_SRQ_LIMIT_REACHED, once per
 * arming, when fewer WQEs than the limit remain.
 */
int dmr_srq_take(struct dmr_srq *srq, struct dmr_recv_wqe *wqe)
{
	struct dmr_queue *q = &srq->ring;
	struct ib_event ev;
	bool limit_event = false;
	int posted;

	mutex_lock(&srq->lock);
	/* A corrupt producer index reads as an empty SRQ. */
	posted = dmr_queue_posted(q);
	if (posted <= 0) {
		mutex_unlock(&srq->lock);
		return -EAGAIN;
	}
	dmr_queue_copy_recv(q, wqe);
	dmr_queue_pop(q);
	if (srq->limit && posted - 1 < srq->limit) {
		srq->limit = 0;
		limit_event = true;
	}
	mutex_unlock(&srq->lock);

	if (limit_event && srq->ibsrq.event_handler) {
		ev.device = srq->ibsrq.device;
		ev.element.srq = &srq->ibsrq;
		ev.event = IB_EVENT_SRQ_LIMIT_REACHED;
		srq->ibsrq.event_handler(&ev, srq->ibsrq.srq_context);
	}
	return 0;
}
