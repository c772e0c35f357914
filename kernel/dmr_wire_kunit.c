// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * KUnit tests of RoCE v2's wire format (dmr_hdr.h): the headers each RC
 * opcode carries, the ICRC against a packet a RoCE NIC sent and the
 * fields it must and must not cover, and PSN arithmetic.
 *
 * Built as dmr_wire_kunit.ko; it runs its suite when loaded and needs
 * dmr.ko. Never loaded outside tests.
 */
#include <kunit/test.h>
#include <linux/bitops.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/string.h>
#include <linux/udp.h>

#include "dmr_hdr.h"

MODULE_IMPORT_NS("EXPORTED_FOR_KUNIT_TESTING");

/*
 * A CNP (BTH opcode 0x81, 16 bytes of padding) captured from a ConnectX-4
 * Lx, from its IPv4 header on; the last four bytes are the NIC's ICRC.
 * The same capture is a regression test of scapy's RoCE layer.
 */
static const u8 connectx_cnp[] = {
	0x45, 0xc2, 0x00, 0x3c, 0x71, 0x8c, 0x40, 0x00,
	0x40, 0x11, 0x91, 0x61, 0x0a, 0x00, 0x11, 0x01,
	0x0a, 0x00, 0x12, 0x01,				/* IPv4 */
	0x00, 0x00, 0x12, 0xb7, 0x00, 0x28, 0x00, 0x00,	/* UDP */
	0x81, 0x00, 0xff, 0xff, 0x40, 0x00, 0x01, 0x18,
	0x00, 0x00, 0x00, 0x00,				/* BTH */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* padding */
	0x82, 0xfd, 0x00, 0x2a,				/* ICRC */
};

#define CNP_LEN (sizeof(connectx_cnp) - DMR_ICRC_SIZE)
#define CNP_BTH (sizeof(struct iphdr) + sizeof(struct udphdr))

/* Header bytes of every RC opcode, from the BTH on, as the IBTA has them. */
static void test_opcode_header_lengths(struct kunit *test)
{
	static const struct {
		u8 opcode;
		u8 len;
	} want[] = {
		{ DMR_OP_SEND_FIRST, 12 },		{ DMR_OP_SEND_MIDDLE, 12 },
		{ DMR_OP_SEND_LAST, 12 },		{ DMR_OP_SEND_LAST_IMM, 16 },
		{ DMR_OP_SEND_ONLY, 12 },		{ DMR_OP_SEND_ONLY_IMM, 16 },
		{ DMR_OP_WRITE_FIRST, 28 },		{ DMR_OP_WRITE_MIDDLE, 12 },
		{ DMR_OP_WRITE_LAST, 12 },		{ DMR_OP_WRITE_LAST_IMM, 16 },
		{ DMR_OP_WRITE_ONLY, 28 },		{ DMR_OP_WRITE_ONLY_IMM, 32 },
		{ DMR_OP_READ_REQUEST, 28 },
		{ DMR_OP_READ_RESPONSE_FIRST, 16 },
		{ DMR_OP_READ_RESPONSE_MIDDLE, 12 },
		{ DMR_OP_READ_RESPONSE_LAST, 16 },
		{ DMR_OP_READ_RESPONSE_ONLY, 16 },
		{ DMR_OP_ACKNOWLEDGE, 16 },		{ DMR_OP_ATOMIC_ACKNOWLEDGE, 24 },
		{ DMR_OP_COMPARE_SWAP, 40 },		{ DMR_OP_FETCH_ADD, 40 },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(want); i++)
		KUNIT_EXPECT_EQ_MSG(test, dmr_hdr_len(dmr_opcode_mask(want[i].opcode)),
				    want[i].len, "opcode %#x", want[i].opcode);
}

static void test_opcode_header_offsets(struct kunit *test)
{
	u32 m = dmr_opcode_mask(DMR_OP_WRITE_ONLY_IMM);

	KUNIT_EXPECT_EQ(test, dmr_hdr_offset(m, DMR_OPF_RETH), 12);
	KUNIT_EXPECT_EQ(test, dmr_hdr_offset(m, DMR_OPF_IMMDT), 28);
	m = dmr_opcode_mask(DMR_OP_ATOMIC_ACKNOWLEDGE);
	KUNIT_EXPECT_EQ(test, dmr_hdr_offset(m, DMR_OPF_AETH), 12);
	KUNIT_EXPECT_EQ(test, dmr_hdr_offset(m, DMR_OPF_ATMACK), 16);
	m = dmr_opcode_mask(DMR_OP_SEND_LAST_IMM);
	KUNIT_EXPECT_EQ(test, dmr_hdr_offset(m, DMR_OPF_IMMDT), 12);
}

/* Each opcode is a request or a response, and has a place in its message. */
static void test_opcode_roles(struct kunit *test)
{
	const u32 place = DMR_OPF_FIRST | DMR_OPF_MIDDLE | DMR_OPF_LAST;
	unsigned int op;
	u32 m;

	for (op = 0; op <= DMR_OP_RC_MAX; op++) {
		m = dmr_opcode_mask(op);
		KUNIT_EXPECT_EQ_MSG(test, hweight32(m & (DMR_OPF_REQ | DMR_OPF_RESP)),
				    1, "opcode %#x", op);
		KUNIT_EXPECT_NE_MSG(test, m & place, 0, "opcode %#x", op);
		KUNIT_EXPECT_FALSE_MSG(test, (m & DMR_OPF_MIDDLE) &&
				       (m & (DMR_OPF_FIRST | DMR_OPF_LAST)),
				       "opcode %#x", op);
	}
	KUNIT_EXPECT_EQ(test, dmr_opcode_mask(DMR_OP_SEND_ONLY) &
			(DMR_OPF_FIRST | DMR_OPF_LAST),
			DMR_OPF_FIRST | DMR_OPF_LAST);
	/* Not RC, or not dmr's: SEND with invalidate, UD, CNP. */
	KUNIT_EXPECT_EQ(test, dmr_opcode_mask(0x16), 0);
	KUNIT_EXPECT_EQ(test, dmr_opcode_mask(0x64), 0);
	KUNIT_EXPECT_EQ(test, dmr_opcode_mask(0x81), 0);
}

/* The ICRC of @pkt, as a number to compare. */
static u32 icrc_of(struct kunit *test, const void *pkt, size_t len)
{
	__le32 icrc = 0;

	KUNIT_ASSERT_EQ(test, dmr_icrc(pkt, len, &icrc), 0);
	return le32_to_cpu(icrc);
}

static void test_icrc_of_a_nic_packet(struct kunit *test)
{
	__le32 icrc;

	KUNIT_ASSERT_EQ(test, dmr_icrc(connectx_cnp, CNP_LEN, &icrc), 0);
	KUNIT_EXPECT_MEMEQ(test, &icrc, connectx_cnp + CNP_LEN, DMR_ICRC_SIZE);
}

/* What routers change, and FECN/BECN, leave the ICRC as it is. */
static void test_icrc_ignores_the_variant_fields(struct kunit *test)
{
	u32 want = icrc_of(test, connectx_cnp, CNP_LEN);
	u8 pkt[sizeof(connectx_cnp)];
	struct dmr_bth *bth = (struct dmr_bth *)(pkt + CNP_BTH);
	struct iphdr *ip = (struct iphdr *)pkt;
	struct udphdr *udp = (struct udphdr *)(ip + 1);

	memcpy(pkt, connectx_cnp, sizeof(pkt));
	ip->tos ^= 0x3c;
	ip->ttl = 1;
	ip->check = 0;
	udp->check = (__force __sum16)0x1234;
	bth->qpn |= cpu_to_be32(DMR_BTH_FECN | DMR_BTH_BECN);
	KUNIT_EXPECT_EQ(test, icrc_of(test, pkt, CNP_LEN), want);
}

/* Any other byte, header or payload, changes it. */
static void test_icrc_covers_the_invariant_fields(struct kunit *test)
{
	static const unsigned int offsets[] = {
		2,			/* IP total length */
		12,			/* IP source address */
		16,			/* IP destination address */
		20,			/* UDP source port */
		CNP_BTH,		/* opcode */
		CNP_BTH + 2,		/* P_Key */
		CNP_BTH + 7,		/* destination QP */
		CNP_BTH + 11,		/* PSN */
		CNP_LEN - 1,		/* the last byte before the ICRC */
	};
	u32 want = icrc_of(test, connectx_cnp, CNP_LEN);
	u8 pkt[sizeof(connectx_cnp)];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(offsets); i++) {
		memcpy(pkt, connectx_cnp, sizeof(pkt));
		pkt[offsets[i]] ^= 0x01;
		KUNIT_EXPECT_NE_MSG(test, icrc_of(test, pkt, CNP_LEN), want,
				    "byte %u changed", offsets[i]);
	}
}

/* A payload in pieces gives the ICRC of the whole. */
static void test_icrc_in_pieces(struct kunit *test)
{
	u32 want = icrc_of(test, connectx_cnp, CNP_LEN);
	size_t hdr_len, at;
	u32 crc;

	KUNIT_ASSERT_EQ(test, dmr_icrc_begin(connectx_cnp, CNP_LEN, &crc,
					     &hdr_len), 0);
	KUNIT_EXPECT_EQ(test, hdr_len, CNP_BTH + sizeof(struct dmr_bth));
	for (at = hdr_len; at < CNP_LEN; at += 3)
		crc = dmr_icrc_update(crc, connectx_cnp + at,
				      min_t(size_t, 3, CNP_LEN - at));
	KUNIT_EXPECT_EQ(test, le32_to_cpu(dmr_icrc_final(crc)), want);
}

/* An IPv6 packet: the traffic class, flow label and hop limit are masked. */
static void test_icrc_ipv6_masks(struct kunit *test)
{
	u8 pkt[sizeof(struct ipv6hdr) + sizeof(struct udphdr) +
	       sizeof(struct dmr_bth) + 8] = {};
	struct ipv6hdr *ip6 = (struct ipv6hdr *)pkt;
	struct udphdr *udp = (struct udphdr *)(ip6 + 1);
	u32 want;

	ip6->version = 6;
	ip6->nexthdr = IPPROTO_UDP;
	ip6->hop_limit = 64;
	ip6->payload_len = htons(sizeof(pkt) - sizeof(*ip6) + DMR_ICRC_SIZE);
	memset(&ip6->saddr, 0xfe, sizeof(ip6->saddr));
	memset(&ip6->daddr, 0x01, sizeof(ip6->daddr));
	udp->dest = htons(DMR_ROCE_V2_PORT);
	want = icrc_of(test, pkt, sizeof(pkt));

	ip6->priority = 0x5;
	ip6->flow_lbl[0] = 0x0a;
	ip6->flow_lbl[2] = 0x77;
	ip6->hop_limit = 3;
	udp->check = (__force __sum16)0xbeef;
	KUNIT_EXPECT_EQ(test, icrc_of(test, pkt, sizeof(pkt)), want);

	ip6->daddr.s6_addr[15] ^= 1;
	KUNIT_EXPECT_NE(test, icrc_of(test, pkt, sizeof(pkt)), want);
}

static void test_icrc_refuses_what_is_not_roce(struct kunit *test)
{
	u8 pkt[sizeof(connectx_cnp)];
	__le32 icrc;

	memcpy(pkt, connectx_cnp, sizeof(pkt));
	KUNIT_EXPECT_EQ(test, dmr_icrc(pkt, CNP_BTH + 11, &icrc), -EINVAL);
	pkt[9] = IPPROTO_TCP;
	KUNIT_EXPECT_EQ(test, dmr_icrc(pkt, CNP_LEN, &icrc), -EINVAL);
	pkt[9] = IPPROTO_UDP;
	pkt[0] = 0x46;				/* IPv4 with options */
	KUNIT_EXPECT_EQ(test, dmr_icrc(pkt, CNP_LEN, &icrc), -EINVAL);
	pkt[0] = 0x55;				/* no IP version 5 */
	KUNIT_EXPECT_EQ(test, dmr_icrc(pkt, CNP_LEN, &icrc), -EINVAL);
}

static void test_psn_order_wraps(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, dmr_psn_diff(5, 3), 2);
	KUNIT_EXPECT_EQ(test, dmr_psn_diff(3, 5), -2);
	KUNIT_EXPECT_EQ(test, dmr_psn_diff(0, 0xffffff), 1);
	KUNIT_EXPECT_EQ(test, dmr_psn_diff(0xffffff, 0), -1);
	KUNIT_EXPECT_LT(test, dmr_psn_diff(0x7fffff, 0x800000), 0);
}

static struct kunit_case dmr_wire_cases[] = {
	KUNIT_CASE(test_opcode_header_lengths),
	KUNIT_CASE(test_opcode_header_offsets),
	KUNIT_CASE(test_opcode_roles),
	KUNIT_CASE(test_icrc_of_a_nic_packet),
	KUNIT_CASE(test_icrc_ignores_the_variant_fields),
	KUNIT_CASE(test_icrc_covers_the_invariant_fields),
	KUNIT_CASE(test_icrc_in_pieces),
	KUNIT_CASE(test_icrc_ipv6_masks),
	KUNIT_CASE(test_icrc_refuses_what_is_not_roce),
	KUNIT_CASE(test_psn_order_wraps),
	{}
};

static struct kunit_suite dmr_wire_suite = {
	.name = "dmr_wire",
	.test_cases = dmr_wire_cases,
};

kunit_test_suite(dmr_wire_suite);

MODULE_DESCRIPTION("KUnit tests of dmr's RoCE v2 wire format");
MODULE_LICENSE("Dual BSD/GPL");
