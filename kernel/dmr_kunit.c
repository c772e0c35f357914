// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * KUnit tests of the dma-buf backend: the MR state machine and the
 * invalidate path, against a small exporter of this file that can move
 * (invalidate) and revoke (refuse to map) its buffer at will.
 *
 * Built as dmr_kunit.ko; it runs its suite when loaded and needs dmr.ko.
 * Never loaded outside tests.
 */
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/kthread.h>
#include <linux/pci.h>
#include <linux/slab.h>

#include "dmr.h"

MODULE_IMPORT_NS("DMA_BUF");
MODULE_IMPORT_NS("EXPORTED_FOR_KUNIT_TESTING");

#define TEST_PAGES 4

struct test_exporter {
	struct dma_buf *dmabuf;
	struct page *pages[TEST_PAGES];
	bool revoked;			/* under the reservation lock */
	int maps;			/* mappings alive */
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
	int err;

	if (x->revoked)
		return ERR_PTR(-ENODEV);
	sgt = kzalloc_obj(*sgt);
	if (!sgt)
		return ERR_PTR(-ENOMEM);
	err = sg_alloc_table_from_pages(sgt, x->pages, TEST_PAGES, 0,
					TEST_PAGES * PAGE_SIZE, GFP_KERNEL);
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
	return dmr_mem_copy(&dst, 1, &src, 1, len, &dst_failed);
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

static struct kunit_case dmr_dmabuf_cases[] = {
	KUNIT_CASE(test_mapped_at_registration),
	KUNIT_CASE(test_unaligned_sub_range),
	KUNIT_CASE(test_invalidate_unmaps_and_access_maps_again),
	KUNIT_CASE(test_invalidate_is_idempotent),
	KUNIT_CASE(test_refused_mapping_revokes_until_allowed),
	KUNIT_CASE(test_invalidate_waits_for_open_brackets),
	KUNIT_CASE(test_release_in_every_state),
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
