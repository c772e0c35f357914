/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * dmr: a software RDMA device whose memory regions may be dma-bufs.
 *
 * Objects and their locks. The rules, in the order a lock may be taken
 * while another is held (never the other way round):
 *
 *   RTNL  ->  dmr_devices_lock (dmr_main.c)  ->  GID table lock (core)
 *   dmr_qp.sq_lock  ->  dmr_qp.rq_lock (of any QP)  ->  dmr_srq.lock
 *     ->  dma-buf reservation lock  ->  dmr_dmabuf.eventfd_lock
 *     ->  dmr_qp.post_lock, dmr_srq.post_lock, dmr_qp.state_lock,
 *         dmr_cq.lock, dmr_io_atomic_lock (spinlocks, innermost)
 *   dmr_qp.rq_lock  ->  GID table lock (core: the responder's
 *     connection check, dmr_resp_conn_ok())
 *   dmr_qp.sq_lock  ->  dmr_devices_lock (a UD requester looks up the
 *     device that owns a destination GID, and drops the lock before it
 *     takes the responder's rq_lock)
 *   dmr_qp.sq_lock, dmr_qp.rq_lock  ->  dmr_net_lock (dmr_net.c: the
 *     namespace's socket of a wire QP, taken at RTR and released at reset
 *     and destroy; opening and closing a UDP socket under it takes the
 *     CPU hotplug lock and waits for RCU). The wire's receive worker
 *     takes one QP's rq_lock or sq_lock inside the QP table's read
 *     section, as a requester does; a QP's reply_work takes its rq_lock
 *     outside it (dmr_destroy_qp() cancels the work). rq_lock guards the
 *     QP's wire_backlog, whose sk_buff_head lock is not used.
 *   dmr_dm_lock (dmr_dm.c) is a leaf: it guards a DM's list of exports
 *     and is dropped before an export's reservation lock is taken.
 *
 * An sq_lock is never taken while an rq_lock is held, so a requester may
 * lock its own SQ and any responder's RQ, including its own. The QP
 * table's SRCU read section (dmr_qp_read_lock(), dmr_lookup.h) is taken
 * outside or inside any of these; dmr_destroy_qp() waits for it holding
 * no dmr lock, and nothing waits for it from inside one. A dma-buf
 * exporter's invalidate runs with the reservation lock held and takes
 * only eventfd_lock of dmr's locks.
 *
 * Spinlocks that a kernel consumer's call may take turn interrupts off.
 * The lock of a process's CQ is only ever taken in process context and
 * leaves them on (dmr_cq.c; a lockdep class of its own).
 *
 * Kernel consumers post from any context, atomic ones included (the MAD
 * layer posts under a spinlock with interrupts off): their post_send and
 * post_recv only write the ring under post_lock, and the requester of a
 * kernel QP runs from send_work. Processes write their rings themselves
 * and run the requester from the doorbell system call.
 */
#ifndef DMR_H
#define DMR_H

#include <linux/completion.h>
#include <linux/mutex.h>
#include <linux/netdevice.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <rdma/ib_verbs.h>
#include <rdma/uverbs_ioctl.h>

#include <rdma/dmr-abi.h>
#include "dmr_mem.h"
#include "dmr_queue.h"

#define DRV_NAME "dmr"

#define dmr_err(dev, fmt, ...) \
	ibdev_err(&(dev)->ibdev, fmt, ##__VA_ARGS__)
#define dmr_warn_ratelimited(dev, fmt, ...) \
	ibdev_warn_ratelimited(&(dev)->ibdev, fmt, ##__VA_ARGS__)
#define dmr_dbg(dev, fmt, ...) \
	ibdev_dbg(&(dev)->ibdev, fmt, ##__VA_ARGS__)

/* Limits of one device; dmr_query_device() reports them. */
enum dmr_limits {
	DMR_MAX_QP = 16384,
	DMR_MAX_QP_WR = 16384,
	DMR_MAX_CQ = 16384,
	/* libfabric's ofi_rxm asks for (rx + tx) * 1024 CQEs per endpoint. */
	DMR_MAX_CQE = 1 << 20,
	DMR_MAX_MR = 1 << 20,
	DMR_MAX_PD = 65536,
	DMR_MAX_SRQ = 4096,
	DMR_MAX_SRQ_WR = 16384,
	DMR_MAX_RD_ATOM = 128,
	DMR_MAX_UCONTEXT = 4096,
	DMR_MAX_PKEYS = 1,
	DMR_MAX_AH = 65536,
	/* Each up to DMR_MAX_DM_SIZE, charged to the process's cgroup. */
	DMR_MAX_DM = 4096,
	DMR_GID_TABLE_LEN = 32,
};

/* The most device memory one ibv_alloc_dm() gets. */
#define DMR_MAX_DM_SIZE (64 << 20)

/* The largest message: the IBTA limit. */
#define DMR_MAX_MSG_SIZE BIT_ULL(31)

struct dmr_dev {
	struct ib_device ibdev;
	/*
	 * The netdev's nearest PCI ancestor, as a real NIC's DMA device
	 * would be: dma-bufs are attached for it, so the kernel decides P2P
	 * for that function. NULL if the netdev has no PCI ancestor.
	 */
	struct device *dma_dev;
	/*
	 * Held by the core from ib_device_set_netdev() until it unregisters
	 * the device, after it has stopped the verbs and the data path:
	 * those may dereference it; sysfs and queries use dmr_netdev_get().
	 */
	struct net_device *ndev;
	struct list_head list;		/* dmr_devices, under dmr_devices_lock */

	struct xarray mrs;		/* key index -> dmr_mr, RCU readers */
	u32 next_mr_index;		/* under the xa lock of @mrs */

	/* The port's GSI QP (QP1): UD sends to QP number 1 land there. */
	struct dmr_qp __rcu *gsi;

	atomic_t n_ucontext;
	atomic_t n_pd;
	atomic_t n_cq;
	atomic_t n_qp;
	atomic_t n_mr;
	atomic_t n_srq;
	atomic_t n_ah;
	atomic_t n_dm;
};

/*
 * Count one more object against a device limit (the n_* counters above):
 * false, with nothing counted, when @limit of them exist already.
 */
static inline bool dmr_count_get(atomic_t *count, int limit)
{
	if (atomic_inc_return(count) > limit) {
		atomic_dec(count);
		return false;
	}
	return true;
}

struct dmr_ucontext {
	struct ib_ucontext ibuc;
	/* dmr_user_alloc() memory the process maps; the kernel only xchg()s. */
	struct dmr_doorbell_mailbox *mailbox;
	struct rdma_user_mmap_entry *mailbox_mmap;
};

struct dmr_pd {
	struct ib_pd ibpd;
};

struct dmr_cq {
	struct ib_cq ibcq;
	spinlock_t lock;		/* ring producer side, @notify, @overflow */
	struct dmr_queue ring;
	u8 notify;			/* armed IB_CQ_SOLICITED / IB_CQ_NEXT_COMP */
	bool overflow;
	bool user;			/* a process's: @lock leaves IRQs on */
};

struct dmr_srq {
	struct ib_srq ibsrq;
	struct mutex lock;		/* ring consumer side, @limit */
	spinlock_t post_lock;		/* ring producer side, kernel SRQs */
	struct dmr_queue ring;
	u32 max_sge;
	u32 limit;			/* 0: not armed */
};

enum dmr_mr_kind {
	DMR_MR_USER,
	DMR_MR_DMABUF,
	DMR_MR_DM,
	DMR_MR_DMA,		/* a kernel PD's DMA MR */
};

struct dmr_mr {
	struct ib_mr ibmr;
	struct dmr_dev *dev;
	/*
	 * One reference for the registration, one per access in flight.
	 * dereg drops the first and waits for @released.
	 */
	refcount_t ref;
	struct completion released;
	struct rcu_head rcu;
	u32 index;
	enum dmr_mr_kind kind;
	int access;			/* IB_ACCESS_* */
	u64 iova;
	u64 length;
	struct dmr_mem mem;
};

/* The resolved segments of one side of a transfer, with MR references. */
struct dmr_ud_send;

struct dmr_xfer {
	struct dmr_mem_seg seg[DMR_MAX_SGE];
	struct dmr_mr *mr[DMR_MAX_SGE];
	unsigned int n;
	u64 len;
};

#include "dmr_wire.h"

/*
 * A QP is laid out in three parts, by who writes them. A small message is
 * a handful of cache lines moving between the CPUs of its two ends, and
 * a line that both ends write moves twice per message: the fields that
 * requesters on other CPUs read must not share a line with those this
 * QP's own requester writes for every message.
 */
struct dmr_qp {
	struct ib_qp ibqp;

	/* Written when the QP is created or modified; read by every message. */
	struct dmr_dev *dev;
	/* Number in the QP table: ibqp.qp_num, but for the GSI QP (1). */
	u32 index;
	/*
	 * The context of the process that created it, NULL for a kernel
	 * QP: the only context whose doorbell may name it. Only compared,
	 * never followed: the context outlives its QPs.
	 */
	struct ib_ucontext *uctx;
	spinlock_t state_lock;		/* @state, ring error flags */
	enum ib_qp_state state;
	struct dmr_srq *srq;
	struct dmr_cq *scq;
	struct dmr_cq *rcq;
	bool sq_sig_all;
	u32 max_send_sge;
	u32 max_recv_sge;
	u32 max_inline;
	/* Attributes, as modify_qp set them (sgid_attr not held). */
	struct ib_qp_attr attr;
	/*
	 * RC over RoCE v2 rather than direct copy (dmr_wire_setup(), at
	 * RTR), and the connection's addresses.
	 */
	bool wire;
	struct dmr_wire_path path;
	/*
	 * Host-unique, new whenever modify_qp may have changed who this QP
	 * is connected to: a requester's answer to "is this my responder"
	 * holds while it stays the same (dmr_resp_conn_ok()).
	 */
	u64 conn_id;
	/*
	 * Set once by dmr_destroy_qp() before it waits: a message to or
	 * from this QP stops at its next bracket (dmr_mem_stop).
	 */
	bool stopping;
	struct completion released;
	/* Completes the SQ flush of an error raised by a responder. */
	struct work_struct flush_work;

	/* The requester: written by this QP's sends, under @sq_lock. */
	struct mutex sq_lock ____cacheline_aligned_in_smp;
	/*
	 * References: the doorbell's on its own QP, and dmr_qp_get()'s
	 * (completions of kernel CQs, UD sends). A requester finds its RC
	 * responder without one (dmr_qp_find()), so in a connection only
	 * the owner writes this line.
	 */
	refcount_t ref;
	struct dmr_queue sq;
	/* Retries left (RNR and transport) and whether one is pending. */
	u8 rnr_retries_left;
	u8 retries_left;
	bool stalled;
	/*
	 * The responder found to be the other end of the connection, with
	 * its conn_id, in GID generation @conn_gid_gen
	 * (dmr_gid_generation()); only compared, never followed.
	 */
	struct dmr_qp *conn_peer;
	u64 conn_peer_id;
	unsigned int conn_gid_gen;
	struct dmr_mem_stop stop;	/* of the message being copied */
	struct dmr_send_wqe *send_wqe;	/* private copy of one send WQE */
	struct dmr_xfer local;
	struct dmr_xfer remote;
	struct dmr_ud_send *ud;		/* UD and GSI QPs only (dmr_ud.c) */
	struct dmr_wire_req wreq;	/* the message in flight on the wire */
	struct delayed_work retry_work;
	/* Runs the requester of a kernel QP after a post_send. */
	struct work_struct send_work;
	spinlock_t post_lock;		/* ring producers of kernel QPs */

	/* The responder: written by the messages to this QP, under @rq_lock. */
	struct mutex rq_lock ____cacheline_aligned_in_smp;
	struct dmr_queue rq;		/* unused with an SRQ */
	struct dmr_recv_wqe *recv_wqe;	/* private copy of one receive WQE */
	struct dmr_wire_resp wresp;	/* the responder's wire state */
	/* Requests held behind a READ reply, and the work that sends it. */
	struct sk_buff_head wire_backlog;
	struct delayed_work reply_work;
};

/* An address handle: the address vector UD sends copy into their WQE. */
struct dmr_ah {
	struct ib_ah ibah;
	struct dmr_av av;
};

struct dmr_mmap_entry {
	struct rdma_user_mmap_entry rdma_entry;
	void *addr;			/* dmr_user_alloc() memory */
};

static inline struct dmr_dev *to_dmr_dev(struct ib_device *ibdev)
{
	return container_of(ibdev, struct dmr_dev, ibdev);
}

static inline struct dmr_pd *to_dmr_pd(struct ib_pd *ibpd)
{
	return container_of(ibpd, struct dmr_pd, ibpd);
}

static inline struct dmr_cq *to_dmr_cq(struct ib_cq *ibcq)
{
	return container_of(ibcq, struct dmr_cq, ibcq);
}

static inline struct dmr_srq *to_dmr_srq(struct ib_srq *ibsrq)
{
	return container_of(ibsrq, struct dmr_srq, ibsrq);
}

static inline struct dmr_qp *to_dmr_qp(struct ib_qp *ibqp)
{
	return container_of(ibqp, struct dmr_qp, ibqp);
}

/* Written under state_lock; the data engine reads it at every WQE. */
static inline enum ib_qp_state dmr_qp_state(struct dmr_qp *qp)
{
	return READ_ONCE(qp->state);
}

static inline struct dmr_mr *to_dmr_mr(struct ib_mr *ibmr)
{
	return container_of(ibmr, struct dmr_mr, ibmr);
}

static inline struct dmr_ucontext *to_dmr_ucontext(struct ib_ucontext *ibuc)
{
	return container_of(ibuc, struct dmr_ucontext, ibuc);
}

static inline struct dmr_ah *to_dmr_ah(struct ib_ah *ibah)
{
	return container_of(ibah, struct dmr_ah, ibah);
}

static inline bool dmr_qp_is_ud(const struct dmr_qp *qp)
{
	return qp->ibqp.qp_type == IB_QPT_UD || qp->ibqp.qp_type == IB_QPT_GSI;
}

/* dmr_main.c */
void dmr_dev_forget(struct dmr_dev *dev);
bool dmr_dev_owns_gid(struct dmr_dev *dev, const union ib_gid *gid);
int dmr_add_gid(const struct ib_gid_attr *attr, void **context);
int dmr_del_gid(const struct ib_gid_attr *attr, void **context);
struct dmr_dev *dmr_dev_get_by_gid(const union ib_gid *gid);
struct dmr_dev *dmr_dev_get_rcu(struct net_device *ndev, struct sk_buff *skb);
struct net_device *dmr_netdev_get(struct dmr_dev *dev);

/* dmr_verbs.c */
int dmr_register_device(struct dmr_dev *dev, const char *name,
			struct net_device *ndev);
__be64 dmr_sys_image_guid(void);

/* dmr_queue.c */
struct rdma_user_mmap_entry *dmr_mmap_insert(struct ib_ucontext *ibuc,
					     void *addr, size_t size);
int dmr_mmap(struct ib_ucontext *ibuc, struct vm_area_struct *vma);
void dmr_mmap_free(struct rdma_user_mmap_entry *rdma_entry);

/* dmr_cq.c */
int dmr_create_cq(struct ib_cq *ibcq, const struct ib_cq_init_attr *attr,
		  struct uverbs_attr_bundle *attrs);
int dmr_destroy_cq(struct ib_cq *ibcq, struct ib_udata *udata);
int dmr_req_notify_cq(struct ib_cq *ibcq, enum ib_cq_notify_flags flags);
int dmr_poll_cq(struct ib_cq *ibcq, int num_entries, struct ib_wc *wc);
int dmr_cq_post(struct dmr_cq *cq, const struct dmr_cqe *cqe, bool solicited);

/* dmr_srq.c */
int dmr_create_srq(struct ib_srq *ibsrq, struct ib_srq_init_attr *init,
		   struct ib_udata *udata);
int dmr_modify_srq(struct ib_srq *ibsrq, struct ib_srq_attr *attr,
		   enum ib_srq_attr_mask mask, struct ib_udata *udata);
int dmr_query_srq(struct ib_srq *ibsrq, struct ib_srq_attr *attr);
int dmr_destroy_srq(struct ib_srq *ibsrq, struct ib_udata *udata);
int dmr_srq_take(struct dmr_srq *srq, struct dmr_recv_wqe *wqe);

/* dmr_mr.c */
struct ib_mr *dmr_reg_user_mr(struct ib_pd *ibpd, u64 start, u64 length,
			      u64 iova, int access, struct ib_dmah *dmah,
			      struct ib_udata *udata);
struct ib_mr *dmr_rereg_user_mr(struct ib_mr *ibmr, int flags, u64 start,
				u64 length, u64 iova, int access,
				struct ib_pd *ibpd, struct ib_udata *udata);
int dmr_dereg_mr(struct ib_mr *ibmr, struct ib_udata *udata);
struct ib_mr *dmr_get_dma_mr(struct ib_pd *ibpd, int access);
int dmr_check_mr_access(int access);
struct dmr_mr *dmr_mr_alloc(struct dmr_dev *dev, struct ib_pd *ibpd,
			    u64 iova, u64 length, int access);
int dmr_mr_publish(struct dmr_mr *mr);
struct ib_mr *dmr_mr_commit(struct dmr_mr *mr);
void dmr_mr_free(struct dmr_mr *mr);

/* dmr_dmabuf.c */
struct dma_buf;
struct ib_mr *dmr_reg_user_mr_dmabuf(struct ib_pd *ibpd, u64 offset,
				     u64 length, u64 iova, int fd, int access,
				     struct ib_dmah *dmah,
				     struct uverbs_attr_bundle *attrs);
int dmr_mem_init_dmabuf(struct dmr_dev *dev, struct dmr_mem *mem,
			struct dma_buf *dmabuf, u64 offset, u64 length,
			int access);
void dmr_dmabuf_query(struct dmr_mem *mem, struct dmr_mr_query_resp *resp);
void dmr_mr_query(struct dmr_mr *mr, struct dmr_mr_query_resp *resp);
struct eventfd_ctx;
int dmr_mr_eventfd(struct dmr_mr *mr, struct eventfd_ctx *ctx, bool add);

/* dmr_dm.c */
struct ib_dm *dmr_alloc_dm(struct ib_device *ibdev, struct ib_ucontext *ibuc,
			   struct ib_dm_alloc_attr *attr,
			   struct uverbs_attr_bundle *attrs);
int dmr_dealloc_dm(struct ib_dm *ibdm, struct uverbs_attr_bundle *attrs);
struct ib_mr *dmr_reg_dm_mr(struct ib_pd *ibpd, struct ib_dm *ibdm,
			    struct ib_dm_mr_attr *attr,
			    struct uverbs_attr_bundle *attrs);
struct dma_buf *dmr_dm_export(struct ib_dm *ibdm);

/* dmr_ioctl.c */
extern const struct uapi_definition dmr_uapi_defs[];
int dmr_fill_res_mr_entry(struct sk_buff *msg, struct ib_mr *ibmr);

/* dmr_qp.c */
int dmr_create_qp(struct ib_qp *ibqp, struct ib_qp_init_attr *init,
		  struct ib_udata *udata);
int dmr_modify_qp(struct ib_qp *ibqp, struct ib_qp_attr *attr, int mask,
		  struct ib_udata *udata);
int dmr_query_qp(struct ib_qp *ibqp, struct ib_qp_attr *attr, int mask,
		 struct ib_qp_init_attr *init);
int dmr_destroy_qp(struct ib_qp *ibqp, struct ib_udata *udata);
struct dmr_qp *dmr_qp_get(u32 qpn);
struct dmr_qp *dmr_qp_get_gsi(struct dmr_dev *dev);
void dmr_qp_error(struct dmr_qp *qp, bool rq_locked);
void dmr_qp_sq_error(struct dmr_qp *qp);
void dmr_qp_event(struct dmr_qp *qp, enum ib_event_type type);
void dmr_qp_flush_sq(struct dmr_qp *qp);
void dmr_qp_flush_rq(struct dmr_qp *qp);
int dmr_qp_table_init(void);
void dmr_qp_table_exit(void);

/* Number of segments of @x: inline buffers have one, without an MR. */
static inline unsigned int dmr_xfer_nsegs(const struct dmr_xfer *x)
{
	return x->n ? x->n : (x->len ? 1 : 0);
}

/* dmr_exec.c */
void dmr_xfer_release(struct dmr_xfer *x);
enum ib_wc_status dmr_xfer_sges(struct dmr_xfer *x, struct dmr_dev *dev,
				struct ib_pd *pd, const struct dmr_sge *sge,
				u32 nsge, int access, u64 limit);
bool dmr_xfer_add(struct dmr_xfer *x, struct dmr_dev *dev, struct ib_pd *pd,
		  u32 key, u64 addr, u64 len, int access);
enum ib_wc_status dmr_req_local(struct dmr_qp *qp,
				const struct dmr_send_wqe *wqe);
enum ib_wc_status dmr_req_copy_status(int err);
void dmr_req_complete(struct dmr_qp *qp, const struct dmr_send_wqe *wqe,
		      enum ib_wc_status status, u32 byte_len);
bool dmr_req_run(struct dmr_qp *qp, bool in_syscall);
void dmr_req_continue(struct dmr_qp *qp, bool more);
void dmr_resp_error(struct dmr_qp *peer, bool has_wqe, enum ib_wc_status status,
		    enum ib_event_type event, bool raise);
void dmr_resp_complete(struct dmr_qp *peer, u32 opcode, u32 byte_len,
		       u32 src_qp, bool with_imm, __be32 imm_data,
		       bool solicited);
bool dmr_qp_can_receive(struct dmr_qp *peer);
int dmr_qp_take_recv(struct dmr_qp *peer);
int dmr_post_send(struct ib_qp *ibqp, const struct ib_send_wr *wr,
		  const struct ib_send_wr **bad_wr);
int dmr_post_recv(struct ib_qp *ibqp, const struct ib_recv_wr *wr,
		  const struct ib_recv_wr **bad_wr);
int dmr_post_srq_recv(struct ib_srq *ibsrq, const struct ib_recv_wr *wr,
		      const struct ib_recv_wr **bad_wr);
void dmr_retry_work(struct work_struct *work);
void dmr_send_work(struct work_struct *work);
int dmr_qp_doorbell(struct dmr_qp *qp);

/* dmr_ud.c */
int dmr_create_ah(struct ib_ah *ibah, struct rdma_ah_init_attr *init,
		  struct ib_udata *udata);
int dmr_destroy_ah(struct ib_ah *ibah, u32 flags);
int dmr_check_av(const struct rdma_ah_attr *ah);
int dmr_ud_qp_init(struct dmr_qp *qp);
void dmr_ud_qp_cleanup(struct dmr_qp *qp);
enum ib_wc_status dmr_ud_send(struct dmr_qp *qp,
			      const struct dmr_send_wqe *wqe, u32 *byte_len);

#endif /* DMR_H */
