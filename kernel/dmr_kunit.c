// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * KUnit tests of the dma-buf backend: the MR state machine and the
 * invalidate path, against a small exporter of this file that can move
 * (invalidate) and revoke (refuse to map) its buffer at will, or give a
 * table that is too short; and of the copy engine's bounds, against a
 * probe backend that records what the engine asks of it.
 *
 * Built as dmr_kunit.ko; it runs its suite when loaded and needs dmr.ko.
 * Never loaded outside tests.
 */
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/dma-buf.h>
#include <linux/dma-fence.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/kthread.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "dmr.h"

MODULE_IMPORT_NS("DMA_BUF");
MODULE_IMPORT_NS("EXPORTED_FOR_KUNIT_TESTING");

#define TEST_PAGES 4

struct test_exporter {
	struct dma_buf *dmabuf;
	struct page *pages[TEST_PAGES];
	bool revoked;			/* under the reservation lock */
	int maps;			/* mappings alive */
	/* A buggy exporter: its table has only this many pages (0: all). */
	unsigned int table_pages;
};

static int test_attach(struct dma_buf *dmabuf, struct dma_buf_attachment *a)
{
	return 0;
}

static struct sg_table *test_map(struct dma_buf_attachment *attach,
				 enum dma_data_direction dir)
{
	struct test_exporter *x = attach->dmabuf->priv;
	struct sg_table *sgt;
	unsigned int n;
	int err;

	if (x->revoked)
		return ERR_PTR(-ENODEV);
	sgt = kzalloc_obj(*sgt);
	if (!sgt)
		return ERR_PTR(-ENOMEM);
	n = x->table_pages ?: TEST_PAGES;
	err = sg_alloc_table_from_pages(sgt, x->pages, n, 0, n * PAGE_SIZE,
					GFP_KERNEL);
	if (!err)
		err = dma_map_sgtable(attach->dev, sgt, dir, 0);
	if (err) {
		sg_free_table(sgt);
		kfree(sgt);
		return ERR_PTR(err);
	}
	x->maps++;
	return sgt;
}

static void test_unmap(struct dma_buf_attachment *attach,
		       struct sg_table *sgt, enum dma_data_direction dir)
{
	struct test_exporter *x = attach->dmabuf->priv;

	dma_unmap_sgtable(attach->dev, sgt, dir, 0);
	sg_free_table(sgt);
	kfree(sgt);
	x->maps--;
}

static void test_release(struct dma_buf *dmabuf)
{
	struct test_exporter *x = dmabuf->priv;
	int i;

	for (i = 0; i < TEST_PAGES; i++)
		__free_page(x->pages[i]);
	kfree(x);
}

static const struct dma_buf_ops test_ops = {
	.attach = test_attach,
	.map_dma_buf = test_map,
	.unmap_dma_buf = test_unmap,
	.release = test_release,
};

/* What each test works with. */
struct fixture {
	struct dmr_dev *dev;
	struct test_exporter *x;
	struct dmr_mem mem;
	u8 buf[TEST_PAGES * PAGE_SIZE];
};

static u8 pattern_at(size_t i)
{
	return (u8)(i * 7 + 3);
}

static int fixture_init(struct kunit *test)
{
	DEFINE_DMA_BUF_EXPORT_INFO(info);
	struct pci_dev *pdev = NULL;
	struct fixture *f;
	size_t i;

	f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, f);
	f->dev = kunit_kzalloc(test, sizeof(*f->dev), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, f->dev);
	/* Any PCI function with a 64-bit DMA mask attaches as dmr's would. */
	for_each_pci_dev(pdev)
		if (dma_get_mask(&pdev->dev) == DMA_BIT_MASK(64))
			break;
	if (!pdev)
		kunit_skip(test, "no PCI function with 64-bit DMA");
	f->dev->dma_dev = &pdev->dev;

	f->x = kzalloc_obj(*f->x);
	KUNIT_ASSERT_NOT_NULL(test, f->x);
	for (i = 0; i < TEST_PAGES; i++) {
		f->x->pages[i] = alloc_page(GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, f->x->pages[i]);
	}
	for (i = 0; i < TEST_PAGES * PAGE_SIZE; i++)
		((u8 *)page_address(f->x->pages[i / PAGE_SIZE]))[i % PAGE_SIZE] =
			pattern_at(i);
	info.ops = &test_ops;
	info.size = TEST_PAGES * PAGE_SIZE;
	info.flags = O_RDWR;
	info.priv = f->x;
	f->x->dmabuf = dma_buf_export(&info);
	KUNIT_ASSERT_FALSE(test, IS_ERR(f->x->dmabuf));
	test->priv = f;
	return 0;
}

static void fixture_exit(struct kunit *test)
{
	struct fixture *f = test->priv;

	if (!f)
		return;
	if (f->mem.ops)
		dmr_mem_release(&f->mem);
	if (f->dev->dma_dev)
		pci_dev_put(to_pci_dev(f->dev->dma_dev));
	dma_buf_put(f->x->dmabuf);
}

/* Back f->mem with [offset, offset + len) of the buffer. */
static void attach(struct kunit *test, u64 offset, u64 len)
{
	struct fixture *f = test->priv;

	get_dma_buf(f->x->dmabuf);	/* dmr takes this reference over */
	KUNIT_ASSERT_EQ(test, 0, dmr_mem_init_dmabuf(f->dev, &f->mem,
						     f->x->dmabuf, offset, len,
						     IB_ACCESS_LOCAL_WRITE));
}

static int copy_out(struct fixture *f, u64 offset, u64 len)
{
	struct dmr_mem_seg src = { .mem = &f->mem, .offset = offset, .len = len };
	struct dmr_mem_seg dst = { .buf = f->buf, .len = len };
	bool dst_failed;

	memset(f->buf, 0, sizeof(f->buf));
	return dmr_mem_copy(&dst, 1, &src, 1, len, NULL, &dst_failed);
}

static struct dmr_mr_query_resp query(struct fixture *f)
{
	struct dmr_mr_query_resp q;

	dmr_dmabuf_query(&f->mem, &q);
	return q;
}

static void exporter_invalidate(struct fixture *f, bool revoke)
{
	dma_resv_lock(f->x->dmabuf->resv, NULL);
	f->x->revoked = revoke;
	dma_buf_invalidate_mappings(f->x->dmabuf);
	dma_resv_unlock(f->x->dmabuf->resv);
}

static void exporter_restore(struct fixture *f)
{
	dma_resv_lock(f->x->dmabuf->resv, NULL);
	f->x->revoked = false;
	dma_resv_unlock(f->x->dmabuf->resv);
}

static void test_mapped_at_registration(struct kunit *test)
{
	struct fixture *f = test->priv;
	struct dmr_mr_query_resp q;
	size_t i;

	attach(test, 0, TEST_PAGES * PAGE_SIZE);
	q = query(f);
	KUNIT_EXPECT_EQ(test, q.backend, DMR_MR_BACKEND_DMABUF);
	KUNIT_EXPECT_EQ(test, q.state, DMR_MR_STATE_VALID);
	KUNIT_EXPECT_EQ(test, q.invalidations + q.remaps + q.revokes, 0);
	KUNIT_EXPECT_EQ(test, f->x->maps, 1);
	KUNIT_ASSERT_EQ(test, 0, copy_out(f, 0, TEST_PAGES * PAGE_SIZE));
	for (i = 0; i < TEST_PAGES * PAGE_SIZE; i++)
		if (f->buf[i] != pattern_at(i))
			KUNIT_FAIL(test, "byte %zu differs", i);
}

static void test_unaligned_sub_range(struct kunit *test)
{
	struct fixture *f = test->priv;
	size_t i;

	attach(test, 100, 3 * PAGE_SIZE);
	KUNIT_ASSERT_EQ(test, 0, copy_out(f, 0, 3 * PAGE_SIZE));
	for (i = 0; i < 3 * PAGE_SIZE; i++)
		if (f->buf[i] != pattern_at(100 + i))
			KUNIT_FAIL(test, "byte %zu differs", i);
}

static void test_invalidate_unmaps_and_access_maps_again(struct kunit *test)
{
	struct fixture *f = test->priv;

	attach(test, 0, PAGE_SIZE);
	exporter_invalidate(f, false);
	KUNIT_EXPECT_EQ(test, query(f).state, DMR_MR_STATE_INVALIDATED);
	KUNIT_EXPECT_EQ(test, query(f).invalidations, 1);
	/* Unmapped within the invalidate: the exporter has no mapping left. */
	KUNIT_EXPECT_EQ(test, f->x->maps, 0);
	KUNIT_EXPECT_EQ(test, f->mem.ops->begin(&f->mem), -EAGAIN);

	KUNIT_EXPECT_EQ(test, 0, copy_out(f, 0, 64));
	KUNIT_EXPECT_EQ(test, f->buf[10], pattern_at(10));
	KUNIT_EXPECT_EQ(test, query(f).state, DMR_MR_STATE_VALID);
	KUNIT_EXPECT_EQ(test, query(f).remaps, 1);
	KUNIT_EXPECT_EQ(test, f->x->maps, 1);
}

static void test_invalidate_is_idempotent(struct kunit *test)
{
	struct fixture *f = test->priv;

	attach(test, 0, PAGE_SIZE);
	exporter_invalidate(f, false);
	exporter_invalidate(f, false);
	KUNIT_EXPECT_EQ(test, query(f).invalidations, 1);
	KUNIT_EXPECT_EQ(test, f->x->maps, 0);
}

static void test_refused_mapping_revokes_until_allowed(struct kunit *test)
{
	struct fixture *f = test->priv;

	attach(test, 0, PAGE_SIZE);
	exporter_invalidate(f, true);
	KUNIT_EXPECT_EQ(test, copy_out(f, 0, 64), -EACCES);
	KUNIT_EXPECT_EQ(test, f->buf[10], 0);
	KUNIT_EXPECT_EQ(test, query(f).state, DMR_MR_STATE_REVOKED);
	KUNIT_EXPECT_EQ(test, query(f).revokes, 1);
	/* Refused again: still one revocation, not one per attempt. */
	KUNIT_EXPECT_EQ(test, copy_out(f, 0, 64), -EACCES);
	KUNIT_EXPECT_EQ(test, query(f).revokes, 1);

	exporter_restore(f);
	KUNIT_EXPECT_EQ(test, copy_out(f, 0, 64), 0);
	KUNIT_EXPECT_EQ(test, f->buf[10], pattern_at(10));
	KUNIT_EXPECT_EQ(test, query(f).state, DMR_MR_STATE_VALID);
	KUNIT_EXPECT_EQ(test, query(f).remaps, 1);
}

struct invalidator {
	struct fixture *f;
	struct completion done;
};

static int invalidate_thread(void *arg)
{
	struct invalidator *inv = arg;

	exporter_invalidate(inv->f, true);
	complete(&inv->done);
	return 0;
}

static void test_invalidate_waits_for_open_brackets(struct kunit *test)
{
	struct fixture *f = test->priv;
	struct invalidator inv = { .f = f };
	struct task_struct *t;

	attach(test, 0, PAGE_SIZE);
	init_completion(&inv.done);
	KUNIT_ASSERT_EQ(test, f->mem.ops->begin(&f->mem), 0);
	t = kthread_run(invalidate_thread, &inv, "dmr_kunit_inval");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	/* The access is in flight: the invalidate must wait for it... */
	KUNIT_EXPECT_EQ(test, 0,
			wait_for_completion_timeout(&inv.done,
						    msecs_to_jiffies(200)));
	KUNIT_EXPECT_EQ(test, f->x->maps, 1);
	/* ...and return as soon as it ends. */
	f->mem.ops->end(&f->mem);
	KUNIT_EXPECT_NE(test, 0,
			wait_for_completion_timeout(&inv.done,
						    msecs_to_jiffies(5000)));
	KUNIT_EXPECT_EQ(test, f->x->maps, 0);
	KUNIT_EXPECT_EQ(test, query(f).state, DMR_MR_STATE_INVALIDATED);
}

static void test_release_in_every_state(struct kunit *test)
{
	struct fixture *f = test->priv;

	attach(test, 0, PAGE_SIZE);
	dmr_mem_release(&f->mem);
	KUNIT_EXPECT_EQ(test, f->x->maps, 0);

	attach(test, 0, PAGE_SIZE);
	exporter_invalidate(f, false);
	dmr_mem_release(&f->mem);

	attach(test, 0, PAGE_SIZE);
	exporter_invalidate(f, true);
	KUNIT_EXPECT_EQ(test, copy_out(f, 0, 8), -EACCES);
	dmr_mem_release(&f->mem);
	KUNIT_EXPECT_EQ(test, f->x->maps, 0);
	exporter_restore(f);
}

/* A fence whose wait fails, as an exporter's migration that times out. */
static const char *test_fence_name(struct dma_fence *fence)
{
	return "dmr_kunit";
}

static signed long test_fence_wait_fails(struct dma_fence *fence, bool intr,
					 signed long timeout)
{
	return 0;
}

static const struct dma_fence_ops test_fence_ops = {
	.get_driver_name = test_fence_name,
	.get_timeline_name = test_fence_name,
	.wait = test_fence_wait_fails,
};

static DEFINE_SPINLOCK(test_fence_lock);

/*
 * ib_umem_dmabuf_map_pages() maps the exporter's table, then waits for
 * the kernel fences; when that wait fails the MR is revoked, and the
 * table must not stay mapped: nothing would ever unmap it.
 */
static void test_failed_fence_wait_leaves_nothing_mapped(struct kunit *test)
{
	struct fixture *f = test->priv;
	struct dma_resv *resv = f->x->dmabuf->resv;
	struct dma_fence *fence;

	attach(test, 0, PAGE_SIZE);
	exporter_invalidate(f, false);
	fence = kzalloc_obj(*fence);
	KUNIT_ASSERT_NOT_NULL(test, fence);
	dma_fence_init(fence, &test_fence_ops, &test_fence_lock,
		       dma_fence_context_alloc(1), 1);
	dma_resv_lock(resv, NULL);
	KUNIT_ASSERT_EQ(test, 0, dma_resv_reserve_fences(resv, 1));
	dma_resv_add_fence(resv, fence, DMA_RESV_USAGE_KERNEL);
	dma_resv_unlock(resv);

	KUNIT_EXPECT_EQ(test, copy_out(f, 0, 64), -EACCES);
	KUNIT_EXPECT_EQ(test, query(f).state, DMR_MR_STATE_REVOKED);
	KUNIT_EXPECT_EQ(test, f->x->maps, 0);

	/* The migration ends: the next access maps afresh, and works. */
	dma_fence_signal(fence);
	dma_fence_put(fence);
	KUNIT_EXPECT_EQ(test, copy_out(f, 0, 64), 0);
	KUNIT_EXPECT_EQ(test, f->buf[10], pattern_at(10));
	KUNIT_EXPECT_EQ(test, f->x->maps, 1);
}

/* A table that does not cover the MR is refused, and left unmapped. */
static void test_short_table_is_refused(struct kunit *test)
{
	struct fixture *f = test->priv;

	f->x->table_pages = 1;
	get_dma_buf(f->x->dmabuf);
	KUNIT_EXPECT_EQ(test, -EIO,
			dmr_mem_init_dmabuf(f->dev, &f->mem, f->x->dmabuf, 0,
					    TEST_PAGES * PAGE_SIZE,
					    IB_ACCESS_LOCAL_WRITE));
	KUNIT_EXPECT_EQ(test, f->x->maps, 0);
	/* No segment at all where the MR starts. */
	KUNIT_EXPECT_EQ(test, -EIO,
			dmr_mem_init_dmabuf(f->dev, &f->mem, f->x->dmabuf,
					    2 * PAGE_SIZE, PAGE_SIZE,
					    IB_ACCESS_LOCAL_WRITE));
	KUNIT_EXPECT_EQ(test, f->x->maps, 0);
	dma_buf_put(f->x->dmabuf);
	f->x->table_pages = 0;
}

/*
 * A backend that records what the copy engine asks of it: the most bytes
 * handed out inside one bracket, and how often it was prepared. With
 * @invalidated, every bracket finds it invalidated again.
 */
struct probe_mem {
	struct dmr_mem mem;
	u8 *buf;
	bool invalidated;
	unsigned int chunks;		/* handed out */
	unsigned int dying_after;	/* set mem.dying then (0: never) */
	unsigned int open;
	u64 in_bracket;
	u64 max_in_bracket;
	unsigned int prepares;
};

static struct probe_mem *to_probe(struct dmr_mem *mem)
{
	return container_of(mem, struct probe_mem, mem);
}

static int probe_begin(struct dmr_mem *mem)
{
	struct probe_mem *p = to_probe(mem);

	if (p->invalidated)
		return -EAGAIN;
	if (!p->open++)
		p->in_bracket = 0;
	return 0;
}

static void probe_end(struct dmr_mem *mem)
{
	struct probe_mem *p = to_probe(mem);

	if (!--p->open)
		p->max_in_bracket = max(p->max_in_bracket, p->in_bracket);
}

static int probe_prepare(struct dmr_mem *mem)
{
	to_probe(mem)->prepares++;
	return 0;
}

static void probe_chunk(struct dmr_mem *mem, u64 offset, u64 len,
			struct dmr_chunk *chunk)
{
	struct probe_mem *p = to_probe(mem);

	chunk->va = p->buf + offset;
	chunk->len = len;		/* contiguous: all that was asked */
	chunk->is_io = false;
	p->in_bracket += len;
	/* dmr_dereg_mr() while the copy runs. */
	if (++p->chunks == p->dying_after)
		WRITE_ONCE(mem->dying, true);
}

static const struct dmr_mem_ops probe_ops = {
	.begin = probe_begin,
	.end = probe_end,
	.prepare = probe_prepare,
	.chunk = probe_chunk,
};

#define PROBE_BYTES (4 * DMR_MEM_BRACKET_BYTES + 100)

static void probe_free_buf(void *buf)
{
	vfree(buf);
}

static struct probe_mem *probe_alloc(struct kunit *test)
{
	struct probe_mem *p = kunit_kzalloc(test, sizeof(*p), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	p->buf = vzalloc(PROBE_BYTES);
	KUNIT_ASSERT_NOT_NULL(test, p->buf);
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, probe_free_buf, p->buf));
	p->mem.ops = &probe_ops;
	p->mem.length = PROBE_BYTES;
	return p;
}

/*
 * Two contiguous sides: the engine would copy the whole message in one
 * bracket if it asked for chunks of what is left of the message. Every
 * bracket stays within DMR_MEM_BRACKET_BYTES, on both sides.
 */
static void test_bracket_bounded_for_contiguous_copy(struct kunit *test)
{
	struct probe_mem *src = probe_alloc(test), *dst = probe_alloc(test);
	struct dmr_mem_seg d = { .mem = &dst->mem, .len = PROBE_BYTES };
	struct dmr_mem_seg s = { .mem = &src->mem, .len = PROBE_BYTES };
	bool dst_failed;
	size_t i;

	for (i = 0; i < PROBE_BYTES; i++)
		src->buf[i] = pattern_at(i);
	KUNIT_ASSERT_EQ(test, 0, dmr_mem_copy(&d, 1, &s, 1, PROBE_BYTES, NULL,
					      &dst_failed));
	KUNIT_EXPECT_EQ(test, 0, memcmp(dst->buf, src->buf, PROBE_BYTES));
	KUNIT_EXPECT_EQ(test, 0, dst->open + src->open);
	KUNIT_EXPECT_LE(test, dst->max_in_bracket, DMR_MEM_BRACKET_BYTES);
	KUNIT_EXPECT_LE(test, src->max_in_bracket, DMR_MEM_BRACKET_BYTES);
	KUNIT_EXPECT_GT(test, dst->max_in_bracket, 0);
}

/*
 * An MR deregistered while a message is copied into it: the copy stops at
 * the next bracket, as an access through a key that is gone, so that the
 * deregistration does not wait for the rest of a message of any size.
 */
static void test_copy_stops_when_an_mr_goes(struct kunit *test)
{
	struct probe_mem *src = probe_alloc(test), *dst = probe_alloc(test);
	struct dmr_mem_seg d = { .mem = &dst->mem, .len = PROBE_BYTES };
	struct dmr_mem_seg s = { .mem = &src->mem, .len = PROBE_BYTES };
	bool dst_failed;

	dst->dying_after = 1;
	KUNIT_EXPECT_EQ(test, -EACCES, dmr_mem_copy(&d, 1, &s, 1, PROBE_BYTES,
						    NULL, &dst_failed));
	KUNIT_EXPECT_TRUE(test, dst_failed);
	KUNIT_EXPECT_EQ(test, dst->chunks, 1);
	KUNIT_EXPECT_EQ(test, 0, dst->open + src->open);

	/* The source side, likewise. */
	dst->chunks = 0;
	dst->dying_after = 0;
	WRITE_ONCE(dst->mem.dying, false);
	src->dying_after = 2;
	KUNIT_EXPECT_EQ(test, -EACCES, dmr_mem_copy(&d, 1, &s, 1, PROBE_BYTES,
						    NULL, &dst_failed));
	KUNIT_EXPECT_FALSE(test, dst_failed);
	KUNIT_EXPECT_EQ(test, src->chunks, 2);
}

/* An exporter that invalidates as fast as dmr maps: give up, not spin. */
static void test_remaps_without_progress_are_bounded(struct kunit *test)
{
	struct probe_mem *src = probe_alloc(test), *dst = probe_alloc(test);
	struct dmr_mem_seg d = { .mem = &dst->mem, .len = 64 };
	struct dmr_mem_seg s = { .mem = &src->mem, .len = 64 };
	bool dst_failed;
	u64 orig;

	src->invalidated = true;
	KUNIT_EXPECT_EQ(test, -EBUSY,
			dmr_mem_copy(&d, 1, &s, 1, 64, NULL, &dst_failed));
	KUNIT_EXPECT_FALSE(test, dst_failed);
	KUNIT_EXPECT_EQ(test, src->prepares, DMR_MEM_MAX_REMAPS);
	KUNIT_EXPECT_EQ(test, 0, dst->open + src->open);

	src->prepares = 0;
	KUNIT_EXPECT_EQ(test, -EBUSY,
			dmr_mem_atomic(&src->mem, 0, false, 1, 0, &orig));
	KUNIT_EXPECT_EQ(test, src->prepares, DMR_MEM_MAX_REMAPS);
}

/* A locked instruction never runs on memory that is not 8-byte aligned. */
static void test_atomic_needs_aligned_backing(struct kunit *test)
{
	struct dmr_mem mem;
	u64 *words, orig;

	words = kunit_kzalloc(test, 4 * sizeof(u64), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, words);
	words[1] = 5;
	dmr_mem_init_kernel(&mem, words, 4 * sizeof(u64));
	KUNIT_EXPECT_EQ(test, 0, dmr_mem_atomic(&mem, 8, false, 2, 0, &orig));
	KUNIT_EXPECT_EQ(test, orig, 5);
	KUNIT_EXPECT_EQ(test, words[1], 7);

	/* An MR starting 4 bytes into its memory: its offset 0 is not. */
	dmr_mem_init_kernel(&mem, (u8 *)words + 4, 3 * sizeof(u64));
	KUNIT_EXPECT_EQ(test, -EINVAL,
			dmr_mem_atomic(&mem, 0, true, 0, 1, &orig));
	KUNIT_EXPECT_EQ(test, words[0], 0);
	KUNIT_EXPECT_EQ(test, words[1], 7);
}

static struct kunit_case dmr_dmabuf_cases[] = {
	KUNIT_CASE(test_mapped_at_registration),
	KUNIT_CASE(test_unaligned_sub_range),
	KUNIT_CASE(test_invalidate_unmaps_and_access_maps_again),
	KUNIT_CASE(test_invalidate_is_idempotent),
	KUNIT_CASE(test_refused_mapping_revokes_until_allowed),
	KUNIT_CASE(test_invalidate_waits_for_open_brackets),
	KUNIT_CASE(test_release_in_every_state),
	KUNIT_CASE(test_failed_fence_wait_leaves_nothing_mapped),
	KUNIT_CASE(test_short_table_is_refused),
	KUNIT_CASE(test_bracket_bounded_for_contiguous_copy),
	KUNIT_CASE(test_copy_stops_when_an_mr_goes),
	KUNIT_CASE(test_remaps_without_progress_are_bounded),
	KUNIT_CASE(test_atomic_needs_aligned_backing),
	{}
};

static struct kunit_suite dmr_dmabuf_suite = {
	.name = "dmr_dmabuf",
	.init = fixture_init,
	.exit = fixture_exit,
	.test_cases = dmr_dmabuf_cases,
};

kunit_test_suite(dmr_dmabuf_suite);

MODULE_DESCRIPTION("KUnit tests of dmr's dma-buf memory regions");
MODULE_LICENSE("Dual BSD/GPL");
