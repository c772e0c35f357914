// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The requester and the completer of a QP on the wire, under its sq_lock.
 *
 * One message is in flight at a time. The requester sends the packets of
 * the send WQE at the head of the ring, at most DMR_WIRE_WINDOW beyond
 * the last one acknowledged, with AckReq on the last packet and every
 * DMR_WIRE_WINDOW / 2 packets; each ACK opens the window further. The WQE
 * stays at the head of the ring until it completes, and the requester
 * works from its private copy (qp->send_wqe): a process rewriting its ring
 * cannot change a message half sent.
 *
 * Retransmission is go-back-N from the first PSN not acknowledged: after
 * the local ACK timeout (retry_cnt times), at once after a PSN sequence
 * NAK, and after an RNR NAK's timer (rnr_retry times; 7 is for ever).
 *
 * A READ is asked for DMR_WIRE_WINDOW packets at a time: one READ request
 * per piece, at most min(max_rd_atomic, 2) pieces outstanding, the next
 * asked for as the answer to one completes. A responder never sends more
 * than that ahead of what this requester has taken, however large the
 * READ: a slower receiver is not flooded into drops it would have to ask
 * for again. Pieces start at multiples of DMR_WIRE_WINDOW packets, so
 * that a request for the rest of a piece (after the timeout, or at once
 * when a response arrives past a gap: once per gap, the responses behind
 * it are in flight and each would ask again) lies within one request the
 * responder kept, as IBTA duplicate READs must.
 */
#include <linux/jiffies.h>
#include <linux/sched/signal.h>

#include "dmr.h"
#include "dmr_rules.h"
#include "dmr_wire.h"

/* Packets sent beyond the last acknowledged one. */
#define DMR_WIRE_WINDOW		64
/*
 * Timeouts put off, one timeout each, while this host has received
 * packets it has not handled yet (dmr_net_rx_pending()), or the responder
 * sent READ responses this requester could not take (past a gap it asked
 * to fill): on a loaded or emulated host the answer may be among the
 * former, and the responder is alive and working through its queue in
 * the latter; a retransmission would only add to the queues. The IBTA's
 * timeout is a minimum.
 */
#define DMR_WIRE_POSTPONE_MAX	8

static bool dmr_wire_is_read(const struct dmr_send_wqe *wqe)
{
	return wqe->opcode == IB_UVERBS_WR_RDMA_READ;
}

static bool dmr_wire_is_write(const struct dmr_send_wqe *wqe)
{
	return wqe->opcode == IB_UVERBS_WR_RDMA_WRITE ||
	       wqe->opcode == IB_UVERBS_WR_RDMA_WRITE_WITH_IMM;
}

static bool dmr_wire_has_imm(const struct dmr_send_wqe *wqe)
{
	return wqe->opcode == IB_UVERBS_WR_SEND_WITH_IMM ||
	       wqe->opcode == IB_UVERBS_WR_RDMA_WRITE_WITH_IMM;
}

/* The opcode of packet @i of a SEND or WRITE of @npsn packets. */
static u8 dmr_wire_opcode(const struct dmr_send_wqe *wqe, u32 i, u32 npsn)
{
	bool first = i == 0, last = i == npsn - 1;
	bool imm = dmr_wire_has_imm(wqe);
	u8 base = dmr_wire_is_write(wqe) ? DMR_OP_WRITE_FIRST :
					   DMR_OP_SEND_FIRST;

	/* FIRST, MIDDLE, LAST, LAST_IMM, ONLY, ONLY_IMM: in this order. */
	if (first && last)
		return base + 4 + imm;
	if (last)
		return base + 2 + imm;
	return base + (first ? 0 : 1);
}

/* Arm the retry timer: the local ACK timeout, or an RNR NAK's timer. */
static void dmr_wire_arm(struct dmr_qp *qp, u64 usec)
{
	unsigned long delay = max(usecs_to_jiffies(usec), 1UL);

	qp->wreq.deadline = jiffies + delay;
	mod_delayed_work(system_dfl_wq, &qp->retry_work, delay);
}

static u64 dmr_wire_ack_timeout(struct dmr_qp *qp)
{
	/* 0 is "infinite": keep trying, at a pace. */
	return dmr_ack_timeout_usec(qp->attr.timeout) ?: 100 * USEC_PER_MSEC;
}

static const struct dmr_mem_stop *dmr_wire_stop(struct dmr_qp *qp)
{
	qp->stop = (struct dmr_mem_stop){ .flag = { &qp->stopping } };
	return &qp->stop;
}

/*
 * Copy @len bytes between a packet's @buf and the local side of the
 * message in flight at byte @off (qp->local, resolved by the caller). The
 * piece of the list goes in qp->remote's segments, which only the direct
 * transport's requester uses otherwise.
 */
static int dmr_wire_local_copy(struct dmr_qp *qp, u64 off, void *buf, u32 len,
			       bool to_local)
{
	struct dmr_mem_seg *seg = qp->remote.seg;
	struct dmr_mem_seg pkt = { .buf = buf, .len = len };
	unsigned int n;
	bool dst_failed;

	if (!len)
		return 0;
	n = dmr_mem_slice(qp->local.seg, dmr_xfer_nsegs(&qp->local), off, len,
			  seg);
	if (to_local)
		return dmr_mem_copy(seg, n, &pkt, 1, len, dmr_wire_stop(qp),
				    &dst_failed);
	return dmr_mem_copy(&pkt, 1, seg, n, len, dmr_wire_stop(qp),
			    &dst_failed);
}

/* Packet @i of the SEND or WRITE in flight; qp->local is resolved. */
static int dmr_wire_send_packet(struct dmr_qp *qp, u32 i)
{
	const struct dmr_send_wqe *wqe = qp->send_wqe;
	struct dmr_wire_req *r = &qp->wreq;
	u32 mtu = qp->path.mtu, plen, mask, pad;
	u64 off = (u64)i * mtu;
	bool last = i == r->npsn - 1;
	struct sk_buff *skb;
	u8 opcode;
	int err;

	opcode = dmr_wire_opcode(wqe, i, r->npsn);
	mask = dmr_opcode_mask(opcode);
	plen = min_t(u64, mtu, r->len - off);
	pad = -plen & 3;
	skb = dmr_net_alloc(qp, dmr_hdr_len(mask) + plen + pad);
	if (!skb)
		return 0;	/* lost: the retry timer sends it again */
	dmr_net_bth(qp, skb, opcode, plen, r->first_psn + i,
		    last || (i + 1) % (DMR_WIRE_WINDOW / 2) == 0,
		    last && (wqe->send_flags & DMR_SEND_SOLICITED));
	if (mask & DMR_OPF_RETH) {
		struct dmr_reth *reth = skb_put(skb, sizeof(*reth));

		reth->va = cpu_to_be64(wqe->wr.rdma.remote_addr);
		reth->rkey = cpu_to_be32(wqe->wr.rdma.rkey);
		reth->len = cpu_to_be32(r->len);
	}
	if (mask & DMR_OPF_IMMDT) {
		struct dmr_immdt *immdt = skb_put(skb, sizeof(*immdt));

		immdt->imm = wqe->imm_data;
	}
	err = dmr_wire_local_copy(qp, off, skb_put(skb, plen), plen, false);
	if (err) {
		kfree_skb(skb);
		return err;
	}
	skb_put_zero(skb, pad);
	dmr_net_xmit(qp, skb);
	return 0;
}

/* The end of the piece of a READ that packet @i is in. */
static u32 dmr_wire_read_piece_end(const struct dmr_wire_req *r, u32 i)
{
	return min(round_down(i, DMR_WIRE_WINDOW) + DMR_WIRE_WINDOW, r->npsn);
}

/* Pieces of the READ in flight asked for and not all received. */
static u32 dmr_wire_read_pieces(const struct dmr_wire_req *r)
{
	if (r->sent <= r->acked)
		return 0;
	return (r->sent - 1) / DMR_WIRE_WINDOW - r->acked / DMR_WIRE_WINDOW + 1;
}

static u32 dmr_wire_read_depth(const struct dmr_qp *qp)
{
	return clamp_t(u32, qp->attr.max_rd_atomic, 1, 2);
}

/* The READ request for packets [@from, @to) of the READ in flight. */
static void dmr_wire_send_read(struct dmr_qp *qp, u32 from, u32 to)
{
	const struct dmr_send_wqe *wqe = qp->send_wqe;
	struct dmr_wire_req *r = &qp->wreq;
	u64 start = (u64)from * qp->path.mtu;
	u64 end = min_t(u64, (u64)to * qp->path.mtu, r->len);
	struct dmr_reth *reth;
	struct sk_buff *skb;

	skb = dmr_net_alloc(qp, dmr_hdr_len(dmr_opcode_mask(DMR_OP_READ_REQUEST)));
	if (!skb)
		return;
	dmr_net_bth(qp, skb, DMR_OP_READ_REQUEST, 0,
		    (r->first_psn + from) & DMR_BTH_PSN, true, false);
	reth = skb_put(skb, sizeof(*reth));
	reth->va = cpu_to_be64(wqe->wr.rdma.remote_addr + start);
	reth->rkey = cpu_to_be32(wqe->wr.rdma.rkey);
	reth->len = cpu_to_be32(end - start);
	dmr_net_xmit(qp, skb);
}

static void dmr_wire_send_atomic(struct dmr_qp *qp)
{
	const struct dmr_send_wqe *wqe = qp->send_wqe;
	bool cmp_swap = wqe->opcode == IB_UVERBS_WR_ATOMIC_CMP_AND_SWP;
	u8 opcode = cmp_swap ? DMR_OP_COMPARE_SWAP : DMR_OP_FETCH_ADD;
	struct dmr_atmeth *ath;
	struct sk_buff *skb;

	skb = dmr_net_alloc(qp, dmr_hdr_len(dmr_opcode_mask(opcode)));
	if (!skb)
		return;
	dmr_net_bth(qp, skb, opcode, 0, qp->wreq.first_psn, true, false);
	ath = skb_put(skb, sizeof(*ath));
	ath->va = cpu_to_be64(wqe->wr.atomic.remote_addr);
	ath->rkey = cpu_to_be32(wqe->wr.atomic.rkey);
	ath->swap_add = cpu_to_be64(cmp_swap ? wqe->wr.atomic.swap :
					       wqe->wr.atomic.compare_add);
	ath->comp = cpu_to_be64(cmp_swap ? wqe->wr.atomic.compare_add : 0);
	dmr_net_xmit(qp, skb);
}

/*
 * Send what the window allows of the message in flight, from r->sent on,
 * and arm the retry timer. A failure of the local side is the message's
 * completion status.
 */
static enum ib_wc_status dmr_wire_send(struct dmr_qp *qp)
{
	const struct dmr_send_wqe *wqe = qp->send_wqe;
	struct dmr_wire_req *r = &qp->wreq;
	enum ib_wc_status st = IB_WC_SUCCESS;
	int err = 0;

	if (dmr_wire_is_read(wqe)) {
		while (r->sent < r->npsn &&
		       dmr_wire_read_pieces(r) < dmr_wire_read_depth(qp)) {
			u32 end = dmr_wire_read_piece_end(r, r->sent);

			dmr_wire_send_read(qp, r->sent, end);
			r->sent = end;
		}
	} else if (dmr_opcode_is_atomic(wqe->opcode)) {
		dmr_wire_send_atomic(qp);
		r->sent = 1;
	} else if (r->sent < r->npsn) {
		st = dmr_req_local(qp, wqe);
		while (st == IB_WC_SUCCESS && r->sent < r->npsn &&
		       r->sent - r->acked < DMR_WIRE_WINDOW) {
			err = dmr_wire_send_packet(qp, r->sent);
			if (err) {
				st = dmr_req_copy_status(err);
				break;
			}
			r->sent++;
		}
		dmr_xfer_release(&qp->local);
	}
	if (st == IB_WC_SUCCESS)
		dmr_wire_arm(qp, dmr_wire_ack_timeout(qp));
	return st;
}

/*
 * The message in flight is over: complete it with @st and, on success,
 * go on with the next. True if send_work must run what is left.
 */
static bool dmr_wire_done(struct dmr_qp *qp, enum ib_wc_status st)
{
	struct dmr_wire_req *r = &qp->wreq;

	lockdep_assert_held(&qp->sq_lock);
	r->busy = false;
	r->rnr_wait = false;
	cancel_delayed_work(&qp->retry_work);
	if (st != IB_WC_SUCCESS)
		r->sqd_notify = false;	/* the QP goes to the error state */
	dmr_queue_pop(&qp->sq);
	dmr_req_complete(qp, qp->send_wqe, st,
			 dmr_wire_is_read(qp->send_wqe) ||
			 !dmr_opcode_is_atomic(qp->send_wqe->opcode) ?
			 (u32)r->len : sizeof(u64));
	if (st != IB_WC_SUCCESS) {
		dmr_qp_error(qp, false);
		dmr_qp_flush_sq(qp);
		return false;
	}
	qp->retries_left = qp->attr.retry_cnt;
	qp->rnr_retries_left = qp->attr.rnr_retry;
	if (r->sqd_notify) {
		/* Nothing more starts in SQD: the SQ is drained now. */
		r->sqd_notify = false;
		if (dmr_qp_state(qp) == IB_QPS_SQD) {
			dmr_qp_event(qp, IB_EVENT_SQ_DRAINED);
			return false;
		}
	}
	return dmr_req_run(qp, false);
}

/*
 * Start the send WQE at the head of the ring (posted, in RTS). True if
 * send_work must run what is left.
 */
bool dmr_wire_req_run(struct dmr_qp *qp, bool in_syscall)
{
	struct dmr_send_wqe *wqe = qp->send_wqe;
	struct dmr_wire_req *r = &qp->wreq;
	enum ib_wc_status st;

	lockdep_assert_held(&qp->sq_lock);
	if (r->busy || READ_ONCE(qp->stopping))
		return false;
	dmr_queue_copy_send(&qp->sq, wqe);
	r->busy = true;
	r->rnr_wait = false;
	r->reread = false;
	r->postponed = 0;
	r->heard = false;
	r->sent = 0;
	r->acked = 0;
	r->len = 0;
	switch (dmr_send_wqe_check(wqe, qp->max_send_sge, qp->max_inline,
				   false)) {
	case DMR_WQE_OK:
		break;
	case DMR_WQE_BAD_ATOMIC:
		return dmr_wire_done(qp, IB_WC_LOC_LEN_ERR);
	default:
		return dmr_wire_done(qp, IB_WC_LOC_QP_OP_ERR);
	}
	st = dmr_req_local(qp, wqe);
	r->len = qp->local.len;
	dmr_xfer_release(&qp->local);
	if (st != IB_WC_SUCCESS)
		return dmr_wire_done(qp, st);

	r->first_psn = r->next_psn;
	if (dmr_opcode_is_atomic(wqe->opcode))
		r->npsn = 1;
	else
		r->npsn = max_t(u32, DIV_ROUND_UP_ULL(r->len, qp->path.mtu), 1);
	r->next_psn = (r->next_psn + r->npsn) & DMR_BTH_PSN;
	st = dmr_wire_send(qp);
	if (st != IB_WC_SUCCESS)
		return dmr_wire_done(qp, st);
	return false;
}

/*
 * The retry timer: nothing heard since the last packet (or an RNR NAK's
 * time is up). Also run, at once, to restart an SQ after SQD.
 */
void dmr_wire_req_timeout(struct dmr_qp *qp)
{
	struct dmr_wire_req *r = &qp->wreq;
	enum ib_wc_status st;
	bool more = false;

	mutex_lock(&qp->sq_lock);
	if (!r->busy) {
		more = dmr_req_run(qp, false);
		goto out;
	}
	if (dmr_qp_state(qp) == IB_QPS_ERR) {
		dmr_req_run(qp, false);	/* flushes */
		goto out;
	}
	if (time_before(jiffies, r->deadline)) {
		/* A restart, not the timer: keep the time left. */
		mod_delayed_work(system_dfl_wq, &qp->retry_work,
				 r->deadline - jiffies);
		goto out;
	}
	if (!r->rnr_wait && r->postponed < DMR_WIRE_POSTPONE_MAX &&
	    (dmr_net_rx_pending() || r->heard)) {
		r->heard = false;
		r->postponed++;
		dmr_wire_arm(qp, dmr_wire_ack_timeout(qp));
		goto out;
	}
	if (r->rnr_wait) {
		r->rnr_wait = false;
	} else if (qp->attr.timeout) {	/* 0: infinite, never give up */
		if (!qp->retries_left) {
			more = dmr_wire_done(qp, IB_WC_RETRY_EXC_ERR);
			goto out;
		}
		qp->retries_left--;
	}
	r->sent = r->acked;
	r->reread = false;	/* a gap in what this asks for asks again */
	st = dmr_wire_send(qp);
	if (st != IB_WC_SUCCESS)
		more = dmr_wire_done(qp, st);
out:
	mutex_unlock(&qp->sq_lock);
	dmr_req_continue(qp, more);
}

/* Progress to @acked packets of the message in flight. */
static void dmr_wire_progress(struct dmr_qp *qp, u32 acked)
{
	struct dmr_wire_req *r = &qp->wreq;

	if (acked <= r->acked)
		return;
	r->acked = acked;
	r->reread = false;
	r->postponed = 0;
	r->heard = false;
	if (r->sent < acked)
		r->sent = acked;
	qp->retries_left = qp->attr.retry_cnt;
	/* The timeout counts from the last sign of life, as rxe's does. */
	if (!r->rnr_wait && acked < r->npsn)
		dmr_wire_arm(qp, dmr_wire_ack_timeout(qp));
}

/* The status a NAK's syndrome gives the message it answers. */
static enum ib_wc_status dmr_wire_nak_status(u8 syndrome)
{
	switch (syndrome) {
	case DMR_AETH_NAK_INV_REQ:
		return IB_WC_REM_INV_REQ_ERR;
	case DMR_AETH_NAK_REM_ACC:
		return IB_WC_REM_ACCESS_ERR;
	default:
		return IB_WC_REM_OP_ERR;
	}
}

/*
 * An AETH for packet @diff of the message in flight: ACK, RNR NAK or NAK.
 * True if the message is over (*st says how).
 */
static bool dmr_wire_aeth(struct dmr_qp *qp, const struct dmr_pkt *pkt,
			  u32 diff, enum ib_wc_status *st)
{
	const struct dmr_aeth *aeth = dmr_pkt_ext(pkt, DMR_OPF_AETH);
	u8 syn = be32_to_cpu(aeth->smsn) >> 24;
	struct dmr_wire_req *r = &qp->wreq;
	const struct dmr_send_wqe *wqe = qp->send_wqe;

	switch (syn & DMR_AETH_TYPE) {
	case DMR_AETH_TYPE_ACK:
		/* An ACK answers SENDs and WRITEs; READs want their data. */
		if (pkt->opcode != DMR_OP_ACKNOWLEDGE || dmr_wire_is_read(wqe) ||
		    dmr_opcode_is_atomic(wqe->opcode))
			return false;
		dmr_wire_progress(qp, diff + 1);
		*st = IB_WC_SUCCESS;
		return r->acked == r->npsn;
	case DMR_AETH_TYPE_RNR:
		if (qp->attr.rnr_retry != 7) {
			if (!qp->rnr_retries_left) {
				*st = IB_WC_RNR_RETRY_EXC_ERR;
				return true;
			}
			qp->rnr_retries_left--;
		}
		dmr_wire_progress(qp, diff);
		r->sent = r->acked;
		r->rnr_wait = true;
		dmr_wire_arm(qp, dmr_rnr_timer_usec(syn & 0x1f));
		return false;
	case DMR_AETH_TYPE_NAK:
		if (syn != DMR_AETH_NAK_PSN_SEQ) {
			*st = dmr_wire_nak_status(syn);
			return true;
		}
		/* Lost packets: send again from the one the responder wants. */
		dmr_wire_progress(qp, diff);
		/* After an RNR NAK the timer resends, not the NAKs behind it. */
		if (r->rnr_wait)
			return false;
		r->sent = r->acked;
		*st = dmr_wire_send(qp);
		return *st != IB_WC_SUCCESS;
	default:
		return false;	/* reserved: ignored */
	}
}

/* A READ response packet @diff: place its data. */
static bool dmr_wire_read_resp(struct dmr_qp *qp, const struct dmr_pkt *pkt,
			       u32 diff, enum ib_wc_status *st)
{
	struct dmr_wire_req *r = &qp->wreq;
	u32 mtu = qp->path.mtu;
	u64 off = (u64)diff * mtu;
	bool last = pkt->mask & DMR_OPF_LAST;
	int err;

	if (!dmr_wire_is_read(qp->send_wqe) || diff < r->acked)
		return false;
	/* In order only: past a gap, ask for the rest again, once. */
	if (diff > r->acked) {
		r->heard = true;
		if (!r->reread) {
			r->reread = true;
			r->sent = r->acked;
			*st = dmr_wire_send(qp);
			return *st != IB_WC_SUCCESS;
		}
		return false;
	}
	/* Each READ request ends at the end of a piece. */
	if (last != (diff + 1 == dmr_wire_read_piece_end(r, diff)) ||
	    pkt->paylen != min_t(u64, mtu, r->len - off)) {
		dmr_dbg(qp->dev, "QP %u: READ response %u of %u bad (%u bytes)\n",
			qp->ibqp.qp_num, diff, r->npsn, pkt->paylen);
		return false;
	}
	if (pkt->mask & DMR_OPF_AETH) {
		const struct dmr_aeth *aeth = dmr_pkt_ext(pkt, DMR_OPF_AETH);
		u8 syn = be32_to_cpu(aeth->smsn) >> 24;

		if ((syn & DMR_AETH_TYPE) != DMR_AETH_TYPE_ACK)
			return dmr_wire_aeth(qp, pkt, diff, st);
	}
	*st = dmr_req_local(qp, qp->send_wqe);
	if (*st != IB_WC_SUCCESS) {
		dmr_xfer_release(&qp->local);
		return true;
	}
	err = dmr_wire_local_copy(qp, off, pkt->payload, pkt->paylen, true);
	dmr_xfer_release(&qp->local);
	if (err) {
		*st = dmr_req_copy_status(err);
		return true;
	}
	dmr_wire_progress(qp, diff + 1);
	*st = IB_WC_SUCCESS;
	return r->acked == r->npsn;
}

/* An atomic ACK: the original value goes to the WQE's scatter entry. */
static bool dmr_wire_atomic_ack(struct dmr_qp *qp, const struct dmr_pkt *pkt,
				enum ib_wc_status *st)
{
	const struct dmr_atmack *ack = dmr_pkt_ext(pkt, DMR_OPF_ATMACK);
	u64 orig = be64_to_cpu(ack->orig);
	int err;

	if (!dmr_opcode_is_atomic(qp->send_wqe->opcode))
		return false;
	*st = dmr_req_local(qp, qp->send_wqe);
	if (*st != IB_WC_SUCCESS) {
		dmr_xfer_release(&qp->local);
		return true;
	}
	err = dmr_wire_local_copy(qp, 0, &orig, sizeof(orig), true);
	dmr_xfer_release(&qp->local);
	*st = err ? dmr_req_copy_status(err) : IB_WC_SUCCESS;
	return true;
}

/* A packet from the responder: ACK, NAK, READ response or atomic ACK. */
void dmr_wire_comp_rcv(struct dmr_qp *qp, const struct dmr_pkt *pkt)
{
	struct dmr_wire_req *r = &qp->wreq;
	enum ib_wc_status st = IB_WC_SUCCESS;
	bool done = false, more = false;
	s32 diff;

	mutex_lock(&qp->sq_lock);
	if (!r->busy || dmr_qp_state(qp) == IB_QPS_ERR ||
	    memcmp(&pkt->sgid, &qp->path.dgid, sizeof(pkt->sgid)) ||
	    memcmp(&pkt->dgid, &qp->path.sgid, sizeof(pkt->dgid)))
		goto out;
	diff = dmr_psn_diff(pkt->psn, r->first_psn);
	if (diff < 0 || diff >= r->npsn)
		goto out;	/* an old answer, or not for this message */

	if (pkt->mask & DMR_OPF_READ)
		done = dmr_wire_read_resp(qp, pkt, diff, &st);
	else if (pkt->opcode == DMR_OP_ATOMIC_ACKNOWLEDGE)
		done = dmr_wire_atomic_ack(qp, pkt, &st);
	else
		done = dmr_wire_aeth(qp, pkt, diff, &st);

	if (done) {
		more = dmr_wire_done(qp, st);
	} else if (r->busy && !r->rnr_wait && r->sent < r->npsn &&
		   (dmr_wire_is_read(qp->send_wqe) ?
		    dmr_wire_read_pieces(r) < dmr_wire_read_depth(qp) :
		    r->sent - r->acked < DMR_WIRE_WINDOW)) {
		/* The window opened. */
		st = dmr_wire_send(qp);
		if (st != IB_WC_SUCCESS)
			more = dmr_wire_done(qp, st);
	}
out:
	mutex_unlock(&qp->sq_lock);
	dmr_req_continue(qp, more);
}
