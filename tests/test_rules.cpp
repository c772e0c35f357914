// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
// Rules shared by the kernel driver and the provider (dmr_rules.h), and
// the layout of the uapi that both sides rely on.
#include <gtest/gtest.h>

#include <cstdint>
#include <rdma/ib_user_verbs.h>

#include "dmr_shim.h"

namespace {

constexpr uint64_t kMax = UINT64_MAX;

shim_wqe Wqe(uint32_t opcode, uint32_t nsge = 1, uint32_t flags = 0)
{
	shim_wqe w = {};

	w.opcode = opcode;
	w.num_sge = nsge;
	w.send_flags = flags;
	for (uint32_t i = 0; i < 32; i++)
		w.sge_len[i] = 8;
	return w;
}

enum { OK, BAD_OPCODE, BAD_FLAGS, TOO_MANY_SGE, BAD_INLINE, BAD_ATOMIC };
constexpr uint32_t kInline = 8, kSignaled = 2;

} // namespace

TEST(Range, InsideAndAtTheEdges)
{
	EXPECT_TRUE(shim_range_within(0x1000, 0x1000, 0x1000, 0x1000));
	EXPECT_TRUE(shim_range_within(0x1000, 0x1000, 0x1fff, 1));
	EXPECT_TRUE(shim_range_within(0x1000, 0x1000, 0x2000, 0));
	EXPECT_FALSE(shim_range_within(0x1000, 0x1000, 0x1fff, 2));
	EXPECT_FALSE(shim_range_within(0x1000, 0x1000, 0xfff, 1));
	EXPECT_FALSE(shim_range_within(0x1000, 0x1000, 0x2001, 0));
}

TEST(Range, OverflowIsNeverInside)
{
	EXPECT_FALSE(shim_range_within(0x1000, 0x1000, kMax, 2));
	EXPECT_FALSE(shim_range_within(kMax - 10, 100, kMax - 5, 1));
	EXPECT_FALSE(shim_range_within(0x1000, kMax, 0x2000, 1));
	EXPECT_TRUE(shim_range_within(0, kMax, 0, kMax));
}

TEST(Length, AddStopsAtTheMaximum)
{
	uint64_t total = 0;

	EXPECT_TRUE(shim_add_len(&total, 1U << 30, 1ULL << 31));
	EXPECT_TRUE(shim_add_len(&total, 1U << 30, 1ULL << 31));
	EXPECT_EQ(total, 1ULL << 31);
	EXPECT_FALSE(shim_add_len(&total, 1, 1ULL << 31));
	EXPECT_EQ(total, 1ULL << 31);
	total = 0;
	EXPECT_FALSE(shim_add_len(&total, UINT32_MAX, 1ULL << 31));
}

TEST(Stride, PowerOfTwoHoldingHeaderAndBody)
{
	for (uint32_t sge = 0; sge <= 32; sge++)
		for (uint32_t inl : {0U, 1U, 64U, 100U, 512U}) {
			uint32_t s = shim_send_wqe_stride(sge, inl);

			EXPECT_EQ(s & (s - 1), 0U);
			EXPECT_GE(s, 64U + 16U * sge);
			EXPECT_GE(s, 64U + inl);
		}
	EXPECT_EQ(shim_send_wqe_stride(1, 0), 128U);
	EXPECT_EQ(shim_send_wqe_stride(32, 512), 1024U);
	EXPECT_EQ(shim_recv_wqe_stride(1), 32U);
	EXPECT_EQ(shim_recv_wqe_stride(0), 32U);
	EXPECT_EQ(shim_recv_wqe_stride(32), 1024U);
}

TEST(WqeCheck, EveryRcOpcodeIsAcceptedAndOthersAreNot)
{
	for (uint32_t op : {IB_UVERBS_WR_SEND, IB_UVERBS_WR_SEND_WITH_IMM,
			    IB_UVERBS_WR_RDMA_WRITE, IB_UVERBS_WR_RDMA_WRITE_WITH_IMM,
			    IB_UVERBS_WR_RDMA_READ}) {
		shim_wqe w = Wqe(op);
		EXPECT_EQ(shim_send_wqe_check(&w, 4, 64), OK) << op;
	}
	for (uint32_t op : {(uint32_t)IB_UVERBS_WR_LOCAL_INV,
			    (uint32_t)IB_UVERBS_WR_BIND_MW,
			    (uint32_t)IB_UVERBS_WR_SEND_WITH_INV,
			    (uint32_t)IB_UVERBS_WR_TSO, 99U}) {
		shim_wqe w = Wqe(op);
		EXPECT_EQ(shim_send_wqe_check(&w, 4, 64), BAD_OPCODE) << op;
	}
}

TEST(WqeCheck, UdQpsOnlySend)
{
	for (uint32_t op : {IB_UVERBS_WR_SEND, IB_UVERBS_WR_SEND_WITH_IMM}) {
		shim_wqe w = Wqe(op);
		w.ud = true;
		EXPECT_EQ(shim_send_wqe_check(&w, 4, 64), OK) << op;
		w = Wqe(op, 0, kInline);
		w.ud = true;
		w.inline_len = 64;
		EXPECT_EQ(shim_send_wqe_check(&w, 4, 64), OK) << op;
	}
	for (uint32_t op : {IB_UVERBS_WR_RDMA_WRITE,
			    IB_UVERBS_WR_RDMA_WRITE_WITH_IMM,
			    IB_UVERBS_WR_RDMA_READ,
			    IB_UVERBS_WR_ATOMIC_CMP_AND_SWP,
			    IB_UVERBS_WR_ATOMIC_FETCH_AND_ADD}) {
		shim_wqe w = Wqe(op);
		w.ud = true;
		EXPECT_EQ(shim_send_wqe_check(&w, 4, 64), BAD_OPCODE) << op;
	}
}

TEST(WqeCheck, FlagsSgesAndInline)
{
	shim_wqe w = Wqe(IB_UVERBS_WR_SEND, 4, kSignaled);
	EXPECT_EQ(shim_send_wqe_check(&w, 4, 0), OK);
	w.num_sge = 5;
	EXPECT_EQ(shim_send_wqe_check(&w, 4, 0), TOO_MANY_SGE);
	w = Wqe(IB_UVERBS_WR_SEND, 1, 0x100);
	EXPECT_EQ(shim_send_wqe_check(&w, 4, 0), BAD_FLAGS);

	w = Wqe(IB_UVERBS_WR_RDMA_WRITE, 0, kInline);
	w.inline_len = 64;
	EXPECT_EQ(shim_send_wqe_check(&w, 4, 64), OK);
	w.inline_len = 65;
	EXPECT_EQ(shim_send_wqe_check(&w, 4, 64), BAD_INLINE);
	w = Wqe(IB_UVERBS_WR_RDMA_READ, 0, kInline);
	EXPECT_EQ(shim_send_wqe_check(&w, 4, 64), BAD_INLINE);
}

TEST(WqeCheck, AtomicsNeedOneEightByteSge)
{
	for (uint32_t op : {IB_UVERBS_WR_ATOMIC_CMP_AND_SWP,
			    IB_UVERBS_WR_ATOMIC_FETCH_AND_ADD}) {
		shim_wqe w = Wqe(op);
		EXPECT_EQ(shim_send_wqe_check(&w, 4, 0), OK);
		w.sge_len[0] = 16;
		EXPECT_EQ(shim_send_wqe_check(&w, 4, 0), BAD_ATOMIC);
		w = Wqe(op, 2);
		EXPECT_EQ(shim_send_wqe_check(&w, 4, 0), BAD_ATOMIC);
		w = Wqe(op, 0, kInline);
		EXPECT_EQ(shim_send_wqe_check(&w, 4, 64), BAD_INLINE);
	}
}

TEST(Opcodes, CompletionOpcodeOfEachRequest)
{
	EXPECT_EQ(shim_wr_to_wc_opcode(IB_UVERBS_WR_SEND), IB_UVERBS_WC_SEND);
	EXPECT_EQ(shim_wr_to_wc_opcode(IB_UVERBS_WR_SEND_WITH_IMM), IB_UVERBS_WC_SEND);
	EXPECT_EQ(shim_wr_to_wc_opcode(IB_UVERBS_WR_RDMA_WRITE_WITH_IMM),
		  IB_UVERBS_WC_RDMA_WRITE);
	EXPECT_EQ(shim_wr_to_wc_opcode(IB_UVERBS_WR_RDMA_READ), IB_UVERBS_WC_RDMA_READ);
	EXPECT_EQ(shim_wr_to_wc_opcode(IB_UVERBS_WR_ATOMIC_CMP_AND_SWP),
		  IB_UVERBS_WC_COMP_SWAP);
	EXPECT_EQ(shim_wr_to_wc_opcode(IB_UVERBS_WR_ATOMIC_FETCH_AND_ADD),
		  IB_UVERBS_WC_FETCH_ADD);
}

TEST(Timers, IbtaEncodings)
{
	EXPECT_EQ(shim_rnr_timer_usec(0), 655360U);
	EXPECT_EQ(shim_rnr_timer_usec(1), 10U);
	EXPECT_EQ(shim_rnr_timer_usec(13), 960U);
	EXPECT_EQ(shim_rnr_timer_usec(14), 1280U);
	EXPECT_EQ(shim_rnr_timer_usec(31), 491520U);
	EXPECT_EQ(shim_ack_timeout_usec(0), 0U);	/* infinite */
	EXPECT_EQ(shim_ack_timeout_usec(1), 8U);
	EXPECT_EQ(shim_ack_timeout_usec(14), 67108U);
	EXPECT_EQ(shim_ack_timeout_usec(31), 8796093022ULL);
}

TEST(Uapi, LayoutIsFixed)
{
	EXPECT_EQ(shim_sizeof("dmr_ring_hdr"), 256U);
	EXPECT_EQ(shim_offsetof("dmr_ring_hdr", "producer"), 0U);
	EXPECT_EQ(shim_offsetof("dmr_ring_hdr", "consumer"), 64U);
	EXPECT_EQ(shim_offsetof("dmr_ring_hdr", "flags"), 128U);
	EXPECT_EQ(shim_sizeof("dmr_sge"), 16U);
	EXPECT_EQ(shim_sizeof("dmr_send_wqe"), 64U);
	EXPECT_EQ(shim_offsetof("dmr_send_wqe", "imm_data"), 24U);
	EXPECT_EQ(shim_offsetof("dmr_send_wqe", "wr"), 32U);
	// The UD address fits the union: the WQE header keeps its size.
	EXPECT_EQ(shim_sizeof("dmr_av"), 24U);
	EXPECT_EQ(shim_offsetof("dmr_av", "flow_label"), 16U);
	EXPECT_EQ(shim_offsetof("dmr_av", "sgid_index"), 20U);
	EXPECT_EQ(shim_offsetof("dmr_send_wqe", "wr.ud.av"), 32U);
	EXPECT_EQ(shim_offsetof("dmr_send_wqe", "wr.ud.remote_qpn"), 56U);
	EXPECT_EQ(shim_offsetof("dmr_send_wqe", "wr.ud.remote_qkey"), 60U);
	EXPECT_EQ(shim_sizeof("dmr_recv_wqe"), 16U);
	EXPECT_EQ(shim_sizeof("dmr_cqe"), 64U);
	EXPECT_EQ(shim_offsetof("dmr_cqe", "byte_len"), 20U);
	EXPECT_EQ(shim_offsetof("dmr_cqe", "wc_flags"), 36U);
	EXPECT_EQ(shim_offsetof("dmr_cqe", "network_hdr_type"), 46U);
	EXPECT_EQ(shim_sizeof("dmr_ring_info"), 24U);
	EXPECT_EQ(shim_sizeof("dmr_create_qp_resp"), 56U);
	EXPECT_EQ(shim_offsetof("dmr_create_qp_resp", "max_inline"), 48U);
	EXPECT_EQ(shim_sizeof("dmr_create_cq_resp"), 24U);
	EXPECT_EQ(shim_offsetof("dmr_create_cq_resp", "ring"), 0U);
	EXPECT_EQ(shim_sizeof("dmr_create_srq_resp"), 24U);
	EXPECT_EQ(shim_offsetof("dmr_create_srq_resp", "ring"), 0U);
	// The mailbox is a cache line of its own; the QP number first.
	EXPECT_EQ(shim_sizeof("dmr_doorbell_mailbox"), 64U);
	EXPECT_EQ(shim_offsetof("dmr_doorbell_mailbox", "qpn"), 0U);
	EXPECT_EQ(shim_sizeof("dmr_alloc_ucontext_resp"), 16U);
	EXPECT_EQ(shim_offsetof("dmr_alloc_ucontext_resp", "flags"), 0U);
	EXPECT_EQ(shim_offsetof("dmr_alloc_ucontext_resp",
				"mailbox_mmap_offset"), 8U);
	EXPECT_EQ(shim_sizeof("dmr_mr_query_resp"), 32U);
	EXPECT_EQ(shim_offsetof("dmr_mr_query_resp", "backend"), 0U);
	EXPECT_EQ(shim_offsetof("dmr_mr_query_resp", "state"), 4U);
	EXPECT_EQ(shim_offsetof("dmr_mr_query_resp", "invalidations"), 8U);
	EXPECT_EQ(shim_offsetof("dmr_mr_query_resp", "remaps"), 16U);
	EXPECT_EQ(shim_offsetof("dmr_mr_query_resp", "revokes"), 24U);
}
