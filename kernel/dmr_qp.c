// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Queue pairs: creation, the IBTA state machine, queries, flushing and
 * the table that finds a QP by number for the requesters of every dmr
 * device on the host.
 */
#include <linux/slab.h>
#include <linux/xarray.h>
#include <rdma/ib_cache.h>
#include <rdma/uverbs_ioctl.h>

#include "dmr.h"
#include "dmr_lookup.h"
#include "dmr_ring.h"
#include "dmr_rules.h"

/*
 * QP numbers are unique across all dmr devices of the host, so that a
 * requester finds its responder by number and then checks that the
 * responder's device owns the destination GID. 0 and 1 are the IB special
 * QPs; numbers are 24 bits. Every QP has an index in the table, the GSI
 * QP too, whose qp_num is 1 on every device: dev->gsi finds it for UD
 * sends, its index for the completions of kernel CQs (dmr_poll_cq()).
 */
DEFINE_XARRAY_FLAGS(dmr_qp_table, XA_FLAGS_ALLOC);
static u32 dmr_qp_next;

#define DMR_QPN_MIN 16
#define DMR_QPN_MAX ((1U << 24) - 1)

int dmr_qp_table_init(void)
{
	return 0;
}

void dmr_qp_table_exit(void)
{
	WARN_ON(!xa_empty(&dmr_qp_table));
	xa_destroy(&dmr_qp_table);
}

/*
 * The readers of the table: a requester, for each message (the responder
 * is found without a reference), and the lookups that take one.
 * dmr_destroy_qp() takes the QP out of the table and waits for every
 * reader that may have found it. An SRCU read section writes only this
 * CPU's counters, where a reference would write the responder's refcount:
 * a cache line that the requesters at both ends of a connection would
 * pass back and forth twice per message. Sleepable: a requester copies
 * and takes mutexes.
 *
 * The SRCU-fast flavour: a read section is a per-CPU increment at each
 * end, with no memory barrier. With the classic flavour an 8-byte RDMA
 * WRITE took 1.97 us instead of 1.83 us (medians, one boot, modules
 * alternating). The price is on the update side: the grace period waits
 * for RCU's, so dmr_destroy_qp() waits until every CPU has passed a
 * quiescent state. Idle or under ib_write_bw it took 125 to 270 us
 * where it took 50 to 150 us; while other CPUs copy in the kernel it
 * takes milliseconds (qp_destroy_race, 100 rounds: 0.7 to 0.9 s against
 * 0.57 s). The data path is worth more than QP destruction here. The
 * readers are in process context only.
 */
DEFINE_SRCU_FAST(dmr_qp_srcu);

/* The source of dmr_qp.conn_id: never the same twice. */
static atomic64_t dmr_conn_ids = ATOMIC64_INIT(0);

/* The QP numbered @qpn, with a reference. */
struct dmr_qp *dmr_qp_get(u32 qpn)
{
	struct srcu_ctr __percpu *scp = dmr_qp_read_lock();
	struct dmr_qp *qp = dmr_qp_find(qpn);

	if (qp && !refcount_inc_not_zero(&qp->ref))
		qp = NULL;
	dmr_qp_read_unlock(scp);
	return qp;
}

/* The GSI QP of @dev, with a reference. */
struct dmr_qp *dmr_qp_get_gsi(struct dmr_dev *dev)
{
	struct srcu_ctr __percpu *scp = dmr_qp_read_lock();
	struct dmr_qp *qp = srcu_dereference(dev->gsi, &dmr_qp_srcu);

	if (qp && !refcount_inc_not_zero(&qp->ref))
		qp = NULL;
	dmr_qp_read_unlock(scp);
	return qp;
}

void dmr_qp_event(struct dmr_qp *qp, enum ib_event_type type)
{
	struct ib_qp *ibqp = &qp->ibqp;
	struct ib_event ev = {
		.device = ibqp->device,
		.element.qp = ibqp,
		.event = type,
	};

	if (ibqp->event_handler)
		ibqp->event_handler(&ev, ibqp->qp_context);
}

/*
 * Mirror the state into the rings' flags word for the provider. A
 * process that posts a receive stores the producer index and then reads
 * the flag, to ask for a flush in the error state; the flush that
 * follows an error reads the producer index after the flag is stored.
 * Store buffering: the full barrier here pairs with the provider's fence
 * between its store and its read, so that at least one side sees the
 * other (providers/dmr/qp.c, dmr_post_recv()).
 */
static void dmr_qp_set_state(struct dmr_qp *qp, enum ib_qp_state state)
{
	u32 flags = state == IB_QPS_ERR ? DMR_RING_F_ERROR : 0;

	lockdep_assert_held(&qp->state_lock);
	WRITE_ONCE(qp->state, state);
	WRITE_ONCE(qp->sq.hdr->flags, flags);
	if (qp->rq.hdr)
		WRITE_ONCE(qp->rq.hdr->flags, flags);
	/* The flag before any later read of a producer index (see above). */
	smp_mb();
}

static void dmr_flush_cqe(struct dmr_qp *qp, struct dmr_cq *cq, u64 wr_id,
			  u32 opcode)
{
	struct dmr_cqe cqe = {
		.wr_id = wr_id,
		.status = IB_WC_WR_FLUSH_ERR,
		.opcode = opcode,
		.qp_num = qp->index,
	};

	dmr_cq_post(cq, &cqe, false);
}

/* Complete every posted WQE of @q with a flush error. */
static void dmr_flush_queue(struct dmr_qp *qp, struct dmr_queue *q,
			    struct dmr_cq *cq, bool send)
{
	struct dmr_send_wqe *swqe;
	struct dmr_recv_wqe *rwqe;
	int posted = dmr_queue_posted(q);

	/* A corrupt producer index: nothing is posted. */
	for (; posted > 0; posted--) {
		if (send) {
			swqe = dmr_queue_head(q);
			dmr_flush_cqe(qp, cq, READ_ONCE(swqe->wr_id),
				      dmr_wr_to_wc_opcode(READ_ONCE(swqe->opcode)));
		} else {
			rwqe = dmr_queue_head(q);
			dmr_flush_cqe(qp, cq, READ_ONCE(rwqe->wr_id), IB_WC_RECV);
		}
		dmr_queue_pop(q);
	}
}

/* Complete every posted send WQE with a flush error. Holds sq_lock. */
void dmr_qp_flush_sq(struct dmr_qp *qp)
{
	lockdep_assert_held(&qp->sq_lock);
	dmr_flush_queue(qp, &qp->sq, qp->scq, true);
}

/* Complete every posted receive WQE with a flush error. Holds rq_lock. */
void dmr_qp_flush_rq(struct dmr_qp *qp)
{
	lockdep_assert_held(&qp->rq_lock);
	/* An SRQ's WQEs belong to the SRQ. */
	if (!qp->srq)
		dmr_flush_queue(qp, &qp->rq, qp->rcq, false);
}

static void dmr_flush_work(struct work_struct *work)
{
	struct dmr_qp *qp = container_of(work, struct dmr_qp, flush_work);

	mutex_lock(&qp->sq_lock);
	mutex_lock(&qp->rq_lock);
	if (dmr_qp_state(qp) == IB_QPS_ERR) {
		dmr_qp_flush_sq(qp);
		dmr_qp_flush_rq(qp);
	}
	mutex_unlock(&qp->rq_lock);
	mutex_unlock(&qp->sq_lock);
}

/*
 * Move a QP to the error state from the data path (a failed work request,
 * a responder error, a CQ overflow). The flush of both queues needs both
 * QP locks, which the caller may not be allowed to take; it runs from a
 * work item instead. Idempotent.
 */
void dmr_qp_error(struct dmr_qp *qp, bool rq_locked)
{
	unsigned long flags;
	bool changed = false;

	spin_lock_irqsave(&qp->state_lock, flags);
	if (qp->state != IB_QPS_ERR && qp->state != IB_QPS_RESET) {
		dmr_qp_set_state(qp, IB_QPS_ERR);
		changed = true;
	}
	spin_unlock_irqrestore(&qp->state_lock, flags);
	if (!changed)
		return;
	if (rq_locked)
		dmr_qp_flush_rq(qp);
	if (qp->srq)
		dmr_qp_event(qp, IB_EVENT_QP_LAST_WQE_REACHED);
	queue_work(system_dfl_wq, &qp->flush_work);
}

/*
 * A UD or GSI QP's send failed locally: the QP enters the SQE state, the
 * rest of its send queue is flushed, and its receive queue keeps working
 * (IBTA 10.3.1). Holds sq_lock.
 */
void dmr_qp_sq_error(struct dmr_qp *qp)
{
	unsigned long flags;

	lockdep_assert_held(&qp->sq_lock);
	spin_lock_irqsave(&qp->state_lock, flags);
	if (qp->state == IB_QPS_RTS)
		dmr_qp_set_state(qp, IB_QPS_SQE);
	spin_unlock_irqrestore(&qp->state_lock, flags);
	dmr_qp_flush_sq(qp);
}

static int dmr_check_qp_caps(struct ib_qp_init_attr *init)
{
	struct ib_qp_cap *cap = &init->cap;

	if (cap->max_send_wr > DMR_MAX_QP_WR ||
	    cap->max_send_sge > DMR_MAX_SGE ||
	    cap->max_inline_data > DMR_MAX_INLINE)
		return -EINVAL;
	if (!init->srq && (cap->max_recv_wr > DMR_MAX_QP_WR ||
			   cap->max_recv_sge > DMR_MAX_SGE))
		return -EINVAL;
	return 0;
}

int dmr_create_qp(struct ib_qp *ibqp, struct ib_qp_init_attr *init,
		  struct ib_udata *udata)
{
	struct dmr_dev *dev = to_dmr_dev(ibqp->device);
	struct dmr_qp *qp = to_dmr_qp(ibqp);
	struct dmr_create_qp_resp resp = {};
	u32 qpn, send_slots, recv_slots;
	int err;

	switch (init->qp_type) {
	case IB_QPT_RC:
	case IB_QPT_UD:
		break;
	case IB_QPT_GSI:
		/* The core asks for one per port, and only from the kernel. */
		if (udata || init->port_num != 1 ||
		    rcu_access_pointer(dev->gsi))
			return -EINVAL;
		break;
	default:
		return -EOPNOTSUPP;
	}
	if (init->create_flags)
		return -EOPNOTSUPP;
	err = dmr_check_qp_caps(init);
	if (err)
		return err;
	if (udata) {
		err = ib_is_udata_in_empty(udata);
		if (err)
			return err;
	}
	if (!dmr_count_get(&dev->n_qp, DMR_MAX_QP))
		return -ENOMEM;

	qp->dev = dev;
	if (udata)
		qp->uctx = &rdma_udata_to_drv_context(udata, struct dmr_ucontext,
						      ibuc)->ibuc;
	refcount_set(&qp->ref, 1);
	init_completion(&qp->released);
	mutex_init(&qp->sq_lock);
	mutex_init(&qp->rq_lock);
	spin_lock_init(&qp->post_lock);
	spin_lock_init(&qp->state_lock);
	INIT_DELAYED_WORK(&qp->retry_work, dmr_retry_work);
	INIT_WORK(&qp->flush_work, dmr_flush_work);
	INIT_WORK(&qp->send_work, dmr_send_work);
	INIT_DELAYED_WORK(&qp->reply_work, dmr_wire_reply_work);
	__skb_queue_head_init(&qp->wire_backlog);
	qp->state = IB_QPS_RESET;
	qp->scq = to_dmr_cq(init->send_cq);
	qp->rcq = to_dmr_cq(init->recv_cq);
	qp->srq = init->srq ? to_dmr_srq(init->srq) : NULL;
	qp->sq_sig_all = init->sq_sig_type == IB_SIGNAL_ALL_WR;
	qp->max_send_sge = max_t(u32, init->cap.max_send_sge, 1);
	qp->max_inline = init->cap.max_inline_data;
	qp->max_recv_sge = qp->srq ? 0 : max_t(u32, init->cap.max_recv_sge, 1);

	send_slots = dmr_ring_slots_for(max_t(u32, init->cap.max_send_wr, 1));
	err = dmr_queue_init(&qp->sq, udata, send_slots,
			     dmr_send_wqe_stride(qp->max_send_sge,
						 qp->max_inline));
	if (err)
		goto err_count;
	if (!qp->srq) {
		recv_slots = dmr_ring_slots_for(max_t(u32, init->cap.max_recv_wr, 1));
		err = dmr_queue_init(&qp->rq, udata, recv_slots,
				     dmr_recv_wqe_stride(qp->max_recv_sge));
		if (err)
			goto err_sq;
	}
	qp->send_wqe = kmalloc(qp->sq.stride, GFP_KERNEL_ACCOUNT);
	qp->recv_wqe = kmalloc(dmr_recv_wqe_stride(DMR_MAX_SGE),
			       GFP_KERNEL_ACCOUNT);
	if (!qp->send_wqe || !qp->recv_wqe) {
		err = -ENOMEM;
		goto err_buf;
	}
	if (dmr_qp_is_ud(qp)) {
		err = dmr_ud_qp_init(qp);
		if (err)
			goto err_buf;
	}
	if (init->qp_type == IB_QPT_GSI)
		qp->attr.port_num = init->port_num;

	err = xa_alloc_cyclic(&dmr_qp_table, &qpn, NULL,
			      XA_LIMIT(DMR_QPN_MIN, DMR_QPN_MAX), &dmr_qp_next,
			      GFP_KERNEL);
	if (err < 0)
		goto err_buf;
	qp->index = qpn;
	ibqp->qp_num = init->qp_type == IB_QPT_GSI ? 1 : qpn;

	/* The capabilities the QP really has. */
	init->cap.max_send_wr = qp->sq.nslots;
	init->cap.max_send_sge = qp->max_send_sge;
	init->cap.max_inline_data = qp->max_inline;
	if (!qp->srq) {
		init->cap.max_recv_wr = qp->rq.nslots;
		init->cap.max_recv_sge = qp->max_recv_sge;
	}

	if (udata) {
		dmr_queue_info(&qp->sq, &resp.sq);
		if (!qp->srq)
			dmr_queue_info(&qp->rq, &resp.rq);
		resp.max_inline = qp->max_inline;
		err = ib_respond_udata(udata, resp);
		if (err)
			goto err_qpn;
	}
	/* Visible to requesters only now that it is complete. */
	xa_store(&dmr_qp_table, qpn, qp, GFP_KERNEL);
	if (init->qp_type == IB_QPT_GSI)
		rcu_assign_pointer(dev->gsi, qp);
	return 0;

err_qpn:
	xa_erase(&dmr_qp_table, qpn);
err_buf:
	dmr_ud_qp_cleanup(qp);
	kfree(qp->recv_wqe);
	kfree(qp->send_wqe);
	if (!qp->srq)
		dmr_queue_cleanup(&qp->rq);
err_sq:
	dmr_queue_cleanup(&qp->sq);
err_count:
	atomic_dec(&dev->n_qp);
	return err;
}

int dmr_destroy_qp(struct ib_qp *ibqp, struct ib_udata *udata)
{
	struct dmr_qp *qp = to_dmr_qp(ibqp);

	/*
	 * No new lookups; a reader that found the QP before (a requester,
	 * or a lookup on its way to a reference) must leave its read
	 * section before the core frees the QP. Then wait for the
	 * references.
	 */
	WRITE_ONCE(qp->stopping, true);
	if (ibqp->qp_type == IB_QPT_GSI)
		RCU_INIT_POINTER(qp->dev->gsi, NULL);
	xa_erase(&dmr_qp_table, qp->index);
	synchronize_srcu(&dmr_qp_srcu);
	dmr_qp_put(qp);
	wait_for_completion(&qp->released);
	/*
	 * send_work may arm retry_work, and any of them or reply_work (no
	 * longer queued by the receive worker) may queue flush_work.
	 */
	cancel_work_sync(&qp->send_work);
	cancel_delayed_work_sync(&qp->retry_work);
	cancel_delayed_work_sync(&qp->reply_work);
	cancel_work_sync(&qp->flush_work);

	dmr_wire_release(qp);
	dmr_ud_qp_cleanup(qp);
	kfree(qp->recv_wqe);
	kfree(qp->send_wqe);
	if (!qp->srq)
		dmr_queue_cleanup(&qp->rq);
	dmr_queue_cleanup(&qp->sq);
	atomic_dec(&qp->dev->n_qp);
	return 0;
}

/*
 * The flush flags are accepted and mean nothing: dmr executes no FLUSH
 * requests, which fail as unknown opcodes at the requester.
 */
#define DMR_QP_ACCESS_FLAGS \
	(IB_ACCESS_LOCAL_WRITE | IB_ACCESS_REMOTE_WRITE | \
	 IB_ACCESS_REMOTE_READ | IB_ACCESS_REMOTE_ATOMIC | \
	 IB_ACCESS_FLUSH_GLOBAL | IB_ACCESS_FLUSH_PERSISTENT)

/* Check every attribute value that @mask carries, before changing any. */
static int dmr_check_qp_attr(struct dmr_qp *qp, struct ib_qp_attr *attr,
			     int mask)
{
	if ((mask & IB_QP_PORT) && attr->port_num != 1)
		return -EINVAL;
	if ((mask & IB_QP_PKEY_INDEX) && attr->pkey_index >= DMR_MAX_PKEYS)
		return -EINVAL;
	if ((mask & IB_QP_ACCESS_FLAGS) &&
	    (attr->qp_access_flags & ~DMR_QP_ACCESS_FLAGS))
		return -EINVAL;
	if ((mask & IB_QP_PATH_MTU) &&
	    (attr->path_mtu < IB_MTU_256 || attr->path_mtu > IB_MTU_4096))
		return -EINVAL;
	if ((mask & IB_QP_AV) && dmr_check_av(&attr->ah_attr))
		return -EINVAL;
	if ((mask & IB_QP_MAX_QP_RD_ATOMIC) &&
	    attr->max_rd_atomic > DMR_MAX_RD_ATOM)
		return -EINVAL;
	if ((mask & IB_QP_MAX_DEST_RD_ATOMIC) &&
	    attr->max_dest_rd_atomic > DMR_MAX_RD_ATOM)
		return -EINVAL;
	if ((mask & IB_QP_MIN_RNR_TIMER) && attr->min_rnr_timer > 31)
		return -EINVAL;
	if ((mask & IB_QP_TIMEOUT) && attr->timeout > 31)
		return -EINVAL;
	if ((mask & IB_QP_RETRY_CNT) && attr->retry_cnt > 7)
		return -EINVAL;
	if ((mask & IB_QP_RNR_RETRY) && attr->rnr_retry > 7)
		return -EINVAL;
	if ((mask & IB_QP_DEST_QPN) && attr->dest_qp_num > DMR_QPN_MAX)
		return -EINVAL;
	if ((mask & IB_QP_RQ_PSN) && attr->rq_psn > 0xffffff)
		return -EINVAL;
	if ((mask & IB_QP_SQ_PSN) && attr->sq_psn > 0xffffff)
		return -EINVAL;
	if (mask & IB_QP_ALT_PATH)
		return -EOPNOTSUPP;	/* no automatic path migration */
	if ((mask & IB_QP_PATH_MIG_STATE) &&
	    attr->path_mig_state != IB_MIG_MIGRATED)
		return -EOPNOTSUPP;
	if ((mask & IB_QP_CAP) &&
	    (attr->cap.max_send_wr > qp->sq.nslots ||
	     attr->cap.max_send_sge > qp->max_send_sge ||
	     attr->cap.max_inline_data > qp->max_inline ||
	     (!qp->srq && (attr->cap.max_recv_wr > qp->rq.nslots ||
			   attr->cap.max_recv_sge > qp->max_recv_sge))))
		return -EINVAL;
	return 0;
}

static void dmr_apply_qp_attr(struct dmr_qp *qp, struct ib_qp_attr *attr,
			      int mask)
{
	struct ib_qp_attr *a = &qp->attr;

	if (mask & IB_QP_PORT)
		a->port_num = attr->port_num;
	if (mask & IB_QP_PKEY_INDEX)
		a->pkey_index = attr->pkey_index;
	if (mask & IB_QP_QKEY)
		a->qkey = attr->qkey;
	if (mask & IB_QP_ACCESS_FLAGS)
		a->qp_access_flags = attr->qp_access_flags;
	if (mask & IB_QP_PATH_MTU)
		a->path_mtu = attr->path_mtu;
	if (mask & IB_QP_AV) {
		a->ah_attr = attr->ah_attr;
		/* We keep no reference: the GID is looked up when used. */
		a->ah_attr.grh.sgid_attr = NULL;
	}
	if (mask & IB_QP_MAX_QP_RD_ATOMIC)
		a->max_rd_atomic = attr->max_rd_atomic;
	if (mask & IB_QP_MAX_DEST_RD_ATOMIC)
		a->max_dest_rd_atomic = attr->max_dest_rd_atomic;
	if (mask & IB_QP_MIN_RNR_TIMER)
		a->min_rnr_timer = attr->min_rnr_timer;
	if (mask & IB_QP_TIMEOUT)
		a->timeout = attr->timeout;
	if (mask & IB_QP_RETRY_CNT)
		a->retry_cnt = attr->retry_cnt;
	if (mask & IB_QP_RNR_RETRY)
		a->rnr_retry = attr->rnr_retry;
	if (mask & IB_QP_DEST_QPN)
		a->dest_qp_num = attr->dest_qp_num;
	if (mask & IB_QP_RQ_PSN)
		a->rq_psn = attr->rq_psn;
	if (mask & IB_QP_SQ_PSN)
		a->sq_psn = attr->sq_psn;
	if (mask & IB_QP_PATH_MIG_STATE)
		a->path_mig_state = attr->path_mig_state;
	if (mask & IB_QP_EN_SQD_ASYNC_NOTIFY)
		a->en_sqd_async_notify = attr->en_sqd_async_notify;
}

/* Forget everything posted: RESET empties both queues. */
static void dmr_qp_reset(struct dmr_qp *qp)
{
	unsigned long flags;

	spin_lock_irqsave(&qp->post_lock, flags);
	dmr_queue_reset(&qp->sq);
	if (!qp->srq)
		dmr_queue_reset(&qp->rq);
	spin_unlock_irqrestore(&qp->post_lock, flags);
	qp->stalled = false;
}

int dmr_modify_qp(struct ib_qp *ibqp, struct ib_qp_attr *attr, int mask,
		  struct ib_udata *udata)
{
	struct dmr_qp *qp = to_dmr_qp(ibqp);
	enum ib_qp_state cur, next;
	unsigned long flags;
	bool sqd_event = false, last_wqe_event = false;
	int err;

	if (mask & ~IB_QP_ATTR_STANDARD_BITS)
		return -EOPNOTSUPP;
	if (udata) {
		err = ib_is_udata_in_empty(udata);
		if (err)
			return err;
	}

	mutex_lock(&qp->sq_lock);
	mutex_lock(&qp->rq_lock);
	cur = qp->state;
	next = (mask & IB_QP_STATE) ? attr->qp_state : cur;
	err = -EINVAL;
	/* A consumer's belief about the current state must be right. */
	if ((mask & IB_QP_CUR_STATE) && attr->cur_qp_state != cur)
		goto out;
	if (!ib_modify_qp_is_ok(cur, next, ibqp->qp_type, mask))
		goto out;
	err = dmr_check_qp_attr(qp, attr, mask);
	if (err)
		goto out;

	dmr_apply_qp_attr(qp, attr, mask);
	/*
	 * Whom it is connected to may have changed: requesters check again,
	 * and so does this QP's own (its responder's conn_id is another).
	 */
	qp->conn_id = atomic64_inc_return(&dmr_conn_ids);
	qp->conn_peer = NULL;
	if (next == IB_QPS_RESET) {
		cancel_delayed_work(&qp->retry_work);
		dmr_qp_reset(qp);
		dmr_wire_release(qp);
	}
	if (next == IB_QPS_RTR && cur != IB_QPS_RTR) {
		err = dmr_wire_setup(qp);
		if (err)
			goto out;
	}
	if (qp->wire && (mask & IB_QP_SQ_PSN))
		qp->wreq.next_psn = attr->sq_psn;
	if (qp->wire && (mask & IB_QP_RQ_PSN))
		qp->wresp.epsn = attr->rq_psn;
	if (next == IB_QPS_RTS && cur != IB_QPS_RTS) {
		qp->retries_left = qp->attr.retry_cnt;
		qp->rnr_retries_left = qp->attr.rnr_retry;
	}
	/*
	 * The SQ is drained: direct copies execute under sq_lock, which we
	 * hold; a message on the wire is drained when it completes.
	 */
	if (next != IB_QPS_SQD)
		qp->wreq.sqd_notify = false;
	if (next == IB_QPS_SQD && cur != IB_QPS_SQD &&
	    (mask & IB_QP_EN_SQD_ASYNC_NOTIFY) && attr->en_sqd_async_notify) {
		if (qp->wire && qp->wreq.busy)
			qp->wreq.sqd_notify = true;
		else
			sqd_event = true;
	}

	spin_lock_irqsave(&qp->state_lock, flags);
	dmr_qp_set_state(qp, next);
	spin_unlock_irqrestore(&qp->state_lock, flags);
	qp->attr.qp_state = next;
	qp->attr.cur_qp_state = next;

	if (next == IB_QPS_ERR) {
		cancel_delayed_work(&qp->retry_work);
		qp->stalled = false;
		dmr_qp_flush_sq(qp);
		dmr_qp_flush_rq(qp);
		/* IBTA: an SRQ's QP entering the error state reports it. */
		last_wqe_event = qp->srq && cur != IB_QPS_ERR;
	}
	err = 0;
out:
	mutex_unlock(&qp->rq_lock);
	mutex_unlock(&qp->sq_lock);
	if (sqd_event)
		dmr_qp_event(qp, IB_EVENT_SQ_DRAINED);
	if (last_wqe_event)
		dmr_qp_event(qp, IB_EVENT_QP_LAST_WQE_REACHED);
	/* WQEs posted while the SQ was drained run now. */
	if (!err && next == IB_QPS_RTS && cur == IB_QPS_SQD)
		mod_delayed_work(system_dfl_wq, &qp->retry_work, 0);
	return err;
}

int dmr_query_qp(struct ib_qp *ibqp, struct ib_qp_attr *attr, int mask,
		 struct ib_qp_init_attr *init)
{
	struct dmr_qp *qp = to_dmr_qp(ibqp);

	mutex_lock(&qp->rq_lock);
	*attr = qp->attr;
	mutex_unlock(&qp->rq_lock);
	attr->qp_state = dmr_qp_state(qp);
	attr->cur_qp_state = attr->qp_state;
	attr->sq_draining = 0;
	attr->cap.max_send_wr = qp->sq.nslots;
	attr->cap.max_send_sge = qp->max_send_sge;
	attr->cap.max_inline_data = qp->max_inline;
	attr->cap.max_recv_wr = qp->srq ? 0 : qp->rq.nslots;
	attr->cap.max_recv_sge = qp->max_recv_sge;

	memset(init, 0, sizeof(*init));
	init->event_handler = ibqp->event_handler;
	init->qp_context = ibqp->qp_context;
	init->send_cq = ibqp->send_cq;
	init->recv_cq = ibqp->recv_cq;
	init->srq = ibqp->srq;
	init->cap = attr->cap;
	init->sq_sig_type = qp->sq_sig_all ? IB_SIGNAL_ALL_WR : IB_SIGNAL_REQ_WR;
	init->qp_type = ibqp->qp_type;
	init->port_num = 1;
	return 0;
}
