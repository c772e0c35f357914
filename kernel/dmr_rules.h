/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * Rules shared by the kernel driver, the rdma-core provider and the
 * host-side unit tests: work request validation, range arithmetic that
 * cannot overflow, queue strides and the IBTA timer encodings. Pure
 * functions of their arguments, nothing else.
 */
#ifndef DMR_RULES_H
#define DMR_RULES_H

#include <linux/types.h>
#include <rdma/ib_user_verbs.h>
#ifndef __KERNEL__
#include <stdbool.h>
#endif

#include <rdma/dmr-abi.h>

/*
 * Is [addr, addr + len) inside [start, start + length)? False if either
 * end overflows. An empty access is inside when addr is within the range
 * or at its end.
 */
static inline bool dmr_range_within(__u64 start, __u64 length, __u64 addr,
				    __u64 len)
{
	__u64 end = start + length;
	__u64 aend = addr + len;

	if (end < start || aend < addr)
		return false;
	return addr >= start && aend <= end;
}

/* Add a length to a total; false if the total would exceed @max. */
static inline bool dmr_add_len(__u64 *total, __u32 len, __u64 max)
{
	if (len > max || *total > max - len)
		return false;
	*total += len;
	return true;
}

static inline __u32 dmr_roundup_pow2(__u32 v)
{
	__u32 p = 1;

	while (p < v)
		p <<= 1;
	return p;
}

/* Slot size of a send queue: the header, then SGEs or inline data. */
static inline __u32 dmr_send_wqe_stride(__u32 max_sge, __u32 max_inline)
{
	__u32 sges = max_sge * (__u32)sizeof(struct dmr_sge);
	__u32 body = sges > max_inline ? sges : max_inline;

	if (body < sizeof(struct dmr_sge))
		body = sizeof(struct dmr_sge);
	return dmr_roundup_pow2((__u32)sizeof(struct dmr_send_wqe) + body);
}

static inline __u32 dmr_recv_wqe_stride(__u32 max_sge)
{
	if (!max_sge)
		max_sge = 1;
	return dmr_roundup_pow2((__u32)sizeof(struct dmr_recv_wqe) +
				max_sge * (__u32)sizeof(struct dmr_sge));
}

enum dmr_wqe_error {
	DMR_WQE_OK = 0,
	DMR_WQE_BAD_OPCODE,	/* unknown, or not valid on the QP's type */
	DMR_WQE_BAD_FLAGS,	/* unknown send flags */
	DMR_WQE_TOO_MANY_SGE,
	DMR_WQE_BAD_INLINE,	/* too long, or inline on a read or atomic */
	DMR_WQE_BAD_ATOMIC,	/* not exactly one 8-byte SGE */
};

#define DMR_SEND_FLAGS_ALL \
	(DMR_SEND_FENCE | DMR_SEND_SIGNALED | DMR_SEND_SOLICITED | DMR_SEND_INLINE)

static inline bool dmr_opcode_is_atomic(__u32 opcode)
{
	return opcode == IB_UVERBS_WR_ATOMIC_CMP_AND_SWP ||
	       opcode == IB_UVERBS_WR_ATOMIC_FETCH_AND_ADD;
}

/*
 * Check the header of a send WQE (a copy, never the ring) of an RC QP, or
 * with @ud of a UD QP, which only sends.
 */
static inline enum dmr_wqe_error
dmr_send_wqe_check(const struct dmr_send_wqe *wqe, __u32 max_sge,
		   __u32 max_inline, bool ud)
{
	const struct dmr_sge *sge = (const struct dmr_sge *)(wqe + 1);
	bool is_inline = wqe->send_flags & DMR_SEND_INLINE;

	switch (wqe->opcode) {
	case IB_UVERBS_WR_SEND:
	case IB_UVERBS_WR_SEND_WITH_IMM:
		break;
	case IB_UVERBS_WR_RDMA_WRITE:
	case IB_UVERBS_WR_RDMA_WRITE_WITH_IMM:
	case IB_UVERBS_WR_RDMA_READ:
	case IB_UVERBS_WR_ATOMIC_CMP_AND_SWP:
	case IB_UVERBS_WR_ATOMIC_FETCH_AND_ADD:
		if (ud)
			return DMR_WQE_BAD_OPCODE;
		break;
	default:
		return DMR_WQE_BAD_OPCODE;
	}
	if (wqe->send_flags & ~(__u32)DMR_SEND_FLAGS_ALL)
		return DMR_WQE_BAD_FLAGS;
	if (is_inline) {
		if (wqe->inline_len > max_inline ||
		    wqe->opcode == IB_UVERBS_WR_RDMA_READ ||
		    dmr_opcode_is_atomic(wqe->opcode))
			return DMR_WQE_BAD_INLINE;
		return DMR_WQE_OK;
	}
	if (wqe->num_sge > max_sge)
		return DMR_WQE_TOO_MANY_SGE;
	if (dmr_opcode_is_atomic(wqe->opcode) &&
	    (wqe->num_sge != 1 || sge[0].length != sizeof(__u64)))
		return DMR_WQE_BAD_ATOMIC;
	return DMR_WQE_OK;
}

/* The completion opcode (IB_UVERBS_WC_*) of a send WQE's opcode. */
static inline __u32 dmr_wr_to_wc_opcode(__u32 opcode)
{
	switch (opcode) {
	case IB_UVERBS_WR_RDMA_WRITE:
	case IB_UVERBS_WR_RDMA_WRITE_WITH_IMM:
		return IB_UVERBS_WC_RDMA_WRITE;
	case IB_UVERBS_WR_RDMA_READ:
		return IB_UVERBS_WC_RDMA_READ;
	case IB_UVERBS_WR_ATOMIC_CMP_AND_SWP:
		return IB_UVERBS_WC_COMP_SWAP;
	case IB_UVERBS_WR_ATOMIC_FETCH_AND_ADD:
		return IB_UVERBS_WC_FETCH_ADD;
	default:
		return IB_UVERBS_WC_SEND;
	}
}

/* IBTA RNR NAK timer encoding (min_rnr_timer) to microseconds. */
static inline __u32 dmr_rnr_timer_usec(__u8 timer)
{
	static const __u32 usec[32] = {
		655360, 10, 20, 30, 40, 60, 80, 120, 160, 240, 320, 480, 640,
		960, 1280, 1920, 2560, 3840, 5120, 7680, 10240, 15360, 20480,
		30720, 40960, 61440, 81920, 122880, 163840, 245760, 327680,
		491520,
	};

	return usec[timer & 31];
}

/* IBTA local ACK timeout encoding: 4.096 us * 2^timeout; 0 is infinite. */
static inline __u64 dmr_ack_timeout_usec(__u8 timeout)
{
	if (!timeout || timeout > 31)
		return 0;
	return (4096ULL << timeout) / 1000;
}

#endif /* DMR_RULES_H */
