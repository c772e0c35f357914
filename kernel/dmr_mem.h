/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * The memory access layer: how the data engine reaches the bytes of a
 * memory region, whatever backs it.
 *
 * Backends: pinned user pages (ib_umem), kernel memory (device memory, and
 * kernel consumers' DMA MR), and dma-bufs, whose mapped ranges are either
 * RAM (struct pages, mapped write-back) or MMIO without struct pages
 * (ioremap'ed, accessed with the io accessors). The data path asks
 * for chunks of an MR and copies between chunks; it never looks at which
 * backend an MR has.
 *
 * Every access is bracketed by dmr_mem_begin() and dmr_mem_end(). Between
 * them the backing store stays mapped: for a dma-buf this holds off
 * invalidate_mappings, which waits for the bracket to close. The contract
 * of a bracket:
 *
 *  - it never sleeps, and never waits on user space;
 *  - it copies at most DMR_MEM_BRACKET_BYTES, however large the message
 *    and however contiguous both sides are, so the time an invalidate
 *    waits does not grow with the message;
 *  - a copy may stop between two brackets (dmr_mem_stop, or an MR being
 *    deregistered), never inside one.
 */
#ifndef DMR_MEM_H
#define DMR_MEM_H

#include <linux/gfp_types.h>
#include <linux/types.h>

struct dmr_mem;
struct dmr_dmabuf;
struct ib_umem;
struct page;

/* The most bytes copied inside one begin/end bracket. */
#define DMR_MEM_BRACKET_BYTES (256 * 1024)

/*
 * How often in a row a copy maps a buffer again without copying a byte
 * before it gives up (-EBUSY): an exporter that invalidates as fast as
 * dmr maps must not keep a requester spinning.
 */
#define DMR_MEM_MAX_REMAPS 8

/*
 * For memory a process makes dmr allocate in proportion to what it asks
 * for (rings, device memory, page and range tables): charged to its
 * memory cgroup, and at the cgroup's limit the call fails with -ENOMEM
 * instead of waking the cgroup's OOM killer.
 */
#define DMR_GFP_USER_SIZED (GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL | \
			    __GFP_NOWARN)

/* A virtually contiguous piece of an MR, mapped for the CPU. */
struct dmr_chunk {
	union {
		void *va;
		void __iomem *io;
	};
	size_t len;
	bool is_io;
};

struct dmr_mem_ops {
	/*
	 * Open a bracket without sleeping: 0, or -EAGAIN if the memory
	 * must be mapped again first (prepare()), or -EACCES if it is gone
	 * for good. Brackets on one dmr_mem may nest (a copy within one MR).
	 */
	int (*begin)(struct dmr_mem *mem);
	void (*end)(struct dmr_mem *mem);
	/*
	 * Map the memory again after an invalidation; may sleep and take
	 * the exporter's locks, so it is never called inside a bracket.
	 * 0, or -EACCES if the exporter refuses (the buffer is revoked).
	 */
	int (*prepare)(struct dmr_mem *mem);
	/* The chunk at byte @offset, at most @len long. Inside a bracket. */
	void (*chunk)(struct dmr_mem *mem, u64 offset, u64 len,
		      struct dmr_chunk *chunk);
	void (*release)(struct dmr_mem *mem);
};

struct dmr_mem {
	const struct dmr_mem_ops *ops;
	u64 length;
	/*
	 * Set when the MR is being deregistered: a copy through it stops at
	 * its next bracket, as an access through a key that is gone.
	 */
	bool dying;
	union {
		struct {
			struct ib_umem *umem;
			struct page **pages;
			unsigned long npages;
			unsigned int first_offset;	/* in the first page */
		} user;
		struct dmr_dmabuf *dmabuf;
		void *kmem;		/* kernel memory: its base address */
	};
};

/*
 * One piece of a transfer: @len bytes at byte @offset of @mem, or, with
 * @mem NULL, of the kernel buffer @buf (inline data, atomic results).
 */
struct dmr_mem_seg {
	struct dmr_mem *mem;
	void *buf;
	u64 offset;
	u64 len;
};

/*
 * Why a long copy may stop between two brackets (-EINTR): any of @flag
 * set (a QP at either end is being destroyed), or a fatal signal to the
 * task that copies (a process killed in its doorbell).
 */
struct dmr_mem_stop {
	const bool *flag[2];
};

int dmr_mem_init_user(struct dmr_mem *mem, struct ib_umem *umem);
void dmr_mem_init_kernel(struct dmr_mem *mem, void *base, u64 length);
int dmr_mem_copy(const struct dmr_mem_seg *dst, unsigned int ndst,
		 const struct dmr_mem_seg *src, unsigned int nsrc, u64 len,
		 const struct dmr_mem_stop *stop, bool *dst_failed);
unsigned int dmr_mem_slice(const struct dmr_mem_seg *in, unsigned int n,
			   u64 off, u64 len, struct dmr_mem_seg *out);
int dmr_mem_atomic(struct dmr_mem *mem, u64 offset, bool cmp_swap,
		   u64 compare_add, u64 swap, u64 *orig);

static inline int dmr_mem_begin(struct dmr_mem *mem)
{
	return mem->ops->begin ? mem->ops->begin(mem) : 0;
}

static inline int dmr_mem_prepare(struct dmr_mem *mem)
{
	return mem->ops->prepare ? mem->ops->prepare(mem) : 0;
}

static inline void dmr_mem_end(struct dmr_mem *mem)
{
	if (mem->ops->end)
		mem->ops->end(mem);
}

static inline void dmr_mem_release(struct dmr_mem *mem)
{
	if (mem->ops && mem->ops->release)
		mem->ops->release(mem);
	mem->ops = NULL;
}

#endif /* DMR_MEM_H */
