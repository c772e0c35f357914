// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Rings shared with user space: allocation, mmap entries and the mmap
 * handler. The ring memory is vmalloc_user(), so it is zeroed and can be
 * mapped with remap_vmalloc_range(); the mapped pages hold their own
 * references, so freeing the ring while the process still maps it is safe.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <rdma/uverbs_ioctl.h>

#include "dmr.h"
#include "dmr_ring.h"

static struct dmr_mmap_entry *to_dmr_mmap(struct rdma_user_mmap_entry *e)
{
	return container_of(e, struct dmr_mmap_entry, rdma_entry);
}

/*
 * Allocate a ring of @nslots slots of @stride bytes. With @udata, the ring
 * gets an mmap entry in the caller's ucontext.
 */
int dmr_queue_init(struct dmr_queue *q, struct ib_udata *udata, u32 nslots,
		   u32 stride)
{
	struct dmr_ucontext *uctx;
	struct dmr_mmap_entry *entry;
	int err;

	if (!dmr_ring_size_valid(nslots))
		return -EINVAL;
	q->nslots = nslots;
	q->stride = stride;
	q->index = 0;
	q->size = PAGE_ALIGN(DMR_RING_HDR_SIZE + (size_t)nslots * stride);
	q->hdr = vmalloc_user(q->size);
	if (!q->hdr)
		return -ENOMEM;
	q->slots = (void *)q->hdr + DMR_RING_HDR_SIZE;
	q->mmap = NULL;
	if (!udata)
		return 0;

	uctx = rdma_udata_to_drv_context(udata, struct dmr_ucontext, ibuc);
	entry = kzalloc_obj(*entry);
	if (!entry) {
		err = -ENOMEM;
		goto err_free;
	}
	entry->addr = q->hdr;
	err = rdma_user_mmap_entry_insert(&uctx->ibuc, &entry->rdma_entry,
					  q->size);
	if (err) {
		kfree(entry);
		goto err_free;
	}
	q->mmap = &entry->rdma_entry;
	return 0;

err_free:
	vfree(q->hdr);
	q->hdr = NULL;
	return err;
}

void dmr_queue_cleanup(struct dmr_queue *q)
{
	/* The entry itself is freed by dmr_mmap_free() once unreferenced. */
	if (q->mmap)
		rdma_user_mmap_entry_remove(q->mmap);
	q->mmap = NULL;
	vfree(q->hdr);
	q->hdr = NULL;
	q->slots = NULL;
}

void dmr_queue_info(const struct dmr_queue *q, struct dmr_ring_info *info)
{
	info->mmap_offset = q->mmap ? rdma_user_mmap_get_offset(q->mmap) : 0;
	info->mmap_size = q->size;
	info->slots = q->nslots;
	info->stride = q->stride;
}

int dmr_mmap(struct ib_ucontext *ibuc, struct vm_area_struct *vma)
{
	struct rdma_user_mmap_entry *rdma_entry;
	int err;

	rdma_entry = rdma_user_mmap_entry_get(ibuc, vma);
	if (!rdma_entry)
		return -EINVAL;
	err = remap_vmalloc_range(vma, to_dmr_mmap(rdma_entry)->addr, 0);
	rdma_user_mmap_entry_put(rdma_entry);
	return err;
}

void dmr_mmap_free(struct rdma_user_mmap_entry *rdma_entry)
{
	kfree(to_dmr_mmap(rdma_entry));
}
