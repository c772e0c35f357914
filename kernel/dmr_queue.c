// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Memory shared with user space: rings, device memory and the doorbell
 * mailbox, their mmap entries and the mmap handler. The rules:
 *
 *  - the memory is zeroed vmalloc memory (dmr_user_alloc());
 *  - once it has an mmap entry, the entry owns it: removing the entry
 *    only stops new mappings, and dmr_mmap_free() frees the memory when
 *    the entry's last reference goes, which a dmr_mmap() in progress
 *    holds while it walks the pages;
 *  - mapped pages hold their own references (vm_insert_page()), so a
 *    process may keep a mapping after its object is destroyed.
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
 * Zeroed memory for a process to map, charged to the memory cgroup of the
 * calling task: a CQ's ring can be 64 MiB, device memory as large, and a
 * cgroup's limit must hold against them. At the limit the call fails with
 * ENOMEM rather than wake the OOM killer (__GFP_RETRY_MAYFAIL), and says
 * nothing in the kernel log: the process asked for too much.
 * (vmalloc_user() does not charge, and the allocator that takes both
 * GFP_KERNEL_ACCOUNT and VM_USERMAP is not exported; dmr_mmap() maps the
 * pages itself instead.)
 */
void *dmr_user_alloc(size_t size)
{
	return __vmalloc(size, DMR_GFP_USER_SIZED | __GFP_ZERO);
}

/*
 * Give @size bytes of dmr_user_alloc() memory at @addr an mmap entry in
 * @ibuc, for the process to map at the entry's offset. On success the
 * entry owns the memory: rdma_user_mmap_entry_remove() is how its user
 * lets go of it.
 */
struct rdma_user_mmap_entry *dmr_mmap_insert(struct ib_ucontext *ibuc,
					     void *addr, size_t size)
{
	struct dmr_mmap_entry *entry;
	int err;

	entry = kzalloc_obj(*entry, GFP_KERNEL_ACCOUNT);
	if (!entry)
		return ERR_PTR(-ENOMEM);
	entry->addr = addr;
	err = rdma_user_mmap_entry_insert(ibuc, &entry->rdma_entry, size);
	if (err) {
		kfree(entry);
		return ERR_PTR(err);
	}
	return &entry->rdma_entry;
}

/*
 * Allocate a ring of @nslots slots of @stride bytes. With @udata, the ring
 * is a process's: it gets an mmap entry in the caller's ucontext, and its
 * memory is charged to the caller's memory cgroup.
 */
int dmr_queue_init(struct dmr_queue *q, struct ib_udata *udata, u32 nslots,
		   u32 stride)
{
	struct dmr_ucontext *uctx;
	struct rdma_user_mmap_entry *mmap;

	if (!dmr_ring_size_valid(nslots))
		return -EINVAL;
	q->nslots = nslots;
	q->stride = stride;
	q->index = 0;
	q->size = PAGE_ALIGN(DMR_RING_HDR_SIZE + (size_t)nslots * stride);
	q->hdr = udata ? dmr_user_alloc(q->size) : vzalloc(q->size);
	if (!q->hdr)
		return -ENOMEM;
	q->slots = (void *)q->hdr + DMR_RING_HDR_SIZE;
	q->mmap = NULL;
	if (!udata)
		return 0;

	uctx = rdma_udata_to_drv_context(udata, struct dmr_ucontext, ibuc);
	mmap = dmr_mmap_insert(&uctx->ibuc, q->hdr, q->size);
	if (IS_ERR(mmap)) {
		vfree(q->hdr);
		q->hdr = NULL;
		return PTR_ERR(mmap);
	}
	q->mmap = mmap;
	return 0;
}

void dmr_queue_cleanup(struct dmr_queue *q)
{
	/* A process's ring goes with its entry (dmr_mmap_free()). */
	if (q->mmap)
		rdma_user_mmap_entry_remove(q->mmap);
	else
		vfree(q->hdr);
	q->mmap = NULL;
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

/* Map the vmalloc memory at @addr into @vma, as remap_vmalloc_range(). */
static int dmr_map_pages(struct vm_area_struct *vma, void *addr)
{
	unsigned long off;
	int err;

	for (off = 0; off < vma->vm_end - vma->vm_start; off += PAGE_SIZE) {
		err = vm_insert_page(vma, vma->vm_start + off,
				     vmalloc_to_page(addr + off));
		if (err)
			return err;
	}
	vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);
	return 0;
}

int dmr_mmap(struct ib_ucontext *ibuc, struct vm_area_struct *vma)
{
	struct rdma_user_mmap_entry *rdma_entry;
	int err;

	/* The core checked that the VMA is exactly the entry's size. */
	rdma_entry = rdma_user_mmap_entry_get(ibuc, vma);
	if (!rdma_entry)
		return -EINVAL;
	err = dmr_map_pages(vma, to_dmr_mmap(rdma_entry)->addr);
	rdma_user_mmap_entry_put(rdma_entry);
	return err;
}

/* The entry's last reference is gone: nobody maps through it any more. */
void dmr_mmap_free(struct rdma_user_mmap_entry *rdma_entry)
{
	struct dmr_mmap_entry *entry = to_dmr_mmap(rdma_entry);

	vfree(entry->addr);
	kfree(entry);
}
