/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * RoCE v2 on the wire: the InfiniBand transport headers that follow the
 * UDP header (destination port 4791), as the IBTA specification lays them
 * out (volume 1, chapter 9; annex A17 for RoCE v2) and as rxe and RoCE
 * NICs send them. Every field is big-endian on the wire; a packet ends
 * with the invariant CRC (dmr_icrc.c).
 *
 * A packet is: BTH, then by opcode RETH (RDMA WRITE first/only, RDMA
 * READ request), AtomicETH (atomic requests), AETH (acknowledgements and
 * READ responses first/last/only), AtomicAckETH (atomic
 * acknowledgements), ImmDt (with-immediate last/only), then the payload,
 * 0 to 3 pad bytes (BTH PadCnt) and the ICRC.
 */
#ifndef DMR_HDR_H
#define DMR_HDR_H

#include <linux/bits.h>
#include <linux/build_bug.h>
#include <linux/types.h>

/* The UDP destination port of RoCE v2. */
#define DMR_ROCE_V2_PORT	4791

/* Base transport header. */
struct dmr_bth {
	u8 opcode;
	u8 flags;		/* DMR_BTH_SE | DMR_BTH_MIG | PadCnt | TVer */
	__be16 pkey;
	__be32 qpn;		/* FECN, BECN, 6 reserved bits, destination QP */
	__be32 apsn;		/* AckReq, 7 reserved bits, PSN */
};

#define DMR_BTH_SE		BIT(7)		/* solicited event */
#define DMR_BTH_MIG		BIT(6)		/* migration state */
#define DMR_BTH_PAD		GENMASK(5, 4)	/* pad bytes before the ICRC */
#define DMR_BTH_TVER		GENMASK(3, 0)	/* transport version: 0 */
#define DMR_BTH_FECN		BIT(31)
#define DMR_BTH_BECN		BIT(30)
#define DMR_BTH_QPN		GENMASK(23, 0)
#define DMR_BTH_ACK_REQ		BIT(31)
#define DMR_BTH_PSN		GENMASK(23, 0)

/* RDMA extended transport header. */
struct dmr_reth {
	__be64 va;
	__be32 rkey;
	__be32 len;
} __packed;

/* ACK extended transport header. */
struct dmr_aeth {
	__be32 smsn;		/* syndrome (8 bits), MSN (24 bits) */
};

#define DMR_AETH_MSN		GENMASK(23, 0)

/* Atomic extended transport header. */
struct dmr_atmeth {
	__be64 va;
	__be32 rkey;
	__be64 swap_add;
	__be64 comp;
} __packed;

/* Atomic acknowledge extended transport header. */
struct dmr_atmack {
	__be64 orig;
} __packed;

/* Immediate data extended transport header. */
struct dmr_immdt {
	__be32 imm;
};

static_assert(sizeof(struct dmr_bth) == 12);
static_assert(sizeof(struct dmr_reth) == 16);
static_assert(sizeof(struct dmr_aeth) == 4);
static_assert(sizeof(struct dmr_atmeth) == 28);
static_assert(sizeof(struct dmr_atmack) == 8);
static_assert(sizeof(struct dmr_immdt) == 4);

/* The RC opcodes (transport RC: the top three bits are 0). */
enum dmr_opcode {
	DMR_OP_SEND_FIRST			= 0x00,
	DMR_OP_SEND_MIDDLE			= 0x01,
	DMR_OP_SEND_LAST			= 0x02,
	DMR_OP_SEND_LAST_IMM			= 0x03,
	DMR_OP_SEND_ONLY			= 0x04,
	DMR_OP_SEND_ONLY_IMM			= 0x05,
	DMR_OP_WRITE_FIRST			= 0x06,
	DMR_OP_WRITE_MIDDLE			= 0x07,
	DMR_OP_WRITE_LAST			= 0x08,
	DMR_OP_WRITE_LAST_IMM			= 0x09,
	DMR_OP_WRITE_ONLY			= 0x0a,
	DMR_OP_WRITE_ONLY_IMM			= 0x0b,
	DMR_OP_READ_REQUEST			= 0x0c,
	DMR_OP_READ_RESPONSE_FIRST		= 0x0d,
	DMR_OP_READ_RESPONSE_MIDDLE		= 0x0e,
	DMR_OP_READ_RESPONSE_LAST		= 0x0f,
	DMR_OP_READ_RESPONSE_ONLY		= 0x10,
	DMR_OP_ACKNOWLEDGE			= 0x11,
	DMR_OP_ATOMIC_ACKNOWLEDGE		= 0x12,
	DMR_OP_COMPARE_SWAP			= 0x13,
	DMR_OP_FETCH_ADD			= 0x14,
	DMR_OP_RC_MAX				= DMR_OP_FETCH_ADD,
};

/* What a packet of an opcode carries and is (dmr_opcode_mask()). */
enum dmr_op_flags {
	/* Extension headers after the BTH, in this order. */
	DMR_OPF_RETH		= BIT(0),
	DMR_OPF_ATMETH		= BIT(1),
	DMR_OPF_AETH		= BIT(2),
	DMR_OPF_ATMACK		= BIT(3),
	DMR_OPF_IMMDT		= BIT(4),
	/* Payload after the headers. */
	DMR_OPF_PAYLOAD		= BIT(5),
	/* Sent by the requester, or by the responder. */
	DMR_OPF_REQ		= BIT(6),
	DMR_OPF_RESP		= BIT(7),
	/* Place in its message: an "only" packet is first and last. */
	DMR_OPF_FIRST		= BIT(8),
	DMR_OPF_MIDDLE		= BIT(9),
	DMR_OPF_LAST		= BIT(10),
	/* The operation. */
	DMR_OPF_SEND		= BIT(11),
	DMR_OPF_WRITE		= BIT(12),
	DMR_OPF_READ		= BIT(13),
	DMR_OPF_ATOMIC		= BIT(14),
	DMR_OPF_ACK		= BIT(15),
};

/* The flags of @opcode, 0 for an opcode dmr does not know (not RC). */
u32 dmr_opcode_mask(u8 opcode);

/* The bytes of the headers that @mask's packets carry, from the BTH on. */
static inline unsigned int dmr_hdr_len(u32 mask)
{
	return sizeof(struct dmr_bth) +
	       (mask & DMR_OPF_RETH ? sizeof(struct dmr_reth) : 0) +
	       (mask & DMR_OPF_ATMETH ? sizeof(struct dmr_atmeth) : 0) +
	       (mask & DMR_OPF_AETH ? sizeof(struct dmr_aeth) : 0) +
	       (mask & DMR_OPF_ATMACK ? sizeof(struct dmr_atmack) : 0) +
	       (mask & DMR_OPF_IMMDT ? sizeof(struct dmr_immdt) : 0);
}

/* Where the extension header @which (one DMR_OPF_*ETH flag) starts. */
static inline unsigned int dmr_hdr_offset(u32 mask, u32 which)
{
	return dmr_hdr_len(mask & (which - 1));
}

/* The invariant CRC that ends every packet (4 bytes, after the pad). */
#define DMR_ICRC_SIZE		4

/*
 * PSNs are 24-bit sequence numbers: @a is before @b if the difference,
 * taken modulo 2^24, is negative as a 24-bit signed number.
 */
static inline s32 dmr_psn_diff(u32 a, u32 b)
{
	return (s32)((a - b) << 8) >> 8;
}

/*
 * The ICRC of a RoCE v2 packet, in three steps so that a packet whose
 * payload is in pieces (pages, fragments) needs no copy:
 *  - dmr_icrc_begin() takes the IP, UDP and base transport headers, which
 *    must be contiguous from @l3 (@len bytes there at least), and says in
 *    *@hdr_len how many bytes they are; -EINVAL if @l3 does not start
 *    with an IPv4 or IPv6 header, a UDP header and a BTH;
 *  - dmr_icrc_update() takes everything after the BTH up to the ICRC
 *    (extension headers, payload, pad), in order, in pieces of any size;
 *  - dmr_icrc_final() gives the ICRC in the byte order of the wire.
 */
int dmr_icrc_begin(const void *l3, size_t len, u32 *crc, size_t *hdr_len);
u32 dmr_icrc_update(u32 crc, const void *data, size_t len);
__le32 dmr_icrc_final(u32 crc);

/*
 * The ICRC of the packet of @len bytes that starts with its IP header at
 * @l3 and ends before its ICRC, or -EINVAL as dmr_icrc_begin().
 */
int dmr_icrc(const void *l3, size_t len, __le32 *icrc);

#endif /* DMR_HDR_H */
