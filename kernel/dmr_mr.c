// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Memory regions: keys, registration of user memory, re-registration,
 * deregistration, and the key lookup the data engine uses.
 *
 * A key is the MR's index in the device's table shifted left by 8, plus a
 * random byte, so that a stale key of a freed MR rarely names a new one.
 * lkey and rkey are the same; whether remote access is allowed is decided
 * by the access flags, never by the key.
 */
#include <linux/random.h>
#include <linux/slab.h>
#include <rdma/ib_umem.h>
#include <rdma/uverbs_ioctl.h>

#include "dmr.h"
#include "dmr_lookup.h"

#define DMR_MR_ACCESS_SUPPORTED \
	(IB_ACCESS_LOCAL_WRITE | IB_ACCESS_REMOTE_WRITE | \
	 IB_ACCESS_REMOTE_READ | IB_ACCESS_REMOTE_ATOMIC | \
	 IB_ACCESS_RELAXED_ORDERING | IB_ACCESS_HUGETLB)

/*
 * Unknown flags are refused by the core (EINVAL); what is left here are
 * IBTA flags of features dmr does not have (memory windows, flush,
 * zero-based addressing outside device memory): EOPNOTSUPP.
 */
int dmr_check_mr_access(int access)
{
	if (access & ~DMR_MR_ACCESS_SUPPORTED)
		return -EOPNOTSUPP;
	/* IBTA: remote write or atomic access needs local write. */
	if ((access & (IB_ACCESS_REMOTE_WRITE | IB_ACCESS_REMOTE_ATOMIC)) &&
	    !(access & IB_ACCESS_LOCAL_WRITE))
		return -EINVAL;
	return 0;
}

struct dmr_mr *dmr_mr_alloc(struct dmr_dev *dev, struct ib_pd *ibpd,
			    u64 iova, u64 length, int access)
{
	struct dmr_mr *mr;
	int err;

	err = dmr_check_mr_access(access);
	if (err)
		return ERR_PTR(err);
	if (!length || length > dev->ibdev.attrs.max_mr_size ||
	    iova + length < iova)
		return ERR_PTR(-EINVAL);
	if (!dmr_count_get(&dev->n_mr, DMR_MAX_MR))
		return ERR_PTR(-ENOMEM);
	mr = kzalloc_obj(*mr);
	if (!mr) {
		atomic_dec(&dev->n_mr);
		return ERR_PTR(-ENOMEM);
	}
	mr->dev = dev;
	refcount_set(&mr->ref, 1);
	init_completion(&mr->released);
	mr->iova = iova;
	mr->length = length;
	mr->access = access;
	mr->ibmr.pd = ibpd;
	mr->ibmr.device = &dev->ibdev;
	mr->ibmr.iova = iova;
	mr->ibmr.length = length;
	return mr;
}

/* Give @mr a key and make it visible to lookups. */
int dmr_mr_publish(struct dmr_mr *mr)
{
	struct dmr_dev *dev = mr->dev;
	u32 key;
	int err;

	err = xa_alloc_cyclic(&dev->mrs, &mr->index, NULL,
			      XA_LIMIT(1, DMR_MAX_MR), &dev->next_mr_index,
			      GFP_KERNEL);
	if (err < 0)
		return err;
	key = mr->index << 8 | get_random_u8();
	mr->ibmr.lkey = key;
	mr->ibmr.rkey = key;
	xa_store(&dev->mrs, mr->index, mr, GFP_KERNEL);
	return 0;
}

/*
 * Publish a fully built MR, or release its memory and free it: the last
 * step of every registration.
 */
struct ib_mr *dmr_mr_commit(struct dmr_mr *mr)
{
	int err = dmr_mr_publish(mr);

	if (err) {
		dmr_mem_release(&mr->mem);
		dmr_mr_free(mr);
		return ERR_PTR(err);
	}
	return &mr->ibmr;
}

/* Undo dmr_mr_alloc() for an MR that was never published. */
void dmr_mr_free(struct dmr_mr *mr)
{
	atomic_dec(&mr->dev->n_mr);
	kfree(mr);
}

/*
 * The DMA MR of a kernel PD (its local_dma_lkey). dmr has no DMA device,
 * so the DMA addresses kernel consumers get (ib_uses_virt_dma()) are
 * kernel virtual addresses, and this MR covers all of them. Local access
 * only: kernel memory is never reachable through an rkey.
 */
struct ib_mr *dmr_get_dma_mr(struct ib_pd *ibpd, int access)
{
	struct dmr_mr *mr;

	if (access & ~IB_ACCESS_LOCAL_WRITE)
		return ERR_PTR(-EOPNOTSUPP);
	mr = dmr_mr_alloc(to_dmr_dev(ibpd->device), ibpd, 0, PAGE_SIZE, access);
	if (IS_ERR(mr))
		return ERR_CAST(mr);
	/* Past the size check for registrations: every address is valid. */
	mr->length = U64_MAX;
	mr->kind = DMR_MR_DMA;
	mr->ibmr.type = IB_MR_TYPE_DMA;
	dmr_mem_init_kernel(&mr->mem, NULL, U64_MAX);
	return dmr_mr_commit(mr);
}

/* A user MR over [start, start + length), not yet visible to lookups. */
static struct dmr_mr *dmr_mr_create_user(struct ib_pd *ibpd, u64 start,
					 u64 length, u64 iova, int access)
{
	struct dmr_dev *dev = to_dmr_dev(ibpd->device);
	struct ib_umem *umem;
	struct dmr_mr *mr;
	int err;

	mr = dmr_mr_alloc(dev, ibpd, iova, length, access);
	if (IS_ERR(mr))
		return mr;
	umem = ib_umem_get_va(&dev->ibdev, start, length, access);
	if (IS_ERR(umem)) {
		err = PTR_ERR(umem);
		goto err_free;
	}
	err = dmr_mem_init_user(&mr->mem, umem);
	if (err) {
		ib_umem_release(umem);
		goto err_free;
	}
	mr->kind = DMR_MR_USER;
	mr->ibmr.type = IB_MR_TYPE_USER;
	return mr;

err_free:
	dmr_mr_free(mr);
	return ERR_PTR(err);
}

struct ib_mr *dmr_reg_user_mr(struct ib_pd *ibpd, u64 start, u64 length,
			      u64 iova, int access, struct ib_dmah *dmah,
			      struct ib_udata *udata)
{
	struct dmr_mr *mr;
	int err;

	if (dmah)
		return ERR_PTR(-EOPNOTSUPP);
	if (udata) {
		err = ib_is_udata_in_empty(udata);
		if (err)
			return ERR_PTR(err);
	}
	mr = dmr_mr_create_user(ibpd, start, length, iova, access);
	if (IS_ERR(mr))
		return ERR_CAST(mr);
	return dmr_mr_commit(mr);
}

/*
 * Re-registration builds a new MR from the old one's values and the
 * changed ones, and puts it in the old one's place in the key table: the
 * keys stay the same, as applications expect. Accesses already in flight
 * finish on the old MR, which the core then deregisters.
 */
struct ib_mr *dmr_rereg_user_mr(struct ib_mr *ibmr, int flags, u64 start,
				u64 length, u64 iova, int access,
				struct ib_pd *ibpd, struct ib_udata *udata)
{
	struct dmr_mr *old = to_dmr_mr(ibmr);
	struct dmr_mr *mr;
	int err;

	if (old->kind != DMR_MR_USER)
		return ERR_PTR(-EOPNOTSUPP);
	if (flags & ~IB_MR_REREG_SUPPORTED)
		return ERR_PTR(-EOPNOTSUPP);
	if (udata) {
		err = ib_is_udata_in_empty(udata);
		if (err)
			return ERR_PTR(err);
	}
	if (!(flags & IB_MR_REREG_TRANS)) {
		start = old->mem.user.umem->address;
		length = old->length;
		iova = old->iova;
	}
	if (!(flags & IB_MR_REREG_ACCESS))
		access = old->access;
	if (!(flags & IB_MR_REREG_PD))
		ibpd = ibmr->pd;
	mr = dmr_mr_create_user(ibpd, start, length, iova, access);
	if (IS_ERR(mr))
		return ERR_CAST(mr);
	mr->index = old->index;
	mr->ibmr.lkey = ibmr->lkey;
	mr->ibmr.rkey = ibmr->rkey;
	xa_store(&mr->dev->mrs, mr->index, mr, GFP_KERNEL);
	/* The old MR no longer owns its table slot. */
	old->index = 0;
	return &mr->ibmr;
}

int dmr_dereg_mr(struct ib_mr *ibmr, struct ib_udata *udata)
{
	struct dmr_mr *mr = to_dmr_mr(ibmr);

	/*
	 * No new lookups, and a copy in flight stops at its next bracket
	 * (dmr_mem_copy()), so the wait below is bounded whatever the
	 * message size; then wait for the accesses in flight. An MR whose
	 * slot a re-registration took over lets its accesses finish.
	 */
	if (mr->index) {
		xa_erase(&mr->dev->mrs, mr->index);
		WRITE_ONCE(mr->mem.dying, true);
	}
	dmr_mr_put(mr);
	wait_for_completion(&mr->released);
	dmr_mem_release(&mr->mem);
	atomic_dec(&mr->dev->n_mr);
	kfree_rcu(mr, rcu);
	return 0;
}
