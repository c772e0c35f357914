// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The responder of a QP on the wire, under its rq_lock.
 *
 * Packets are taken in PSN order. A packet ahead of the expected PSN means
 * packets were lost: the first such is answered with a PSN sequence NAK,
 * the rest are dropped until the retransmission arrives. One behind is a
 * duplicate: a SEND or WRITE is acknowledged again and never placed twice;
 * a READ is answered again from its saved request, its key checked again;
 * an atomic gets its saved result and is never executed twice.
 *
 * A READ is answered a budget of packets at a time: the first few at
 * once, the rest from the QP's reply_work, so that neither a large READ
 * nor its replays hold the receive worker, which serves every QP. Request
 * packets that come meanwhile wait in the QP's backlog (bounded; beyond it
 * they are dropped and retransmitted), because an answer to them would
 * overtake the READ's data. A request for the same READ again (the
 * requester missed part of it) does not wait: it restarts the reply where
 * the requester asks, as rxe's responder does.
 *
 * A message's packets are placed as they come, each within its own
 * bracket, with keys resolved per packet. The first packet of a SEND
 * takes a receive WQE (an RNR NAK if there is none), its last completes
 * it. Errors are the IBTA's class C: a NAK, the receive WQE (if one is
 * taken) completed in error, the QP in the error state; the same as the
 * local transport's responder (dmr_exec.c).
 */
#include <linux/sched/signal.h>

#include "dmr.h"
#include "dmr_rules.h"
#include "dmr_wire.h"

/*
 * Packets handled per turn of reply_work, and of the receive worker (which
 * serves every QP of the host): READ responses sent and held requests
 * taken together.
 */
#define DMR_WIRE_REPLY_BUDGET	32
#define DMR_WIRE_RX_BUDGET	8
/* How often a READ response packet the qdisc refused is tried again. */
#define DMR_WIRE_XMIT_TRIES	20
/* Request packets held behind a READ reply, per QP and in all. */
#define DMR_WIRE_BACKLOG	256
#define DMR_WIRE_HELD_MAX	8192

/* Packets held in every QP's backlog: the memory peers can pin so. */
static atomic_t dmr_wire_held = ATOMIC_INIT(0);

/* Drop the packets held in @qp's backlog (rq_lock, or @qp unreachable). */
void dmr_wire_backlog_purge(struct dmr_qp *qp)
{
	atomic_sub(skb_queue_len(&qp->wire_backlog), &dmr_wire_held);
	__skb_queue_purge(&qp->wire_backlog);
}

void dmr_wire_resp_reset(struct dmr_qp *qp)
{
	struct dmr_wire_res *res = qp->wresp.res;
	u32 nres = qp->wresp.nres;

	lockdep_assert_held(&qp->rq_lock);
	dmr_wire_backlog_purge(qp);
	memset(&qp->wresp, 0, sizeof(qp->wresp));
	if (res)
		memset(res, 0, nres * sizeof(*res));
	qp->wresp.res = res;
	qp->wresp.nres = nres;
	qp->wresp.epsn = qp->attr.rq_psn;
}

/* ACKNOWLEDGE (or ATOMIC_ACKNOWLEDGE with @orig) for @psn. */
static void dmr_wire_ack(struct dmr_qp *qp, u8 syndrome, u32 psn,
			 const u64 *orig)
{
	u8 opcode = orig ? DMR_OP_ATOMIC_ACKNOWLEDGE : DMR_OP_ACKNOWLEDGE;
	struct dmr_aeth *aeth;
	struct sk_buff *skb;

	skb = dmr_net_alloc(qp, dmr_hdr_len(dmr_opcode_mask(opcode)));
	if (!skb)
		return;
	dmr_net_bth(qp, skb, opcode, 0, psn, false, false);
	aeth = skb_put(skb, sizeof(*aeth));
	aeth->smsn = cpu_to_be32((u32)syndrome << 24 |
				 (qp->wresp.msn & DMR_AETH_MSN));
	if (orig) {
		struct dmr_atmack *ack = skb_put(skb, sizeof(*ack));

		ack->orig = cpu_to_be64(*orig);
	}
	dmr_net_xmit(qp, skb);
}

/*
 * A class C error at @pkt: NAK it with @nak, complete the receive WQE of
 * the message (if taken) with @status, raise @event if @raise, and put
 * the QP in the error state.
 */
static void dmr_wire_resp_fail(struct dmr_qp *qp, const struct dmr_pkt *pkt,
			       u8 nak, bool has_wqe, enum ib_wc_status status,
			       enum ib_event_type event, bool raise)
{
	dmr_dbg(qp->dev, "QP %u: PSN %u opcode %#x refused (NAK %#x)\n",
		qp->ibqp.qp_num, pkt->psn, pkt->opcode, nak);
	dmr_wire_ack(qp, nak, pkt->psn, NULL);
	qp->wresp.in_msg = 0;
	dmr_resp_error(qp, has_wqe, status, event, raise);
}

static const struct dmr_mem_stop *dmr_wire_resp_stop(struct dmr_qp *qp)
{
	qp->wresp.stop = (struct dmr_mem_stop){ .flag = { &qp->stopping } };
	return &qp->wresp.stop;
}

/* The packet ends a message: count it, acknowledge what asks for it. */
static void dmr_wire_resp_advance(struct dmr_qp *qp, const struct dmr_pkt *pkt)
{
	struct dmr_wire_resp *w = &qp->wresp;

	w->epsn = (w->epsn + 1) & DMR_BTH_PSN;
	if (pkt->mask & DMR_OPF_LAST) {
		w->in_msg = 0;
		w->msn++;
	}
	if (pkt->ack_req)
		dmr_wire_ack(qp, DMR_AETH_ACK, pkt->psn, NULL);
}

static void dmr_wire_resp_recv_done(struct dmr_qp *qp,
				    const struct dmr_pkt *pkt, u32 opcode,
				    u32 byte_len)
{
	bool imm = pkt->mask & DMR_OPF_IMMDT;
	__be32 imm_data = 0;

	if (imm)
		imm_data = ((const struct dmr_immdt *)
			    dmr_pkt_ext(pkt, DMR_OPF_IMMDT))->imm;
	dmr_resp_complete(qp, opcode, byte_len, qp->attr.dest_qp_num, imm,
			  imm_data, pkt->se);
}

/* Take a receive WQE for @pkt: 0, or the packet was answered. */
static int dmr_wire_resp_take(struct dmr_qp *qp, const struct dmr_pkt *pkt)
{
	u32 max_sge = qp->srq ? qp->srq->max_sge : qp->max_recv_sge;
	int err;

	err = dmr_qp_take_recv(qp);
	if (err == -EAGAIN) {
		dmr_wire_ack(qp, DMR_AETH_RNR_NAK | qp->attr.min_rnr_timer,
			     pkt->psn, NULL);
		return err;
	}
	if (err || qp->recv_wqe->num_sge > max_sge) {
		/* A malformed or corrupt receive queue: class A. */
		dmr_wire_resp_fail(qp, pkt, DMR_AETH_NAK_REM_OP, !err,
				   IB_WC_LOC_QP_OP_ERR, IB_EVENT_QP_FATAL, true);
		return -EIO;
	}
	return 0;
}

static void dmr_wire_resp_send(struct dmr_qp *qp, const struct dmr_pkt *pkt)
{
	struct dmr_wire_resp *w = &qp->wresp;
	const struct dmr_recv_wqe *rwqe = qp->recv_wqe;
	struct dmr_mem_seg src = { .buf = pkt->payload, .len = pkt->paylen };
	struct dmr_xfer *dst = &w->xfer;
	enum ib_wc_status st;
	bool dst_failed;
	unsigned int n;
	int err;

	if (pkt->mask & DMR_OPF_FIRST) {
		if (dmr_wire_resp_take(qp, pkt))
			return;
		w->in_msg = DMR_OPF_SEND;
		w->offset = 0;
	}
	st = dmr_xfer_sges(dst, qp->dev, qp->ibqp.pd,
			   (const struct dmr_sge *)(rwqe + 1), rwqe->num_sge,
			   IB_ACCESS_LOCAL_WRITE, w->offset + pkt->paylen);
	if (st != IB_WC_SUCCESS) {
		dmr_xfer_release(dst);
		dmr_wire_resp_fail(qp, pkt, DMR_AETH_NAK_REM_OP, true, st, 0,
				   false);
		return;
	}
	if (dst->len < w->offset + pkt->paylen) {
		dmr_xfer_release(dst);
		dmr_wire_resp_fail(qp, pkt, DMR_AETH_NAK_INV_REQ, true,
				   IB_WC_LOC_LEN_ERR, 0, false);
		return;
	}
	err = 0;
	if (pkt->paylen) {
		/* In place: the references stay in dst->mr for the release. */
		n = dmr_mem_slice(dst->seg, dst->n, w->offset, pkt->paylen,
				  dst->seg);
		err = dmr_mem_copy(dst->seg, n, &src, 1, pkt->paylen,
				   dmr_wire_resp_stop(qp), &dst_failed);
	}
	dmr_xfer_release(dst);
	if (err) {
		/* Stopped: the QP is being destroyed; nothing to answer. */
		if (dst_failed)
			dmr_wire_resp_fail(qp, pkt, DMR_AETH_NAK_REM_OP, true,
					   IB_WC_LOC_PROT_ERR, 0, false);
		return;
	}
	w->offset += pkt->paylen;
	if (pkt->mask & DMR_OPF_LAST)
		dmr_wire_resp_recv_done(qp, pkt, IB_WC_RECV, w->offset);
	dmr_wire_resp_advance(qp, pkt);
}

static bool dmr_wire_qp_allows(struct dmr_qp *qp, int access)
{
	return (qp->attr.qp_access_flags & access) == access;
}

static void dmr_wire_resp_write(struct dmr_qp *qp, const struct dmr_pkt *pkt)
{
	struct dmr_wire_resp *w = &qp->wresp;
	struct dmr_mem_seg src = { .buf = pkt->payload, .len = pkt->paylen };
	bool imm = pkt->mask & DMR_OPF_IMMDT;
	struct dmr_xfer *x = &w->xfer;
	u64 va = w->va;
	u32 rkey = w->rkey, resid = w->resid;
	bool dst_failed;
	int err;

	if (pkt->mask & DMR_OPF_FIRST) {
		const struct dmr_reth *reth = dmr_pkt_ext(pkt, DMR_OPF_RETH);

		if (!dmr_wire_qp_allows(qp, IB_ACCESS_REMOTE_WRITE)) {
			dmr_wire_resp_fail(qp, pkt, DMR_AETH_NAK_INV_REQ, false,
					   0, 0, false);
			return;
		}
		va = be64_to_cpu(reth->va);
		rkey = be32_to_cpu(reth->rkey);
		resid = be32_to_cpu(reth->len);
	}
	if (pkt->paylen > resid ||
	    (pkt->mask & DMR_OPF_LAST && pkt->paylen != resid)) {
		dmr_wire_resp_fail(qp, pkt, DMR_AETH_NAK_INV_REQ, false, 0, 0,
				   false);
		return;
	}
	x->n = 0;
	x->len = 0;
	/* No key is checked for no data. */
	if (pkt->paylen &&
	    !dmr_xfer_add(x, qp->dev, qp->ibqp.pd, rkey, va, pkt->paylen,
			  IB_ACCESS_REMOTE_WRITE)) {
		dmr_wire_resp_fail(qp, pkt, DMR_AETH_NAK_REM_ACC, false, 0,
				   IB_EVENT_QP_ACCESS_ERR, true);
		return;
	}
	if (imm && dmr_wire_resp_take(qp, pkt)) {
		dmr_xfer_release(x);
		return;
	}
	err = 0;
	if (pkt->paylen)
		err = dmr_mem_copy(x->seg, x->n, &src, 1, pkt->paylen,
				   dmr_wire_resp_stop(qp), &dst_failed);
	dmr_xfer_release(x);
	if (err) {
		if (dst_failed)
			dmr_wire_resp_fail(qp, pkt, DMR_AETH_NAK_REM_ACC, imm,
					   IB_WC_REM_ACCESS_ERR,
					   IB_EVENT_QP_ACCESS_ERR, true);
		return;
	}
	if (pkt->mask & DMR_OPF_FIRST) {
		w->in_msg = DMR_OPF_WRITE;
		w->total = resid;
	}
	w->va = va + pkt->paylen;
	w->rkey = rkey;
	w->resid = resid - pkt->paylen;
	if (imm)
		dmr_wire_resp_recv_done(qp, pkt, IB_WC_RECV_RDMA_WITH_IMM,
					w->total);
	dmr_wire_resp_advance(qp, pkt);
}

/* A READ response packet's opcode: packet @i of @n. */
static u8 dmr_wire_read_opcode(u32 i, u32 n)
{
	if (n == 1)
		return DMR_OP_READ_RESPONSE_ONLY;
	if (!i)
		return DMR_OP_READ_RESPONSE_FIRST;
	return i == n - 1 ? DMR_OP_READ_RESPONSE_LAST :
			    DMR_OP_READ_RESPONSE_MIDDLE;
}

/*
 * One READ response packet: @plen bytes at @va through @rkey, copied into
 * the packet inside one bracket. 0; -EACCES if the memory cannot be read
 * (the key went, or the dma-buf was revoked); -EINTR if the QP is going;
 * -ENOBUFS if the packet could not be queued.
 */
static int dmr_wire_read_packet(struct dmr_qp *qp, u8 opcode, u32 psn, u64 va,
				u32 rkey, u32 plen)
{
	u32 mask = dmr_opcode_mask(opcode), pad = -plen & 3;
	struct dmr_xfer *x = &qp->wresp.xfer;
	struct dmr_mem_seg dst;
	struct sk_buff *skb;
	bool dst_failed;
	int err = 0;

	x->n = 0;
	x->len = 0;
	if (plen && !dmr_xfer_add(x, qp->dev, qp->ibqp.pd, rkey, va, plen,
				  IB_ACCESS_REMOTE_READ))
		return -EACCES;
	skb = dmr_net_alloc(qp, dmr_hdr_len(mask) + plen + pad);
	if (!skb) {
		dmr_xfer_release(x);
		return -ENOBUFS;
	}
	dmr_net_bth(qp, skb, opcode, plen, psn, false, false);
	if (mask & DMR_OPF_AETH) {
		struct dmr_aeth *aeth = skb_put(skb, sizeof(*aeth));

		aeth->smsn = cpu_to_be32((u32)DMR_AETH_ACK << 24 |
					 (qp->wresp.msn & DMR_AETH_MSN));
	}
	dst = (struct dmr_mem_seg){ .buf = skb_put(skb, plen), .len = plen };
	if (plen)
		err = dmr_mem_copy(&dst, 1, x->seg, x->n, plen,
				   dmr_wire_resp_stop(qp), &dst_failed);
	dmr_xfer_release(x);
	if (err) {
		kfree_skb(skb);
		return err == -EINTR ? err : -EACCES;
	}
	skb_put_zero(skb, pad);
	return dmr_net_xmit(qp, skb) == -ENOBUFS ? -ENOBUFS : 0;
}

/*
 * Start answering a READ of @len bytes at @va whose first response PSN is
 * @psn; a reply in progress (of the same READ, asked for again) is
 * abandoned. dmr_wire_resp_run() sends it.
 */
static void dmr_wire_read_reply(struct dmr_qp *qp, u32 psn, u64 va, u32 rkey,
				u32 len)
{
	qp->wresp.reply = (struct dmr_wire_reply){
		.active = true,
		.psn = psn,
		.n = max_t(u32, DIV_ROUND_UP(len, qp->path.mtu), 1),
		.va = va,
		.rkey = rkey,
		.len = len,
	};
}

/*
 * Send packets of the READ reply in progress, as many as *@budget allows
 * (and take them from it). Memory that cannot be read ends the reply with
 * a remote access NAK at that packet's PSN, and the QP in error. 0: the
 * reply is over (sent, or given up: the requester asks again for what it
 * misses); -EAGAIN: more to send; -ENOBUFS: the qdisc is full, send again
 * after a pause.
 */
static int dmr_wire_reply_some(struct dmr_qp *qp, u32 *budget)
{
	struct dmr_wire_reply *rp = &qp->wresp.reply;
	u32 mtu = qp->path.mtu;
	u32 psn, plen;
	u64 off;
	int err;

	lockdep_assert_held(&qp->rq_lock);
	for (; rp->active && *budget; (*budget)--) {
		off = (u64)rp->i * mtu;
		plen = min_t(u64, mtu, rp->len - off);
		psn = (rp->psn + rp->i) & DMR_BTH_PSN;
		err = dmr_wire_read_packet(qp, dmr_wire_read_opcode(rp->i, rp->n),
					   psn, rp->va + off, rp->rkey, plen);
		if (err == -ENOBUFS && ++rp->tries < DMR_WIRE_XMIT_TRIES)
			return -ENOBUFS;
		if (err == -EACCES) {
			dmr_dbg(qp->dev, "QP %u: READ at PSN %u: memory gone\n",
				qp->ibqp.qp_num, psn);
			rp->active = false;
			dmr_wire_ack(qp, DMR_AETH_NAK_REM_ACC, psn, NULL);
			qp->wresp.in_msg = 0;
			dmr_resp_error(qp, false, 0, IB_EVENT_QP_ACCESS_ERR,
				       true);
			return 0;
		}
		/* Lost or stopped: the requester asks again for the rest. */
		if (err) {
			rp->active = false;
			return 0;
		}
		rp->tries = 0;
		if (++rp->i == rp->n)
			rp->active = false;
	}
	return rp->active ? -EAGAIN : 0;
}

static struct dmr_wire_res *dmr_wire_res_new(struct dmr_qp *qp)
{
	struct dmr_wire_resp *w = &qp->wresp;
	struct dmr_wire_res *res = &w->res[w->next_res];

	w->next_res = (w->next_res + 1) % w->nres;
	return res;
}

static void dmr_wire_resp_read(struct dmr_qp *qp, const struct dmr_pkt *pkt)
{
	const struct dmr_reth *reth = dmr_pkt_ext(pkt, DMR_OPF_RETH);
	struct dmr_wire_resp *w = &qp->wresp;
	u64 va = be64_to_cpu(reth->va);
	u32 rkey = be32_to_cpu(reth->rkey), len = be32_to_cpu(reth->len);
	struct dmr_wire_res *res;

	if (!dmr_wire_qp_allows(qp, IB_ACCESS_REMOTE_READ) ||
	    len > DMR_MAX_MSG_SIZE) {
		dmr_wire_resp_fail(qp, pkt, DMR_AETH_NAK_INV_REQ, false, 0, 0,
				   false);
		return;
	}
	if (len) {
		struct dmr_xfer *x = &w->xfer;

		x->n = 0;
		x->len = 0;
		if (!dmr_xfer_add(x, qp->dev, qp->ibqp.pd, rkey, va, len,
				  IB_ACCESS_REMOTE_READ)) {
			dmr_wire_resp_fail(qp, pkt, DMR_AETH_NAK_REM_ACC,
					   false, 0, IB_EVENT_QP_ACCESS_ERR,
					   true);
			return;
		}
		dmr_xfer_release(x);
	}
	res = dmr_wire_res_new(qp);
	*res = (struct dmr_wire_res){
		.opcode = DMR_OP_READ_REQUEST,
		.psn = pkt->psn,
		.npsn = max_t(u32, DIV_ROUND_UP(len, qp->path.mtu), 1),
		.va = va,
		.rkey = rkey,
		.len = len,
	};
	w->epsn = (w->epsn + res->npsn) & DMR_BTH_PSN;
	w->msn++;
	dmr_wire_read_reply(qp, pkt->psn, va, rkey, len);
}

static void dmr_wire_resp_atomic(struct dmr_qp *qp, const struct dmr_pkt *pkt)
{
	const struct dmr_atmeth *ath = dmr_pkt_ext(pkt, DMR_OPF_ATMETH);
	bool cmp_swap = pkt->opcode == DMR_OP_COMPARE_SWAP;
	struct dmr_wire_resp *w = &qp->wresp;
	u64 va = be64_to_cpu(ath->va), orig;
	u64 swap_add = be64_to_cpu(ath->swap_add);
	u64 comp = be64_to_cpu(ath->comp);
	struct dmr_xfer *x = &w->xfer;
	struct dmr_wire_res *res;
	int err;

	if (!dmr_wire_qp_allows(qp, IB_ACCESS_REMOTE_ATOMIC) ||
	    (va & (sizeof(u64) - 1))) {
		dmr_wire_resp_fail(qp, pkt, DMR_AETH_NAK_INV_REQ, false, 0, 0,
				   false);
		return;
	}
	x->n = 0;
	x->len = 0;
	if (!dmr_xfer_add(x, qp->dev, qp->ibqp.pd, be32_to_cpu(ath->rkey), va,
			  sizeof(u64), IB_ACCESS_REMOTE_ATOMIC)) {
		dmr_wire_resp_fail(qp, pkt, DMR_AETH_NAK_REM_ACC, false, 0,
				   IB_EVENT_QP_ACCESS_ERR, true);
		return;
	}
	err = dmr_mem_atomic(x->seg[0].mem, x->seg[0].offset, cmp_swap,
			     cmp_swap ? comp : swap_add, swap_add, &orig);
	dmr_xfer_release(x);
	if (err) {
		/* -EINVAL: the memory behind the aligned address is not. */
		dmr_wire_resp_fail(qp, pkt, err == -EINVAL ?
				   DMR_AETH_NAK_INV_REQ : DMR_AETH_NAK_REM_ACC,
				   false, 0, err == -EINVAL ? 0 :
				   IB_EVENT_QP_ACCESS_ERR, err != -EINVAL);
		return;
	}
	res = dmr_wire_res_new(qp);
	*res = (struct dmr_wire_res){
		.opcode = pkt->opcode,
		.psn = pkt->psn,
		.npsn = 1,
		.orig = orig,
	};
	w->epsn = (w->epsn + 1) & DMR_BTH_PSN;
	w->msn++;
	dmr_wire_ack(qp, DMR_AETH_ACK, pkt->psn, &orig);
}

/* A packet the responder has seen before (its PSN is behind). */
static void dmr_wire_resp_dup(struct dmr_qp *qp, const struct dmr_pkt *pkt)
{
	struct dmr_wire_resp *w = &qp->wresp;
	struct dmr_wire_res *res;
	unsigned int i;
	s32 d;

	if (pkt->mask & (DMR_OPF_SEND | DMR_OPF_WRITE)) {
		/* Placed already: say again how far we are. */
		dmr_wire_ack(qp, DMR_AETH_ACK, (w->epsn - 1) & DMR_BTH_PSN,
			     NULL);
		return;
	}
	for (i = 0; i < w->nres; i++) {
		res = &w->res[i];
		d = dmr_psn_diff(pkt->psn, res->psn);
		if (res->opcode != pkt->opcode || d < 0 || d >= res->npsn)
			continue;
		if (pkt->opcode == DMR_OP_READ_REQUEST) {
			const struct dmr_reth *reth =
				dmr_pkt_ext(pkt, DMR_OPF_RETH);
			u64 va = be64_to_cpu(reth->va);
			u32 len = be32_to_cpu(reth->len);

			/* A request for the rest of the saved one only. */
			if (be32_to_cpu(reth->rkey) != res->rkey ||
			    va < res->va || va - res->va > res->len ||
			    len > res->len - (va - res->va))
				return;
			dmr_wire_read_reply(qp, pkt->psn, va, res->rkey, len);
		} else if (!d) {
			dmr_wire_ack(qp, DMR_AETH_ACK, pkt->psn, &res->orig);
		}
		return;
	}
}

/* Whether @pkt's opcode may come now, between messages or within one. */
static bool dmr_wire_resp_seq_ok(struct dmr_qp *qp, const struct dmr_pkt *pkt)
{
	u32 op = pkt->mask & (DMR_OPF_SEND | DMR_OPF_WRITE);

	if (pkt->mask & DMR_OPF_FIRST)
		return !qp->wresp.in_msg;
	return op && qp->wresp.in_msg == op;
}

/* Whether @pkt's payload length fits the path MTU and its place. */
static bool dmr_wire_resp_len_ok(struct dmr_qp *qp, const struct dmr_pkt *pkt)
{
	if (pkt->paylen > qp->path.mtu)
		return false;
	return (pkt->mask & DMR_OPF_LAST) || !(pkt->mask & DMR_OPF_PAYLOAD) ||
	       pkt->paylen == qp->path.mtu;
}

/* A request packet whose connection was checked, in PSN order or not. */
static void dmr_wire_resp_handle(struct dmr_qp *qp, const struct dmr_pkt *pkt)
{
	struct dmr_wire_resp *w = &qp->wresp;
	s32 diff;

	lockdep_assert_held(&qp->rq_lock);
	if (!dmr_qp_can_receive(qp))
		return;
	diff = dmr_psn_diff(pkt->psn, w->epsn);
	if (diff > 0) {
		if (!w->nak_sent) {
			w->nak_sent = true;
			dmr_wire_ack(qp, DMR_AETH_NAK_PSN_SEQ, w->epsn, NULL);
		}
		return;
	}
	if (diff < 0) {
		dmr_wire_resp_dup(qp, pkt);
		return;
	}
	w->nak_sent = false;
	if (!dmr_wire_resp_seq_ok(qp, pkt) || !dmr_wire_resp_len_ok(qp, pkt)) {
		dmr_wire_resp_fail(qp, pkt, DMR_AETH_NAK_INV_REQ,
				   w->in_msg == DMR_OPF_SEND,
				   IB_WC_REM_INV_REQ_ERR, 0, false);
		return;
	}
	if (pkt->mask & DMR_OPF_SEND)
		dmr_wire_resp_send(qp, pkt);
	else if (pkt->mask & DMR_OPF_WRITE)
		dmr_wire_resp_write(qp, pkt);
	else if (pkt->mask & DMR_OPF_READ)
		dmr_wire_resp_read(qp, pkt);
	else
		dmr_wire_resp_atomic(qp, pkt);
}

/*
 * Hold @pkt behind the READ reply in progress. A copy of a packet held
 * already (the requester sent it again) is dropped: taken in its turn it
 * would be a duplicate, and a duplicate READ is answered in full again.
 */
static void dmr_wire_hold(struct dmr_qp *qp, const struct dmr_pkt *pkt)
{
	struct dmr_pkt_cb *cb = (struct dmr_pkt_cb *)pkt->skb->cb;
	struct sk_buff *skb;

	BUILD_BUG_ON(sizeof(*cb) > sizeof(pkt->skb->cb));
	lockdep_assert_held(&qp->rq_lock);
	skb_queue_walk(&qp->wire_backlog, skb) {
		const struct dmr_pkt_cb *held = (const void *)skb->cb;

		if (held->psn == pkt->psn && held->opcode == pkt->opcode)
			return;
	}
	if (skb_queue_len(&qp->wire_backlog) >= DMR_WIRE_BACKLOG)
		goto drop;
	if (atomic_inc_return(&dmr_wire_held) > DMR_WIRE_HELD_MAX) {
		atomic_dec(&dmr_wire_held);
		goto drop;
	}
	*cb = (struct dmr_pkt_cb){
		.hdr = pkt->hdr,
		.payload = pkt->payload,
		.paylen = pkt->paylen,
		.mask = pkt->mask,
		.psn = pkt->psn,
		.opcode = pkt->opcode,
		.se = pkt->se,
		.ack_req = pkt->ack_req,
	};
	__skb_queue_tail(&qp->wire_backlog, skb_get(pkt->skb));
	return;
drop:
	/* The requester sends it again. */
	dmr_dbg(qp->dev, "QP %u: PSN %u dropped: backlog full\n",
		qp->ibqp.qp_num, pkt->psn);
}

static void dmr_wire_unhold(struct dmr_qp *qp, struct sk_buff *skb,
			    struct dmr_pkt *pkt)
{
	const struct dmr_pkt_cb *cb = (const struct dmr_pkt_cb *)skb->cb;

	lockdep_assert_held(&qp->rq_lock);
	atomic_dec(&dmr_wire_held);
	*pkt = (struct dmr_pkt){
		.dev = qp->dev,
		.skb = skb,
		.hdr = cb->hdr,
		.payload = cb->payload,
		.paylen = cb->paylen,
		.mask = cb->mask,
		.opcode = cb->opcode,
		.se = cb->se,
		.ack_req = cb->ack_req,
		.qpn = qp->ibqp.qp_num,
		.psn = cb->psn,
		.sgid = qp->path.dgid,
		.dgid = qp->path.sgid,
	};
}

/*
 * Go on with the READ reply in progress, then with the packets held
 * behind it, @budget packets in all; reply_work goes on.
 */
static void dmr_wire_resp_run(struct dmr_qp *qp, u32 budget)
{
	struct dmr_pkt pkt;
	struct sk_buff *skb;
	int err = 0;

	lockdep_assert_held(&qp->rq_lock);
	for (;;) {
		/* A QP being destroyed answers nothing more. */
		if (!dmr_qp_can_receive(qp) || READ_ONCE(qp->stopping)) {
			qp->wresp.reply.active = false;
			dmr_wire_backlog_purge(qp);
			return;
		}
		err = dmr_wire_reply_some(qp, &budget);
		if (err || !budget)
			break;
		skb = __skb_dequeue(&qp->wire_backlog);
		if (!skb)
			return;
		budget--;
		dmr_wire_unhold(qp, skb, &pkt);
		dmr_wire_resp_handle(qp, &pkt);
		consume_skb(skb);
	}
	if (!qp->wresp.reply.active && skb_queue_empty(&qp->wire_backlog))
		return;
	/* A destroy cancels reply_work after it set ->stopping. */
	mod_delayed_work(system_dfl_wq, &qp->reply_work,
			 err == -ENOBUFS ? 1 : 0);
}

void dmr_wire_reply_work(struct work_struct *work)
{
	struct dmr_qp *qp = container_of(to_delayed_work(work), struct dmr_qp,
					 reply_work);

	mutex_lock(&qp->rq_lock);
	if (qp->wire)
		dmr_wire_resp_run(qp, DMR_WIRE_REPLY_BUDGET);
	mutex_unlock(&qp->rq_lock);
}

/* A request packet for @qp, from dmr_net.c's worker. */
void dmr_wire_resp_rcv(struct dmr_qp *qp, const struct dmr_pkt *pkt)
{
	mutex_lock(&qp->rq_lock);
	/* The connection's addresses, as rxe checks them. */
	if (!dmr_qp_can_receive(qp) || !qp->wire ||
	    memcmp(&pkt->sgid, &qp->path.dgid, sizeof(pkt->sgid)) ||
	    memcmp(&pkt->dgid, &qp->path.sgid, sizeof(pkt->dgid)))
		goto out;
	/* Behind a READ reply, only that READ asked for again goes first. */
	if ((qp->wresp.reply.active || !skb_queue_empty(&qp->wire_backlog)) &&
	    !(pkt->opcode == DMR_OP_READ_REQUEST &&
	      dmr_psn_diff(pkt->psn, qp->wresp.epsn) < 0)) {
		dmr_wire_hold(qp, pkt);
		goto out;
	}
	dmr_wire_resp_handle(qp, pkt);
	dmr_wire_resp_run(qp, DMR_WIRE_RX_BUDGET);
out:
	mutex_unlock(&qp->rq_lock);
}
