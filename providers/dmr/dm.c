// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Device memory: kernel memory mapped into the process for
 * ibv_memcpy_to_dm()/ibv_memcpy_from_dm(), registered with
 * ibv_reg_dm_mr() and exported as a dma-buf with dmrdv_export_dm().
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <infiniband/cmd_ioctl.h>

#include "dmr.h"
#include "dmrdv.h"

struct dmr_dm {
	struct verbs_dm vdm;
	uint8_t *addr;			/* our mapping of the memory */
	size_t map_size;
	uint64_t length;		/* what the application asked for */
};

static struct dmr_dm *to_dmr_dm(struct ibv_dm *ibdm)
{
	return container_of(ibdm, struct dmr_dm, vdm.dm);
}

static int dmr_memcpy_to_dm(struct ibv_dm *ibdm, uint64_t offset,
			    const void *host, size_t length)
{
	struct dmr_dm *dm = to_dmr_dm(ibdm);

	if (offset > dm->length || length > dm->length - offset)
		return EINVAL;
	memcpy(dm->addr + offset, host, length);
	return 0;
}

static int dmr_memcpy_from_dm(void *host, struct ibv_dm *ibdm,
			      uint64_t offset, size_t length)
{
	struct dmr_dm *dm = to_dmr_dm(ibdm);

	if (offset > dm->length || length > dm->length - offset)
		return EINVAL;
	memcpy(host, dm->addr + offset, length);
	return 0;
}

struct ibv_dm *dmr_alloc_dm(struct ibv_context *ctx,
			    struct ibv_alloc_dm_attr *attr)
{
	uint64_t offset = 0, size = 0;
	struct dmr_dm *dm;
	int err;

	DECLARE_COMMAND_BUFFER_LINK(cmd, UVERBS_OBJECT_DM,
				    UVERBS_METHOD_DM_ALLOC, 2, NULL);

	dm = calloc(1, sizeof(*dm));
	if (!dm)
		return NULL;
	fill_attr_out_ptr(cmd, DMR_IB_ATTR_ALLOC_DM_RESP_MMAP_OFFSET, &offset);
	fill_attr_out_ptr(cmd, DMR_IB_ATTR_ALLOC_DM_RESP_MMAP_SIZE, &size);
	err = ibv_cmd_alloc_dm(ctx, attr, &dm->vdm, cmd);
	if (err)
		goto err_free;
	/* memcpy_to/from_dm trust the mapping to hold what was asked for. */
	if (size < attr->length || size > SIZE_MAX) {
		ibv_cmd_free_dm(&dm->vdm);
		err = EPROTO;
		goto err_free;
	}
	dm->addr = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
			ctx->cmd_fd, offset);
	if (dm->addr == MAP_FAILED) {
		err = errno;
		ibv_cmd_free_dm(&dm->vdm);
		goto err_free;
	}
	dm->map_size = size;
	dm->length = attr->length;
	dm->vdm.dm.memcpy_to_dm = dmr_memcpy_to_dm;
	dm->vdm.dm.memcpy_from_dm = dmr_memcpy_from_dm;
	return &dm->vdm.dm;

err_free:
	free(dm);
	errno = err;
	return NULL;
}

int dmr_free_dm(struct ibv_dm *ibdm)
{
	struct dmr_dm *dm = to_dmr_dm(ibdm);
	int err;

	err = ibv_cmd_free_dm(&dm->vdm);
	if (err)
		return err;
	munmap(dm->addr, dm->map_size);
	free(dm);
	return 0;
}

struct ibv_mr *dmr_reg_dm_mr(struct ibv_pd *pd, struct ibv_dm *ibdm,
			     uint64_t offset, size_t length,
			     unsigned int access)
{
	struct verbs_mr *vmr;
	int err;

	vmr = calloc(1, sizeof(*vmr));
	if (!vmr)
		return NULL;
	err = ibv_cmd_reg_dm_mr(pd, &to_dmr_dm(ibdm)->vdm, offset, length,
				access, vmr, NULL);
	if (err) {
		free(vmr);
		errno = err;
		return NULL;
	}
	return &vmr->ibv_mr;
}

/*
 * ibv_dm_export_dmabuf_fd(): a new O_CLOEXEC dma-buf fd over the device
 * memory, or -1 with errno. dmr exports it itself (its own method): the
 * core's generic exporter (UVERBS_METHOD_DMABUF_ALLOC, which mlx5 uses)
 * exports one physically contiguous range behind a PCI P2P provider,
 * and dmr's device memory is pages of RAM. dmr's dma-buf refuses
 * importers that cannot be revoked, and ibv_free_dm() revokes the others.
 */
int dmr_dm_export_dmabuf_fd(struct ibv_dm *ibdm)
{
	int32_t fd = -1;
	int err;

	DECLARE_COMMAND_BUFFER(cmd, UVERBS_OBJECT_DM,
			       DMR_IB_METHOD_DM_EXPORT_DMABUF, 2);

	fill_attr_in_obj(cmd, DMR_IB_ATTR_DM_EXPORT_HANDLE,
			 to_dmr_dm(ibdm)->vdm.handle);
	fill_attr_out_ptr(cmd, DMR_IB_ATTR_DM_EXPORT_FD, &fd);
	err = execute_ioctl(ibdm->context, cmd);
	if (err) {
		errno = err;
		return -1;
	}
	return fd;
}

/* The interface of dmr 1.0, before rdma-core had the generic call. */
int dmrdv_export_dm(struct ibv_dm *ibdm, int *dmabuf_fd)
{
	int fd;

	if (!dmr_is_dmr_device(ibdm->context->device))
		return EOPNOTSUPP;
	fd = dmr_dm_export_dmabuf_fd(ibdm);
	if (fd < 0)
		return errno;
	*dmabuf_fd = fd;
	return 0;
}
