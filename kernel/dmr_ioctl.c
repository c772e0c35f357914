// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * dmr's own interfaces: uverbs ioctl methods in the driver's namespace
 * (the send doorbell, and what the provider's dmrdv.h offers) and the
 * driver attributes of "rdma resource show mr -dd".
 */
#include <linux/dma-buf.h>
#include <linux/eventfd.h>
#include <linux/file.h>
#include <rdma/rdma_netlink.h>
#include <rdma/uverbs_ioctl.h>
#define UVERBS_MODULE_NAME dmr_ib
#include <rdma/uverbs_named_ioctl.h>

#include "dmr.h"
#include "dmr_lookup.h"

static int UVERBS_HANDLER(DMR_IB_METHOD_MR_QUERY)(struct uverbs_attr_bundle *attrs)
{
	struct ib_mr *ibmr = uverbs_attr_get_obj(attrs,
						 DMR_IB_ATTR_QUERY_MR_HANDLE);
	struct dmr_mr_query_resp resp;

	dmr_mr_query(to_dmr_mr(ibmr), &resp);
	return uverbs_copy_to_struct_or_zero(attrs, DMR_IB_ATTR_QUERY_MR_RESP,
					     &resp, sizeof(resp));
}

static int UVERBS_HANDLER(DMR_IB_METHOD_MR_EVENTFD)(struct uverbs_attr_bundle *attrs)
{
	struct ib_mr *ibmr = uverbs_attr_get_obj(attrs,
						 DMR_IB_ATTR_MR_EVENTFD_HANDLE);
	struct eventfd_ctx *ctx;
	u32 op;
	s32 fd;
	int err;

	err = uverbs_copy_from(&fd, attrs, DMR_IB_ATTR_MR_EVENTFD_FD);
	if (!err)
		err = uverbs_get_const(&op, attrs, DMR_IB_ATTR_MR_EVENTFD_OP);
	if (err)
		return err;
	if (op != DMR_MR_EVENTFD_ADD && op != DMR_MR_EVENTFD_REMOVE)
		return -EINVAL;
	ctx = eventfd_ctx_fdget(fd);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	err = dmr_mr_eventfd(to_dmr_mr(ibmr), ctx, op == DMR_MR_EVENTFD_ADD);
	/* Subscribing keeps the reference; everything else drops ours. */
	if (err || op == DMR_MR_EVENTFD_REMOVE)
		eventfd_ctx_put(ctx);
	return err;
}

DECLARE_UVERBS_NAMED_METHOD(DMR_IB_METHOD_MR_QUERY,
			    UVERBS_ATTR_IDR(DMR_IB_ATTR_QUERY_MR_HANDLE,
					    UVERBS_OBJECT_MR,
					    UVERBS_ACCESS_READ,
					    UA_MANDATORY),
			    UVERBS_ATTR_PTR_OUT(DMR_IB_ATTR_QUERY_MR_RESP,
						UVERBS_ATTR_STRUCT(struct dmr_mr_query_resp,
								   revokes),
						UA_MANDATORY));

DECLARE_UVERBS_NAMED_METHOD(DMR_IB_METHOD_MR_EVENTFD,
			    UVERBS_ATTR_IDR(DMR_IB_ATTR_MR_EVENTFD_HANDLE,
					    UVERBS_OBJECT_MR,
					    UVERBS_ACCESS_READ,
					    UA_MANDATORY),
			    UVERBS_ATTR_PTR_IN(DMR_IB_ATTR_MR_EVENTFD_FD,
					       UVERBS_ATTR_TYPE(s32),
					       UA_MANDATORY),
			    UVERBS_ATTR_CONST_IN(DMR_IB_ATTR_MR_EVENTFD_OP,
						 enum dmr_mr_eventfd_op,
						 UA_MANDATORY));

static int UVERBS_HANDLER(DMR_IB_METHOD_DM_EXPORT_DMABUF)(struct uverbs_attr_bundle *attrs)
{
	struct ib_dm *ibdm = uverbs_attr_get_obj(attrs,
						 DMR_IB_ATTR_DM_EXPORT_HANDLE);
	struct dma_buf *dmabuf;
	s32 fd;
	int err;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		return fd;
	dmabuf = dmr_dm_export(ibdm);
	if (IS_ERR(dmabuf)) {
		put_unused_fd(fd);
		return PTR_ERR(dmabuf);
	}
	err = uverbs_copy_to(attrs, DMR_IB_ATTR_DM_EXPORT_FD, &fd, sizeof(fd));
	if (err) {
		put_unused_fd(fd);
		dma_buf_put(dmabuf);
		return err;
	}
	/* Only now is the fd the process's: nothing can fail any more. */
	dma_buf_fd_install(dmabuf, fd);
	return 0;
}

DECLARE_UVERBS_NAMED_METHOD(DMR_IB_METHOD_DM_EXPORT_DMABUF,
			    UVERBS_ATTR_IDR(DMR_IB_ATTR_DM_EXPORT_HANDLE,
					    UVERBS_OBJECT_DM,
					    UVERBS_ACCESS_READ,
					    UA_MANDATORY),
			    UVERBS_ATTR_PTR_OUT(DMR_IB_ATTR_DM_EXPORT_FD,
						UVERBS_ATTR_TYPE(s32),
						UA_MANDATORY));

DECLARE_UVERBS_GLOBAL_METHODS(UVERBS_OBJECT_DM,
			      &UVERBS_METHOD(DMR_IB_METHOD_DM_EXPORT_DMABUF));

ADD_UVERBS_ATTRIBUTES_SIMPLE(dmr_dm_alloc, UVERBS_OBJECT_DM,
			     UVERBS_METHOD_DM_ALLOC,
			     UVERBS_ATTR_PTR_OUT(DMR_IB_ATTR_ALLOC_DM_RESP_MMAP_OFFSET,
						 UVERBS_ATTR_TYPE(u64),
						 UA_MANDATORY),
			     UVERBS_ATTR_PTR_OUT(DMR_IB_ATTR_ALLOC_DM_RESP_MMAP_SIZE,
						 UVERBS_ATTR_TYPE(u64),
						 UA_MANDATORY));

/*
 * The send queue's doorbell. Not the POST_SEND write command, which is
 * made for WRs passed in the call: it allocates, and copies a command and
 * a response, and took a tenth more time than this method. The QP is
 * named by its number, not by a uobject handle: the handle's lookup,
 * lock and reference are on the path of every send before its data
 * moves, and the QP table (dmr_qp_get_owned()) answers the same
 * question, including whose QP it is, for less. Without an object
 * attribute the core takes no lock on the QP: our reference holds off
 * its destruction (dmr_destroy_qp() waits for it), and the caller's
 * context cannot go away during the call (the core lets running methods
 * finish before it destroys a context, and the file is held).
 */
static int dmr_ring(struct ib_ucontext *uctx, u32 qpn)
{
	struct dmr_qp *qp;
	int err;

	qp = dmr_qp_get_owned(qpn, uctx);
	if (!qp)
		return -EINVAL;
	err = dmr_qp_doorbell(qp);
	dmr_qp_put(qp);
	return err;
}

static int UVERBS_HANDLER(DMR_IB_METHOD_QP_DOORBELL)(struct uverbs_attr_bundle *attrs)
{
	struct ib_ucontext *uctx = ib_uverbs_get_ucontext(attrs);
	u32 qpn;
	int err;

	if (IS_ERR(uctx))
		return PTR_ERR(uctx);
	err = uverbs_copy_from(&qpn, attrs, DMR_IB_ATTR_QP_DOORBELL_QPN);
	if (err)
		return err;
	return dmr_ring(uctx, qpn);
}

DECLARE_UVERBS_NAMED_METHOD(DMR_IB_METHOD_QP_DOORBELL,
			    UVERBS_ATTR_PTR_IN(DMR_IB_ATTR_QP_DOORBELL_QPN,
					       UVERBS_ATTR_TYPE(u32),
					       UA_MANDATORY));

/*
 * The same doorbell, with the QP number taken from the context's mailbox
 * (dmr-abi.h). An attribute costs the core a copy from user space and
 * its parsing on every send: an empty doorbell took 1.20 us without one
 * against 1.32 us with it.
 */
static int UVERBS_HANDLER(DMR_IB_METHOD_QP_DOORBELL_MAILBOX)(struct uverbs_attr_bundle *attrs)
{
	struct ib_ucontext *uctx = ib_uverbs_get_ucontext(attrs);
	u32 qpn;

	if (IS_ERR(uctx))
		return PTR_ERR(uctx);
	qpn = xchg(&to_dmr_ucontext(uctx)->mailbox->qpn, 0);
	if (!qpn)
		return -ENOENT;
	return dmr_ring(uctx, qpn);
}

DECLARE_UVERBS_NAMED_METHOD(DMR_IB_METHOD_QP_DOORBELL_MAILBOX);

ADD_UVERBS_METHODS(dmr_qp,
		   UVERBS_OBJECT_QP,
		   &UVERBS_METHOD(DMR_IB_METHOD_QP_DOORBELL),
		   &UVERBS_METHOD(DMR_IB_METHOD_QP_DOORBELL_MAILBOX));

ADD_UVERBS_METHODS(dmr_mr,
		   UVERBS_OBJECT_MR,
		   &UVERBS_METHOD(DMR_IB_METHOD_MR_QUERY),
		   &UVERBS_METHOD(DMR_IB_METHOD_MR_EVENTFD));

const struct uapi_definition dmr_uapi_defs[] = {
	UAPI_DEF_CHAIN_OBJ_TREE(UVERBS_OBJECT_QP, &dmr_qp),
	UAPI_DEF_CHAIN_OBJ_TREE(UVERBS_OBJECT_MR, &dmr_mr),
	UAPI_DEF_CHAIN_OBJ_TREE(UVERBS_OBJECT_DM, &dmr_dm_alloc),
	UAPI_DEF_CHAIN_OBJ_TREE_NAMED(UVERBS_OBJECT_DM),
	{},
};

static const char *const dmr_mr_backend_names[] = {
	[DMR_MR_BACKEND_USER] = "user",
	[DMR_MR_BACKEND_DMABUF] = "dma-buf",
	[DMR_MR_BACKEND_DM] = "device-memory",
	[DMR_MR_BACKEND_KERNEL] = "kernel",
};

static const char *const dmr_mr_state_names[] = {
	[DMR_MR_STATE_VALID] = "valid",
	[DMR_MR_STATE_INVALIDATED] = "invalidated",
	[DMR_MR_STATE_REVOKED] = "revoked",
};

int dmr_fill_res_mr_entry(struct sk_buff *msg, struct ib_mr *ibmr)
{
	struct dmr_mr_query_resp q;
	struct nlattr *table;

	dmr_mr_query(to_dmr_mr(ibmr), &q);
	table = nla_nest_start(msg, RDMA_NLDEV_ATTR_DRIVER);
	if (!table)
		return -EMSGSIZE;
	if (rdma_nl_put_driver_string(msg, "backend",
				      dmr_mr_backend_names[q.backend]) ||
	    rdma_nl_put_driver_string(msg, "state",
				      dmr_mr_state_names[q.state]) ||
	    rdma_nl_put_driver_u64(msg, "invalidations", q.invalidations) ||
	    rdma_nl_put_driver_u64(msg, "remaps", q.remaps) ||
	    rdma_nl_put_driver_u64(msg, "revokes", q.revokes)) {
		nla_nest_cancel(msg, table);
		return -EMSGSIZE;
	}
	nla_nest_end(msg, table);
	return 0;
}
