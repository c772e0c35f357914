// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Device memory (ibv_alloc_dm) and its export as a dma-buf.
 *
 * dmr's device memory is kernel memory the process maps (for
 * ibv_memcpy_to_dm/from_dm) and that can be registered as an MR
 * (ibv_reg_dm_mr) or exported as a dma-buf. The dma-buf refuses importers
 * that cannot be revoked (dma_buf_attach_revocable()): when the device
 * memory is freed, or the device goes away (which frees it), every
 * importer is told through invalidate_mappings and the free waits until
 * they have all unmapped - which revocable importers do in bounded time.
 */
#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/file.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <rdma/uverbs_ioctl.h>

#include "dmr.h"

MODULE_IMPORT_NS("DMA_BUF");

struct dmr_dm {
	struct ib_dm ibdm;
	struct dmr_dev *dev;
	void *buf;			/* dmr_user_alloc(), @size bytes */
	size_t size;			/* page aligned */
	struct page **pages;
	struct rdma_user_mmap_entry *mmap;
	struct list_head exports;	/* under dmr_dm_lock */
};

/*
 * A dma-buf over a DM; outlives the DM if the dma-buf is still open.
 * The protocol between the DM's free and the exporter's callbacks:
 *
 *  - @revoked is set under the reservation lock, before @dm is cleared;
 *  - map reads @dm only under the reservation lock, with @revoked false,
 *    so it never sees the DM gone;
 *  - @dm is cleared under dmr_dm_lock once the export is revoked, or
 *    for an export whose dma-buf is being released (no importer left to
 *    map it).
 */
struct dmr_dm_export {
	struct dmr_dm *dm;		/* NULL once revoked, under dmr_dm_lock */
	struct dma_buf *dmabuf;
	struct list_head node;		/* dm->exports */
	bool revoked;			/* under the reservation lock */
	/* 1 + one per mapping; the revoke waits for it to drop to 0. */
	struct kref mappings;
	struct completion unmapped;
};

/* Protects dmr_dm.exports and dmr_dm_export.dm. */
static DEFINE_MUTEX(dmr_dm_lock);

static struct dmr_dm *to_dmr_dm(struct ib_dm *ibdm)
{
	return container_of(ibdm, struct dmr_dm, ibdm);
}

static int dmr_dm_attach(struct dma_buf *dmabuf,
			 struct dma_buf_attachment *attach)
{
	struct dmr_dm_export *e = dmabuf->priv;

	if (!dma_buf_attach_revocable(attach)) {
		dev_warn_ratelimited(attach->dev,
				     "dmr: refusing a non-revocable importer of device memory\n");
		return -EOPNOTSUPP;
	}
	return READ_ONCE(e->revoked) ? -ENODEV : 0;
}

static struct sg_table *dmr_dm_map(struct dma_buf_attachment *attach,
				   enum dma_data_direction dir)
{
	struct dmr_dm_export *e = attach->dmabuf->priv;
	struct sg_table *sgt;
	struct dmr_dm *dm;
	int err;

	dma_resv_assert_held(attach->dmabuf->resv);
	if (e->revoked)
		return ERR_PTR(-ENODEV);
	/* Not revoked, so the DM and its pages are still there. */
	dm = e->dm;
	if (WARN_ON_ONCE(!dm))
		return ERR_PTR(-ENODEV);
	sgt = kzalloc_obj(*sgt);
	if (!sgt)
		return ERR_PTR(-ENOMEM);
	err = sg_alloc_table_from_pages(sgt, dm->pages, dm->size >> PAGE_SHIFT,
					0, dm->size, GFP_KERNEL);
	if (err)
		goto err_free;
	err = dma_map_sgtable(attach->dev, sgt, dir, 0);
	if (err)
		goto err_table;
	kref_get(&e->mappings);
	return sgt;

err_table:
	sg_free_table(sgt);
err_free:
	kfree(sgt);
	return ERR_PTR(err);
}

static void dmr_dm_all_unmapped(struct kref *kref)
{
	complete(&container_of(kref, struct dmr_dm_export, mappings)->unmapped);
}

static void dmr_dm_unmap(struct dma_buf_attachment *attach,
			 struct sg_table *sgt, enum dma_data_direction dir)
{
	struct dmr_dm_export *e = attach->dmabuf->priv;

	dma_unmap_sgtable(attach->dev, sgt, dir, 0);
	sg_free_table(sgt);
	kfree(sgt);
	kref_put(&e->mappings, dmr_dm_all_unmapped);
}

static void dmr_dm_release(struct dma_buf *dmabuf)
{
	struct dmr_dm_export *e = dmabuf->priv;

	mutex_lock(&dmr_dm_lock);
	if (e->dm)
		list_del(&e->node);
	mutex_unlock(&dmr_dm_lock);
	kfree(e);
}

static const struct dma_buf_ops dmr_dm_dmabuf_ops = {
	.attach = dmr_dm_attach,
	.map_dma_buf = dmr_dm_map,
	.unmap_dma_buf = dmr_dm_unmap,
	.release = dmr_dm_release,
};

/*
 * Revoke one export: tell its importers, then wait until every mapping
 * is gone. Importers are revocable (dmr_dm_attach() made sure), so they
 * unmap in bounded time.
 */
static void dmr_dm_revoke(struct dmr_dm_export *e)
{
	struct dma_resv *resv = e->dmabuf->resv;

	dma_resv_lock(resv, NULL);
	e->revoked = true;
	dma_buf_invalidate_mappings(e->dmabuf);
	dma_resv_wait_timeout(resv, DMA_RESV_USAGE_BOOKKEEP, false,
			      MAX_SCHEDULE_TIMEOUT);
	dma_resv_unlock(resv);
	kref_put(&e->mappings, dmr_dm_all_unmapped);
	wait_for_completion(&e->unmapped);
}

struct ib_dm *dmr_alloc_dm(struct ib_device *ibdev, struct ib_ucontext *ibuc,
			   struct ib_dm_alloc_attr *attr,
			   struct uverbs_attr_bundle *attrs)
{
	struct dmr_dev *dev = to_dmr_dev(ibdev);
	struct rdma_user_mmap_entry *mmap;
	struct dmr_dm *dm;
	u64 offset, size;
	unsigned long i;
	int err;

	if (attr->flags || !attr->length || attr->length > DMR_MAX_DM_SIZE ||
	    attr->alignment > PAGE_SHIFT)
		return ERR_PTR(-EINVAL);
	if (!dmr_count_get(&dev->n_dm, DMR_MAX_DM))
		return ERR_PTR(-ENOMEM);
	dm = kzalloc_obj(*dm, GFP_KERNEL_ACCOUNT);
	if (!dm) {
		err = -ENOMEM;
		goto err_count;
	}
	dm->dev = dev;
	INIT_LIST_HEAD(&dm->exports);
	dm->size = PAGE_ALIGN(attr->length);
	dm->buf = dmr_user_alloc(dm->size);
	dm->pages = kvmalloc_array(dm->size >> PAGE_SHIFT, sizeof(*dm->pages),
				   DMR_GFP_USER_SIZED);
	if (!dm->buf || !dm->pages) {
		err = -ENOMEM;
		goto err_free;
	}
	for (i = 0; i < dm->size >> PAGE_SHIFT; i++)
		dm->pages[i] = vmalloc_to_page(dm->buf + i * PAGE_SIZE);

	mmap = dmr_mmap_insert(ibuc, dm->buf, dm->size);
	if (IS_ERR(mmap)) {
		err = PTR_ERR(mmap);
		goto err_free;
	}
	/* From here the entry owns dm->buf (dmr_mmap_free()). */
	dm->mmap = mmap;
	offset = rdma_user_mmap_get_offset(dm->mmap);
	size = dm->size;
	err = uverbs_copy_to(attrs, DMR_IB_ATTR_ALLOC_DM_RESP_MMAP_OFFSET,
			     &offset, sizeof(offset));
	if (!err)
		err = uverbs_copy_to(attrs, DMR_IB_ATTR_ALLOC_DM_RESP_MMAP_SIZE,
				     &size, sizeof(size));
	if (err)
		goto err_entry;
	return &dm->ibdm;

err_entry:
	rdma_user_mmap_entry_remove(dm->mmap);
	dm->buf = NULL;
err_free:
	kvfree(dm->pages);
	vfree(dm->buf);
	kfree(dm);
err_count:
	atomic_dec(&dev->n_dm);
	return ERR_PTR(err);
}

int dmr_dealloc_dm(struct ib_dm *ibdm, struct uverbs_attr_bundle *attrs)
{
	struct dmr_dm *dm = to_dmr_dm(ibdm);
	struct dmr_dm_export *e, *tmp;
	LIST_HEAD(live);

	/*
	 * Take the exports off the DM. One whose dma-buf is being released
	 * has no importer that could still map it; the others keep their
	 * DM until they are revoked (see struct dmr_dm_export).
	 */
	mutex_lock(&dmr_dm_lock);
	list_for_each_entry_safe(e, tmp, &dm->exports, node) {
		list_del(&e->node);
		if (get_file_active(&e->dmabuf->file))
			list_add(&e->node, &live);
		else
			e->dm = NULL;
	}
	mutex_unlock(&dmr_dm_lock);

	list_for_each_entry_safe(e, tmp, &live, node) {
		list_del(&e->node);
		dmr_dm_revoke(e);
		mutex_lock(&dmr_dm_lock);
		e->dm = NULL;
		mutex_unlock(&dmr_dm_lock);
		fput(e->dmabuf->file);
	}
	/*
	 * No new mapping can be made. The entry frees the memory once no
	 * dmr_mmap() holds it; pages a process maps hold their own
	 * references.
	 */
	rdma_user_mmap_entry_remove(dm->mmap);
	kvfree(dm->pages);
	atomic_dec(&dm->dev->n_dm);
	kfree(dm);
	return 0;
}

/* A new dma-buf over the DM; the caller gives it an fd or puts it. */
struct dma_buf *dmr_dm_export(struct ib_dm *ibdm)
{
	struct dmr_dm *dm = to_dmr_dm(ibdm);
	DEFINE_DMA_BUF_EXPORT_INFO(exp_info);
	struct dmr_dm_export *e;
	struct dma_buf *dmabuf;

	e = kzalloc_obj(*e);
	if (!e)
		return ERR_PTR(-ENOMEM);
	kref_init(&e->mappings);
	init_completion(&e->unmapped);
	e->dm = dm;
	exp_info.ops = &dmr_dm_dmabuf_ops;
	exp_info.size = dm->size;
	exp_info.flags = O_RDWR | O_CLOEXEC;
	exp_info.priv = e;
	dmabuf = dma_buf_export(&exp_info);
	if (IS_ERR(dmabuf)) {
		kfree(e);
		return dmabuf;
	}
	e->dmabuf = dmabuf;
	mutex_lock(&dmr_dm_lock);
	list_add(&e->node, &dm->exports);
	mutex_unlock(&dmr_dm_lock);
	return dmabuf;
}

struct ib_mr *dmr_reg_dm_mr(struct ib_pd *ibpd, struct ib_dm *ibdm,
			    struct ib_dm_mr_attr *attr,
			    struct uverbs_attr_bundle *attrs)
{
	struct dmr_dm *dm = to_dmr_dm(ibdm);
	struct dmr_mr *mr;

	/* The core checked the range against the DM and ZERO_BASED. */
	mr = dmr_mr_alloc(dm->dev, ibpd, 0, attr->length,
			  attr->access_flags & ~IB_ZERO_BASED);
	if (IS_ERR(mr))
		return ERR_CAST(mr);
	mr->kind = DMR_MR_DM;
	mr->ibmr.type = IB_MR_TYPE_DM;
	/* Zero-based, through the DM's own kernel mapping. */
	dmr_mem_init_kernel(&mr->mem, dm->buf + attr->offset, attr->length);
	return dmr_mr_commit(mr);
}
