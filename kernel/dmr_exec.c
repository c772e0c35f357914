// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The data engine. A doorbell (for a process's QP), send_work (for a
 * kernel consumer's QP) or a retry timer runs the requester of a QP: it
 * takes the posted send WQEs in order and, for each, executes the
 * responder's side directly on the destination QP, which may belong to
 * any dmr device of the host. Work is done in process context, under the
 * requester's sq_lock and the responder's rq_lock (see dmr.h).
 *
 * Requester and responder are kept apart (dmr_req_* and dmr_resp_*), as
 * the two ends of a wire would be; only the transport between them is a
 * function call instead of packets. Like a RoCE responder, the responder
 * answers only the QP it is connected to (dmr_resp_conn_ok()).
 *
 * Bounds: a doorbell executes a budget of WQEs and bytes, and leaves the
 * rest, and any message that does not fit in it, to send_work; a message
 * stops between two brackets of its copy when either QP is destroyed or
 * the process is killed.
 */
#include <linux/jiffies.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <rdma/ib_cache.h>

#include "dmr.h"
#include "dmr_lookup.h"
#include "dmr_ring.h"
#include "dmr_rules.h"

/* What the responder answers. */
enum dmr_resp_result {
	DMR_RESP_ACK,		/* done; the requester completes with status */
	DMR_RESP_RNR,		/* no receive WQE: retry after the RNR timer */
	DMR_RESP_NO_ANSWER,	/* no such QP, or not ready: transport retry */
};

void dmr_xfer_release(struct dmr_xfer *x)
{
	unsigned int i;

	for (i = 0; i < x->n; i++)
		dmr_mr_put(x->mr[i]);
	x->n = 0;
	x->len = 0;
}

static void dmr_xfer_buf(struct dmr_xfer *x, void *buf, u64 len)
{
	x->seg[0] = (struct dmr_mem_seg){ .buf = buf, .len = len };
	x->mr[0] = NULL;
	x->n = 0;		/* no MR reference to drop */
	x->len = len;
}

/*
 * Check an access of @len bytes at @addr through @key: the MR exists on
 * @dev, belongs to @pd, allows @access and covers the range. On success
 * the segment is appended to @x with a reference on the MR.
 */
bool dmr_xfer_add(struct dmr_xfer *x, struct dmr_dev *dev, struct ib_pd *pd,
		  u32 key, u64 addr, u64 len, int access)
{
	struct dmr_mr *mr;

	mr = dmr_mr_get(dev, key);
	if (!mr)
		return false;
	if (mr->ibmr.pd != pd || (mr->access & access) != access ||
	    !dmr_range_within(mr->iova, mr->length, addr, len)) {
		dmr_mr_put(mr);
		return false;
	}
	x->mr[x->n] = mr;
	x->seg[x->n] = (struct dmr_mem_seg){
		.mem = &mr->mem,
		.offset = addr - mr->iova,
		.len = len,
	};
	x->n++;
	x->len += len;
	return true;
}

/*
 * Resolve a scatter/gather list of local keys for its first @limit bytes.
 * Empty entries, and entries the first @limit bytes do not reach, are
 * counted without looking at their key: a receive WQE's scatter list is
 * checked only where a message places data, as hardware and rxe do (a
 * zero-length SEND consumes a receive WQE of any keys). The length of the
 * whole list is still bounded: IB_WC_LOC_LEN_ERR if it would be too long,
 * IB_WC_LOC_PROT_ERR for any key, access or range violation. x->len is
 * the resolved length: min(@limit, length of the list).
 */
enum ib_wc_status dmr_xfer_sges(struct dmr_xfer *x, struct dmr_dev *dev,
				struct ib_pd *pd, const struct dmr_sge *sge,
				u32 nsge, int access, u64 limit)
{
	u64 total = 0, use;
	u32 i;

	x->n = 0;
	x->len = 0;
	for (i = 0; i < nsge; i++) {
		if (!sge[i].length)
			continue;
		if (!dmr_add_len(&total, sge[i].length, DMR_MAX_MSG_SIZE))
			return IB_WC_LOC_LEN_ERR;
		if (x->len >= limit)
			continue;
		use = min_t(u64, sge[i].length, limit - x->len);
		if (!dmr_xfer_add(x, dev, pd, sge[i].lkey, sge[i].addr, use,
				  access))
			return IB_WC_LOC_PROT_ERR;
	}
	return IB_WC_SUCCESS;
}

/*
 * The QP that @qp's requests are addressed to: the destination number,
 * valid until the caller's dmr_qp_read_unlock(). Whether it really is
 * the other end of @qp's connection is the responder's to check
 * (dmr_resp_conn_ok()). Under sq_lock.
 */
static struct dmr_qp *dmr_req_find_peer(struct dmr_qp *qp)
{
	struct dmr_qp *peer = dmr_qp_find(qp->attr.dest_qp_num);

	if (!peer || peer->ibqp.qp_type != IB_QPT_RC)
		return NULL;
	return peer;
}

/* The GID at @qp's source GID index, with its attribute; or an error. */
static const struct ib_gid_attr *dmr_qp_sgid_attr(struct dmr_qp *qp)
{
	return rdma_get_gid_attr(&qp->dev->ibdev, 1,
				 qp->attr.ah_attr.grh.sgid_index);
}

static struct net *dmr_gid_attr_net(const struct ib_gid_attr *attr)
{
	struct net_device *ndev = rdma_read_gid_attr_ndev_rcu(attr);

	return IS_ERR(ndev) ? NULL : dev_net(ndev);
}

/*
 * Whether the request of @qp is one @peer's connection accepts, as a
 * RoCE responder checks a packet's addresses: @peer is connected to @qp's
 * number, each QP's destination GID is the other's source GID, and both
 * GIDs are in the same network namespace. Anything else is a stranger,
 * whose requests are dropped unanswered (the requester retries, then
 * fails with a retry error); a stranger never touches @peer's memory or
 * state.
 */
static bool dmr_resp_conn_check(struct dmr_qp *qp, struct dmr_qp *peer)
{
	const struct ib_gid_attr *mine, *theirs;
	struct net *net;
	bool ok = false;

	if (peer->attr.dest_qp_num != qp->ibqp.qp_num)
		return false;
	mine = dmr_qp_sgid_attr(qp);
	if (IS_ERR(mine))
		return false;
	theirs = dmr_qp_sgid_attr(peer);
	if (IS_ERR(theirs))
		goto out_mine;
	if (!memcmp(&mine->gid, &peer->attr.ah_attr.grh.dgid, sizeof(mine->gid)) &&
	    !memcmp(&theirs->gid, &qp->attr.ah_attr.grh.dgid,
		    sizeof(theirs->gid))) {
		rcu_read_lock();
		net = dmr_gid_attr_net(mine);
		ok = net && net_eq(net, dmr_gid_attr_net(theirs));
		rcu_read_unlock();
	}
	rdma_put_gid_attr(theirs);
out_mine:
	rdma_put_gid_attr(mine);
	return ok;
}

/*
 * dmr_resp_conn_check(), whose answer the requester keeps while the same
 * @peer keeps the same connection attributes (its conn_id) and no GID
 * went away: GID lookups take the GID table's lock with interrupts off,
 * a tenth of a small RDMA WRITE's cost. Under @qp's sq_lock and @peer's
 * rq_lock, which modify_qp holds to change either side's attributes.
 */
static bool dmr_resp_conn_ok(struct dmr_qp *qp, struct dmr_qp *peer)
{
	unsigned int gen = dmr_gid_generation();

	lockdep_assert_held(&qp->sq_lock);
	lockdep_assert_held(&peer->rq_lock);
	if (qp->conn_peer == peer && qp->conn_peer_id == peer->conn_id &&
	    qp->conn_gid_gen == gen)
		return true;
	if (!dmr_resp_conn_check(qp, peer))
		return false;
	qp->conn_peer = peer;
	qp->conn_peer_id = peer->conn_id;
	qp->conn_gid_gen = gen;
	return true;
}

/* Whether @peer accepts incoming requests (IBTA: RTR and later). */
bool dmr_qp_can_receive(struct dmr_qp *peer)
{
	switch (dmr_qp_state(peer)) {
	case IB_QPS_RTR:
	case IB_QPS_RTS:
	case IB_QPS_SQD:
	case IB_QPS_SQE:
		return true;
	default:
		return false;
	}
}

/* Take the next receive WQE of @peer into peer->recv_wqe. */
int dmr_qp_take_recv(struct dmr_qp *peer)
{
	struct dmr_queue *q = &peer->rq;
	int posted;

	lockdep_assert_held(&peer->rq_lock);
	if (peer->srq)
		return dmr_srq_take(peer->srq, peer->recv_wqe);
	posted = dmr_queue_posted(q);
	if (posted <= 0)
		return posted ? posted : -EAGAIN;
	dmr_queue_copy_recv(q, peer->recv_wqe);
	dmr_queue_pop(q);
	return 0;
}

/*
 * A responder error (IBTA class A/C): the consumed receive WQE, if any,
 * completes with @status, the responder QP goes to the error state, and
 * the affiliated asynchronous @event (if any) is raised.
 */
void dmr_resp_error(struct dmr_qp *peer, bool has_wqe, enum ib_wc_status status,
		    enum ib_event_type event, bool raise)
{
	struct dmr_cqe cqe = {
		.wr_id = peer->recv_wqe->wr_id,
		.status = status,
		.opcode = IB_WC_RECV,
		.qp_num = peer->index,
	};

	if (has_wqe)
		dmr_cq_post(peer->rcq, &cqe, false);
	if (raise)
		dmr_qp_event(peer, event);
	dmr_qp_error(peer, true);
}

/*
 * Complete the receive WQE the responder @peer took for a message from QP
 * @src_qp: what a packet's headers carry, whatever the transport.
 */
void dmr_resp_complete(struct dmr_qp *peer, u32 opcode, u32 byte_len,
		       u32 src_qp, bool with_imm, __be32 imm_data,
		       bool solicited)
{
	struct dmr_cqe cqe = {
		.wr_id = peer->recv_wqe->wr_id,
		.status = IB_WC_SUCCESS,
		.opcode = opcode,
		.byte_len = byte_len,
		.imm_data = with_imm ? imm_data : 0,
		.qp_num = peer->index,
		.src_qp = src_qp,
		.wc_flags = with_imm ? IB_WC_WITH_IMM : 0,
	};

	if (dmr_cq_post(peer->rcq, &cqe, solicited)) {
		dmr_qp_event(peer, IB_EVENT_QP_FATAL);
		dmr_qp_error(peer, true);
	}
}

/* The local transport's message: its headers are the requester's WQE. */
static void dmr_resp_complete_local(struct dmr_qp *qp, struct dmr_qp *peer,
				    const struct dmr_send_wqe *wqe, u32 opcode,
				    u32 byte_len)
{
	dmr_resp_complete(peer, opcode, byte_len, qp->ibqp.qp_num,
			  wqe->opcode == IB_UVERBS_WR_SEND_WITH_IMM ||
			  wqe->opcode == IB_UVERBS_WR_RDMA_WRITE_WITH_IMM,
			  wqe->imm_data, wqe->send_flags & DMR_SEND_SOLICITED);
}

/* Check the responder QP's own access flags for an incoming request. */
static bool dmr_resp_qp_allows(struct dmr_qp *peer, int access)
{
	return (peer->attr.qp_access_flags & access) == access;
}

/*
 * What ends a copy of a message between two brackets: either QP being
 * destroyed (dmr_destroy_qp() sets ->stopping before it waits), or a
 * fatal signal to the process whose doorbell runs it.
 */
static const struct dmr_mem_stop *dmr_req_stop(struct dmr_qp *qp,
					       struct dmr_qp *peer)
{
	qp->stop = (struct dmr_mem_stop){
		.flag = { &qp->stopping, &peer->stopping },
	};
	return &qp->stop;
}

/* The requester's status when its own side of a copy failed. */
enum ib_wc_status dmr_req_copy_status(int err)
{
	/* Stopped: the QP is going away, or its process is. */
	return err == -EINTR ? IB_WC_WR_FLUSH_ERR : IB_WC_LOC_PROT_ERR;
}

/*
 * Receive a SEND (with or without immediate) into the next receive WQE.
 * The requester has resolved its gather list into qp->local.
 */
static enum ib_wc_status dmr_resp_send(struct dmr_qp *qp, struct dmr_qp *peer,
				       const struct dmr_send_wqe *wqe,
				       enum dmr_resp_result *res)
{
	struct dmr_recv_wqe *rwqe = peer->recv_wqe;
	u32 max_sge = peer->srq ? peer->srq->max_sge : peer->max_recv_sge;
	struct dmr_xfer *dst = &qp->remote;
	enum ib_wc_status st;
	bool dst_failed;
	int err;

	err = dmr_qp_take_recv(peer);
	if (err == -EAGAIN) {
		*res = DMR_RESP_RNR;
		return IB_WC_SUCCESS;
	}
	if (err || rwqe->num_sge > max_sge) {
		/* A malformed or corrupt receive queue: class A. */
		dmr_resp_error(peer, !err, IB_WC_LOC_QP_OP_ERR,
			       IB_EVENT_QP_FATAL, true);
		return IB_WC_REM_OP_ERR;
	}
	st = dmr_xfer_sges(dst, peer->dev, peer->ibqp.pd,
			   (const struct dmr_sge *)(rwqe + 1), rwqe->num_sge,
			   IB_ACCESS_LOCAL_WRITE, qp->local.len);
	if (st != IB_WC_SUCCESS) {
		dmr_xfer_release(dst);
		dmr_resp_error(peer, true, st, 0, false);
		return IB_WC_REM_OP_ERR;
	}
	if (dst->len < qp->local.len) {
		dmr_xfer_release(dst);
		dmr_resp_error(peer, true, IB_WC_LOC_LEN_ERR, 0, false);
		return IB_WC_REM_INV_REQ_ERR;
	}
	err = dmr_mem_copy(dst->seg, dmr_xfer_nsegs(dst), qp->local.seg,
			   dmr_xfer_nsegs(&qp->local), qp->local.len,
			   dmr_req_stop(qp, peer), &dst_failed);
	dmr_xfer_release(dst);
	if (err && dst_failed) {
		dmr_resp_error(peer, true, IB_WC_LOC_PROT_ERR, 0, false);
		return IB_WC_REM_OP_ERR;
	}
	if (err) {
		/*
		 * Our own gather memory was revoked, or the copy was stopped:
		 * the message is lost.
		 */
		dmr_resp_error(peer, true, IB_WC_REM_ABORT_ERR, 0, false);
		return dmr_req_copy_status(err);
	}
	dmr_resp_complete_local(qp, peer, wqe, IB_WC_RECV, qp->local.len);
	return IB_WC_SUCCESS;
}

/*
 * Resolve the responder's rkey for an RDMA or atomic request into
 * qp->remote; a violation is an IBTA class C error at the responder.
 */
static enum ib_wc_status dmr_resp_rkey(struct dmr_qp *qp, struct dmr_qp *peer,
				       u64 addr, u32 rkey, u64 len, int access)
{
	struct dmr_xfer *x = &qp->remote;

	x->n = 0;
	x->len = 0;
	if (!dmr_resp_qp_allows(peer, access)) {
		dmr_resp_error(peer, false, 0, 0, false);
		return IB_WC_REM_INV_REQ_ERR;
	}
	if (!len)
		return IB_WC_SUCCESS;	/* no key is checked for no data */
	if (!dmr_xfer_add(x, peer->dev, peer->ibqp.pd, rkey, addr, len,
			  access)) {
		dmr_resp_error(peer, false, 0, IB_EVENT_QP_ACCESS_ERR, true);
		return IB_WC_REM_ACCESS_ERR;
	}
	return IB_WC_SUCCESS;
}

static enum ib_wc_status dmr_resp_write(struct dmr_qp *qp, struct dmr_qp *peer,
					const struct dmr_send_wqe *wqe,
					enum dmr_resp_result *res)
{
	bool imm = wqe->opcode == IB_UVERBS_WR_RDMA_WRITE_WITH_IMM;
	u64 len = qp->local.len;
	enum ib_wc_status st;
	bool dst_failed;
	int err;

	st = dmr_resp_rkey(qp, peer, wqe->wr.rdma.remote_addr, wqe->wr.rdma.rkey,
			   len, IB_ACCESS_REMOTE_WRITE);
	if (st != IB_WC_SUCCESS)
		return st;
	if (imm) {
		err = dmr_qp_take_recv(peer);
		if (err == -EAGAIN) {
			dmr_xfer_release(&qp->remote);
			*res = DMR_RESP_RNR;
			return IB_WC_SUCCESS;
		}
		if (err) {
			dmr_xfer_release(&qp->remote);
			dmr_resp_error(peer, false, 0, IB_EVENT_QP_FATAL, true);
			return IB_WC_REM_OP_ERR;
		}
	}
	err = dmr_mem_copy(qp->remote.seg, qp->remote.n, qp->local.seg,
			   dmr_xfer_nsegs(&qp->local), len,
			   dmr_req_stop(qp, peer), &dst_failed);
	dmr_xfer_release(&qp->remote);
	if (err && dst_failed) {
		dmr_resp_error(peer, imm, IB_WC_REM_ACCESS_ERR,
			       IB_EVENT_QP_ACCESS_ERR, true);
		return IB_WC_REM_ACCESS_ERR;
	}
	if (err) {
		if (imm)
			dmr_resp_error(peer, true, IB_WC_REM_ABORT_ERR, 0, false);
		return dmr_req_copy_status(err);
	}
	if (imm)
		dmr_resp_complete_local(qp, peer, wqe, IB_WC_RECV_RDMA_WITH_IMM,
					len);
	return IB_WC_SUCCESS;
}

static enum ib_wc_status dmr_resp_read(struct dmr_qp *qp, struct dmr_qp *peer,
				       const struct dmr_send_wqe *wqe)
{
	u64 len = qp->local.len;
	enum ib_wc_status st;
	bool dst_failed;
	int err;

	st = dmr_resp_rkey(qp, peer, wqe->wr.rdma.remote_addr, wqe->wr.rdma.rkey,
			   len, IB_ACCESS_REMOTE_READ);
	if (st != IB_WC_SUCCESS)
		return st;
	err = dmr_mem_copy(qp->local.seg, qp->local.n, qp->remote.seg,
			   qp->remote.n, len, dmr_req_stop(qp, peer), &dst_failed);
	dmr_xfer_release(&qp->remote);
	/* A stopped READ is the requester's business, not the responder's. */
	if (err && err != -EINTR && !dst_failed) {
		dmr_resp_error(peer, false, 0, IB_EVENT_QP_ACCESS_ERR, true);
		return IB_WC_REM_ACCESS_ERR;
	}
	return err ? dmr_req_copy_status(err) : IB_WC_SUCCESS;
}

static enum ib_wc_status dmr_resp_atomic(struct dmr_qp *qp, struct dmr_qp *peer,
					 const struct dmr_send_wqe *wqe)
{
	bool cmp_swap = wqe->opcode == IB_UVERBS_WR_ATOMIC_CMP_AND_SWP;
	u64 addr = wqe->wr.atomic.remote_addr;
	struct dmr_mem_seg result;
	enum ib_wc_status st;
	bool dst_failed;
	u64 orig;
	int err;

	if (addr & (sizeof(u64) - 1)) {
		dmr_resp_error(peer, false, 0, 0, false);
		return IB_WC_REM_INV_REQ_ERR;
	}
	st = dmr_resp_rkey(qp, peer, addr, wqe->wr.atomic.rkey, sizeof(u64),
			   IB_ACCESS_REMOTE_ATOMIC);
	if (st != IB_WC_SUCCESS)
		return st;
	err = dmr_mem_atomic(qp->remote.seg[0].mem, qp->remote.seg[0].offset,
			     cmp_swap, wqe->wr.atomic.compare_add,
			     wqe->wr.atomic.swap, &orig);
	dmr_xfer_release(&qp->remote);
	if (err == -EINVAL) {
		/* The memory behind the aligned address is not aligned. */
		dmr_resp_error(peer, false, 0, 0, false);
		return IB_WC_REM_INV_REQ_ERR;
	}
	if (err) {
		dmr_resp_error(peer, false, 0, IB_EVENT_QP_ACCESS_ERR, true);
		return IB_WC_REM_ACCESS_ERR;
	}
	result = (struct dmr_mem_seg){ .buf = &orig, .len = sizeof(orig) };
	err = dmr_mem_copy(qp->local.seg, qp->local.n, &result, 1, sizeof(orig),
			   NULL, &dst_failed);
	return err ? IB_WC_LOC_PROT_ERR : IB_WC_SUCCESS;
}

/* The responder side of one request, under the responder's rq_lock. */
static enum ib_wc_status dmr_resp_execute(struct dmr_qp *qp,
					  struct dmr_qp *peer,
					  const struct dmr_send_wqe *wqe,
					  enum dmr_resp_result *res)
{
	enum ib_wc_status st;

	*res = DMR_RESP_ACK;
	mutex_lock(&peer->rq_lock);
	/* A QP on the wire answers packets only, whatever the module says now. */
	if (!dmr_qp_can_receive(peer) || READ_ONCE(peer->wire) ||
	    !dmr_resp_conn_ok(qp, peer)) {
		mutex_unlock(&peer->rq_lock);
		*res = DMR_RESP_NO_ANSWER;
		return IB_WC_SUCCESS;
	}
	switch (wqe->opcode) {
	case IB_UVERBS_WR_SEND:
	case IB_UVERBS_WR_SEND_WITH_IMM:
		st = dmr_resp_send(qp, peer, wqe, res);
		break;
	case IB_UVERBS_WR_RDMA_WRITE:
	case IB_UVERBS_WR_RDMA_WRITE_WITH_IMM:
		st = dmr_resp_write(qp, peer, wqe, res);
		break;
	case IB_UVERBS_WR_RDMA_READ:
		st = dmr_resp_read(qp, peer, wqe);
		break;
	default:
		st = dmr_resp_atomic(qp, peer, wqe);
		break;
	}
	mutex_unlock(&peer->rq_lock);
	return st;
}

/*
 * Prepare the local side of a request into qp->local: the gather list of
 * a send or write (or the inline data), the scatter list of a read or an
 * atomic's result, which need local write access.
 */
enum ib_wc_status dmr_req_local(struct dmr_qp *qp,
				const struct dmr_send_wqe *wqe)
{
	const struct dmr_sge *sge = (const struct dmr_sge *)(wqe + 1);
	bool scatter = wqe->opcode == IB_UVERBS_WR_RDMA_READ ||
		       dmr_opcode_is_atomic(wqe->opcode);

	if (wqe->send_flags & DMR_SEND_INLINE) {
		/* Only ever read: inline data is the source of a send or write. */
		dmr_xfer_buf(&qp->local, (void *)(wqe + 1), wqe->inline_len);
		return IB_WC_SUCCESS;
	}
	return dmr_xfer_sges(&qp->local, qp->dev, qp->ibqp.pd, sge,
			     wqe->num_sge, scatter ? IB_ACCESS_LOCAL_WRITE : 0,
			     U64_MAX);
}

/* Whether the requester must give up now: its QP or its process is going. */
static bool dmr_req_stopping(struct dmr_qp *qp)
{
	return READ_ONCE(qp->stopping) || fatal_signal_pending(current);
}

/* Execute one send WQE; the responder result says whether it finished. */
static enum ib_wc_status dmr_req_execute(struct dmr_qp *qp,
					 struct dmr_qp *peer,
					 struct dmr_send_wqe *wqe,
					 enum dmr_resp_result *res, u32 *byte_len)
{
	enum ib_wc_status st;

	*res = DMR_RESP_ACK;
	*byte_len = 0;
	switch (dmr_send_wqe_check(wqe, qp->max_send_sge, qp->max_inline,
				   false)) {
	case DMR_WQE_OK:
		break;
	case DMR_WQE_BAD_ATOMIC:
		return IB_WC_LOC_LEN_ERR;
	default:
		return IB_WC_LOC_QP_OP_ERR;
	}
	st = dmr_req_local(qp, wqe);
	if (st == IB_WC_SUCCESS) {
		*byte_len = qp->local.len;
		if (peer)
			st = dmr_resp_execute(qp, peer, wqe, res);
		else
			*res = DMR_RESP_NO_ANSWER;
		/*
		 * A copy stopped because the responder is being destroyed:
		 * to the requester, as on a wire, the responder went away
		 * before it answered. Only its own QP's end or its process's
		 * is a flush.
		 */
		if (st == IB_WC_WR_FLUSH_ERR && peer &&
		    READ_ONCE(peer->stopping) && !dmr_req_stopping(qp)) {
			st = IB_WC_SUCCESS;
			*res = DMR_RESP_NO_ANSWER;
		}
	}
	dmr_xfer_release(&qp->local);
	return st;
}

/*
 * Wait for a retry: RNR NAK (after the responder's RNR timer) or no
 * answer at all (after the local ACK timeout). False when the retries are
 * used up. An rnr_retry of 7 means retry forever, as the IBTA says.
 */
static bool dmr_req_stall(struct dmr_qp *qp, struct dmr_qp *peer,
			  enum dmr_resp_result res)
{
	u64 usec;

	if (res == DMR_RESP_RNR) {
		if (qp->attr.rnr_retry != 7) {
			if (!qp->rnr_retries_left)
				return false;
			qp->rnr_retries_left--;
		}
		usec = dmr_rnr_timer_usec(peer->attr.min_rnr_timer);
	} else {
		if (!qp->retries_left)
			return false;
		qp->retries_left--;
		usec = dmr_ack_timeout_usec(qp->attr.timeout);
		if (!usec)
			usec = 100 * USEC_PER_MSEC;	/* "infinite": keep trying */
	}
	qp->stalled = true;
	mod_delayed_work(system_dfl_wq, &qp->retry_work,
			 max(usecs_to_jiffies(usec), 1UL));
	return true;
}

void dmr_req_complete(struct dmr_qp *qp, const struct dmr_send_wqe *wqe,
		      enum ib_wc_status status, u32 byte_len)
{
	struct dmr_cqe cqe = {
		.wr_id = wqe->wr_id,
		.status = status,
		.opcode = dmr_wr_to_wc_opcode(wqe->opcode),
		.byte_len = byte_len,
		.qp_num = qp->index,
	};

	if (status == IB_WC_SUCCESS && !qp->sq_sig_all &&
	    !(wqe->send_flags & DMR_SEND_SIGNALED))
		return;
	if (dmr_cq_post(qp->scq, &cqe, false)) {
		dmr_qp_event(qp, IB_EVENT_QP_FATAL);
		dmr_qp_error(qp, false);
	}
}

/*
 * What one run of a requester executes at most before it hands the rest
 * of its queue to send_work. A doorbell is a system call, and device
 * removal waits for every running system call of the device's processes
 * before it destroys anything (and so before a QP's ->stopping is set):
 * a doorbell never starts a message that would take it past its budget,
 * however large the message. A worker's run executes at least one WQE;
 * its messages stop between two brackets when a QP at either end is
 * destroyed (dmr_mem_stop).
 */
#define DMR_REQ_BUDGET_BYTES	SZ_1M
#define DMR_REQ_BUDGET_WQES	64

/*
 * The bytes a send WQE (a private copy, not validated yet) moves: what
 * the budget counts. An invalid WQE counts as what its entries say, and
 * fails when it runs.
 */
static u64 dmr_send_wqe_bytes(const struct dmr_send_wqe *wqe, u32 max_sge)
{
	const struct dmr_sge *sge = (const struct dmr_sge *)(wqe + 1);
	u64 bytes = 0;
	u32 i;

	if (wqe->send_flags & DMR_SEND_INLINE)
		return wqe->inline_len;
	for (i = 0; i < min(wqe->num_sge, max_sge); i++)
		bytes += sge[i].length;
	return bytes;
}

/*
 * Run the requester: execute the posted send WQEs in order until the
 * queue is empty, a retry is pending, the QP leaves RTS or the budget is
 * spent. True if WQEs are left for send_work. @in_syscall: the run of a
 * doorbell. Holds sq_lock.
 */
bool dmr_req_run(struct dmr_qp *qp, bool in_syscall)
{
	struct dmr_queue *q = &qp->sq;
	struct dmr_send_wqe *wqe = qp->send_wqe;
	unsigned int wqes = 0;
	enum dmr_resp_result res;
	enum ib_wc_status st;
	struct dmr_qp *peer;
	bool stalled;
	u32 byte_len;
	u64 bytes = 0, len;
	struct srcu_ctr __percpu *scp;
	int posted;

	lockdep_assert_held(&qp->sq_lock);
	if (dmr_qp_state(qp) == IB_QPS_ERR || dmr_qp_state(qp) == IB_QPS_SQE) {
		qp->wreq.busy = false;
		dmr_qp_flush_sq(qp);
		return false;
	}
	if (dmr_qp_state(qp) != IB_QPS_RTS || qp->stalled)
		return false;
	/* What is posted now: a process posting on cannot keep us here. */
	posted = dmr_queue_posted(q);
	if (posted < 0) {
		dmr_warn_ratelimited(qp->dev, "QP %u: corrupt send queue index\n",
				     qp->ibqp.qp_num);
		dmr_qp_event(qp, IB_EVENT_QP_FATAL);
		dmr_qp_error(qp, false);
		return false;
	}
	/* On the wire, the requester goes on when answers come. */
	if (qp->wire)
		return posted > 0 && dmr_wire_req_run(qp, in_syscall);
	for (; posted > 0 && dmr_qp_state(qp) == IB_QPS_RTS; posted--) {
		/* What is left stays posted for the destroy to discard. */
		if (dmr_req_stopping(qp))
			return false;
		dmr_queue_copy_send(q, wqe);
		len = dmr_send_wqe_bytes(wqe, qp->max_send_sge);
		if (wqes == DMR_REQ_BUDGET_WQES ||
		    ((wqes || in_syscall) && bytes + len > DMR_REQ_BUDGET_BYTES))
			return true;
		wqes++;
		if (dmr_qp_is_ud(qp)) {
			/* Unreliable: no responder answer, no retries. */
			st = dmr_ud_send(qp, wqe, &byte_len);
			dmr_queue_pop(q);
			dmr_req_complete(qp, wqe, st, byte_len);
			if (st != IB_WC_SUCCESS)
				dmr_qp_sq_error(qp);
			bytes += len;
			continue;
		}
		/*
		 * The responder is valid until the read section ends: one
		 * message per section, so that a QP destroyed anywhere on the
		 * host waits for one message at most, not for a whole ring.
		 */
		scp = dmr_qp_read_lock();
		peer = dmr_req_find_peer(qp);
		st = dmr_req_execute(qp, peer, wqe, &res, &byte_len);
		stalled = res != DMR_RESP_ACK && dmr_req_stall(qp, peer, res);
		dmr_qp_read_unlock(scp);
		if (stalled)
			break;
		if (res != DMR_RESP_ACK)
			st = res == DMR_RESP_RNR ? IB_WC_RNR_RETRY_EXC_ERR :
						   IB_WC_RETRY_EXC_ERR;
		dmr_queue_pop(q);
		dmr_req_complete(qp, wqe, st, byte_len);
		if (st != IB_WC_SUCCESS) {
			dmr_qp_error(qp, false);
			break;
		}
		bytes += len;
		/* Forward progress resets the retry counters. */
		qp->retries_left = qp->attr.retry_cnt;
		qp->rnr_retries_left = qp->attr.rnr_retry;
	}
	if (dmr_qp_state(qp) == IB_QPS_ERR || dmr_qp_state(qp) == IB_QPS_SQE)
		dmr_qp_flush_sq(qp);
	return false;
}

/* What a run of the requester left (dmr_req_run() said so), send_work runs. */
void dmr_req_continue(struct dmr_qp *qp, bool more)
{
	/* A destroy cancels send_work after it set ->stopping. */
	if (more && !READ_ONCE(qp->stopping))
		queue_work(system_dfl_wq, &qp->send_work);
}

/* Run the requester once; what the budget left, send_work runs. */
static void dmr_sq_process(struct dmr_qp *qp, bool in_syscall)
{
	bool more;

	mutex_lock(&qp->sq_lock);
	more = dmr_req_run(qp, in_syscall);
	mutex_unlock(&qp->sq_lock);
	dmr_req_continue(qp, more);
}

/*
 * The requester of a kernel QP after its post_send, and of any QP whose
 * run left work over.
 */
void dmr_send_work(struct work_struct *work)
{
	dmr_sq_process(container_of(work, struct dmr_qp, send_work), false);
}

void dmr_retry_work(struct work_struct *work)
{
	struct dmr_qp *qp = container_of(to_delayed_work(work), struct dmr_qp,
					 retry_work);
	bool more;

	if (READ_ONCE(qp->wire)) {
		dmr_wire_req_timeout(qp);
		return;
	}
	mutex_lock(&qp->sq_lock);
	qp->stalled = false;
	more = dmr_req_run(qp, false);
	mutex_unlock(&qp->sq_lock);
	dmr_req_continue(qp, more);
}

/*
 * Post a kernel consumer's send WR into the ring (a process does this
 * itself). Under post_lock.
 */
static int dmr_post_one_send(struct dmr_qp *qp, const struct ib_send_wr *wr)
{
	struct dmr_send_wqe *wqe;
	struct dmr_sge *sge;
	u32 i, len = 0;

	lockdep_assert_held(&qp->post_lock);
	wqe = dmr_queue_post_slot(&qp->sq);
	if (!wqe)
		return -ENOMEM;
	if (wr->num_sge > qp->max_send_sge)
		return -EINVAL;
	memset(wqe, 0, sizeof(*wqe));
	wqe->wr_id = wr->wr_id;
	wqe->opcode = wr->opcode;
	wqe->send_flags = wr->send_flags & DMR_SEND_FLAGS_ALL;
	wqe->imm_data = wr->ex.imm_data;
	if (dmr_qp_is_ud(qp)) {
		wqe->wr.ud.av = to_dmr_ah(ud_wr(wr)->ah)->av;
		wqe->wr.ud.remote_qpn = ud_wr(wr)->remote_qpn;
		wqe->wr.ud.remote_qkey = ud_wr(wr)->remote_qkey;
	} else if (wr->opcode == IB_WR_ATOMIC_CMP_AND_SWP ||
	    wr->opcode == IB_WR_ATOMIC_FETCH_AND_ADD) {
		wqe->wr.atomic.remote_addr = atomic_wr(wr)->remote_addr;
		wqe->wr.atomic.compare_add = atomic_wr(wr)->compare_add;
		wqe->wr.atomic.swap = atomic_wr(wr)->swap;
		wqe->wr.atomic.rkey = atomic_wr(wr)->rkey;
	} else if (wr->opcode != IB_WR_SEND && wr->opcode != IB_WR_SEND_WITH_IMM) {
		wqe->wr.rdma.remote_addr = rdma_wr(wr)->remote_addr;
		wqe->wr.rdma.rkey = rdma_wr(wr)->rkey;
	}
	if (wr->send_flags & IB_SEND_INLINE) {
		for (i = 0; i < wr->num_sge; i++) {
			if (len + wr->sg_list[i].length > qp->max_inline)
				return -EINVAL;
			memcpy((void *)(wqe + 1) + len,
			       (void *)(uintptr_t)wr->sg_list[i].addr,
			       wr->sg_list[i].length);
			len += wr->sg_list[i].length;
		}
		wqe->inline_len = len;
	} else {
		sge = (struct dmr_sge *)(wqe + 1);
		for (i = 0; i < wr->num_sge; i++) {
			sge[i].addr = wr->sg_list[i].addr;
			sge[i].length = wr->sg_list[i].length;
			sge[i].lkey = wr->sg_list[i].lkey;
		}
		wqe->num_sge = wr->num_sge;
	}
	if (dmr_send_wqe_check(wqe, qp->max_send_sge, qp->max_inline,
			       dmr_qp_is_ud(qp)))
		return -EINVAL;
	dmr_queue_post_commit(&qp->sq);
	return 0;
}

/*
 * Whether work may be posted to the send queue: from RTS on (in SQE and
 * ERR the requester flushes it), not before.
 */
static bool dmr_qp_can_send(struct dmr_qp *qp)
{
	enum ib_qp_state state = dmr_qp_state(qp);

	return state != IB_QPS_RESET && state != IB_QPS_INIT &&
	       state != IB_QPS_RTR;
}

/*
 * The doorbell of a process's send queue (DMR_IB_METHOD_QP_DOORBELL and
 * its mailbox twin): execute the WQEs it put in its mapped ring, here in
 * its system call.
 */
int dmr_qp_doorbell(struct dmr_qp *qp)
{
	if (!dmr_qp_can_send(qp))
		return -EINVAL;
	dmr_sq_process(qp, true);
	return 0;
}

/*
 * post_send, for a kernel consumer, in any context: WRs to put in the ring
 * for send_work to run. A process posts in its mapped ring and rings
 * dmr_qp_doorbell(); its POST_SEND command is refused.
 */
int dmr_post_send(struct ib_qp *ibqp, const struct ib_send_wr *wr,
		  const struct ib_send_wr **bad_wr)
{
	struct dmr_qp *qp = to_dmr_qp(ibqp);
	unsigned long flags;
	int err = 0;

	if (ibqp->uobject || !dmr_qp_can_send(qp)) {
		*bad_wr = wr;
		return -EINVAL;
	}
	spin_lock_irqsave(&qp->post_lock, flags);
	for (; wr; wr = wr->next) {
		err = dmr_post_one_send(qp, wr);
		if (err) {
			*bad_wr = wr;
			break;
		}
	}
	spin_unlock_irqrestore(&qp->post_lock, flags);
	queue_work(system_dfl_wq, &qp->send_work);
	return err;
}

/* Put receive WRs of a kernel consumer into a receive ring; post_lock. */
static int dmr_post_recv_ring(struct dmr_queue *q, u32 max_sge,
			      const struct ib_recv_wr *wr,
			      const struct ib_recv_wr **bad_wr)
{
	struct dmr_recv_wqe *wqe;
	struct dmr_sge *sge;
	u32 i;

	for (; wr; wr = wr->next) {
		wqe = dmr_queue_post_slot(q);
		if (wr->num_sge > max_sge || !wqe) {
			*bad_wr = wr;
			return wqe ? -EINVAL : -ENOMEM;
		}
		wqe->wr_id = wr->wr_id;
		wqe->num_sge = wr->num_sge;
		sge = (struct dmr_sge *)(wqe + 1);
		for (i = 0; i < wr->num_sge; i++) {
			sge[i].addr = wr->sg_list[i].addr;
			sge[i].length = wr->sg_list[i].length;
			sge[i].lkey = wr->sg_list[i].lkey;
		}
		dmr_queue_post_commit(q);
	}
	return 0;
}

/*
 * post_recv: a process posts receive WQEs in its mapped ring and calls this
 * without WRs only to have them flushed once the QP is in the error state;
 * a kernel consumer posts WRs, in any context. The flush needs rq_lock
 * and runs from flush_work.
 */
int dmr_post_recv(struct ib_qp *ibqp, const struct ib_recv_wr *wr,
		  const struct ib_recv_wr **bad_wr)
{
	struct dmr_qp *qp = to_dmr_qp(ibqp);
	unsigned long flags;
	int err = 0;

	if (qp->srq || (wr && ibqp->uobject) ||
	    dmr_qp_state(qp) == IB_QPS_RESET) {
		*bad_wr = wr;
		return -EINVAL;
	}
	if (wr) {
		spin_lock_irqsave(&qp->post_lock, flags);
		err = dmr_post_recv_ring(&qp->rq, qp->max_recv_sge, wr, bad_wr);
		spin_unlock_irqrestore(&qp->post_lock, flags);
	}
	if (dmr_qp_state(qp) == IB_QPS_ERR)
		queue_work(system_dfl_wq, &qp->flush_work);
	return err;
}

int dmr_post_srq_recv(struct ib_srq *ibsrq, const struct ib_recv_wr *wr,
		      const struct ib_recv_wr **bad_wr)
{
	struct dmr_srq *srq = to_dmr_srq(ibsrq);
	unsigned long flags;
	int err;

	if (ibsrq->uobject) {
		*bad_wr = wr;
		return -EINVAL;
	}
	spin_lock_irqsave(&srq->post_lock, flags);
	err = dmr_post_recv_ring(&srq->ring, srq->max_sge, wr, bad_wr);
	spin_unlock_irqrestore(&srq->post_lock, flags);
	return err;
}
