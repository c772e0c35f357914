// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The memory access layer: the pinned-user-pages and kernel-memory
 * backends, and the copy and atomic engines that work on any backend (see
 * dmr_mem.h).
 */
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/vmalloc.h>
#include <rdma/ib_umem.h>
#include <kunit/visibility.h>

#include "dmr_mem.h"

/*
 * Atomics on MMIO cannot use locked instructions; they are atomic with
 * respect to every other dmr atomic, which is what IB_ATOMIC_HCA promises.
 */
static DEFINE_SPINLOCK(dmr_io_atomic_lock);

static void dmr_user_chunk(struct dmr_mem *mem, u64 offset, u64 len,
			   struct dmr_chunk *chunk)
{
	u64 pos = offset + mem->user.first_offset;
	unsigned long idx = pos >> PAGE_SHIFT;
	unsigned int in_page = pos & ~PAGE_MASK;
	u64 n = PAGE_SIZE - in_page;

	/* Coalesce physically consecutive pages into one chunk. */
	while (n < len && idx + 1 < mem->user.npages &&
	       page_to_pfn(mem->user.pages[idx + 1]) ==
	       page_to_pfn(mem->user.pages[idx]) + 1) {
		n += PAGE_SIZE;
		idx++;
	}
	idx = pos >> PAGE_SHIFT;
	chunk->va = page_address(mem->user.pages[idx]) + in_page;
	chunk->len = min(n, len);
	chunk->is_io = false;
}

static void dmr_user_release(struct dmr_mem *mem)
{
	kvfree(mem->user.pages);
	ib_umem_release(mem->user.umem);
}

static const struct dmr_mem_ops dmr_user_ops = {
	.chunk = dmr_user_chunk,
	.release = dmr_user_release,
};

/*
 * Pinned user pages: an array of the umem's pages for O(1) lookup. dmr
 * registers with virtual DMA (no DMA device for ib_umem), so the umem's
 * scatterlist carries the pages themselves.
 */
int dmr_mem_init_user(struct dmr_mem *mem, struct ib_umem *umem)
{
	struct sg_page_iter iter;
	unsigned long n = 0;

	mem->user.npages = ib_umem_num_pages(umem);
	mem->user.pages = kvmalloc_array(mem->user.npages,
					 sizeof(*mem->user.pages),
					 DMR_GFP_USER_SIZED);
	if (!mem->user.pages)
		return -ENOMEM;
	for_each_sgtable_page(&umem->sgt_append.sgt, &iter, 0) {
		if (n == mem->user.npages)
			break;
		mem->user.pages[n++] = sg_page_iter_page(&iter);
	}
	if (n != mem->user.npages) {
		kvfree(mem->user.pages);
		return -EFAULT;
	}
	mem->user.umem = umem;
	mem->user.first_offset = ib_umem_offset(umem);
	mem->length = umem->length;
	mem->ops = &dmr_user_ops;
	return 0;
}

static void dmr_kernel_chunk(struct dmr_mem *mem, u64 offset, u64 len,
			     struct dmr_chunk *chunk)
{
	chunk->va = mem->kmem + offset;
	chunk->len = len;
	chunk->is_io = false;
}

static const struct dmr_mem_ops dmr_kernel_ops = {
	.chunk = dmr_kernel_chunk,
};

/*
 * Virtually contiguous kernel memory from @base: device memory, or, with
 * @base NULL and @length U64_MAX, the whole kernel address space (the DMA
 * MR of kernel consumers, whose addresses are kernel virtual addresses).
 */
void dmr_mem_init_kernel(struct dmr_mem *mem, void *base, u64 length)
{
	mem->kmem = base;
	mem->length = length;
	mem->ops = &dmr_kernel_ops;
}
EXPORT_SYMBOL_IF_KUNIT(dmr_mem_init_kernel);

/*
 * MMIO to MMIO goes through a bounce buffer on the stack: its own function,
 * so that the common cases do not pay for zeroing it (auto-var-init).
 */
static noinline void dmr_io_copy(void __iomem *dst, const void __iomem *src,
				 size_t n)
{
	u8 bounce[256];
	size_t done, step;

	for (done = 0; done < n; done += step) {
		step = min(n - done, sizeof(bounce));
		memcpy_fromio(bounce, src + done, step);
		memcpy_toio(dst + done, bounce, step);
	}
}

static void dmr_chunk_copy(const struct dmr_chunk *dst,
			   const struct dmr_chunk *src, size_t n)
{
	if (!dst->is_io && !src->is_io)
		memcpy(dst->va, src->va, n);
	else if (dst->is_io && !src->is_io)
		memcpy_toio(dst->io, src->va, n);
	else if (!dst->is_io && src->is_io)
		memcpy_fromio(dst->va, src->io, n);
	else
		dmr_io_copy(dst->io, src->io, n);
}

/* A position in a list of segments, with its access bracket. */
struct dmr_cursor {
	const struct dmr_mem_seg *seg;
	unsigned int nsegs;
	u64 pos;			/* within *seg */
	bool open;			/* dmr_mem_begin() done for seg->mem */
};

static void dmr_cursor_close(struct dmr_cursor *c)
{
	if (c->open) {
		dmr_mem_end(c->seg->mem);
		c->open = false;
	}
}

/* Skip exhausted and empty segments; false at the end of the list. */
static bool dmr_cursor_settle(struct dmr_cursor *c)
{
	while (c->nsegs && c->pos == c->seg->len) {
		dmr_cursor_close(c);
		c->seg++;
		c->nsegs--;
		c->pos = 0;
	}
	return c->nsegs;
}

static int dmr_cursor_chunk(struct dmr_cursor *c, u64 max,
			    struct dmr_chunk *chunk)
{
	const struct dmr_mem_seg *seg = c->seg;
	u64 len = min(max, seg->len - c->pos);
	int err;

	if (!seg->mem) {
		chunk->va = seg->buf + c->pos;
		chunk->len = len;
		chunk->is_io = false;
		return 0;
	}
	if (!c->open) {
		err = dmr_mem_begin(seg->mem);
		if (err)
			return err;
		c->open = true;
	}
	/* Pinned user memory, the common case, without an indirect call. */
	if (seg->mem->ops == &dmr_user_ops)
		dmr_user_chunk(seg->mem, seg->offset + c->pos, len, chunk);
	else
		seg->mem->ops->chunk(seg->mem, seg->offset + c->pos, len, chunk);
	return 0;
}

static bool dmr_seg_dying(const struct dmr_mem_seg *seg)
{
	return seg->mem && READ_ONCE(seg->mem->dying);
}

static bool dmr_mem_should_stop(const struct dmr_mem_stop *stop)
{
	if (fatal_signal_pending(current))
		return true;
	if (!stop)
		return false;
	return (stop->flag[0] && READ_ONCE(*stop->flag[0])) ||
	       (stop->flag[1] && READ_ONCE(*stop->flag[1]));
}

/*
 * Copy @len bytes from the @src segments to the @dst segments. The caller
 * has checked every segment against its MR (keys, access, bounds) and that
 * both lists hold at least @len bytes. Returns 0, or (the bytes before
 * the failure were copied):
 *
 *  - -EACCES: a backend was revoked on the way, or an MR is being
 *    deregistered; *@dst_failed says which side it was;
 *  - -EBUSY: a backend was invalidated again each time it was mapped,
 *    DMR_MEM_MAX_REMAPS times in a row; *@dst_failed likewise;
 *  - -EINTR: @stop asked the copy to end (*@dst_failed is false).
 *
 * Each chunk is cut at what is left of the current bracket, so that no
 * bracket copies more than DMR_MEM_BRACKET_BYTES even when both sides are
 * contiguous for the whole message.
 */
int dmr_mem_copy(const struct dmr_mem_seg *dst, unsigned int ndst,
		 const struct dmr_mem_seg *src, unsigned int nsrc, u64 len,
		 const struct dmr_mem_stop *stop, bool *dst_failed)
{
	struct dmr_cursor d = { .seg = dst, .nsegs = ndst };
	struct dmr_cursor s = { .seg = src, .nsegs = nsrc };
	unsigned int remaps = 0;
	struct dmr_chunk dc, sc;
	u64 bracket = 0;
	size_t n;
	int err = 0;

	*dst_failed = false;
	while (len) {
		if (!dmr_cursor_settle(&d) || !dmr_cursor_settle(&s)) {
			err = -EINVAL;
			break;
		}
		/* A new bracket: an MR being deregistered is gone for us. */
		if (!bracket && (dmr_seg_dying(d.seg) || dmr_seg_dying(s.seg))) {
			*dst_failed = dmr_seg_dying(d.seg);
			err = -EACCES;
			break;
		}
		err = dmr_cursor_chunk(&d, min(len, DMR_MEM_BRACKET_BYTES - bracket),
				       &dc);
		*dst_failed = err != 0;
		if (!err)
			err = dmr_cursor_chunk(&s, dc.len, &sc);
		if (err == -EAGAIN) {
			/* Map again with no bracket open, then retry. */
			dmr_cursor_close(&d);
			dmr_cursor_close(&s);
			bracket = 0;
			if (++remaps > DMR_MEM_MAX_REMAPS) {
				err = -EBUSY;
				break;
			}
			err = dmr_mem_prepare((*dst_failed ? d.seg : s.seg)->mem);
			if (err)
				break;
			continue;
		}
		if (err)
			break;
		n = min(dc.len, sc.len);
		dmr_chunk_copy(&dc, &sc, n);
		remaps = 0;
		d.pos += n;
		s.pos += n;
		len -= n;
		bracket += n;
		/* Let a waiting invalidate in, and other tasks run. */
		if (bracket == DMR_MEM_BRACKET_BYTES) {
			dmr_cursor_close(&d);
			dmr_cursor_close(&s);
			bracket = 0;
			cond_resched();
			if (len && dmr_mem_should_stop(stop)) {
				*dst_failed = false;
				err = -EINTR;
				break;
			}
		}
	}
	dmr_cursor_close(&d);
	dmr_cursor_close(&s);
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(dmr_mem_copy);

/*
 * The segments of the @len bytes at byte @off of the list @in (@n
 * segments) into @out, which has room for @n and may be @in itself: how
 * many there are. The list must be at least @off + @len long.
 */
unsigned int dmr_mem_slice(const struct dmr_mem_seg *in, unsigned int n,
			   u64 off, u64 len, struct dmr_mem_seg *out)
{
	unsigned int i, k = 0;
	u64 take;

	for (i = 0; i < n && len; i++) {
		if (off >= in[i].len) {
			off -= in[i].len;
			continue;
		}
		take = min(in[i].len - off, len);
		out[k] = in[i];
		if (in[i].mem)
			out[k].offset += off;
		else
			out[k].buf = (u8 *)in[i].buf + off;
		out[k].len = take;
		k++;
		len -= take;
		off = 0;
	}
	return k;
}

/*
 * An 8-byte atomic at @offset: compare-and-swap or fetch-and-add. The
 * original value goes to @orig. The caller checked that the MR's address
 * is 8-byte aligned; the memory behind it must be too (-EINVAL
 * otherwise): a locked instruction on a split cache line is a fatal
 * split-lock trap on x86 and an alignment fault on arm64, and an MR may
 * start anywhere in its backing store (device memory at an odd offset, a
 * user MR whose iova is not its address). -EACCES and -EBUSY as for
 * dmr_mem_copy().
 */
int dmr_mem_atomic(struct dmr_mem *mem, u64 offset, bool cmp_swap,
		   u64 compare_add, u64 swap, u64 *orig)
{
	unsigned int remaps = 0;
	struct dmr_chunk chunk;
	u64 old;
	int err;

	while ((err = dmr_mem_begin(mem)) == -EAGAIN) {
		if (++remaps > DMR_MEM_MAX_REMAPS)
			return -EBUSY;
		err = dmr_mem_prepare(mem);
		if (err)
			return err;
	}
	if (err)
		return err;
	mem->ops->chunk(mem, offset, sizeof(u64), &chunk);
	if (chunk.len < sizeof(u64) ||
	    !IS_ALIGNED((unsigned long)chunk.va, sizeof(u64))) {
		dmr_mem_end(mem);
		return -EINVAL;
	}
	if (chunk.is_io) {
		spin_lock(&dmr_io_atomic_lock);
		old = readq(chunk.io);
		if (!cmp_swap)
			writeq(old + compare_add, chunk.io);
		else if (old == compare_add)
			writeq(swap, chunk.io);
		/*
		 * A write-combined BAR keeps the store in a buffer that the
		 * unlock does not drain: the next atomic, on another CPU,
		 * would read the old value.
		 */
		wmb();
		spin_unlock(&dmr_io_atomic_lock);
	} else if (cmp_swap) {
		old = cmpxchg64((u64 *)chunk.va, compare_add, swap);
	} else {
		old = atomic64_fetch_add(compare_add, (atomic64_t *)chunk.va);
	}
	dmr_mem_end(mem);
	*orig = old;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(dmr_mem_atomic);
