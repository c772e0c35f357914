// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * dmr's RoCE v2 network layer: the UDP socket of a network namespace,
 * packets out (IP and UDP headers, ICRC, ip_local_out) and packets in
 * (checks, then the QP's responder or completer).
 *
 * Sockets: UDP port 4791 is bound in a namespace only while a QP there
 * uses the wire, so that rxe can have the port in namespaces where dmr
 * talks only to dmr devices of this host. One socket per namespace,
 * shared by that namespace's wire QPs (struct dmr_net_sock). When the
 * port is taken (by rxe), the QP is still a wire QP: its packets go out,
 * answers cannot come back, and its requests end with retry errors as
 * with an unreachable peer; a warning says why.
 *
 * Receive: the UDP stack hands packets to dmr_net_encap_rcv() in softirq
 * context. It finds the dmr device the packet arrived for and queues the
 * packet for dmr_net_rx_work(), which checks and delivers it: dmr's QP
 * locks are mutexes. The queue is bounded; beyond it packets are dropped
 * and the peer's retransmission recovers them.
 */
#include <linux/bitfield.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <net/ip.h>
#include <net/ip6_route.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/route.h>
#include <net/udp_tunnel.h>
#include <rdma/ib_cache.h>

#include "dmr.h"
#include "dmr_lookup.h"
#include "dmr_wire.h"

static bool force_wire;
module_param(force_wire, bool, 0644);
MODULE_PARM_DESC(force_wire,
		 "Connect RC QPs over RoCE v2 even to dmr devices of this host (for tests)");

/* The UDP socket of one namespace; the wire QPs there hold references. */
struct dmr_net_sock {
	struct kref ref;
	struct socket *sock;	/* NULL: the port was taken, or the net died */
	struct dmr_net_sock **slot;	/* the namespace's pointer to it */
};

static unsigned int dmr_net_id;
/* Guards every namespace's slot and the sockets' lifetimes. */
static DEFINE_MUTEX(dmr_net_lock);

/* The packets received and not handled yet, and their worker. */
#define DMR_RX_QUEUE_MAX	4096
#define DMR_RX_BUDGET		64
static struct sk_buff_head dmr_rx_queue;
static struct workqueue_struct *dmr_net_wq;
static void dmr_net_rx_work(struct work_struct *work);
static DECLARE_WORK(dmr_rx_work, dmr_net_rx_work);

/* What skb->cb holds between the softirq and the worker. */
struct dmr_rx_cb {
	struct dmr_dev *dev;	/* with a reference */
};

static struct dmr_rx_cb *dmr_rx_cb(struct sk_buff *skb)
{
	BUILD_BUG_ON(sizeof(struct dmr_rx_cb) > sizeof(skb->cb));
	return (struct dmr_rx_cb *)skb->cb;
}

static int dmr_net_encap_rcv(struct sock *sk, struct sk_buff *skb)
{
	struct dmr_dev *dev;

	dev = dmr_dev_get_rcu(skb->dev, skb);
	if (!dev || skb_queue_len(&dmr_rx_queue) >= DMR_RX_QUEUE_MAX) {
		if (dev)
			ib_device_put(&dev->ibdev);
		kfree_skb(skb);
		return 0;
	}
	dmr_rx_cb(skb)->dev = dev;
	/* The route may be a reference-less one, valid only in softirq. */
	skb_dst_drop(skb);
	skb_queue_tail(&dmr_rx_queue, skb);
	queue_work(dmr_net_wq, &dmr_rx_work);
	return 0;
}

static struct socket *dmr_net_open(struct net *net)
{
	struct udp_tunnel_sock_cfg tnl = {
		.encap_type = 1,
		.encap_rcv = dmr_net_encap_rcv,
	};
	struct udp_port_cfg cfg = {
		.family = AF_INET6,
		.local_udp_port = htons(DMR_ROCE_V2_PORT),
		/* One socket for IPv4 and IPv6 (v4-mapped). */
		.ipv6_v6only = 0,
	};
	struct socket *sock;
	int err;

	err = udp_sock_create(net, &cfg, &sock);
	if (err == -EAFNOSUPPORT) {
		cfg.family = AF_INET;
		err = udp_sock_create(net, &cfg, &sock);
	}
	if (err)
		return ERR_PTR(err);
	setup_udp_tunnel_sock(net, sock->sk, &tnl);
	return sock;
}

static void dmr_net_sock_free(struct kref *ref)
{
	struct dmr_net_sock *ns = container_of(ref, struct dmr_net_sock, ref);

	lockdep_assert_held(&dmr_net_lock);
	if (ns->slot)
		*ns->slot = NULL;
	if (ns->sock)
		udp_tunnel_sock_release(ns->sock->sk);
	kfree(ns);
}

/* The socket of @net, opened on first use, with a reference. */
static struct dmr_net_sock *dmr_net_get(struct net *net, struct dmr_dev *dev)
{
	struct dmr_net_sock **slot = net_generic(net, dmr_net_id);
	struct dmr_net_sock *ns;
	struct socket *sock;

	mutex_lock(&dmr_net_lock);
	ns = *slot;
	if (ns) {
		kref_get(&ns->ref);
		goto out;
	}
	ns = kzalloc(sizeof(*ns), GFP_KERNEL);
	if (!ns)
		goto out;
	kref_init(&ns->ref);
	sock = dmr_net_open(net);
	if (IS_ERR(sock))
		dmr_warn_ratelimited(dev,
				     "UDP port %u is taken in this network namespace (rxe?): no RoCE v2 packet will reach dmr here (%pe)\n",
				     DMR_ROCE_V2_PORT, sock);
	else
		ns->sock = sock;
	ns->slot = slot;
	*slot = ns;
out:
	mutex_unlock(&dmr_net_lock);
	return ns;
}

static void dmr_net_put(struct dmr_net_sock *ns)
{
	if (!ns)
		return;
	mutex_lock(&dmr_net_lock);
	kref_put(&ns->ref, dmr_net_sock_free);
	mutex_unlock(&dmr_net_lock);
}

static __net_exit void dmr_net_ns_exit(struct net *net)
{
	struct dmr_net_sock **slot = net_generic(net, dmr_net_id);
	struct dmr_net_sock *ns;

	/* QPs of a dying namespace may outlive it: they lose the port. */
	mutex_lock(&dmr_net_lock);
	ns = *slot;
	if (ns) {
		if (ns->sock)
			udp_tunnel_sock_release(ns->sock->sk);
		ns->sock = NULL;
		ns->slot = NULL;
		*slot = NULL;
	}
	mutex_unlock(&dmr_net_lock);
}

static struct pernet_operations dmr_net_ops = {
	.exit = dmr_net_ns_exit,
	.id = &dmr_net_id,
	.size = sizeof(struct dmr_net_sock *),
};

/* The GID at @qp's source GID index, with its attribute; or an error. */
static const struct ib_gid_attr *dmr_wire_sgid_attr(struct dmr_qp *qp)
{
	return rdma_get_gid_attr(&qp->dev->ibdev, 1,
				 qp->attr.ah_attr.grh.sgid_index);
}

/*
 * Whether @dgid belongs to a dmr device of this host in @net: the peer is
 * reached by direct copy.
 */
static bool dmr_wire_peer_is_local(const union ib_gid *dgid, struct net *net)
{
	struct dmr_dev *peer = dmr_dev_get_by_gid(dgid);
	struct net_device *ndev;
	bool local = false;

	if (!peer)
		return false;
	ndev = dmr_netdev_get(peer);
	if (ndev) {
		local = net_eq(dev_net(ndev), net);
		dev_put(ndev);
	}
	ib_device_put(&peer->ibdev);
	return local;
}

/*
 * At RTR: choose the transport of an RC QP, and for the wire, fix its
 * addresses and take the namespace's socket. Under both QP locks.
 */
int dmr_wire_setup(struct dmr_qp *qp)
{
	const struct ib_global_route *grh = &qp->attr.ah_attr.grh;
	struct dmr_wire_path *path = &qp->path;
	const struct ib_gid_attr *attr;
	struct net_device *ndev;
	struct net *net;
	u32 fl;

	lockdep_assert_held(&qp->sq_lock);
	lockdep_assert_held(&qp->rq_lock);
	dmr_wire_release(qp);
	if (qp->ibqp.qp_type != IB_QPT_RC)
		return 0;
	/*
	 * Without a source GID there is no connection either way: the
	 * local transport's responders refuse it (dmr_resp_conn_check()).
	 */
	attr = dmr_wire_sgid_attr(qp);
	if (IS_ERR(attr))
		return 0;
	rcu_read_lock();
	ndev = rdma_read_gid_attr_ndev_rcu(attr);
	net = IS_ERR(ndev) ? NULL : maybe_get_net(dev_net(ndev));
	rcu_read_unlock();
	if (!net) {
		rdma_put_gid_attr(attr);
		return 0;
	}
	if (!force_wire && dmr_wire_peer_is_local(&grh->dgid, net))
		goto out;

	path->sgid = attr->gid;
	path->dgid = grh->dgid;
	path->tclass = grh->traffic_class;
	path->hop_limit = grh->hop_limit ?: 64;
	path->mtu = ib_mtu_enum_to_int(qp->attr.path_mtu ?: IB_MTU_1024);
	fl = grh->flow_label ?:
		rdma_calc_flow_label(qp->ibqp.qp_num, qp->attr.dest_qp_num);
	path->sport = rdma_flow_label_to_udp_sport(fl);
	path->sock = dmr_net_get(net, qp->dev);
	/* What a duplicate READ or atomic may ask for again. */
	qp->wresp.nres = max_t(u32, qp->attr.max_dest_rd_atomic, 1);
	qp->wresp.res = kcalloc(qp->wresp.nres, sizeof(*qp->wresp.res),
				GFP_KERNEL_ACCOUNT);
	if (!path->sock || !qp->wresp.res) {
		dmr_wire_release(qp);
		put_net(net);
		rdma_put_gid_attr(attr);
		return -ENOMEM;
	}
	qp->wire = true;
	qp->wreq.next_psn = qp->attr.sq_psn;
	dmr_wire_resp_reset(qp);
out:
	put_net(net);
	rdma_put_gid_attr(attr);
	return 0;
}

/*
 * The QP leaves the wire (RESET, destroy): its socket reference and held
 * packets go. Under both QP locks, or with the QP unreachable and its
 * works cancelled (destroy); a reply_work still queued finds ->wire false.
 */
void dmr_wire_release(struct dmr_qp *qp)
{
	dmr_wire_backlog_purge(qp);
	qp->wresp.reply.active = false;
	dmr_net_put(qp->path.sock);
	qp->path.sock = NULL;
	qp->wire = false;
	qp->wreq.busy = false;
	qp->wreq.rnr_wait = false;
	qp->wreq.sqd_notify = false;
	kfree(qp->wresp.res);
	qp->wresp.res = NULL;
	qp->wresp.nres = 0;
}

static bool dmr_gid_is_v4(const union ib_gid *gid)
{
	return ipv6_addr_v4mapped((const struct in6_addr *)gid->raw);
}

static __be32 dmr_gid_v4(const union ib_gid *gid)
{
	return ((const struct in6_addr *)gid->raw)->s6_addr32[3];
}

/*
 * A packet of @qp with room for its headers and @len bytes from the BTH
 * on (transport headers, payload and pad); skb->data is where the BTH
 * goes, and the caller puts the @len bytes. NULL if the QP's GID or
 * netdev has gone, or on allocation failure: the packet is lost.
 */
struct sk_buff *dmr_net_alloc(struct dmr_qp *qp, unsigned int len)
{
	const struct ib_gid_attr *attr;
	struct net_device *ndev;
	struct sk_buff *skb = NULL;
	unsigned int head, tail;

	attr = dmr_wire_sgid_attr(qp);
	if (IS_ERR(attr))
		return NULL;
	rcu_read_lock();
	ndev = rdma_read_gid_attr_ndev_rcu(attr);
	if (IS_ERR(ndev)) {
		rcu_read_unlock();
		goto out;
	}
	head = LL_RESERVED_SPACE(ndev) + sizeof(struct ipv6hdr) +
	       sizeof(struct udphdr);
	tail = ndev->needed_tailroom;
	rcu_read_unlock();
	skb = alloc_skb(head + len + DMR_ICRC_SIZE + tail, GFP_KERNEL);
	if (!skb)
		goto out;
	skb_reserve(skb, head);
	skb->protocol = dmr_gid_is_v4(&qp->path.dgid) ? htons(ETH_P_IP) :
							 htons(ETH_P_IPV6);
out:
	rdma_put_gid_attr(attr);
	return skb;
}

/* Put the BTH of a packet of @qp with @paylen bytes of payload. */
void dmr_net_bth(struct dmr_qp *qp, struct sk_buff *skb, u8 opcode,
		 unsigned int paylen, u32 psn, bool ack_req, bool se)
{
	struct dmr_bth *bth = skb_put(skb, sizeof(*bth));
	u8 pad = -paylen & 3;

	bth->opcode = opcode;
	bth->flags = (se ? DMR_BTH_SE : 0) | FIELD_PREP(DMR_BTH_PAD, pad);
	bth->pkey = cpu_to_be16(0xffff);
	bth->qpn = cpu_to_be32(qp->attr.dest_qp_num & DMR_BTH_QPN);
	bth->apsn = cpu_to_be32((ack_req ? DMR_BTH_ACK_REQ : 0) |
				(psn & DMR_BTH_PSN));
}

static struct dst_entry *dmr_net_route(struct dmr_qp *qp, struct net *net,
				       struct net_device *ndev)
{
	const struct dmr_wire_path *path = &qp->path;

	if (dmr_gid_is_v4(&path->dgid)) {
		struct flowi4 fl = {
			.flowi4_oif = ndev->ifindex,
			.flowi4_proto = IPPROTO_UDP,
			.saddr = dmr_gid_v4(&path->sgid),
			.daddr = dmr_gid_v4(&path->dgid),
		};
		struct rtable *rt = ip_route_output_key(net, &fl);

		return IS_ERR(rt) ? NULL : &rt->dst;
	}
#if IS_ENABLED(CONFIG_IPV6)
	{
		struct flowi6 fl6 = {
			.flowi6_oif = ndev->ifindex,
			.flowi6_proto = IPPROTO_UDP,
		};
		struct dst_entry *dst;

		memcpy(&fl6.saddr, path->sgid.raw, sizeof(fl6.saddr));
		memcpy(&fl6.daddr, path->dgid.raw, sizeof(fl6.daddr));
		dst = ip6_dst_lookup_flow(net, NULL, &fl6, NULL);
		if (IS_ERR(dst))
			return NULL;
		if (dst->error) {
			dst_release(dst);
			return NULL;
		}
		return dst;
	}
#else
	return NULL;
#endif
}

/*
 * Send a packet that dmr_net_alloc() gave and the caller filled from the
 * BTH on: IP and UDP headers, ICRC, out. Consumes @skb. An error is a
 * packet lost: the retry timers of the ends recover, or fail the QP.
 */
int dmr_net_xmit(struct dmr_qp *qp, struct sk_buff *skb)
{
	const struct dmr_wire_path *path = &qp->path;
	const struct ib_gid_attr *attr;
	struct net_device *ndev;
	struct dst_entry *dst;
	struct udphdr *udp;
	__le32 icrc;
	struct net *net;
	int err = -ENODEV;

	attr = dmr_wire_sgid_attr(qp);
	if (IS_ERR(attr))
		goto drop;
	rcu_read_lock();
	ndev = rdma_read_gid_attr_ndev_rcu(attr);
	if (IS_ERR(ndev)) {
		rcu_read_unlock();
		goto put_attr;
	}
	net = dev_net(ndev);
	dst = dmr_net_route(qp, net, ndev);
	rcu_read_unlock();
	err = -EHOSTUNREACH;
	if (!dst)
		goto put_attr;

	/* The ICRC's room counts in the IP and UDP lengths it covers. */
	skb_put(skb, DMR_ICRC_SIZE);
	__skb_push(skb, sizeof(*udp));
	skb_reset_transport_header(skb);
	udp = udp_hdr(skb);
	udp->source = htons(path->sport);
	udp->dest = htons(DMR_ROCE_V2_PORT);
	udp->len = htons(skb->len);
	udp->check = 0;

	skb_scrub_packet(skb, false);
	skb_clear_hash(skb);
	skb_dst_set(skb, dst);
	memset(IPCB(skb), 0, sizeof(*IPCB(skb)));
	if (skb->protocol == htons(ETH_P_IP)) {
		struct iphdr *iph;

		skb_push(skb, sizeof(*iph));
		skb_reset_network_header(skb);
		iph = ip_hdr(skb);
		iph->version = IPVERSION;
		iph->ihl = sizeof(*iph) >> 2;
		iph->tot_len = htons(skb->len);
		iph->frag_off = htons(IP_DF);
		iph->protocol = IPPROTO_UDP;
		iph->tos = path->tclass;
		iph->ttl = path->hop_limit;
		iph->saddr = dmr_gid_v4(&path->sgid);
		iph->daddr = dmr_gid_v4(&path->dgid);
		/* The ICRC covers the identification: choose it first. */
		__ip_select_ident(net, iph, 1);
	} else {
		struct ipv6hdr *ip6h;

		__skb_push(skb, sizeof(*ip6h));
		skb_reset_network_header(skb);
		ip6h = ipv6_hdr(skb);
		ip6_flow_hdr(ip6h, path->tclass, 0);
		ip6h->payload_len = htons(skb->len - sizeof(*ip6h));
		ip6h->nexthdr = IPPROTO_UDP;
		ip6h->hop_limit = path->hop_limit;
		memcpy(&ip6h->saddr, path->sgid.raw, sizeof(ip6h->saddr));
		memcpy(&ip6h->daddr, path->dgid.raw, sizeof(ip6h->daddr));
	}
	err = dmr_icrc(skb_network_header(skb), skb->len - DMR_ICRC_SIZE, &icrc);
	if (WARN_ON_ONCE(err))
		goto put_attr;
	memcpy(skb_tail_pointer(skb) - DMR_ICRC_SIZE, &icrc, sizeof(icrc));

	/* The GID's reference keeps the netdev, and so @net, until sent. */
	if (skb->protocol == htons(ETH_P_IP))
		err = ip_local_out(net, NULL, skb);
	else
		err = ip6_local_out(net, NULL, skb);
	rdma_put_gid_attr(attr);
	/* A full queue (NET_XMIT_DROP) is -ENOBUFS to the caller. */
	err = net_xmit_eval(err);
	return err > 0 ? -ENOBUFS : err;

put_attr:
	rdma_put_gid_attr(attr);
drop:
	kfree_skb(skb);
	return err;
}

/*
 * Check a received packet and describe it in @pkt: IP and UDP lengths,
 * the ICRC, a known RC opcode, transport version and partition, header
 * and pad lengths. False: drop it.
 */
static bool dmr_net_parse(struct sk_buff *skb, struct dmr_pkt *pkt)
{
	unsigned int l3_len, ip_len, udp_len, hdr_len, pad;
	const struct dmr_bth *bth;
	const struct udphdr *udp;
	__le32 icrc;
	u8 *l3;

	if (skb_linearize(skb))
		return false;
	l3 = skb_network_header(skb);
	udp = udp_hdr(skb);
	udp_len = ntohs(udp->len);
	ip_len = (u8 *)udp - l3;
	if (ip_len != sizeof(struct iphdr) && ip_len != sizeof(struct ipv6hdr))
		return false;
	l3_len = ip_len + udp_len;
	if (udp_len < sizeof(*udp) + sizeof(*bth) + DMR_ICRC_SIZE ||
	    (u8 *)udp + udp_len > skb_tail_pointer(skb))
		return false;
	if (dmr_icrc(l3, l3_len - DMR_ICRC_SIZE, &icrc) ||
	    memcmp(&icrc, l3 + l3_len - DMR_ICRC_SIZE, sizeof(icrc)))
		return false;

	bth = (const struct dmr_bth *)(udp + 1);
	pkt->hdr = (const u8 *)bth;
	pkt->opcode = bth->opcode;
	pkt->mask = dmr_opcode_mask(bth->opcode);
	if (!pkt->mask || FIELD_GET(DMR_BTH_TVER, bth->flags))
		return false;
	/* The default partition, full or limited membership. */
	if ((be16_to_cpu(bth->pkey) & 0x7fff) != 0x7fff)
		return false;
	hdr_len = dmr_hdr_len(pkt->mask);
	pad = FIELD_GET(DMR_BTH_PAD, bth->flags);
	if (udp_len < sizeof(*udp) + hdr_len + pad + DMR_ICRC_SIZE)
		return false;
	pkt->paylen = udp_len - sizeof(*udp) - hdr_len - pad - DMR_ICRC_SIZE;
	if (pkt->paylen && !(pkt->mask & DMR_OPF_PAYLOAD))
		return false;
	pkt->payload = (u8 *)bth + hdr_len;
	pkt->se = bth->flags & DMR_BTH_SE;
	pkt->qpn = be32_to_cpu(bth->qpn) & DMR_BTH_QPN;
	pkt->psn = be32_to_cpu(bth->apsn) & DMR_BTH_PSN;
	pkt->ack_req = be32_to_cpu(bth->apsn) & DMR_BTH_ACK_REQ;

	if (ip_len == sizeof(struct iphdr)) {
		const struct iphdr *iph = (const struct iphdr *)l3;

		ipv6_addr_set_v4mapped(iph->saddr,
				       (struct in6_addr *)pkt->sgid.raw);
		ipv6_addr_set_v4mapped(iph->daddr,
				       (struct in6_addr *)pkt->dgid.raw);
	} else {
		const struct ipv6hdr *ip6h = (const struct ipv6hdr *)l3;

		memcpy(pkt->sgid.raw, &ip6h->saddr, sizeof(pkt->sgid));
		memcpy(pkt->dgid.raw, &ip6h->daddr, sizeof(pkt->dgid));
	}
	pkt->skb = skb;
	return true;
}

/* Hand a checked packet to the QP it names, on the device it came for. */
static void dmr_net_deliver(struct dmr_pkt *pkt)
{
	struct srcu_ctr __percpu *scp;
	struct dmr_qp *qp;

	scp = dmr_qp_read_lock();
	qp = dmr_qp_find(pkt->qpn);
	if (!qp || qp->dev != pkt->dev || qp->ibqp.qp_type != IB_QPT_RC ||
	    !READ_ONCE(qp->wire)) {
		dmr_dbg(pkt->dev, "packet for QP %u dropped: no such wire QP\n",
			pkt->qpn);
		goto out;
	}
	if (pkt->mask & DMR_OPF_REQ)
		dmr_wire_resp_rcv(qp, pkt);
	else
		dmr_wire_comp_rcv(qp, pkt);
out:
	dmr_qp_read_unlock(scp);
}

/*
 * Whether received packets wait for the worker: a requester's timer does
 * not take the silence of a peer for a loss while the answer may be here.
 */
bool dmr_net_rx_pending(void)
{
	return !skb_queue_empty_lockless(&dmr_rx_queue);
}

static void dmr_net_rx_work(struct work_struct *work)
{
	struct dmr_pkt pkt;
	struct sk_buff *skb;
	int n;

	for (n = 0; n < DMR_RX_BUDGET; n++) {
		skb = skb_dequeue(&dmr_rx_queue);
		if (!skb)
			return;
		memset(&pkt, 0, sizeof(pkt));
		pkt.dev = dmr_rx_cb(skb)->dev;
		if (dmr_net_parse(skb, &pkt))
			dmr_net_deliver(&pkt);
		else
			dmr_dbg(pkt.dev, "malformed or corrupt packet dropped\n");
		ib_device_put(&pkt.dev->ibdev);
		kfree_skb(skb);
	}
	queue_work(dmr_net_wq, &dmr_rx_work);
}

int dmr_net_init(void)
{
	int err;

	skb_queue_head_init(&dmr_rx_queue);
	dmr_net_wq = alloc_ordered_workqueue("dmr_net", 0);
	if (!dmr_net_wq)
		return -ENOMEM;
	err = register_pernet_subsys(&dmr_net_ops);
	if (err)
		destroy_workqueue(dmr_net_wq);
	return err;
}

/* After every device, and so every QP, is gone. */
void dmr_net_exit(void)
{
	struct sk_buff *skb;

	unregister_pernet_subsys(&dmr_net_ops);
	/* No socket is left to queue packets; the worker may still run. */
	destroy_workqueue(dmr_net_wq);
	while ((skb = skb_dequeue(&dmr_rx_queue))) {
		ib_device_put(&dmr_rx_cb(skb)->dev->ibdev);
		kfree_skb(skb);
	}
}
