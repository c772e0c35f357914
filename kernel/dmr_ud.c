// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Unreliable datagrams: address handles, and the execution of UD sends,
 * the GSI QP's (QP1) included - which is how the kernel's MAD layer and
 * connection manager, and so rdma_cm, talk over dmr.
 *
 * A UD send finds its destination as a packet would: the dmr device that
 * owns the destination GID, then the QP with the destination number on it
 * (number 1: that device's GSI QP). The receiver gets what a RoCE v2 NIC
 * places: the 40-byte network header (an IPv4 header in its last 20 bytes,
 * or an IPv6 header), then the payload. What would make a network lose
 * the datagram loses it here too, silently: no such device or QP, a Q_Key
 * mismatch, a receiver not ready, no receive WQE. The sender completes
 * successfully regardless; only its own errors (a bad WQE, a bad local key
 * or source GID) fail it, and move its QP to the SQE state.
 */
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <rdma/ib_addr.h>
#include <rdma/ib_cache.h>
#include <rdma/ib_mad.h>

#include "dmr.h"
#include "dmr_lookup.h"
#include "dmr_rules.h"

/* What a RoCE v2 UD packet adds to the payload: UDP, BTH, DETH, ICRC. */
#define DMR_ROCE_UD_OVERHEAD (8 + 12 + 8 + 4)

/* Requester scratch of a UD QP, under its sq_lock. */
struct dmr_ud_send {
	union rdma_network_hdr hdr;
	/* What the receiver gets: the network header, then the message. */
	struct dmr_mem_seg src[DMR_MAX_SGE + 1];
};

/* The GRH of IBTA, which RoCE v2 NICs fill with an IP header. */
static_assert(sizeof(union rdma_network_hdr) == 40);

int dmr_check_av(const struct rdma_ah_attr *ah)
{
	if (ah->type != RDMA_AH_ATTR_TYPE_ROCE ||
	    !(rdma_ah_get_ah_flags(ah) & IB_AH_GRH))
		return -EINVAL;
	if (rdma_ah_get_port_num(ah) != 1)
		return -EINVAL;
	if (ah->grh.sgid_index >= DMR_GID_TABLE_LEN)
		return -EINVAL;
	return 0;
}

/*
 * Kernel and user address handles alike. The AV is copied into each UD
 * send WQE (by the provider for processes), so an AH is only its AV:
 * nothing to look up or to keep alive, and nothing here sleeps - the CM
 * creates and destroys AHs under spinlocks.
 */
int dmr_create_ah(struct ib_ah *ibah, struct rdma_ah_init_attr *init,
		  struct ib_udata *udata)
{
	const struct ib_global_route *grh = rdma_ah_read_grh(init->ah_attr);
	struct dmr_dev *dev = to_dmr_dev(ibah->device);
	struct dmr_av *av = &to_dmr_ah(ibah)->av;
	int err;

	err = dmr_check_av(init->ah_attr);
	if (err)
		return err;
	if (udata) {
		err = ib_is_udata_in_empty(udata);
		if (err)
			return err;
	}
	if (!dmr_count_get(&dev->n_ah, DMR_MAX_AH))
		return -ENOMEM;
	memcpy(av->dgid, grh->dgid.raw, sizeof(av->dgid));
	av->flow_label = grh->flow_label;
	av->sgid_index = grh->sgid_index;
	av->hop_limit = grh->hop_limit;
	av->traffic_class = grh->traffic_class;
	return 0;
}

int dmr_destroy_ah(struct ib_ah *ibah, u32 flags)
{
	atomic_dec(&to_dmr_dev(ibah->device)->n_ah);
	return 0;
}

int dmr_ud_qp_init(struct dmr_qp *qp)
{
	qp->ud = kzalloc_obj(*qp->ud, GFP_KERNEL_ACCOUNT);
	return qp->ud ? 0 : -ENOMEM;
}

void dmr_ud_qp_cleanup(struct dmr_qp *qp)
{
	kfree(qp->ud);
	qp->ud = NULL;
}

/*
 * The QP that UD number @qpn names on the device owning @dgid, with a
 * reference; NULL if there is none (the datagram is lost). Only QP number
 * 1 reaches a GSI QP, and only UD QPs are reached by their numbers.
 */
static struct dmr_qp *dmr_ud_find_dest(const union ib_gid *dgid, u32 qpn)
{
	struct dmr_dev *dev = dmr_dev_get_by_gid(dgid);
	struct dmr_qp *qp;

	if (!dev)
		return NULL;
	if (qpn == 1) {
		qp = dmr_qp_get_gsi(dev);
	} else {
		qp = dmr_qp_get(qpn);
		if (qp && (qp->dev != dev || qp->ibqp.qp_type != IB_QPT_UD)) {
			dmr_qp_put(qp);
			qp = NULL;
		}
	}
	ib_device_put(&dev->ibdev);
	return qp;
}

/* The network header a RoCE v2 NIC puts before a UD payload of @len. */
static void dmr_ud_build_hdr(union rdma_network_hdr *hdr,
			     enum rdma_network_type net,
			     const union ib_gid *sgid, const union ib_gid *dgid,
			     const struct dmr_av *av, u32 len)
{
	struct ipv6hdr *ip6 = (struct ipv6hdr *)&hdr->ibgrh;
	struct iphdr *ip = &hdr->roce4grh;

	memset(hdr, 0, sizeof(*hdr));
	if (net == RDMA_NETWORK_IPV4) {
		ip->version = 4;
		ip->ihl = 5;
		ip->tos = av->traffic_class;
		ip->tot_len = htons(sizeof(*ip) + DMR_ROCE_UD_OVERHEAD + len);
		ip->frag_off = htons(IP_DF);
		ip->ttl = av->hop_limit;
		ip->protocol = IPPROTO_UDP;
		memcpy(&ip->saddr, &sgid->raw[12], sizeof(ip->saddr));
		memcpy(&ip->daddr, &dgid->raw[12], sizeof(ip->daddr));
		/* Receivers tell IPv4 from IPv6 by it (ibv_init_ah_from_wc). */
		ip->check = ip_fast_csum(ip, ip->ihl);
	} else {
		ip6_flow_hdr(ip6, av->traffic_class,
			     cpu_to_be32(av->flow_label) & IPV6_FLOWLABEL_MASK);
		ip6->payload_len = htons(DMR_ROCE_UD_OVERHEAD + len);
		ip6->nexthdr = IPPROTO_UDP;
		ip6->hop_limit = av->hop_limit;
		memcpy(&ip6->saddr, sgid->raw, sizeof(ip6->saddr));
		memcpy(&ip6->daddr, dgid->raw, sizeof(ip6->daddr));
	}
}

/*
 * Deliver the message in qp->ud->src (@nsrc segments, @len bytes with the
 * network header) to @peer. Returns the sender's status: a failure only
 * if the sender's own memory failed during the copy.
 */
static enum ib_wc_status dmr_ud_deliver(struct dmr_qp *qp, struct dmr_qp *peer,
					const struct dmr_send_wqe *wqe,
					u32 qkey, unsigned int nsrc, u32 len,
					enum rdma_network_type net)
{
	struct dmr_recv_wqe *rwqe = peer->recv_wqe;
	u32 max_sge = peer->srq ? peer->srq->max_sge : peer->max_recv_sge;
	bool with_imm = wqe->opcode == IB_UVERBS_WR_SEND_WITH_IMM;
	enum ib_wc_status sender = IB_WC_SUCCESS, st;
	struct dmr_xfer *dst = &qp->remote;
	struct dmr_cqe cqe;
	bool dst_failed;
	int err;

	mutex_lock(&peer->rq_lock);
	/* Lost on the way: the receiver is not there for it. */
	if (!dmr_qp_can_receive(peer) || qkey != peer->attr.qkey ||
	    dmr_qp_take_recv(peer))
		goto out;
	if (rwqe->num_sge > max_sge) {
		/* A corrupt receive queue: the receiver's QP fails. */
		st = IB_WC_LOC_QP_OP_ERR;
		goto complete;
	}
	st = dmr_xfer_sges(dst, peer->dev, peer->ibqp.pd,
			   (const struct dmr_sge *)(rwqe + 1), rwqe->num_sge,
			   IB_ACCESS_LOCAL_WRITE, len);
	if (st == IB_WC_SUCCESS && dst->len < len)
		st = IB_WC_LOC_LEN_ERR;
	if (st == IB_WC_SUCCESS) {
		/* At most an MTU: never more than one bracket, nothing to stop. */
		err = dmr_mem_copy(dst->seg, dmr_xfer_nsegs(dst), qp->ud->src,
				   nsrc, len, NULL, &dst_failed);
		if (err && dst_failed) {
			st = IB_WC_LOC_PROT_ERR;
		} else if (err) {
			/* The sender's memory went away mid-message. */
			st = IB_WC_REM_ABORT_ERR;
			sender = IB_WC_LOC_PROT_ERR;
		}
	}
	dmr_xfer_release(dst);
complete:
	cqe = (struct dmr_cqe){
		.wr_id = rwqe->wr_id,
		.status = st,
		.opcode = IB_WC_RECV,
		.byte_len = st == IB_WC_SUCCESS ? len : 0,
		.imm_data = with_imm ? wqe->imm_data : 0,
		.qp_num = peer->index,
		.src_qp = qp->ibqp.qp_num,
		.wc_flags = IB_WC_GRH | (with_imm ? IB_WC_WITH_IMM : 0),
		.network_hdr_type = net,
	};
	if (dmr_cq_post(peer->rcq, &cqe, wqe->send_flags & DMR_SEND_SOLICITED)) {
		dmr_qp_event(peer, IB_EVENT_QP_FATAL);
		dmr_qp_error(peer, true);
	} else if (st == IB_WC_LOC_QP_OP_ERR) {
		dmr_qp_event(peer, IB_EVENT_QP_FATAL);
		dmr_qp_error(peer, true);
	}
out:
	mutex_unlock(&peer->rq_lock);
	return sender;
}

/* The largest UD message: the port's MTU (see dmr_query_port()). */
static u32 dmr_ud_max_msg(struct dmr_dev *dev)
{
	enum ib_mtu mtu = iboe_get_mtu(READ_ONCE(dev->ndev->mtu));

	return ib_mtu_enum_to_int(mtu ? min(mtu, IB_MTU_4096) : IB_MTU_256);
}

/*
 * Execute one UD send WQE of @qp (a private copy) and deliver it, under
 * the QP's sq_lock. Returns the sender's completion status.
 */
enum ib_wc_status dmr_ud_send(struct dmr_qp *qp,
			      const struct dmr_send_wqe *wqe, u32 *byte_len)
{
	const struct dmr_av *av = &wqe->wr.ud.av;
	const struct ib_gid_attr *sgid_attr;
	struct dmr_ud_send *ud = qp->ud;
	enum rdma_network_type net;
	enum ib_wc_status st;
	struct dmr_qp *peer;
	union ib_gid dgid;
	unsigned int i, nsrc;
	u32 qkey;

	lockdep_assert_held(&qp->sq_lock);
	*byte_len = 0;
	if (dmr_send_wqe_check(wqe, qp->max_send_sge, qp->max_inline, true))
		return IB_WC_LOC_QP_OP_ERR;
	sgid_attr = rdma_get_gid_attr(&qp->dev->ibdev, 1, av->sgid_index);
	if (IS_ERR(sgid_attr))
		return IB_WC_LOC_QP_OP_ERR;
	st = dmr_req_local(qp, wqe);
	if (st != IB_WC_SUCCESS)
		goto out;
	*byte_len = qp->local.len;

	/* Too long for the path (IBTA C10-93.1.1): silently not sent. */
	if (qp->local.len > dmr_ud_max_msg(qp->dev))
		goto out;
	memcpy(dgid.raw, av->dgid, sizeof(dgid.raw));
	net = rdma_gid_attr_network_type(sgid_attr);
	/* No route from an IPv4 source to an IPv6 destination, or back. */
	if (net != (ipv6_addr_v4mapped((struct in6_addr *)dgid.raw) ?
		    RDMA_NETWORK_IPV4 : RDMA_NETWORK_IPV6))
		goto out;
	peer = dmr_ud_find_dest(&dgid, wqe->wr.ud.remote_qpn);
	if (!peer)
		goto out;

	/* IBTA: a Q_Key with the high bit set means the QP's own. */
	qkey = wqe->wr.ud.remote_qkey & IB_QP_SET_QKEY ? qp->attr.qkey :
						       wqe->wr.ud.remote_qkey;
	dmr_ud_build_hdr(&ud->hdr, net, &sgid_attr->gid, &dgid, av,
			 qp->local.len);
	ud->src[0] = (struct dmr_mem_seg){ .buf = &ud->hdr,
					   .len = sizeof(ud->hdr) };
	nsrc = dmr_xfer_nsegs(&qp->local);
	for (i = 0; i < nsrc; i++)
		ud->src[i + 1] = qp->local.seg[i];
	st = dmr_ud_deliver(qp, peer, wqe, qkey, nsrc + 1,
			    sizeof(ud->hdr) + qp->local.len, net);
	dmr_qp_put(peer);
out:
	dmr_xfer_release(&qp->local);
	rdma_put_gid_attr(sgid_attr);
	return st;
}
