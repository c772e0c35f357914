// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * dma-buf memory regions: a backend of the memory access layer.
 *
 * dmr attaches to a dma-buf dynamically, for the PCI function a real NIC
 * on the device's netdev would use, with an invalidate_mappings callback:
 * the attachment is always revocable. The mapped scatterlist gives DMA
 * addresses; with no IOMMU translating for that function they are
 * physical (or bus) addresses, which dmr maps for the CPU: RAM write-back
 * (memremap), MMIO write-combined or uncached (ioremap), never MMIO
 * write-back.
 *
 * States, changed only under the dma-buf's reservation lock:
 *
 *   MAPPED --invalidate_mappings--> INVALIDATED --map refused--> REVOKED
 *      ^                                 |                          |
 *      +------------- map again ---------+--------------------------+
 *
 * Accesses open a bracket (dmr_mem_begin/end): an atomic count of users
 * and a check that the state is MAPPED, Dekker style against the
 * invalidate, which sets INVALIDATED and then waits for the count to
 * drop. A bracket never sleeps and covers at most DMR_MEM_BRACKET_BYTES,
 * so the wait is bounded; once it returns, no byte of the buffer is
 * touched until the buffer is mapped again, which happens only in
 * process context, with no bracket open (dmr_mem_prepare()).
 */
#include <linux/dma-buf.h>
#include <linux/dma-direct.h>
#include <linux/dma-resv.h>
#include <linux/eventfd.h>
#include <linux/io.h>
#include <linux/iommu.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/swiotlb.h>
#include <rdma/ib_umem.h>
#include <rdma/uverbs_ioctl.h>
#include <kunit/visibility.h>

#include "dmr.h"

MODULE_IMPORT_NS("DMA_BUF");

enum dmr_dmabuf_state {
	DMR_DMABUF_MAPPED,
	DMR_DMABUF_INVALIDATED,
	DMR_DMABUF_REVOKED,
	DMR_DMABUF_RELEASED,
};

/* One mapped, CPU-addressable piece of the buffer. */
struct dmr_dmabuf_range {
	u64 start;			/* byte offset from the first mapped page */
	u64 len;
	union {
		void *va;
		void __iomem *io;
	};
	bool is_io;
};

struct dmr_dmabuf {
	struct ib_umem_dmabuf *umem;
	struct dmr_dev *dev;
	/* Written under the reservation lock, read by brackets. */
	int state;
	atomic_t users;			/* open brackets */
	wait_queue_head_t users_wq;	/* an invalidate waits here */
	struct dmr_dmabuf_range *ranges;
	unsigned int nranges;
	unsigned int first_offset;	/* of byte 0 in the first page */
	/* Under the reservation lock; read without it for queries. */
	u64 invalidations;
	u64 remaps;
	u64 revokes;
	spinlock_t eventfd_lock;	/* @eventfds, @neventfds */
	struct eventfd_ctx *eventfds[DMR_MR_MAX_EVENTFDS];
	unsigned int neventfds;
};

static struct dmr_dmabuf *to_dmabuf(struct dmr_mem *mem)
{
	return mem->dmabuf;
}

static struct dma_resv *dmr_dmabuf_resv(struct dmr_dmabuf *d)
{
	return d->umem->attach->dmabuf->resv;
}

/* Tell the application, if it asked: the state changed. */
static void dmr_dmabuf_notify(struct dmr_dmabuf *d)
{
	unsigned long flags;
	unsigned int i;

	spin_lock_irqsave(&d->eventfd_lock, flags);
	for (i = 0; i < d->neventfds; i++)
		eventfd_signal(d->eventfds[i]);
	spin_unlock_irqrestore(&d->eventfd_lock, flags);
}

static void dmr_dmabuf_set_state(struct dmr_dmabuf *d, int state)
{
	dma_resv_assert_held(dmr_dmabuf_resv(d));
	if (d->state == state)
		return;
	/* Pairs with the acquire in begin(): the ranges are set up. */
	smp_store_release(&d->state, state);
	dmr_dmabuf_notify(d);
}

static void dmr_dmabuf_unmap_cpu(struct dmr_dmabuf *d)
{
	unsigned int i;

	for (i = 0; i < d->nranges; i++) {
		if (d->ranges[i].is_io)
			iounmap(d->ranges[i].io);
		else
			memunmap(d->ranges[i].va);
	}
	kvfree(d->ranges);
	d->ranges = NULL;
	d->nranges = 0;
}

/* The PCI BAR containing [phys, phys + len), with a reference; or NULL. */
static struct pci_dev *dmr_find_bar(phys_addr_t phys, u64 len, int *bar)
{
	struct pci_dev *pdev = NULL;
	int i;

	for_each_pci_dev(pdev) {
		for (i = 0; i < PCI_STD_NUM_BARS; i++) {
			if (!(pci_resource_flags(pdev, i) & IORESOURCE_MEM) ||
			    !pci_resource_len(pdev, i))
				continue;
			if (phys >= pci_resource_start(pdev, i) &&
			    phys + len - 1 <= pci_resource_end(pdev, i)) {
				*bar = i;
				return pdev;
			}
		}
	}
	return NULL;
}

static int dmr_dmabuf_map_range(struct dmr_dmabuf *d, phys_addr_t phys,
				struct dmr_dmabuf_range *r)
{
	struct pci_dev *pdev;
	int bar;

	switch (region_intersects(phys, r->len, IORESOURCE_SYSTEM_RAM,
				  IORES_DESC_NONE)) {
	case REGION_INTERSECTS:
		r->va = memremap(phys, r->len, MEMREMAP_WB);
		r->is_io = false;
		return r->va ? 0 : -ENOMEM;
	case REGION_DISJOINT:
		break;
	default:
		dmr_warn_ratelimited(d->dev, "dma-buf range %pa+%llx is partly RAM\n",
				     &phys, r->len);
		return -EOPNOTSUPP;
	}
	pdev = dmr_find_bar(phys, r->len, &bar);
	if (!pdev) {
		dmr_warn_ratelimited(d->dev, "dma-buf range %pa+%llx is neither RAM nor in a PCI BAR\n",
				     &phys, r->len);
		return -EOPNOTSUPP;
	}
	/* Write-combining only where reads have no side effects. */
	if (pci_resource_flags(pdev, bar) & IORESOURCE_PREFETCH)
		r->io = ioremap_wc(phys, r->len);
	else
		r->io = ioremap(phys, r->len);
	pci_dev_put(pdev);
	r->is_io = true;
	return r->io ? 0 : -ENOMEM;
}

/*
 * CPU mappings of every DMA segment the exporter gave us. The exporter's
 * table is not trusted to cover the MR: a table with no segment, or one
 * that ends before the MR does, is refused (-EIO), since every access
 * looks a byte up in the ranges it made.
 */
static int dmr_dmabuf_map_cpu(struct dmr_dmabuf *d)
{
	struct sg_table *sgt = &d->umem->umem.sgt_append.sgt;
	u64 need = d->first_offset + d->umem->umem.length;
	struct device *dma_dev = d->dev->dma_dev;
	struct scatterlist *sg;
	u64 start = 0;
	int i, err;

	for_each_sgtable_dma_sg(sgt, sg, i)
		start += sg_dma_len(sg);
	if (!sgt->sgl || !sgt->nents || start < need) {
		dmr_warn_ratelimited(d->dev, "%s mapped %llu bytes for an MR that needs %llu: refused\n",
				     d->umem->attach->dmabuf->exp_name, start,
				     need);
		return -EIO;
	}
	/* A table of a large buffer is large: charged to the process. */
	d->ranges = kvcalloc(sgt->nents, sizeof(*d->ranges),
			     DMR_GFP_USER_SIZED);
	if (!d->ranges)
		return -ENOMEM;
	start = 0;
	for_each_sgtable_dma_sg(sgt, sg, i) {
		struct dmr_dmabuf_range *r = &d->ranges[d->nranges];

		r->start = start;
		r->len = sg_dma_len(sg);
		err = dmr_dmabuf_map_range(d, dma_to_phys(dma_dev, sg_dma_address(sg)),
					   r);
		if (err) {
			dmr_dmabuf_unmap_cpu(d);
			return err;
		}
		d->nranges++;
		start += r->len;
	}
	return 0;
}

/*
 * Map the buffer for the device and the CPU. A refusal by the exporter
 * makes the MR revoked until a later attempt succeeds. Whatever failed,
 * nothing stays mapped: ib_umem_dmabuf_map_pages() can map the table and
 * then fail waiting for the exporter's fences, and a table kept from a
 * failed attempt is one that invalidate_mappings would not unmap (the MR
 * is not MAPPED) and that the next attempt would reuse without asking
 * the exporter.
 */
static int dmr_dmabuf_map_locked(struct dmr_dmabuf *d)
{
	int err;

	dma_resv_assert_held(dmr_dmabuf_resv(d));
	if (d->state == DMR_DMABUF_MAPPED)
		return 0;
	if (d->state == DMR_DMABUF_RELEASED)
		return -EACCES;
	err = ib_umem_dmabuf_map_pages(d->umem);
	if (!err)
		err = dmr_dmabuf_map_cpu(d);
	if (err)
		ib_umem_dmabuf_unmap_pages(d->umem);
	if (err) {
		if (d->state != DMR_DMABUF_REVOKED)
			d->revokes++;
		dmr_dmabuf_set_state(d, DMR_DMABUF_REVOKED);
		return err;
	}
	if (d->invalidations)
		d->remaps++;
	dmr_dmabuf_set_state(d, DMR_DMABUF_MAPPED);
	return 0;
}

static int dmr_dmabuf_begin(struct dmr_mem *mem)
{
	struct dmr_dmabuf *d = to_dmabuf(mem);
	int state;

	atomic_inc(&d->users);
	/* Order the count before the state: see dmr_dmabuf_invalidate(). */
	smp_mb__after_atomic();
	/* Pairs with dmr_dmabuf_set_state(): the ranges are mapped. */
	state = smp_load_acquire(&d->state);
	if (likely(state == DMR_DMABUF_MAPPED))
		return 0;
	dmr_mem_end(mem);
	return state == DMR_DMABUF_RELEASED ? -EACCES : -EAGAIN;
}

static void dmr_dmabuf_end(struct dmr_mem *mem)
{
	struct dmr_dmabuf *d = to_dmabuf(mem);

	/* wq_has_sleeper() orders the count before its look at the queue. */
	if (atomic_dec_and_test(&d->users) && wq_has_sleeper(&d->users_wq))
		wake_up(&d->users_wq);
}

static int dmr_dmabuf_prepare(struct dmr_mem *mem)
{
	struct dmr_dmabuf *d = to_dmabuf(mem);
	int err;

	dma_resv_lock(dmr_dmabuf_resv(d), NULL);
	err = dmr_dmabuf_map_locked(d);
	dma_resv_unlock(dmr_dmabuf_resv(d));
	return err ? -EACCES : 0;
}

static void dmr_dmabuf_chunk(struct dmr_mem *mem, u64 offset, u64 len,
			     struct dmr_chunk *chunk)
{
	struct dmr_dmabuf *d = to_dmabuf(mem);
	u64 pos = offset + d->first_offset;
	unsigned int lo = 0, hi = d->nranges - 1, mid;
	struct dmr_dmabuf_range *r;

	/* The range that contains @pos: the last one starting at or before. */
	while (lo < hi) {
		mid = (lo + hi + 1) / 2;
		if (d->ranges[mid].start <= pos)
			lo = mid;
		else
			hi = mid - 1;
	}
	r = &d->ranges[lo];
	chunk->is_io = r->is_io;
	if (r->is_io)
		chunk->io = r->io + (pos - r->start);
	else
		chunk->va = r->va + (pos - r->start);
	chunk->len = min(len, r->start + r->len - pos);
}

static void dmr_dmabuf_release(struct dmr_mem *mem)
{
	struct dmr_dmabuf *d = to_dmabuf(mem);

	dma_resv_lock(dmr_dmabuf_resv(d), NULL);
	if (d->state == DMR_DMABUF_MAPPED)
		dmr_dmabuf_unmap_cpu(d);
	dmr_dmabuf_set_state(d, DMR_DMABUF_RELEASED);
	dma_resv_unlock(dmr_dmabuf_resv(d));
	/* Unmaps for the device, detaches and drops the dma-buf. */
	ib_umem_release(&d->umem->umem);
	while (d->neventfds)
		eventfd_ctx_put(d->eventfds[--d->neventfds]);
	kfree(d);
}

static const struct dmr_mem_ops dmr_dmabuf_ops = {
	.begin = dmr_dmabuf_begin,
	.end = dmr_dmabuf_end,
	.prepare = dmr_dmabuf_prepare,
	.chunk = dmr_dmabuf_chunk,
	.release = dmr_dmabuf_release,
};

/*
 * The exporter moves or revokes the buffer. Called with the reservation
 * lock held (and, for VFIO, its memory_lock), possibly again while
 * already invalidated. Waits only for open brackets, which never sleep.
 */
static void dmr_dmabuf_invalidate(struct dma_buf_attachment *attach)
{
	struct ib_umem_dmabuf *umem = attach->importer_priv;
	struct dmr_dmabuf *d = umem->private;

	dma_resv_assert_held(attach->dmabuf->resv);
	if (d->state != DMR_DMABUF_MAPPED)
		return;
	WRITE_ONCE(d->state, DMR_DMABUF_INVALIDATED);
	/* Order the state before the count: see dmr_dmabuf_begin(). */
	smp_mb();
	wait_event(d->users_wq, !atomic_read(&d->users));
	dmr_dmabuf_unmap_cpu(d);
	ib_umem_dmabuf_unmap_pages(umem);
	d->invalidations++;
	dmr_dmabuf_notify(d);
}

static const struct dma_buf_attach_ops dmr_dmabuf_attach_ops = {
	.allow_peer2peer = true,
	.invalidate_mappings = dmr_dmabuf_invalidate,
};

/*
 * dmr reaches the buffer by CPU: the DMA addresses must be physical and
 * must be the buffer itself, not a bounce buffer (swiotlb).
 */
static bool dmr_dma_is_direct(struct device *dma_dev)
{
	struct iommu_domain *domain = iommu_get_domain_for_dev(dma_dev);

	/*
	 * A bounce buffer is a copy that only DMA syncs keep in step with the
	 * buffer, and dma-direct bounces without marking the scatterlist: the
	 * device must reach all memory and never be forced to bounce.
	 */
	if (is_swiotlb_force_bounce(dma_dev) || dma_addressing_limited(dma_dev))
		return false;
	return !domain || domain->type == IOMMU_DOMAIN_IDENTITY;
}

/*
 * Back @mem with [offset, offset + length) of @dmabuf: attach for the
 * device's DMA device and map. Takes over the caller's reference to
 * @dmabuf on success.
 */
int dmr_mem_init_dmabuf(struct dmr_dev *dev, struct dmr_mem *mem,
			struct dma_buf *dmabuf, u64 offset, u64 length,
			int access)
{
	struct ib_umem_dmabuf *umem;
	struct dmr_dmabuf *d;
	int err;

	d = kzalloc_obj(*d, GFP_KERNEL_ACCOUNT);
	umem = kzalloc_obj(*umem, GFP_KERNEL_ACCOUNT);
	if (!d || !umem) {
		err = -ENOMEM;
		goto err_free;
	}
	d->dev = dev;
	d->umem = umem;
	d->state = DMR_DMABUF_INVALIDATED;
	atomic_set(&d->users, 0);
	init_waitqueue_head(&d->users_wq);
	spin_lock_init(&d->eventfd_lock);
	umem->umem.ibdev = &dev->ibdev;
	umem->umem.address = offset;
	umem->umem.length = length;
	umem->umem.writable = ib_access_writable(access);
	umem->umem.is_dmabuf = 1;
	umem->private = d;
	d->first_offset = ib_umem_offset(&umem->umem);

	umem->attach = dma_buf_dynamic_attach(dmabuf, dev->dma_dev,
					      &dmr_dmabuf_attach_ops, umem);
	if (IS_ERR(umem->attach)) {
		err = PTR_ERR(umem->attach);
		dmr_warn_ratelimited(dev, "%s refused to attach %s: %d\n",
				     dmabuf->exp_name, dev_name(dev->dma_dev),
				     err);
		goto err_free;
	}

	dma_resv_lock(dmabuf->resv, NULL);
	err = dmr_dmabuf_map_locked(d);
	dma_resv_unlock(dmabuf->resv);
	if (err) {
		dmr_warn_ratelimited(dev, "cannot map %s for %s: %d\n",
				     dmabuf->exp_name, dev_name(dev->dma_dev),
				     err);
		d->state = DMR_DMABUF_RELEASED;
		dma_buf_detach(dmabuf, umem->attach);
		/* The exporter's own refusal or bad table, or ours. */
		if (err != -ENODEV && err != -EIO)
			err = -EOPNOTSUPP;
		goto err_free;
	}
	mem->dmabuf = d;
	mem->length = length;
	mem->ops = &dmr_dmabuf_ops;
	return 0;

err_free:
	kfree(umem);
	kfree(d);
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(dmr_mem_init_dmabuf);

struct ib_mr *dmr_reg_user_mr_dmabuf(struct ib_pd *ibpd, u64 offset,
				     u64 length, u64 iova, int fd, int access,
				     struct ib_dmah *dmah,
				     struct uverbs_attr_bundle *attrs)
{
	struct dmr_dev *dev = to_dmr_dev(ibpd->device);
	struct dma_buf *dmabuf;
	struct dmr_mr *mr;
	u64 end;
	int err;

	if (dmah)
		return ERR_PTR(-EOPNOTSUPP);
	err = ib_is_udata_in_empty(&attrs->driver_udata);
	if (err)
		return ERR_PTR(err);
	if (!dev->dma_dev) {
		dmr_warn_ratelimited(dev, "dma-buf MRs need a PCI device under %s to attach for\n",
				     netdev_name(dev->ndev));
		return ERR_PTR(-EOPNOTSUPP);
	}
	if (!dmr_dma_is_direct(dev->dma_dev)) {
		dmr_warn_ratelimited(dev, "dma-buf MRs need %s to reach all memory without IOMMU translation or bouncing\n",
				     dev_name(dev->dma_dev));
		return ERR_PTR(-EOPNOTSUPP);
	}
	/* First the fd: fd -1 must give EBADF (NCCL's and UCX's probe). */
	dmabuf = dma_buf_get(fd);
	if (IS_ERR(dmabuf))
		return ERR_CAST(dmabuf);
	err = -EINVAL;
	if (!length || check_add_overflow(offset, length, &end) ||
	    end > dmabuf->size)
		goto err_put;

	mr = dmr_mr_alloc(dev, ibpd, iova, length, access);
	if (IS_ERR(mr)) {
		err = PTR_ERR(mr);
		goto err_put;
	}
	/* From here the MR's memory holds the dma-buf reference. */
	err = dmr_mem_init_dmabuf(dev, &mr->mem, dmabuf, offset, length, access);
	if (err)
		goto err_mr;
	mr->kind = DMR_MR_DMABUF;
	mr->ibmr.type = IB_MR_TYPE_USER;
	return dmr_mr_commit(mr);

err_mr:
	dmr_mr_free(mr);
err_put:
	dma_buf_put(dmabuf);
	return ERR_PTR(err);
}

/* The state and counters of a dma-buf backed @mem. */
void dmr_dmabuf_query(struct dmr_mem *mem, struct dmr_mr_query_resp *resp)
{
	struct dmr_dmabuf *d = to_dmabuf(mem);

	memset(resp, 0, sizeof(*resp));
	resp->backend = DMR_MR_BACKEND_DMABUF;
	switch (READ_ONCE(d->state)) {
	case DMR_DMABUF_MAPPED:
		resp->state = DMR_MR_STATE_VALID;
		break;
	case DMR_DMABUF_INVALIDATED:
		resp->state = DMR_MR_STATE_INVALIDATED;
		break;
	default:
		resp->state = DMR_MR_STATE_REVOKED;
		break;
	}
	resp->invalidations = READ_ONCE(d->invalidations);
	resp->remaps = READ_ONCE(d->remaps);
	resp->revokes = READ_ONCE(d->revokes);
}
EXPORT_SYMBOL_IF_KUNIT(dmr_dmabuf_query);

/* The state and counters of any MR, for dmrdv and the rdma tool. */
void dmr_mr_query(struct dmr_mr *mr, struct dmr_mr_query_resp *resp)
{
	if (mr->kind == DMR_MR_DMABUF) {
		dmr_dmabuf_query(&mr->mem, resp);
		return;
	}
	memset(resp, 0, sizeof(*resp));
	if (mr->kind == DMR_MR_DM)
		resp->backend = DMR_MR_BACKEND_DM;
	else if (mr->kind == DMR_MR_DMA)
		resp->backend = DMR_MR_BACKEND_KERNEL;
	else
		resp->backend = DMR_MR_BACKEND_USER;
	resp->state = DMR_MR_STATE_VALID;
}

/*
 * Subscribe (@add) or unsubscribe an eventfd to the MR's state changes.
 * Takes over the reference to @ctx when subscribing; an eventfd already
 * subscribed is EEXIST, one that is not is ENOENT.
 */
int dmr_mr_eventfd(struct dmr_mr *mr, struct eventfd_ctx *ctx, bool add)
{
	struct eventfd_ctx *found = NULL;
	struct dmr_dmabuf *d;
	unsigned long flags;
	unsigned int i;
	int err = 0;

	if (mr->kind != DMR_MR_DMABUF)
		return -EOPNOTSUPP;
	d = mr->mem.dmabuf;
	spin_lock_irqsave(&d->eventfd_lock, flags);
	for (i = 0; i < d->neventfds; i++)
		if (d->eventfds[i] == ctx)
			break;
	if (add) {
		if (i < d->neventfds)
			err = -EEXIST;
		else if (d->neventfds == DMR_MR_MAX_EVENTFDS)
			err = -ENOSPC;
		else
			d->eventfds[d->neventfds++] = ctx;
	} else if (i < d->neventfds) {
		found = d->eventfds[i];
		d->eventfds[i] = d->eventfds[--d->neventfds];
	} else {
		err = -ENOENT;
	}
	spin_unlock_irqrestore(&d->eventfd_lock, flags);
	if (found)
		eventfd_ctx_put(found);
	return err;
}
