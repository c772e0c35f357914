/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * Included by dmr.h, after struct dmr_xfer.
 *
 * RC over RoCE v2: the transport a QP uses when its peer is not a dmr
 * device of this host in the same network namespace (dmr_wire_decide()).
 *
 * Roles, one file each:
 *  - dmr_net.c: UDP port 4791 of a network namespace, building and
 *    sending IP/UDP/BTH packets with their ICRC, receiving and checking
 *    them, and handing them to the QP they name;
 *  - dmr_wire_req.c: the requester (segmenting a send WQE into packets,
 *    PSNs, the retry timer) and the completer (ACKs, NAKs, READ
 *    responses and atomic ACKs), under the QP's sq_lock;
 *  - dmr_wire_resp.c: the responder (PSN checks, placing SEND and WRITE
 *    payloads, answering READs and atomics, duplicates), under rq_lock;
 *    a READ's reply goes out a budget of packets at a time, from the
 *    receive worker and then from the QP's reply_work, and the requests
 *    that arrive meanwhile wait behind it in the QP's backlog.
 *
 * Contracts:
 *  - packets are handled in process context (a worker): dmr's locks sleep;
 *  - the bytes of an MR are copied into and out of packets inside a
 *    bracket per packet, never sent zero-copy: an invalidate of a dma-buf
 *    waits for one packet's copy at most, and packets in flight hold
 *    copies, not references to the memory;
 *  - keys are resolved per packet and no MR reference is held between
 *    packets: deregistration never waits for a remote peer;
 *  - everything a packet says is checked before it is used; a packet
 *    that fails a check is dropped (counted, with a debug line), or
 *    answered with the NAK the IBTA gives it.
 */
#ifndef DMR_WIRE_H
#define DMR_WIRE_H

#include <linux/skbuff.h>
#include <rdma/ib_verbs.h>

#include "dmr_hdr.h"
#include "dmr_mem.h"

struct dmr_dev;
struct dmr_qp;
struct dmr_net_sock;

/* The addresses of a connection, fixed at RTR (under both QP locks). */
struct dmr_wire_path {
	union ib_gid sgid;
	union ib_gid dgid;
	u16 sport;		/* UDP source port, from the flow label */
	u8 tclass;
	u8 hop_limit;
	u32 mtu;		/* path MTU in bytes */
	struct dmr_net_sock *sock;	/* holds UDP 4791 of the namespace */
};

/* The message in flight of a requester; under sq_lock. */
struct dmr_wire_req {
	bool busy;		/* qp->send_wqe is in flight */
	bool rnr_wait;		/* the retry timer is an RNR timer */
	bool reread;		/* a READ was requested again for a gap */
	bool sqd_notify;	/* SQ_DRAINED waits for the message in flight */
	u8 postponed;		/* timeouts put off since the last progress */
	bool heard;		/* a response came that could not be taken */
	u32 next_psn;		/* the first PSN of the next message */
	u32 first_psn;		/* of the message in flight */
	u32 npsn;		/* the PSNs it uses */
	u32 sent;		/* of them, sent since the last (re)start */
	u32 acked;		/* of them, acknowledged or answered */
	u64 len;		/* its bytes */
	unsigned long deadline;	/* when the retry timer is due */
};

/* A READ or atomic request the responder keeps to answer a duplicate. */
struct dmr_wire_res {
	u8 opcode;		/* DMR_OP_READ_REQUEST or an atomic; 0: unused */
	u32 psn;
	u32 npsn;
	u64 va;
	u32 rkey;
	u32 len;
	u64 orig;		/* an atomic's result */
};

/* The READ reply being sent: packet @i of @n, from @psn on. */
struct dmr_wire_reply {
	bool active;
	u8 tries;		/* of a packet the qdisc refused */
	u32 psn;
	u32 i;
	u32 n;
	u64 va;
	u32 rkey;
	u32 len;
};

/* The responder's state; under rq_lock. */
struct dmr_wire_resp {
	u32 epsn;		/* expected PSN */
	u32 msn;		/* messages completed */
	bool nak_sent;		/* a sequence NAK waits for the retransmission */
	u32 in_msg;		/* DMR_OPF_SEND/WRITE: between FIRST and LAST */
	u64 offset;		/* bytes of the message placed so far */
	u64 va;			/* a WRITE's next address, key and bytes left */
	u32 rkey;
	u32 resid;
	u32 total;
	unsigned int next_res;
	/* The last max_dest_rd_atomic READ and atomic requests (at least 1). */
	struct dmr_wire_res *res;
	u32 nres;
	struct dmr_wire_reply reply;
	struct dmr_xfer xfer;	/* one packet's memory, with MR references */
	struct dmr_mem_stop stop;
};

/* A received packet, checked by dmr_net.c; its payload is in the skb. */
struct dmr_pkt {
	struct dmr_dev *dev;
	struct sk_buff *skb;
	const u8 *hdr;		/* the BTH, followed by the extension headers */
	void *payload;
	u32 paylen;
	u32 mask;		/* dmr_opcode_mask() */
	u8 opcode;
	bool se;
	bool ack_req;
	u32 qpn;
	u32 psn;
	union ib_gid sgid;	/* the packet's source and destination */
	union ib_gid dgid;
};

/*
 * What a request packet held in a QP's backlog keeps in its skb->cb: its
 * addresses were checked against the QP's path before it was held.
 */
struct dmr_pkt_cb {
	const u8 *hdr;
	void *payload;
	u32 paylen;
	u32 mask;
	u32 psn;
	u8 opcode;
	bool se;
	bool ack_req;
};

static inline const struct dmr_bth *dmr_pkt_bth(const struct dmr_pkt *pkt)
{
	return (const struct dmr_bth *)pkt->hdr;
}

static inline const void *dmr_pkt_ext(const struct dmr_pkt *pkt, u32 which)
{
	return pkt->hdr + dmr_hdr_offset(pkt->mask, which);
}

/* AETH syndromes (IBTA 9.7.5.2.1). */
#define DMR_AETH_ACK		0x1f	/* ACK, no end-to-end credits */
#define DMR_AETH_RNR_NAK	0x20	/* | the RNR timer */
#define DMR_AETH_NAK_PSN_SEQ	0x60
#define DMR_AETH_NAK_INV_REQ	0x61
#define DMR_AETH_NAK_REM_ACC	0x62
#define DMR_AETH_NAK_REM_OP	0x63
#define DMR_AETH_TYPE		0xe0
#define DMR_AETH_TYPE_ACK	0x00
#define DMR_AETH_TYPE_RNR	0x20
#define DMR_AETH_TYPE_NAK	0x60

/* dmr_net.c */
int dmr_net_init(void);
void dmr_net_exit(void);
int dmr_wire_setup(struct dmr_qp *qp);
void dmr_wire_release(struct dmr_qp *qp);
struct sk_buff *dmr_net_alloc(struct dmr_qp *qp, unsigned int len);
int dmr_net_xmit(struct dmr_qp *qp, struct sk_buff *skb);
bool dmr_net_rx_pending(void);
void dmr_net_bth(struct dmr_qp *qp, struct sk_buff *skb, u8 opcode,
		 unsigned int paylen, u32 psn, bool ack_req, bool se);

/* dmr_wire_req.c */
bool dmr_wire_req_run(struct dmr_qp *qp, bool in_syscall);
void dmr_wire_req_timeout(struct dmr_qp *qp);
void dmr_wire_comp_rcv(struct dmr_qp *qp, const struct dmr_pkt *pkt);

/* dmr_wire_resp.c */
void dmr_wire_resp_rcv(struct dmr_qp *qp, const struct dmr_pkt *pkt);
void dmr_wire_resp_reset(struct dmr_qp *qp);
void dmr_wire_reply_work(struct work_struct *work);
void dmr_wire_backlog_purge(struct dmr_qp *qp);

#endif /* DMR_WIRE_H */
