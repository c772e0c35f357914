/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR Linux-OpenIB) */
/*
 * The ABI between the dmr kernel driver and its rdma-core provider.
 *
 * Work queues and completion queues are rings in memory that the kernel
 * allocates and the process maps (mmap on the verbs device at the offsets
 * returned here). Every ring starts with a struct dmr_ring_hdr; its slots
 * follow at DMR_RING_HDR_SIZE. The producer and consumer indices are
 * free-running 32-bit counters (see dmr_ring.h) on separate cache lines;
 * each side writes only its own index, with release semantics, and reads
 * the other's with acquire semantics. The kernel never trusts an index or
 * a slot it reads from user-writable memory: it copies a slot before it
 * validates it and keeps its own copy of its own index.
 */
#ifndef DMR_ABI_USER_H
#define DMR_ABI_USER_H

#include <linux/types.h>

#define DMR_UVERBS_ABI_VERSION 1

/* Limits the kernel advertises and enforces. */
#define DMR_MAX_SGE 32
#define DMR_MAX_INLINE 512

enum dmr_ring_flags {
	/* QP rings: the QP is in the error state; post a doorbell to flush. */
	DMR_RING_F_ERROR = 1 << 0,
	/* CQ ring: completions were lost because the ring was full. */
	DMR_RING_F_OVERFLOW = 1 << 1,
};

struct dmr_ring_hdr {
	__u32 producer;			/* written by the producer only */
	__u32 reserved0[15];
	__u32 consumer;			/* written by the consumer only */
	__u32 reserved1[15];
	__u32 flags;			/* enum dmr_ring_flags, kernel-written */
	__u32 reserved2[15];
	__u32 reserved3[16];
};

#define DMR_RING_HDR_SIZE 256

/* Send flags: the values of IB_SEND_* and IBV_SEND_*. */
enum dmr_send_flags {
	DMR_SEND_FENCE = 1 << 0,
	DMR_SEND_SIGNALED = 1 << 1,
	DMR_SEND_SOLICITED = 1 << 2,
	DMR_SEND_INLINE = 1 << 3,
};

struct dmr_sge {
	__aligned_u64 addr;
	__u32 length;
	__u32 lkey;
};

/*
 * A send work request. @opcode is an IB_UVERBS_WR_* value, @send_flags
 * enum dmr_send_flags bits. @num_sge scatter/gather entries follow the
 * header, or, with IB_UVERBS_SEND_INLINE, @inline_len bytes of data.
 */
struct dmr_send_wqe {
	__aligned_u64 wr_id;
	__u32 opcode;
	__u32 send_flags;
	__u32 num_sge;
	__u32 inline_len;
	__be32 imm_data;
	__u32 reserved;
	union {
		struct {
			__aligned_u64 remote_addr;
			__u32 rkey;
			__u32 reserved;
		} rdma;
		struct {
			__aligned_u64 remote_addr;
			__aligned_u64 compare_add;
			__aligned_u64 swap;
			__u32 rkey;
			__u32 reserved;
		} atomic;
	} wr;
};

/* A receive work request: @num_sge entries follow the header. */
struct dmr_recv_wqe {
	__aligned_u64 wr_id;
	__u32 num_sge;
	__u32 reserved;
};

/*
 * A completion. @status is an IB_WC_* status (the same values as
 * IBV_WC_*), @opcode an IB_UVERBS_WC_* opcode, @wc_flags IB_WC_* flags.
 */
struct dmr_cqe {
	__aligned_u64 wr_id;
	__u32 status;
	__u32 opcode;
	__u32 vendor_err;
	__u32 byte_len;
	__be32 imm_data;
	__u32 qp_num;
	__u32 src_qp;
	__u32 wc_flags;
	__u16 pkey_index;
	__u16 slid;
	__u8 sl;
	__u8 dlid_path_bits;
	__u8 reserved[18];
};

#define DMR_CQE_SIZE 64

/* Where a ring is and how it is laid out. */
struct dmr_ring_info {
	__aligned_u64 mmap_offset;
	__aligned_u64 mmap_size;
	__u32 slots;
	__u32 stride;
};

struct dmr_create_cq_resp {
	struct dmr_ring_info ring;
};

struct dmr_create_qp_resp {
	struct dmr_ring_info sq;
	struct dmr_ring_info rq;	/* slots == 0 with an SRQ */
	__u32 max_inline;
	__u32 reserved;
};

struct dmr_create_srq_resp {
	struct dmr_ring_info ring;
};

#endif /* DMR_ABI_USER_H */
