// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The dmr provider: device matching, contexts, protection domains and
 * memory regions.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dmr.h"

static void dmr_free_context(struct ibv_context *ibctx);

static int dmr_query_device(struct ibv_context *ctx,
			    const struct ibv_query_device_ex_input *input,
			    struct ibv_device_attr_ex *attr, size_t attr_size)
{
	struct ib_uverbs_ex_query_device_resp resp;
	size_t resp_size = sizeof(resp);
	int ret;

	ret = ibv_cmd_query_device_any(ctx, input, attr, attr_size, &resp,
				       &resp_size);
	if (ret)
		return ret;
	snprintf(attr->orig_attr.fw_ver, sizeof(attr->orig_attr.fw_ver),
		 "%llu.0", (unsigned long long)resp.base.fw_ver);
	return 0;
}

static int dmr_query_port(struct ibv_context *ctx, uint8_t port,
			  struct ibv_port_attr *attr)
{
	struct ibv_query_port cmd;

	return ibv_cmd_query_port(ctx, port, attr, &cmd, sizeof(cmd));
}

static struct ibv_pd *dmr_alloc_pd(struct ibv_context *ctx)
{
	struct ib_uverbs_alloc_pd_resp resp;
	struct ibv_alloc_pd cmd;
	struct ibv_pd *pd;
	int err;

	pd = calloc(1, sizeof(*pd));
	if (!pd)
		return NULL;
	err = ibv_cmd_alloc_pd(ctx, pd, &cmd, sizeof(cmd), &resp, sizeof(resp));
	if (err) {
		free(pd);
		errno = err;
		return NULL;
	}
	return pd;
}

static int dmr_dealloc_pd(struct ibv_pd *pd)
{
	int ret;

	ret = ibv_cmd_dealloc_pd(pd);
	if (!ret)
		free(pd);
	return ret;
}

static struct ibv_mr *dmr_reg_mr(struct ibv_pd *pd, void *addr, size_t length,
				 uint64_t hca_va, int access)
{
	struct ib_uverbs_reg_mr_resp resp;
	struct ibv_reg_mr cmd;
	struct verbs_mr *vmr;
	int ret;

	vmr = calloc(1, sizeof(*vmr));
	if (!vmr)
		return NULL;
	ret = ibv_cmd_reg_mr(pd, addr, length, hca_va, access, vmr, &cmd,
			     sizeof(cmd), &resp, sizeof(resp));
	if (ret) {
		free(vmr);
		errno = ret;
		return NULL;
	}
	return &vmr->ibv_mr;
}

static int dmr_rereg_mr(struct verbs_mr *vmr, int flags, struct ibv_pd *pd,
			void *addr, size_t length, int access)
{
	struct ib_uverbs_rereg_mr_resp resp;
	struct ibv_rereg_mr cmd;

	return ibv_cmd_rereg_mr(vmr, flags, addr, length, (uintptr_t)addr,
				access, pd, &cmd, sizeof(cmd), &resp,
				sizeof(resp));
}

static int dmr_dereg_mr(struct verbs_mr *vmr)
{
	int ret;

	ret = ibv_cmd_dereg_mr(vmr);
	if (ret)
		return ret;
	free(vmr);
	return 0;
}

static const struct verbs_context_ops dmr_ctx_ops = {
	.alloc_dm = dmr_alloc_dm,
	.alloc_pd = dmr_alloc_pd,
	.create_ah = dmr_create_ah,
	.create_cq = dmr_create_cq,
	.create_cq_ex = dmr_create_cq_ex,
	.create_qp = dmr_create_qp,
	.create_qp_ex = dmr_create_qp_ex,
	.create_srq = dmr_create_srq,
	.dealloc_pd = dmr_dealloc_pd,
	.dereg_mr = dmr_dereg_mr,
	.destroy_ah = dmr_destroy_ah,
	.destroy_cq = dmr_destroy_cq,
	.destroy_qp = dmr_destroy_qp,
	.destroy_srq = dmr_destroy_srq,
	.dm_export_dmabuf_fd = dmr_dm_export_dmabuf_fd,
	.free_context = dmr_free_context,
	.free_dm = dmr_free_dm,
	.modify_qp = dmr_modify_qp,
	.modify_srq = dmr_modify_srq,
	.poll_cq = dmr_poll_cq,
	.post_recv = dmr_post_recv,
	.post_send = dmr_post_send,
	.post_srq_recv = dmr_post_srq_recv,
	.query_device_ex = dmr_query_device,
	.query_port = dmr_query_port,
	.query_qp = dmr_query_qp,
	.query_srq = dmr_query_srq,
	.reg_dm_mr = dmr_reg_dm_mr,
	.reg_dmabuf_mr = dmr_reg_dmabuf_mr,
	.reg_mr = dmr_reg_mr,
	.req_notify_cq = ibv_cmd_req_notify_cq,
	.rereg_mr = dmr_rereg_mr,
};

/*
 * Map the doorbell mailbox if the kernel has one. Without it (an older
 * kernel, or no memory for the mapping) every send rings with the QP
 * number as an attribute, which works as well and costs a little more.
 */
static void dmr_mailbox_map(struct dmr_context *ctx,
			    const struct dmr_alloc_ucontext_resp *resp)
{
	struct ib_uverbs_ioctl_hdr *hdr = &ctx->mailbox_doorbell;
	size_t size = sysconf(_SC_PAGESIZE);
	void *p;

	if (!(resp->flags & DMR_CONTEXT_F_MAILBOX))
		return;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 ctx->ibv_ctx.context.cmd_fd, resp->mailbox_mmap_offset);
	if (p == MAP_FAILED)
		return;
	hdr->length = sizeof(*hdr);
	hdr->object_id = UVERBS_OBJECT_QP;
	hdr->method_id = DMR_IB_METHOD_QP_DOORBELL_MAILBOX;
	hdr->driver_id = DMR_DRIVER_ID;
	ctx->mailbox = p;
	ctx->mailbox_size = size;
}

static struct verbs_context *dmr_alloc_context(struct ibv_device *ibdev,
					       int cmd_fd, void *private_data)
{
	struct udmr_alloc_ucontext_resp resp = {};
	struct ibv_get_context cmd;
	struct dmr_context *ctx;

	ctx = verbs_init_and_alloc_context(ibdev, cmd_fd, ctx, ibv_ctx,
					   DMR_DRIVER_ID);
	if (!ctx)
		return NULL;
	if (ibv_cmd_get_context(&ctx->ibv_ctx, &cmd, sizeof(cmd), NULL,
				&resp.ibv_resp, sizeof(resp))) {
		verbs_uninit_context(&ctx->ibv_ctx);
		free(ctx);
		return NULL;
	}
	dmr_mailbox_map(ctx, &resp.drv_payload);
	verbs_set_ops(&ctx->ibv_ctx, &dmr_ctx_ops);
	return &ctx->ibv_ctx;
}

static void dmr_free_context(struct ibv_context *ibctx)
{
	struct dmr_context *ctx = to_dmr_ctx(ibctx);

	if (ctx->mailbox)
		munmap(ctx->mailbox, ctx->mailbox_size);
	verbs_uninit_context(&ctx->ibv_ctx);
	free(ctx);
}

static struct verbs_device *dmr_device_alloc(struct verbs_sysfs_dev *sysfs_dev)
{
	struct dmr_device *dev;

	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return NULL;
	return &dev->ibv_dev;
}

static void dmr_uninit_device(struct verbs_device *verbs_device)
{
	free(container_of(verbs_device, struct dmr_device, ibv_dev));
}

/*
 * dmr is not an upstream driver and has no RDMA_DRIVER_* id: a device is
 * ours if its sysfs directory has the dmr_abi_version file, whatever its
 * name.
 */
static bool dmr_match_device(struct verbs_sysfs_dev *sysfs_dev)
{
	char value[16];

	if (ibv_read_ibdev_sysfs_file(value, sizeof(value), sysfs_dev,
				      "dmr_abi_version") <= 0)
		return false;
	return strtoul(value, NULL, 10) == DMR_UVERBS_ABI_VERSION;
}

static const struct verbs_device_ops dmr_dev_ops = {
	.name = "dmr",
	.match_min_abi_version = DMR_UVERBS_ABI_VERSION,
	.match_max_abi_version = DMR_UVERBS_ABI_VERSION,
	.match_device = dmr_match_device,
	.alloc_device = dmr_device_alloc,
	.uninit_device = dmr_uninit_device,
	.alloc_context = dmr_alloc_context,
};
PROVIDER_DRIVER(dmr, dmr_dev_ops);

bool dmr_is_dmr_device(struct ibv_device *device)
{
	return verbs_get_device(device)->ops == &dmr_dev_ops;
}
