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
#include <rdma/ib_user_ioctl_cmds.h>
#include <rdma/ib_user_ioctl_verbs.h>

/*
 * 2: the send doorbell is DMR_IB_METHOD_QP_DOORBELL; the POST_SEND
 * command, version 1's doorbell, is refused.
 * 3: the doorbell names its QP by number (DMR_IB_ATTR_QP_DOORBELL_QPN),
 * not by handle.
 * What an older provider or kernel can do without, such as the doorbell
 * mailbox (DMR_CONTEXT_F_MAILBOX), is announced by a flag, not by a new
 * version.
 */
#define DMR_UVERBS_ABI_VERSION 3

/*
 * dmr is not an upstream driver and has no RDMA_DRIVER_* id of its own.
 * The header of every RDMA_VERBS_IOCTL call carries this one.
 */
#define DMR_DRIVER_ID RDMA_DRIVER_UNKNOWN

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
 * The address vector of a UD send: the destination GID and what the GRH
 * the receiver sees carries. The source GID is the sender's entry
 * @sgid_index of its port's GID table.
 */
struct dmr_av {
	__u8 dgid[16];
	__u32 flow_label;
	__u8 sgid_index;
	__u8 hop_limit;
	__u8 traffic_class;
	__u8 reserved;
};

/*
 * A send work request. @opcode is an IB_UVERBS_WR_* value, @send_flags
 * enum dmr_send_flags bits. @num_sge scatter/gather entries follow the
 * header, or, with IB_UVERBS_SEND_INLINE, @inline_len bytes of data.
 * UD QPs carry the destination in @wr.ud (a remote_qkey with the high bit
 * set means the sending QP's own Q_Key, as the IBTA says).
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
		struct {
			struct dmr_av av;
			__u32 remote_qpn;
			__u32 remote_qkey;
		} ud;
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
 * IBV_WC_*), @opcode an IB_UVERBS_WC_* opcode, @wc_flags the IB_WC_GRH and
 * IB_WC_WITH_IMM flags (the same values as IBV_WC_*). A UD receive
 * carries @network_hdr_type, an enum rdma_network_type (IPv4 or IPv6):
 * what the 40 bytes before the payload hold.
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
	__u8 network_hdr_type;
	__u8 reserved[17];
};

#define DMR_CQE_SIZE 64

/*
 * A context's doorbell mailbox (see DMR_IB_METHOD_QP_DOORBELL_MAILBOX): a
 * page of its own, mapped at @mailbox_mmap_offset of the context's
 * response if DMR_CONTEXT_F_MAILBOX is set. @qpn 0 is empty.
 */
struct dmr_doorbell_mailbox {
	__u32 qpn;
	__u32 reserved[15];
};

enum dmr_context_flags {
	DMR_CONTEXT_F_MAILBOX = 1 << 0,
};

struct dmr_alloc_ucontext_resp {
	__u32 flags;			/* enum dmr_context_flags */
	__u32 reserved;
	__aligned_u64 mailbox_mmap_offset;
};

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

/* --- dmr's own uverbs methods (dmrdv.h in the provider) --- */

/* What backs a memory region. */
enum dmr_mr_backend {
	DMR_MR_BACKEND_USER = 0,	/* pinned pages of the process */
	DMR_MR_BACKEND_DMABUF = 1,	/* a dma-buf */
	DMR_MR_BACKEND_DM = 2,		/* device memory (ibv_reg_dm_mr) */
	DMR_MR_BACKEND_KERNEL = 3,	/* a kernel PD's DMA MR (no process sees it) */
};

/*
 * The state of a memory region. Only dma-buf MRs leave VALID: the
 * exporter invalidated the mapping (the next access maps it again), or
 * the last attempt to map it again was refused (the exporter revoked the
 * buffer; accesses fail until it allows mapping again).
 */
enum dmr_mr_state {
	DMR_MR_STATE_VALID = 0,
	DMR_MR_STATE_INVALIDATED = 1,
	DMR_MR_STATE_REVOKED = 2,
};

struct dmr_mr_query_resp {
	__u32 backend;			/* enum dmr_mr_backend */
	__u32 state;			/* enum dmr_mr_state */
	__aligned_u64 invalidations;	/* invalidate_mappings calls that unmapped it */
	__aligned_u64 remaps;		/* mappings made again after one */
	__aligned_u64 revokes;		/* times a mapping was refused */
};

/*
 * The doorbell of a QP's send queue: the kernel executes the WQEs posted
 * up to the ring's producer index, in this call. The QP is named by its
 * QP number (a u32); a number that is not a QP of the calling context
 * gets EINVAL.
 *
 * DMR_IB_METHOD_QP_DOORBELL takes the number as an attribute.
 * DMR_IB_METHOD_QP_DOORBELL_MAILBOX takes no attribute, which the kernel
 * handles for less: it rings the QP whose number is in the context's
 * mailbox and empties the mailbox; ENOENT if it was empty. A process
 * puts a number in the mailbox only if it is empty, with one atomic
 * compare-and-exchange, and makes that call right after. If it finds the
 * mailbox full (another thread is between the two steps) it rings with
 * DMR_IB_METHOD_QP_DOORBELL instead.
 */
enum dmr_ib_qp_methods {
	DMR_IB_METHOD_QP_DOORBELL = (1U << UVERBS_ID_NS_SHIFT),
	DMR_IB_METHOD_QP_DOORBELL_MAILBOX,
};

enum dmr_ib_qp_doorbell_attrs {
	DMR_IB_ATTR_QP_DOORBELL_QPN = (1U << UVERBS_ID_NS_SHIFT),
};

enum dmr_ib_mr_methods {
	DMR_IB_METHOD_MR_QUERY = (1U << UVERBS_ID_NS_SHIFT),
	DMR_IB_METHOD_MR_EVENTFD,
};

enum dmr_ib_query_mr_attrs {
	DMR_IB_ATTR_QUERY_MR_HANDLE = (1U << UVERBS_ID_NS_SHIFT),
	DMR_IB_ATTR_QUERY_MR_RESP,
};

/*
 * Eventfds the kernel signals at every state change of a dma-buf MR:
 * DMR_MR_EVENTFD_ADD subscribes one (up to DMR_MR_MAX_EVENTFDS per MR),
 * DMR_MR_EVENTFD_REMOVE unsubscribes it.
 */
enum dmr_mr_eventfd_op {
	DMR_MR_EVENTFD_ADD = 0,
	DMR_MR_EVENTFD_REMOVE = 1,
};

#define DMR_MR_MAX_EVENTFDS 16

enum dmr_ib_mr_eventfd_attrs {
	DMR_IB_ATTR_MR_EVENTFD_HANDLE = (1U << UVERBS_ID_NS_SHIFT),
	DMR_IB_ATTR_MR_EVENTFD_FD,	/* __s32 */
	DMR_IB_ATTR_MR_EVENTFD_OP,	/* enum dmr_mr_eventfd_op */
};

/* Device memory (ibv_alloc_dm): where the process maps it. */
enum dmr_ib_alloc_dm_attrs {
	DMR_IB_ATTR_ALLOC_DM_RESP_MMAP_OFFSET = (1U << UVERBS_ID_NS_SHIFT),
	DMR_IB_ATTR_ALLOC_DM_RESP_MMAP_SIZE,
};

/*
 * Export device memory as a dma-buf, which refuses importers that cannot
 * be revoked and is revoked when the device memory is freed or the
 * device goes away.
 */
enum dmr_ib_dm_methods {
	DMR_IB_METHOD_DM_EXPORT_DMABUF = (1U << UVERBS_ID_NS_SHIFT),
};

enum dmr_ib_dm_export_attrs {
	DMR_IB_ATTR_DM_EXPORT_HANDLE = (1U << UVERBS_ID_NS_SHIFT),
	DMR_IB_ATTR_DM_EXPORT_FD,	/* out: the dma-buf fd, O_CLOEXEC */
};

#endif /* DMR_ABI_USER_H */
