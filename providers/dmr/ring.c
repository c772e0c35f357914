// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/* Mapping the kernel's rings, and posting receive WQEs into them. */
#include <config.h>

#include <errno.h>
#include <sys/mman.h>

#include "dmr.h"

/*
 * Map a ring the kernel described. The layout is checked, so a kernel of
 * another ABI cannot make us write past the mapping.
 */
int dmr_uring_map(struct dmr_uring *r, int cmd_fd,
		  const struct dmr_ring_info *info, uint32_t min_stride)
{
	void *p;

	if (!dmr_ring_size_valid(info->slots) || info->stride < min_stride ||
	    info->mmap_size < DMR_RING_HDR_SIZE +
			      (uint64_t)info->slots * info->stride)
		return EPROTO;
	p = mmap(NULL, info->mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 cmd_fd, info->mmap_offset);
	if (p == MAP_FAILED)
		return errno;
	r->hdr = p;
	r->slots = (uint8_t *)p + DMR_RING_HDR_SIZE;
	r->map_size = info->mmap_size;
	r->nslots = info->slots;
	r->stride = info->stride;
	r->index = 0;
	return 0;
}

void dmr_uring_unmap(struct dmr_uring *r)
{
	if (r->hdr)
		munmap(r->hdr, r->map_size);
	r->hdr = NULL;
}

/* Post receive WRs into a receive ring (an RQ or an SRQ). Caller locks. */
int dmr_post_recv_ring(struct dmr_uring *r, uint32_t max_sge,
		       struct ibv_recv_wr *wr, struct ibv_recv_wr **bad_wr)
{
	struct dmr_recv_wqe *wqe;
	struct dmr_sge *sge;
	uint32_t consumer;
	int err = 0;
	int i;

	for (; wr; wr = wr->next) {
		if (wr->num_sge < 0 || (uint32_t)wr->num_sge > max_sge) {
			err = EINVAL;
			break;
		}
		consumer = dmr_load_acquire(&r->hdr->consumer);
		if (dmr_ring_full(r->index, consumer, r->nslots)) {
			err = ENOMEM;
			break;
		}
		wqe = dmr_uring_slot(r, r->index);
		wqe->wr_id = wr->wr_id;
		wqe->num_sge = wr->num_sge;
		sge = (struct dmr_sge *)(wqe + 1);
		for (i = 0; i < wr->num_sge; i++) {
			sge[i].addr = wr->sg_list[i].addr;
			sge[i].length = wr->sg_list[i].length;
			sge[i].lkey = wr->sg_list[i].lkey;
		}
		r->index++;
	}
	if (err)
		*bad_wr = wr;
	dmr_store_release(&r->hdr->producer, r->index);
	return err;
}
