/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * The kernel's side of a shared ring (see dmr-abi.h and dmr_ring.h).
 *
 * Each side keeps its own index privately and publishes it with release
 * semantics after it is done with the slots it covers; it reads the other
 * side's index with acquire semantics before it touches the slots that
 * index covers. An index read from user memory is checked before use.
 */
#ifndef DMR_QUEUE_H
#define DMR_QUEUE_H

#include <linux/minmax.h>
#include <linux/string.h>
#include <linux/types.h>
#include <asm/barrier.h>

#include <rdma/dmr-abi.h>
#include "dmr_ring.h"

struct ib_udata;
struct rdma_user_mmap_entry;

struct dmr_queue {
	struct dmr_ring_hdr *hdr;	/* vmalloc memory, mapped by a process */
	void *slots;			/* (void *)hdr + DMR_RING_HDR_SIZE */
	size_t size;			/* bytes allocated, page aligned */
	u32 nslots;			/* a power of two */
	u32 stride;			/* bytes per slot */
	/*
	 * The kernel's own index: consumer of a work queue, producer of a
	 * CQ. The copy in @hdr is only ever written from this one.
	 */
	u32 index;
	struct rdma_user_mmap_entry *mmap;
};

static inline void *dmr_queue_slot(const struct dmr_queue *q, u32 index)
{
	return q->slots + dmr_ring_slot(index, q->nslots) * q->stride;
}

/* --- the kernel consumes: send, receive and shared receive queues --- */

/*
 * How many WQEs are posted and not consumed yet, or -EIO if the producer
 * index is impossible (a process that corrupted its own ring).
 */
static inline int dmr_queue_posted(const struct dmr_queue *q)
{
	/* Pairs with the producer's release: the slots it covers are written. */
	u32 producer = smp_load_acquire(&q->hdr->producer);

	if (!dmr_ring_valid(producer, q->index, q->nslots))
		return -EIO;
	return dmr_ring_used(producer, q->index);
}

/* The oldest posted WQE; only valid if dmr_queue_posted() said so. */
static inline void *dmr_queue_head(const struct dmr_queue *q)
{
	return dmr_queue_slot(q, q->index);
}

/*
 * Copy the oldest posted WQE into @wqe: its fixed part, then only as many
 * bytes of SGEs or inline data as it says it has, bounded by the slot. A
 * slot is sized for the largest WQE the queue allows (half a KiB for
 * perftest's inline size) and a latency test posts 8 bytes. Whatever the
 * process writes into the slot afterwards, the copy is what the caller
 * checks and executes.
 */
static inline void dmr_queue_copy_send(const struct dmr_queue *q,
				       struct dmr_send_wqe *wqe)
{
	const struct dmr_send_wqe *slot = dmr_queue_head(q);
	u64 body;

	memcpy(wqe, slot, sizeof(*wqe));
	body = wqe->send_flags & DMR_SEND_INLINE ? wqe->inline_len :
		(u64)wqe->num_sge * sizeof(struct dmr_sge);
	memcpy(wqe + 1, slot + 1, min_t(u64, body, q->stride - sizeof(*wqe)));
}

static inline void dmr_queue_copy_recv(const struct dmr_queue *q,
				       struct dmr_recv_wqe *wqe)
{
	const struct dmr_recv_wqe *slot = dmr_queue_head(q);
	u64 body;

	memcpy(wqe, slot, sizeof(*wqe));
	body = (u64)wqe->num_sge * sizeof(struct dmr_sge);
	memcpy(wqe + 1, slot + 1, min_t(u64, body, q->stride - sizeof(*wqe)));
}

static inline void dmr_queue_pop(struct dmr_queue *q)
{
	q->index++;
	/* The slot has been read: the producer may reuse it. */
	smp_store_release(&q->hdr->consumer, q->index);
}

/* --- the kernel produces: completion queues --- */

/* Free slots, 0 if the consumer index is impossible. */
static inline u32 dmr_queue_room(const struct dmr_queue *q)
{
	/* Pairs with the consumer's release: freed slots are not read again. */
	u32 consumer = smp_load_acquire(&q->hdr->consumer);

	if (!dmr_ring_valid(q->index, consumer, q->nslots))
		return 0;
	return dmr_ring_free(q->index, consumer, q->nslots);
}

static inline void dmr_queue_push(struct dmr_queue *q)
{
	q->index++;
	/* The slot is written: the consumer may read it. */
	smp_store_release(&q->hdr->producer, q->index);
}

/*
 * --- kernel consumers' rings: the kernel posts and consumes both ---
 * The producer index is hdr->producer itself, written under the post
 * lock; the consumer publishes its progress in hdr->consumer as for a
 * process's ring, and may run concurrently.
 */
static inline void *dmr_queue_post_slot(const struct dmr_queue *q)
{
	/* Pairs with dmr_queue_pop(): the freed slot is not read again. */
	u32 consumer = smp_load_acquire(&q->hdr->consumer);

	if (dmr_ring_full(q->hdr->producer, consumer, q->nslots))
		return NULL;
	return dmr_queue_slot(q, q->hdr->producer);
}

static inline void dmr_queue_post_commit(struct dmr_queue *q)
{
	/* The slot is written: the data engine may consume it. */
	smp_store_release(&q->hdr->producer, q->hdr->producer + 1);
}

/* Empty the ring (QP reset): both indices back to zero. */
static inline void dmr_queue_reset(struct dmr_queue *q)
{
	q->index = 0;
	WRITE_ONCE(q->hdr->producer, 0);
	/* Ordered after the producer reset for a reader of both. */
	smp_store_release(&q->hdr->consumer, 0);
}

void *dmr_user_alloc(size_t size);
int dmr_queue_init(struct dmr_queue *q, struct ib_udata *udata, u32 nslots,
		   u32 stride);
void dmr_queue_cleanup(struct dmr_queue *q);
void dmr_queue_info(const struct dmr_queue *q, struct dmr_ring_info *info);

#endif /* DMR_QUEUE_H */
